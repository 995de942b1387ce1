// Check: finds, before anything runs, the mistakes an expression's text alone or its collection's
// schema reveals: unknown fields and operands whose types can never meet (`age > "x"` when age is
// a number, `lower(5)`, `!count`). Evaluation never fails on such expressions (a mismatched
// comparison is false, docs/expressions.md), so Check is what turns them into errors for the
// people who write rules and filters.
//
// Invariant: Check only rejects an expression when no document could make the flagged part
// meaningful; types it cannot know (no resolver, an untyped field, a parameter) pass.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "daas/status.h"
#include "expr/ast.h"

namespace daas::expr {

enum class FieldKind : uint8_t {
  kAny,  // unknown or mixed: anything passes
  kBool,
  kNumber,
  kString,
  kDatetime,  // stored as a datetime or as a string holding one
  kBinary,
  kArray,
  kMap,
};

struct FieldType {
  FieldKind kind = FieldKind::kAny;
  FieldKind element = FieldKind::kAny;  // kArray: the elements' kind
};

// What the schema layer tells the checker. A field may always be missing or null; the resolver
// only says what it holds when present. Implementations must be thread-safe if Check is called
// concurrently with one resolver.
class SchemaResolver {
 public:
  virtual ~SchemaResolver() = default;
  // The type of the field at `path` (`a.b.0` is {"a", "b", "0"}), or nullopt when the schema has
  // no such field.
  virtual std::optional<FieldType> ResolveField(const std::vector<PathSegment>& path) const = 0;
  // The type of parameter @name.path (name is "request", "auth" or "param"); nullopt when it
  // cannot exist. By default every parameter is of unknown type.
  virtual std::optional<FieldType> ResolveBinding(std::string_view name,
                                                  const std::vector<PathSegment>& path) const;
};

struct CheckOptions {
  // The whole expression must be able to yield a bool (filters, rules, constraints). Off for
  // expressions that compute a value.
  bool require_condition = true;
};

// Checks `ast` against `resolver`, or against nothing but its own literals and operators when
// `resolver` is null. Errors: InvalidArgument "expression at byte N: unknown field 'a.b'",
// "expression at byte N: cannot compare number with string using '>'", "... '+' needs numbers,
// found string", "... lower() needs a string, found number", "... the expression is a number,
// not a condition". Thread-safe (with a thread-safe resolver).
Status Check(const Ast& ast, const SchemaResolver* resolver,
             const CheckOptions& options = CheckOptions());

}  // namespace daas::expr
