// Propagation helpers for Status and Result (STYLE.md §4).
#pragma once

#include "daas/status.h"

#define DAAS_CONCAT_INNER_(a, b) a##b
#define DAAS_CONCAT_(a, b) DAAS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define DAAS_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::daas::Status daas_status_ = (expr);        \
    if (!daas_status_.ok()) return daas_status_; \
  } while (0)

// `DAAS_ASSIGN_OR_RETURN(auto x, F());` declares x from F()'s value or returns F()'s status.
#define DAAS_ASSIGN_OR_RETURN(lhs, expr) \
  DAAS_ASSIGN_OR_RETURN_IMPL_(DAAS_CONCAT_(daas_result_, __LINE__), lhs, expr)
#define DAAS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()

// Always-on check for states where going on could corrupt data. Never for user input.
#define DAAS_CHECK(cond)                                               \
  do {                                                                 \
    if (!(cond)) ::daas::core::CheckFailed(__FILE__, __LINE__, #cond); \
  } while (0)

#ifdef NDEBUG
#define DAAS_DCHECK(cond) \
  do {                    \
  } while (false && (cond))
#else
#define DAAS_DCHECK(cond) DAAS_CHECK(cond)
#endif

namespace daas::core {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition);
}  // namespace daas::core
