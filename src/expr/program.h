// Compile: a checked syntax tree to a Program, the compact bytecode the Evaluator runs on document
// bytes. Constants are pooled, field paths pre-split into keys, `~` patterns pre-analyzed, literal
// regular expressions compiled and string literals compared with parsed as datetimes once, here.
//
// Invariant: a Program is immutable after Compile and owns every byte it refers to, so one Program
// serves any number of Evaluators on any threads for as long as it lives.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "daas/status.h"
#include "expr/ast.h"
#include "expr/checker.h"

namespace daas::expr {

namespace internal {
struct ProgramData;
}

// A compiled expression. Move-only. Thread-safe: immutable, so any number of threads may evaluate
// it at once (each through its own Evaluator).
class Program {
 public:
  Program(Program&&) noexcept;
  Program& operator=(Program&&) noexcept;
  ~Program();

  // The expression text compiled.
  const std::string& source() const;
  // One line per instruction, for tests and debugging: "0 compare_field_const > age 50".
  std::string Disassemble() const;

 private:
  friend class Evaluator;
  friend Result<Program> Compile(const Ast& ast, const Limits& limits);
  explicit Program(std::unique_ptr<internal::ProgramData> data);

  std::unique_ptr<internal::ProgramData> data_;
};

// Compiles `ast` (from Parse; Check it first to reject what the schema rules out: Compile
// accepts any tree). Errors: InvalidArgument "expression at byte N: invalid regular expression:
// <why>" for a literal regex() pattern RE2 refuses; ResourceExhausted when the program would
// exceed limits.max_program_instructions. The program keeps limits.max_evaluation_steps.
// Thread-safe.
Result<Program> Compile(const Ast& ast, const Limits& limits = Limits());

// Parse, Check (against `resolver`, which may be null) and Compile in one call.
Result<Program> CompileExpression(std::string_view text, const SchemaResolver* resolver = nullptr,
                                  const Limits& limits = Limits(),
                                  const CheckOptions& check = CheckOptions());

}  // namespace daas::expr
