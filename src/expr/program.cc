// The compiler: one recursive walk over the tree (bounded by the tree's height, which Parse
// bounds), emitting stack code and tracking the stack depth.
#include "expr/program.h"

#include <re2/re2.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "core/status_macros.h"
#include "expr/datetime.h"
#include "expr/expr_internal.h"
#include "expr/parser.h"
#include "expr/semantics.h"

namespace daas::expr {

using internal::BindingRef;
using internal::FieldRef;
using internal::Instr;
using internal::LikeConst;
using internal::Op;
using internal::ProgramData;
using internal::Segment;

void internal::RegexDeleter::operator()(re2::RE2* re) const { delete re; }

namespace {

class Compiler {
 public:
  Compiler(const Ast& ast, const Limits& limits, ProgramData* p)
      : ast_(ast), limits_(limits), p_(p) {}

  Status Emit(NodeId id);

 private:
  std::string_view Intern(std::string_view s) {
    p_->strings.emplace_back(s);
    return p_->strings.back();
  }
  uint32_t Const(const Value& v) {
    Value c = v;
    if (c.type == ValueType::kString) c.bytes = Intern(v.bytes);
    p_->constants.push_back(c);
    return static_cast<uint32_t>(p_->constants.size() - 1);
  }
  uint32_t Segments(const std::vector<PathSegment>& path, size_t from) {
    const auto first = static_cast<uint32_t>(p_->segments.size());
    for (size_t i = from; i < path.size(); ++i) {
      p_->segments.push_back(Segment{Intern(path[i].key), path[i].index});
    }
    return first;
  }
  uint32_t Field(const std::vector<PathSegment>& path) {
    uint32_t top = 0;
    while (top < p_->top_keys.size() && p_->top_keys[top] != path[0].key) ++top;
    if (top == p_->top_keys.size()) p_->top_keys.push_back(Intern(path[0].key));
    const uint32_t first = Segments(path, 1);
    p_->fields.push_back(FieldRef{top, first, static_cast<uint32_t>(path.size() - 1)});
    return static_cast<uint32_t>(p_->fields.size() - 1);
  }
  uint32_t Binding(const Node& n) {
    uint32_t slot = 0;
    while (slot < p_->binding_names.size() && p_->binding_names[slot] != n.text) ++slot;
    if (slot == p_->binding_names.size()) p_->binding_names.push_back(Intern(n.text));
    const uint32_t first = Segments(n.path, 0);
    p_->bindings.push_back(BindingRef{slot, first, static_cast<uint32_t>(n.path.size())});
    return static_cast<uint32_t>(p_->bindings.size() - 1);
  }
  // Appends one instruction that changes the stack depth by `delta`.
  Status Add(Instr in, int delta) {
    if (p_->code.size() >= limits_.max_program_instructions) {
      return Status::ResourceExhausted(
          "expression compiles to more than max_program_instructions (" +
          std::to_string(limits_.max_program_instructions) + ") instructions");
    }
    p_->code.push_back(in);
    depth_ += delta;
    p_->max_stack = std::max(p_->max_stack, static_cast<uint32_t>(std::max(depth_, 0)));
    return Status::OK();
  }
  uint32_t here() const { return static_cast<uint32_t>(p_->code.size()); }
  bool IsLiteral(NodeId id) const { return ast_.node(id).kind == NodeKind::kLiteral; }
  // True when the node's code always leaves a bool: no kToBool needed after it.
  bool YieldsBool(NodeId id) const {
    const Node& n = ast_.node(id);
    switch (n.kind) {
      case NodeKind::kCompare:
      case NodeKind::kNot:
      case NodeKind::kAnd:
      case NodeKind::kOr:
      case NodeKind::kIn:
        return true;
      case NodeKind::kCall:
        return n.function == Function::kHas;
      case NodeKind::kLiteral:
        return n.literal_type == ValueType::kBool;
      default:
        return false;
    }
  }
  Status EmitCompare(const Node& n);
  Status EmitCall(const Node& n);

