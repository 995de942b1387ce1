// Evaluator: runs a Program on documents, reading fields straight from their MessagePack bytes.
//
// Invariant: after construction, evaluating a document allocates nothing on the paths filters
// take (field reads, comparisons, logic, `in`, number arithmetic, `~` with a literal pattern):
// the stack, the field cache and the scratch space for lower()/upper() are sized once and reused.
// Only regex() with a pattern that is not a literal compiles (and allocates) per call.
//
// Use: one Evaluator per thread per (program, context), e.g. per request and scan worker:
//
//   Evaluator ev(program, {.bindings = &bindings, .now_micros = SystemNowMicros()});
//   for (std::string_view doc : docs) if (*ev.Matches(doc)) ...
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daas/status.h"
#include "doc/msgpack_reader.h"
#include "expr/bindings.h"
#include "expr/program.h"
#include "expr/value.h"

namespace daas::expr {

struct EvalContext {
  // Values of @request, @auth and @param; null, or an unbound name, makes them null. Must outlive
  // the Evaluator.
  const Bindings* bindings = nullptr;
  // The instant @now, now() and the other date macros refer to, in microseconds since the epoch
  // (UTC). Passed in so that one request sees one instant and tests are deterministic.
  int64_t now_micros = 0;
};

// The current time from the system clock, for EvalContext::now_micros.
int64_t SystemNowMicros();

// Thread-compatible: one thread at a time per Evaluator; many Evaluators may share one Program and
// one Bindings concurrently.
class Evaluator {
 public:
  // Prepares `program` for evaluation in `context`: resolves every parameter path and date macro
  // once. `program` and context.bindings must outlive the Evaluator, and the bindings must not
  // change while it lives.
  Evaluator(const Program& program, const EvalContext& context);
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Moves the instant @now, now() and the other date macros refer to (EvalContext::now_micros),
  // so that one Evaluator serves many requests. Costs nothing for a program that reads no clock.
  void SetNow(int64_t now_micros);

  // The value of the expression on `document`. The Value may view the document, the program,
  // the bindings or this Evaluator's scratch: it is valid until the next call on this Evaluator
  // and while those live. Errors: ResourceExhausted when the evaluation exceeds the program's
  // max_evaluation_steps (only pathological inputs: huge arrays against huge arrays, `~` patterns
  // that backtrack). Requires: `document` passed doc::ValidateDocument.
  Result<Value> Evaluate(std::string_view document);

  // Whether the expression is true on `document` (anything else, null included, is a non-match).
  // Errors as Evaluate. Requires: as Evaluate.
  Result<bool> Matches(std::string_view document);

 private:
  struct TopSlot {
    uint64_t generation = 0;  // == generation_: `offset` is this document's, or 0 when absent
    uint32_t offset = 0;      // of the field's value in the document
  };
  // A parameter path's value, the same for every document: null when `found` is false.
  struct ResolvedBinding {
    Value value;
    bool found = false;
  };

  // Runs the program; the result is stack_[0]. False when the budget ran out.
  bool Run(std::string_view document);
  // The error Evaluate and Matches return when Run ran out of budget.
  Status StepsExceeded() const;
  // The offset in the document of top-level field `top`'s value (an index into the program's
  // top_keys), or 0 when absent. Scans the document's map once, lazily, recording every key the
  // program wants as it passes it.
  uint32_t Top(uint32_t top);
  Value LoadField(uint32_t field);
  // Follows the program's binding `binding` through `bindings` (null: unbound).
  ResolvedBinding ResolveBinding(uint32_t binding, const Bindings* bindings);
  // Follows segments [first, first + count) from `v`; false when a step is missing.
  bool Descend(doc::Value* v, uint32_t first, uint32_t count);
  bool Compare(uint8_t op, bool any, const Value& a, const Value& b, uint32_t like);
  // `a op constants[c]`, `flags` being the instruction's kCompareAny and kCompareDatetime.
  bool CompareConst(uint8_t op, uint8_t flags, const Value& a, uint32_t c);
  // CompareConst of a constant flagged kCompareDatetime.
  bool CompareDatetimeConst(uint8_t op, uint8_t flags, const Value& a, uint32_t c);
  // Compare with an array operand. `b_datetime`, when not null, is what `b` (a string) parses
  // to: each datetime element of `a` is compared with it instead of `b`.
  bool CompareArrays(uint8_t op, bool any, const Value& a, const Value& b, uint32_t like,
                     const Value* b_datetime);
  bool CompareOne(uint8_t op, const Value& a, const Value& b, uint32_t like);
  bool InValue(const Value& x, const Value& list);
  Value Call(uint8_t function, Value* args, uint32_t argc);
  Value Regex(const Value& s, const Value& pattern, uint32_t regex);
  // `n` bytes of scratch valid until the next evaluation; never moves earlier allocations.
  char* Scratch(size_t n);

  const internal::ProgramData& p_;
  std::vector<Value> stack_;
  std::vector<TopSlot> top_;
  std::vector<ResolvedBinding> bindings_;  // per program binding (ProgramData::bindings)
  Value macros_[kMacroCount];
  uint64_t generation_ = 0;
  // The current document, and the lazy scan of its top-level map: the next key's offset and how
  // many pairs are left.
  std::string_view doc_;
  size_t scan_pos_ = 0;
  uint32_t scan_left_ = 0;
  uint64_t budget_ = 0;
  // Scratch blocks: never freed or moved before the Evaluator dies, so views into them stay valid
  // for the whole evaluation.
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<size_t> block_sizes_;
  size_t block_ = 0;
  size_t block_used_ = 0;
};

}  // namespace daas::expr
