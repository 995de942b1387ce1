// What the operators mean on values: equality, ordering, `~` matching and arithmetic. The one
// definition the bytecode evaluator runs; docs/expressions.md ("Comparison semantics",
// "Arithmetic") states the same rules in prose and the differential test checks them against a
// separate reference.
//
// Invariant: every function here is total (no value pair is an error), allocation-free, and
// deterministic: numbers compare exactly across int64, uint64 and double, never through a lossy
// conversion.
#pragma once

#include <cstdint>
#include <string_view>

#include "expr/ast.h"
#include "expr/value.h"

namespace daas::expr {

enum class Ordering : int8_t { kLess, kEqual, kGreater, kUnordered };

// Exact order of two numbers (kInt, kUint, kDouble). NaN is unordered with everything.
// Requires: a.is_number() && b.is_number().
Ordering CompareNumbers(const Value& a, const Value& b);

// `=` on two values that are not expanded as arrays:
// - null, a missing field and "" are one value (PocketBase's "empty"): equal to each other only;
// - numbers by exact value (1 = 1.0; NaN equals nothing);
// - strings and binaries by bytes; bools; ext values by type and payload;
// - a datetime equals a datetime at the same microsecond, or a string that parses to it;
// - arrays and maps equal nothing (an array operand is expanded before it gets here);
// - any other pair (a number and a string, ...) is not equal.
bool Equal(const Value& a, const Value& b);

// The order `<` `<=` `>` `>=` use: numbers exactly, strings and binaries by bytes (unsigned,
// shorter prefix first), datetimes by time (a string against a datetime is parsed first; one that
// does not parse is unordered). Every other pair, null included, is unordered: all four operators
// are false.
Ordering Order(const Value& a, const Value& b);

// The result of `a op b` for non-array values, with `~` and `!~` given by Like (both false unless
// both operands are strings). `budget` is decremented by the work done and may reach 0, in which
// case the result is meaningless and the caller fails the evaluation.
bool CompareScalar(CompareOp op, const Value& a, const Value& b, uint64_t* budget);

// PocketBase's `~`: case-insensitive for ASCII letters. A pattern with an unescaped `%` is a SQL
// LIKE pattern (`%` any run, `_` one character, `\c` the character c); any other pattern is a
// substring to find, with `\c` meaning c. Budget as for CompareScalar.
bool Like(std::string_view text, std::string_view pattern, uint64_t* budget);

// True when `pattern` has a `%` not escaped by a backslash: Like then treats it as a LIKE pattern.
bool HasUnescapedPercent(std::string_view pattern);

// Case-insensitive (ASCII) search for `needle`, already unescaped and lowercased; what Like does
// for a literal substring pattern, precomputed at compile time.
bool ContainsFolded(std::string_view text, std::string_view needle, uint64_t* budget);

// `a op b` for + - * / %. Integers (kInt, kUint) are added, subtracted, multiplied and reduced
// (%) exactly; a result outside int64 is kUint when it fits uint64, else the double of the same
// operation. `/` is always floating-point division. A zero divisor (for / and %) and any operand
// that is not a number give null. A double operand makes the operation double (C semantics,
// fmod for %).
Value Arithmetic(ArithOp op, const Value& a, const Value& b);

// Unary minus: exact for integers (-INT64_MIN is the kUint 2^63; -(2^63) is INT64_MIN), double
// negation for doubles, null for anything else.
Value Negate(const Value& a);

// ASCII lowercase of one byte.
inline char FoldAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c; }

}  // namespace daas::expr