  const Ast& ast_;
  const Limits& limits_;
  ProgramData* p_;
  int depth_ = 0;
};

Status Compiler::EmitCompare(const Node& n) {
  const NodeId l = n.children[0];
  const NodeId r = n.children[1];
  const auto op = static_cast<uint8_t>(n.compare);
  const uint8_t any = n.any ? internal::kCompareAny : 0;
  const bool like = n.compare == CompareOp::kLike || n.compare == CompareOp::kNotLike;
  if (IsLiteral(r)) {
    const Value rv = ast_.LiteralValue(r);
    if (like && rv.type == ValueType::kString) {
      LikeConst lc;
      lc.contains = !HasUnescapedPercent(rv.bytes);
      if (lc.contains) {
        // Unescape and fold once here, as Like does at every call.
        std::string needle;
        const std::string_view pat = rv.bytes;
        for (size_t i = 0; i < pat.size(); ++i) {
          char c = pat[i];
          if (c == '\\' && i + 1 < pat.size()) c = pat[++i];
          needle.push_back(FoldAscii(c));
        }
        lc.text = Intern(needle);
      } else {
        lc.text = Intern(rv.bytes);
      }
      p_->likes.push_back(lc);
      DAAS_RETURN_IF_ERROR(Emit(l));
      return Add(Instr{Op::kLikeConst, op, any, static_cast<uint32_t>(p_->likes.size() - 1), 0}, 0);
    }
    const uint32_t c = Const(rv);
    uint8_t flags = any;
    if (rv.type == ValueType::kString) {
      // Against a datetime (a field, @now, ...) the string is parsed at every comparison: parse
      // it once here. The string stays the constant for every other operand, so a string field
      // still compares by bytes, and one that does not parse keeps its string semantics.
      if (const std::optional<int64_t> t = ParseDatetime(rv.bytes)) {
        Const(Value::Datetime(*t));  // constants[c + 1]
        flags |= internal::kCompareDatetime;
      }
    }
    const Node& ln = ast_.node(l);
    if (ln.kind == NodeKind::kField) {
      return Add(Instr{Op::kCompareFieldConst, op, flags, Field(ln.path), c}, 1);
    }
    DAAS_RETURN_IF_ERROR(Emit(l));
    return Add(Instr{Op::kCompareConst, op, flags, c, 0}, 0);
  }
  DAAS_RETURN_IF_ERROR(Emit(l));
  DAAS_RETURN_IF_ERROR(Emit(r));
  return Add(Instr{Op::kCompare, op, any, 0, 0}, -1);
}

Status Compiler::EmitCall(const Node& n) {
  if (n.function == Function::kHas) {
    const Node& arg = ast_.node(n.children[0]);
    if (arg.kind == NodeKind::kField) return Add(Instr{Op::kHasField, 0, 0, Field(arg.path), 0}, 1);
    return Add(Instr{Op::kHasBinding, 0, 0, Binding(arg), 0}, 1);
  }
  if (n.function == Function::kRegex && IsLiteral(n.children[1]) &&
      ast_.node(n.children[1]).literal_type == ValueType::kString) {
    const Node& pat = ast_.node(n.children[1]);
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(internal::kRegexMaxMemBytes);
    std::unique_ptr<re2::RE2, internal::RegexDeleter> re(new RE2(pat.text, options));
    if (!re->ok()) {
      return Status::InvalidArgument("expression at byte " + std::to_string(pat.pos) +
                                     ": invalid regular expression: " + re->error());
    }
    p_->regexes.push_back(std::move(re));
    DAAS_RETURN_IF_ERROR(Emit(n.children[0]));
    return Add(Instr{Op::kRegexConst, 0, 0, static_cast<uint32_t>(p_->regexes.size() - 1), 0}, 0);
  }
  if (n.function == Function::kNow) p_->reads_clock = true;
  for (NodeId c : n.children) DAAS_RETURN_IF_ERROR(Emit(c));
  const int argc = static_cast<int>(n.children.size());
  return Add(Instr{Op::kCall, static_cast<uint8_t>(n.function), static_cast<uint8_t>(argc), 0, 0},
             1 - argc);
}

Status Compiler::Emit(NodeId id) {
  const Node& n = ast_.node(id);
  switch (n.kind) {
    case NodeKind::kLiteral:
      return Add(Instr{Op::kPushConst, 0, 0, Const(ast_.LiteralValue(id)), 0}, 1);
    case NodeKind::kField:
      return Add(Instr{Op::kLoadField, 0, 0, Field(n.path), 0}, 1);
    case NodeKind::kBinding:
      return Add(Instr{Op::kLoadBinding, 0, 0, Binding(n), 0}, 1);
    case NodeKind::kMacro:
      p_->reads_clock = true;
      return Add(Instr{Op::kPushMacro, static_cast<uint8_t>(n.macro), 0, 0, 0}, 1);
    case NodeKind::kNot:
    case NodeKind::kNeg:
      DAAS_RETURN_IF_ERROR(Emit(n.children[0]));
      return Add(Instr{n.kind == NodeKind::kNot ? Op::kNot : Op::kNeg, 0, 0, 0, 0}, 0);
    case NodeKind::kArith:
      DAAS_RETURN_IF_ERROR(Emit(n.children[0]));
      DAAS_RETURN_IF_ERROR(Emit(n.children[1]));
      return Add(Instr{Op::kArith, static_cast<uint8_t>(n.arith), 0, 0, 0}, -1);
    case NodeKind::kCompare:
      return EmitCompare(n);
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      const Op jump = n.kind == NodeKind::kAnd ? Op::kJumpUnlessTrue : Op::kJumpIfTrue;
      const Op fused = n.kind == NodeKind::kAnd ? Op::kAndFieldConst : Op::kOrFieldConst;
      std::vector<uint32_t> patches;   // jumps whose target is `arg`
      std::vector<uint32_t> patches3;  // fused instructions whose target is `arg3`
      for (size_t i = 0; i < n.children.size(); ++i) {
        DAAS_RETURN_IF_ERROR(Emit(n.children[i]));
        if (i + 1 == n.children.size()) break;
        Instr& last = p_->code.back();
        // Only when the child is that one comparison: a child whose code merely ends with one
        // (a nested && or ||) has jumps of its own that land after it with a value pushed.
        if (ast_.node(n.children[i]).kind == NodeKind::kCompare &&
            last.op == Op::kCompareFieldConst) {
          // One dispatch instead of two for the commonest filter shape, `f op c && ...`.
          last.op = fused;
          depth_ -= 1;
          patches3.push_back(here() - 1);
        } else {
          patches.push_back(here());
          DAAS_RETURN_IF_ERROR(Add(Instr{jump, 0, 0, 0, 0}, -1));
        }
      }
      if (!YieldsBool(n.children.back())) {
        DAAS_RETURN_IF_ERROR(Add(Instr{Op::kToBool, 0, 0, 0, 0}, 0));
      }
      for (uint32_t at : patches) p_->code[at].arg = here();
      for (uint32_t at : patches3) p_->code[at].arg3 = here();
      return Status::OK();
    }
    case NodeKind::kIn: {
      DAAS_RETURN_IF_ERROR(Emit(n.children[0]));
      if (!n.list) {
        DAAS_RETURN_IF_ERROR(Emit(n.children[1]));
        return Add(Instr{Op::kInValue, 0, 0, 0, 0}, -1);
      }
      std::vector<uint32_t> patches;
      for (size_t i = 1; i < n.children.size(); ++i) {
        DAAS_RETURN_IF_ERROR(Emit(n.children[i]));
        patches.push_back(here());
        DAAS_RETURN_IF_ERROR(Add(Instr{Op::kInEqual, 0, 0, 0, 0}, -1));
      }
      DAAS_RETURN_IF_ERROR(Add(Instr{Op::kInFalse, 0, 0, 0, 0}, 0));
      for (uint32_t at : patches) p_->code[at].arg = here();
      return Status::OK();
    }
    case NodeKind::kCall:
      return EmitCall(n);
  }
  return Status::Internal("unknown expression node");
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kPushConst:
      return "push_const";
    case Op::kLoadField:
      return "load_field";
    case Op::kLoadBinding:
      return "load_binding";
    case Op::kHasField:
      return "has_field";
    case Op::kHasBinding:
      return "has_binding";
    case Op::kPushMacro:
      return "push_macro";
    case Op::kNot:
      return "not";
    case Op::kNeg:
      return "neg";
    case Op::kToBool:
      return "to_bool";
    case Op::kArith:
      return "arith";
    case Op::kCompare:
      return "compare";
    case Op::kCompareConst:
      return "compare_const";
    case Op::kCompareFieldConst:
      return "compare_field_const";
    case Op::kAndFieldConst:
      return "and_field_const";
    case Op::kOrFieldConst:
      return "or_field_const";
    case Op::kLikeConst:
      return "like_const";
    case Op::kJumpUnlessTrue:
      return "jump_unless_true";
    case Op::kJumpIfTrue:
      return "jump_if_true";
    case Op::kInEqual:
      return "in_equal";
    case Op::kInFalse:
      return "in_false";
    case Op::kInValue:
      return "in_value";
    case Op::kCall:
      return "call";
    case Op::kRegexConst:
      return "regex_const";
  }
  return "?";
}

}  // namespace

