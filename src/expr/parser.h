// Parse: expression text to syntax tree. The grammar is PocketBase's filter syntax, extended with
// arithmetic, `in` and functions; docs/expressions.md has it in EBNF with every token.
//
// Invariant: Parse never crashes, loops or overflows the stack on any input: the text is checked
// against Limits before anything else, and nesting is counted as it is parsed.
#pragma once

#include <string_view>

#include "daas/status.h"
#include "expr/ast.h"

namespace daas::expr {

// Parses one expression. Errors:
// - InvalidArgument "expression at byte N: expected <what> <context>, found <token>" for bad
//   syntax, an unknown function or macro, a wrong number of arguments, a number literal out of
//   range, invalid UTF-8 or a bad escape in a string;
// - ResourceExhausted naming the limit, for text longer than limits.max_expression_bytes or
//   nesting deeper than limits.max_depth.
// Thread-safe.
Result<Ast> Parse(std::string_view text, const Limits& limits = Limits());

}  // namespace daas::expr
