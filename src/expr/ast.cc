#include "expr/ast.h"

#include <charconv>
#include <string>

namespace daas::expr {

const char* CompareOpText(CompareOp op, bool any) {
  switch (op) {
    case CompareOp::kEq:
      return any ? "?=" : "=";
    case CompareOp::kNe:
      return any ? "?!=" : "!=";
    case CompareOp::kLt:
      return any ? "?<" : "<";
    case CompareOp::kLe:
      return any ? "?<=" : "<=";
    case CompareOp::kGt:
      return any ? "?>" : ">";
    case CompareOp::kGe:
      return any ? "?>=" : ">=";
    case CompareOp::kLike:
      return any ? "?~" : "~";
    case CompareOp::kNotLike:
      return any ? "?!~" : "!~";
  }
  return "?";
}

const char* ArithOpText(ArithOp op) {
  switch (op) {
    case ArithOp::kAdd:
      return "+";
    case ArithOp::kSub:
      return "-";
    case ArithOp::kMul:
      return "*";
    case ArithOp::kDiv:
      return "/";
    case ArithOp::kMod:
      return "%";
  }
  return "?";
}

const char* FunctionName(Function f) {
  switch (f) {
    case Function::kLen:
      return "len";
    case Function::kLower:
      return "lower";
    case Function::kUpper:
      return "upper";
    case Function::kAbs:
      return "abs";
    case Function::kMin:
      return "min";
    case Function::kMax:
      return "max";
    case Function::kNow:
      return "now";
    case Function::kDate:
      return "date";
    case Function::kHas:
      return "has";
    case Function::kRegex:
      return "regex";
  }
  return "?";
}

const char* MacroName(Macro m) {
  switch (m) {
    case Macro::kNow:
      return "@now";
    case Macro::kYesterday:
      return "@yesterday";
    case Macro::kTomorrow:
      return "@tomorrow";
    case Macro::kSecond:
      return "@second";
    case Macro::kMinute:
      return "@minute";
    case Macro::kHour:
      return "@hour";
    case Macro::kWeekday:
      return "@weekday";
    case Macro::kDay:
      return "@day";
    case Macro::kMonth:
      return "@month";
    case Macro::kYear:
      return "@year";
    case Macro::kTodayStart:
      return "@todayStart";
    case Macro::kTodayEnd:
      return "@todayEnd";
    case Macro::kMonthStart:
      return "@monthStart";
    case Macro::kMonthEnd:
      return "@monthEnd";
    case Macro::kYearStart:
      return "@yearStart";
    case Macro::kYearEnd:
      return "@yearEnd";
  }
  return "?";
}

std::string PathText(const std::vector<PathSegment>& path) {
  std::string out;
  for (const PathSegment& s : path) {
    if (!out.empty()) out.push_back('.');
    out.append(s.key);
  }
  return out;
}

NodeId Ast::Add(Node node) {
  nodes_.push_back(std::move(node));
  return static_cast<NodeId>(nodes_.size() - 1);
}

Value Ast::LiteralValue(NodeId id) const {
  const Node& n = nodes_[id];
  switch (n.literal_type) {
    case ValueType::kBool:
      return Value::Bool(n.boolean);
    case ValueType::kInt:
      return Value::Int(n.int_value);
    case ValueType::kUint:
      return Value::Uint(n.uint_value);
    case ValueType::kDouble:
      return Value::Double(n.double_value);
    case ValueType::kString:
      return Value::String(n.text);
    default:
      return Value::Null();
  }
}

namespace {

void PrintString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        out->push_back(c);
    }
  }
  out->push_back('"');
}

void PrintDouble(double d, std::string* out) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), d);
  std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
  out->append(text);
  if (text.find_first_of(".eEn") == std::string_view::npos) out->append(".0");
}

}  // namespace

void Ast::Print(NodeId id, std::string* out) const {
  const Node& n = nodes_[id];
  switch (n.kind) {
    case NodeKind::kLiteral:
      switch (n.literal_type) {
        case ValueType::kBool:
          out->append(n.boolean ? "true" : "false");
          break;
        case ValueType::kInt:
          out->append(std::to_string(n.int_value));
          break;
        case ValueType::kUint:
          out->append(std::to_string(n.uint_value));
          break;
        case ValueType::kDouble:
          PrintDouble(n.double_value, out);
          break;
        case ValueType::kString:
          PrintString(n.text, out);
          break;
        default:
          out->append("null");
      }
      return;
    case NodeKind::kField:
      out->append(PathText(n.path));
      return;
    case NodeKind::kBinding:
      out->append("@").append(n.text);
      if (!n.path.empty()) out->append(".").append(PathText(n.path));
      return;
    case NodeKind::kMacro:
      out->append(MacroName(n.macro));
      return;
    case NodeKind::kNot:
    case NodeKind::kNeg:
      out->append(n.kind == NodeKind::kNot ? "(!" : "(-");
      Print(n.children[0], out);
      out->push_back(')');
      return;
    case NodeKind::kArith:
    case NodeKind::kCompare:
      out->push_back('(');
      Print(n.children[0], out);
      out->push_back(' ');
      out->append(n.kind == NodeKind::kArith ? ArithOpText(n.arith)
                                             : CompareOpText(n.compare, n.any));
      out->push_back(' ');
      Print(n.children[1], out);
      out->push_back(')');
      return;
    case NodeKind::kAnd:
    case NodeKind::kOr:
      out->push_back('(');
      for (size_t i = 0; i < n.children.size(); ++i) {
        if (i > 0) out->append(n.kind == NodeKind::kAnd ? " && " : " || ");
        Print(n.children[i], out);
      }
      out->push_back(')');
      return;
    case NodeKind::kIn:
      out->push_back('(');
      Print(n.children[0], out);
      out->append(" in ");
      if (n.list) {
        out->push_back('[');
        for (size_t i = 1; i < n.children.size(); ++i) {
          if (i > 1) out->append(", ");
          Print(n.children[i], out);
        }
        out->push_back(']');
      } else {
        Print(n.children[1], out);
      }
      out->push_back(')');
      return;
    case NodeKind::kCall:
      out->append(FunctionName(n.function)).push_back('(');
      for (size_t i = 0; i < n.children.size(); ++i) {
        if (i > 0) out->append(", ");
        Print(n.children[i], out);
      }
      out->push_back(')');
      return;
  }
}

std::string Ast::ToString() const {
  std::string out;
  if (!nodes_.empty()) Print(root_, &out);
  return out;
}

}  // namespace daas::expr