Program::Program(std::unique_ptr<ProgramData> data) : data_(std::move(data)) {}
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;
Program::~Program() = default;

const std::string& Program::source() const { return data_->source; }

std::string Program::Disassemble() const {
  const ProgramData& p = *data_;
  std::string out;
  auto field = [&](uint32_t f) {
    const FieldRef& r = p.fields[f];
    std::string s(p.top_keys[r.top]);
    for (uint32_t i = 0; i < r.count; ++i) s.append(".").append(p.segments[r.first + i].key);
    return s;
  };
  auto compare = [](const Instr& in) {
    return CompareOpText(static_cast<CompareOp>(in.a), (in.b & internal::kCompareAny) != 0);
  };
  // A constant, and the datetime parsed from it when the instruction has one.
  auto constant = [&](const Instr& in, uint32_t c) {
    std::string s = ToJson(p.constants[c]);
    if ((in.b & internal::kCompareDatetime) != 0) {
      s.append(" datetime ").append(ToJson(p.constants[c + 1]));
    }
    return s;
  };
  for (size_t pc = 0; pc < p.code.size(); ++pc) {
    const Instr& in = p.code[pc];
    out.append(std::to_string(pc)).append(" ").append(OpName(in.op));
    switch (in.op) {
      case Op::kPushConst:
        out.append(" ").append(ToJson(p.constants[in.arg]));
        break;
      case Op::kLoadField:
      case Op::kHasField:
        out.append(" ").append(field(in.arg));
        break;
      case Op::kPushMacro:
        out.append(" ").append(MacroName(static_cast<Macro>(in.a)));
        break;
      case Op::kArith:
        out.append(" ").append(ArithOpText(static_cast<ArithOp>(in.a)));
        break;
      case Op::kCompare:
        out.append(" ").append(compare(in));
        break;
      case Op::kCompareConst:
        out.append(" ").append(compare(in)).append(" ").append(constant(in, in.arg));
        break;
      case Op::kCompareFieldConst:
      case Op::kAndFieldConst:
      case Op::kOrFieldConst:
        out.append(" ").append(compare(in)).append(" ").append(field(in.arg));
        out.append(" ").append(constant(in, in.arg2));
        if (in.op != Op::kCompareFieldConst) out.append(" ").append(std::to_string(in.arg3));
        break;
      case Op::kLikeConst:
        out.append(" ").append(compare(in));
        out.append(p.likes[in.arg].contains ? " contains " : " pattern ");
        out.append(p.likes[in.arg].text);
        break;
      case Op::kJumpUnlessTrue:
      case Op::kJumpIfTrue:
      case Op::kInEqual:
        out.append(" ").append(std::to_string(in.arg));
        break;
      case Op::kCall:
        out.append(" ").append(FunctionName(static_cast<Function>(in.a)));
        out.append("/").append(std::to_string(in.b));
        break;
      default:
        break;
    }
    out.push_back('\n');
  }
  return out;
}

