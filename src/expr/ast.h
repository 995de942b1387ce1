// The syntax tree of one expression, as Parse builds it and Check and Compile read it.
//
// Invariant: nodes live in one vector and refer to their children by index, so building,
// copying and destroying a tree never recurses; and every tree Parse returns is at most
// Limits::max_depth nodes high, which bounds the recursion of every pass that walks it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "expr/value.h"

namespace daas::expr {

// Bounds on untrusted expressions. Exceeding one is ResourceExhausted, naming the limit.
struct Limits {
  // Bytes of expression text.
  size_t max_expression_bytes = 64 * 1024;
  // Nesting: parentheses, unary operators, call arguments, and the height of the tree (a chain
  // `a + b + c` is as high as it is long; `&&` and `||` chains are flat).
  uint32_t max_depth = 128;
  // Instructions in a compiled program.
  uint32_t max_program_instructions = 32 * 1024;
  // Work units per evaluation (one per instruction, per element compared, per character step of a
  // `~` match): bounds the cost of one document whatever its size and the expression.
  uint64_t max_evaluation_steps = uint64_t{1} << 24;
};

using NodeId = uint32_t;

enum class NodeKind : uint8_t {
  kLiteral,  // literal_type + value fields
  kField,    // path
  kBinding,  // @name.path: name + path
  kMacro,    // @now, @todayStart, ...: macro
  kNot,      // ! child
  kNeg,      // - child
  kArith,    // child0 arith child1
  kCompare,  // child0 compare child1; any: the ?-form
  kAnd,      // children, two or more
  kOr,       // children, two or more
  kIn,       // child0 in [child1, ...] (list) or child0 in child1 (!list)
  kCall,     // function(children...)
};

enum class ArithOp : uint8_t { kAdd, kSub, kMul, kDiv, kMod };
enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kLike, kNotLike };
enum class Function : uint8_t { kLen, kLower, kUpper, kAbs, kMin, kMax, kNow, kDate, kHas, kRegex };
enum class Macro : uint8_t {
  kNow,
  kYesterday,
  kTomorrow,
  kSecond,
  kMinute,
  kHour,
  kWeekday,
  kDay,
  kMonth,
  kYear,
  kTodayStart,
  kTodayEnd,
  kMonthStart,
  kMonthEnd,
  kYearStart,
  kYearEnd,
};
inline constexpr int kMacroCount = 16;

// The parameters a kBinding node may name, which Bindings binds (docs/expressions.md,
// "Parameters"). A closed list, so that a misspelt `@reqest.auth.id` is an error rather than a
// silent null.
inline constexpr std::string_view kParameterNames[] = {"request", "auth", "param"};

// "=", "?>=", "+", "len", "@todayStart": the source spelling.
const char* CompareOpText(CompareOp op, bool any);
const char* ArithOpText(ArithOp op);
const char* FunctionName(Function f);
const char* MacroName(Macro m);

// One step of a field path: a map key, which when it is all digits (and below 2^32) also indexes
// an array: `tags.0` is the first element of the array `tags`, or the value of key "0" of the map
// `tags`.
struct PathSegment {
  std::string key;
  int64_t index = -1;  // >= 0: key as an array index
};

struct Node {
  NodeKind kind = NodeKind::kLiteral;
  uint32_t pos = 0;  // byte offset in the source of the token that starts (or, for an operator,
                     // names) this node: the position errors report
  // kLiteral: one of kNull, kBool, kInt, kUint, kDouble, kString.
  ValueType literal_type = ValueType::kNull;
  bool boolean = false;
  bool any = false;   // kCompare
  bool list = false;  // kIn
  CompareOp compare = CompareOp::kEq;
  ArithOp arith = ArithOp::kAdd;
  Function function = Function::kLen;
  Macro macro = Macro::kNow;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double double_value = 0;
  std::string text;               // kLiteral string; kBinding: the name after '@'
  std::vector<PathSegment> path;  // kField, kBinding
  std::vector<NodeId> children;
  uint32_t height = 1;
};

// An expression's tree. Value type; copies are deep. Thread-compatible.
class Ast {
 public:
  const Node& node(NodeId id) const { return nodes_[id]; }
  NodeId root() const { return root_; }
  size_t size() const { return nodes_.size(); }
  bool empty() const { return nodes_.empty(); }
  // The expression text this tree was parsed from.
  const std::string& source() const { return source_; }

  // The literal of a kLiteral node as a Value viewing the node's text. Valid while the Ast is.
  Value LiteralValue(NodeId id) const;

  // A canonical text for the tree, fully parenthesized: `((a > 1) && (b = "x"))`. Parsing it gives
  // the same tree. For tests and diagnostics.
  std::string ToString() const;

  // Building (the parser, and tests).
  NodeId Add(Node node);
  void set_root(NodeId id) { root_ = id; }
  void set_source(std::string_view s) { source_ = s; }
  Node& mutable_node(NodeId id) { return nodes_[id]; }

 private:
  void Print(NodeId id, std::string* out) const;

  std::vector<Node> nodes_;
  NodeId root_ = 0;
  std::string source_;
};

// "a.b.0": a path as written.
std::string PathText(const std::vector<PathSegment>& path);

}  // namespace daas::expr
