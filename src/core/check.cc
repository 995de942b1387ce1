#include <cstdio>
#include <cstdlib>

#include "core/status_macros.h"

namespace daas::core {

void CheckFailed(const char* file, int line, const char* condition) {
  std::fprintf(stderr, "daas: check failed at %s:%d: %s\n", file, line, condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace daas::core
