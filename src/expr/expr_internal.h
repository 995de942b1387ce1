// The bytecode: instruction set and program layout, shared by the compiler (program.cc) and the
// evaluator (evaluator.cc) only (STYLE.md §6: nothing outside src/expr includes this header).
//
// Invariant: a ProgramData is immutable once Compile returns it, and every string_view in it
// points into its own `strings` (a deque, so the views survive later insertions and the
// ProgramData never moves: Program holds it by unique_ptr). Evaluators on any number of threads
// read it concurrently.
//
// Machine: a stack of Values. Each instruction pops its operands and pushes its result; the
// compiler tracks the depth, so the evaluator's stack is sized once (max_stack) and never checked.
//
//   op                     a          b      arg            arg2    stack effect
//   kPushConst             -          -      const          -       -> c
//   kLoadField             -          -      field          -       -> value or null
//   kLoadBinding           -          -      binding path   -       -> value or null
//   kHasField/kHasBinding  -          -      field/path     -       -> bool
//   kPushMacro             macro      -      -              -       -> value
//   kNot, kNeg, kToBool    -          -      -              -       x -> y
//   kArith                 ArithOp    -      -              -       x y -> z
//   kCompare               CompareOp  any    -              -       x y -> bool
//   kCompareConst          CompareOp  any    const (right)  -       x -> bool
//   kCompareFieldConst     CompareOp  any    field (left)   const   -> bool
//   kLikeConst             CompareOp  any    like pattern   -       x -> bool
//   kAndFieldConst         CompareOp  any    field (left)   const   -> (jump, leaving false) | ()
//                                                        arg3: target: kCompareFieldConst fused
//                                                        with kJumpUnlessTrue (an && operand)
//   kOrFieldConst          as kAndFieldConst, jumping leaving true when the comparison holds
//   kJumpUnlessTrue        -          -      target         -       x -> (jump, leaving false) | ()
//   kJumpIfTrue            -          -      target         -       x -> (jump, leaving true) | ()
//   kInEqual               -          -      target         -       x e -> (jump, leaving true) | x
//   kInFalse               -          -      -              -       x -> false
//   kInValue               -          -      -              -       x list -> bool
//   kCall                  Function   argc   -              -       args -> value
//   kRegexConst            -          -      regex          -       s -> bool or null
//
// `any` above holds bits: kCompareAny for the `?` form and, on the instructions with a constant,
// kCompareDatetime when the constant is a string literal that parses as a datetime:
// constants[const + 1] is then that datetime, parsed once by the compiler rather than at every
// comparison with a datetime.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "expr/ast.h"
#include "expr/value.h"

namespace re2 {
class RE2;
}

namespace daas::expr::internal {

enum class Op : uint8_t {
  kPushConst,
  kLoadField,
  kLoadBinding,
  kHasField,
  kHasBinding,
  kPushMacro,
  kNot,
  kNeg,
  kToBool,
  kArith,
  kCompare,
  kCompareConst,
  kCompareFieldConst,
  kAndFieldConst,
  kOrFieldConst,
  kLikeConst,
  kJumpUnlessTrue,
  kJumpIfTrue,
  kInEqual,
  kInFalse,
  kInValue,
  kCall,
  kRegexConst,
};

// Bits of Instr::b for the comparison instructions (see the table above).
inline constexpr uint8_t kCompareAny = 1;       // the `?` form
inline constexpr uint8_t kCompareDatetime = 2;  // the string constant's datetime is the next one

struct Instr {
  Op op;
  uint8_t a = 0;
  uint8_t b = 0;
  uint32_t arg = 0;
  uint32_t arg2 = 0;
  uint32_t arg3 = 0;
};

struct Segment {
  std::string_view key;
  int64_t index;  // >= 0: also an array index
};

// A field path: its first key is top-level key `top` (an index into top_keys); the rest are
// segments[first, first + count).
struct FieldRef {
  uint32_t top;
  uint32_t first;
  uint32_t count;
};

// A parameter path: parameter `slot` (an index into binding_names), then segments.
struct BindingRef {
  uint32_t slot;
  uint32_t first;
  uint32_t count;
};

// A `~` / `!~` right operand known at compile time.
struct LikeConst {
  bool contains;          // no unescaped '%': a substring search for `needle`
  std::string_view text;  // contains: unescaped and ASCII-lowercased; else the LIKE pattern
};

// Memory RE2 may use for one compiled pattern; a pattern needing more is refused (at compile time
// for a literal, as null at run time otherwise), bounding what an untrusted expression can make
// the process allocate.
inline constexpr int64_t kRegexMaxMemBytes = 4 << 20;

struct RegexDeleter {
  void operator()(re2::RE2* re) const;
};

struct ProgramData {
  std::string source;
  std::vector<Instr> code;
  std::vector<Value> constants;
  std::vector<std::string_view> top_keys;  // distinct top-level keys the program reads
  // top_keys by length, so that the scan of a document's keys dismisses most keys by length
  // alone: first_by_length[min(len, kLongKey)] is the first top key of that length (kNoKey when
  // none) and next_same_length[k] the next one after k.
  static constexpr uint32_t kLongKey = 32;
  static constexpr uint32_t kNoKey = UINT32_MAX;
  uint32_t first_by_length[kLongKey + 1];
  std::vector<uint32_t> next_same_length;
  std::vector<Segment> segments;
  std::vector<FieldRef> fields;
  std::vector<std::string_view> binding_names;
  std::vector<BindingRef> bindings;
  std::vector<LikeConst> likes;
  std::vector<std::unique_ptr<re2::RE2, RegexDeleter>> regexes;
  std::deque<std::string> strings;  // owns the bytes every view above points to
  uint32_t max_stack = 0;
  uint64_t max_evaluation_steps = 0;
  bool reads_clock = false;  // a date macro or now(): the Evaluator computes the macros
};

}  // namespace daas::expr::internal