Result<Program> Compile(const Ast& ast, const Limits& limits) {
  if (ast.empty()) return Status::InvalidArgument("expression at byte 0: empty expression");
  auto data = std::make_unique<ProgramData>();
  data->source = ast.source();
  data->max_evaluation_steps = limits.max_evaluation_steps;
  Compiler c(ast, limits, data.get());
  DAAS_RETURN_IF_ERROR(c.Emit(ast.root()));
  ProgramData& p = *data;
  std::fill(std::begin(p.first_by_length), std::end(p.first_by_length), ProgramData::kNoKey);
  p.next_same_length.assign(p.top_keys.size(), ProgramData::kNoKey);
  for (size_t k = p.top_keys.size(); k-- > 0;) {
    const size_t len = std::min<size_t>(p.top_keys[k].size(), ProgramData::kLongKey);
    p.next_same_length[k] = p.first_by_length[len];
    p.first_by_length[len] = static_cast<uint32_t>(k);
  }
  return Program(std::move(data));
}

Result<Program> CompileExpression(std::string_view text, const SchemaResolver* resolver,
                                  const Limits& limits, const CheckOptions& check) {
  DAAS_ASSIGN_OR_RETURN(Ast ast, Parse(text, limits));
  DAAS_RETURN_IF_ERROR(Check(ast, resolver, check));
  return Compile(ast, limits);
}

}  // namespace daas::expr
