// Static types are sets of kinds (a bitmask), plus the kinds an array's elements may have; a
// check fails only when two sets have no pair of kinds the operator accepts.
#include "expr/checker.h"

#include <string>

namespace daas::expr {
namespace {

using Mask = uint16_t;
constexpr Mask kNull = 1 << 0;
constexpr Mask kBool = 1 << 1;
constexpr Mask kNum = 1 << 2;
constexpr Mask kStr = 1 << 3;
constexpr Mask kDate = 1 << 4;
constexpr Mask kBin = 1 << 5;
constexpr Mask kArr = 1 << 6;
constexpr Mask kMap = 1 << 7;
constexpr Mask kExt = 1 << 8;
constexpr Mask kAll = (1 << 9) - 1;

struct Type {
  Mask kinds = kAll;
  Mask elements = kAll;  // when kinds has kArr
};

constexpr Type kAnyType{};

Mask MaskOf(FieldKind k) {
  switch (k) {
    case FieldKind::kAny:
      return kAll;
    case FieldKind::kBool:
      return kBool;
    case FieldKind::kNumber:
      return kNum;
    case FieldKind::kString:
      return kStr;
    case FieldKind::kDatetime:
      return kDate | kStr;
    case FieldKind::kBinary:
      return kBin;
    case FieldKind::kArray:
      return kArr;
    case FieldKind::kMap:
      return kMap;
  }
  return kAll;
}

Type FromField(const FieldType& f) {
  Type t;
  t.kinds = static_cast<Mask>(MaskOf(f.kind) | kNull);
  t.elements = f.kind == FieldKind::kArray ? MaskOf(f.element) : kAll;
  return t;
}

std::string Describe(Mask m) {
  static constexpr struct {
    Mask bit;
    const char* name;
  } kNames[] = {{kBool, "bool"},     {kNum, "number"}, {kStr, "string"},
                {kDate, "datetime"}, {kBin, "binary"}, {kArr, "array"},
                {kMap, "map"},       {kExt, "ext"},    {kNull, "null"}};
  if ((m & ~kNull) != 0) m = static_cast<Mask>(m & ~kNull);
  std::string out;
  for (const auto& n : kNames) {
    if ((m & n.bit) == 0) continue;
    if (!out.empty()) out.append(" or ");
    out.append(n.name);
  }
  return out;
}

// What a comparison sees of an operand: an array stands for its elements (or null when empty).
Mask Expand(const Type& t) {
  Mask m = static_cast<Mask>(t.kinds & ~kArr);
  if ((t.kinds & kArr) != 0) m = static_cast<Mask>(m | t.elements | kNull);
  return m;
}

bool EqualityPair(Mask a, Mask b) {
  // Nested arrays are compared as values: leave them to run time.
  if (((a | b) & kArr) != 0) return true;
  return ((a & kNum) && (b & kNum)) || ((a & (kStr | kDate)) && (b & (kStr | kDate))) ||
         ((a & kBool) && (b & kBool)) || ((a & kBin) && (b & kBin)) || ((a & kExt) && (b & kExt));
}

bool OrderPair(Mask a, Mask b) {
  if (((a | b) & kArr) != 0) return true;
  return ((a & kNum) && (b & kNum)) || ((a & (kStr | kDate)) && (b & (kStr | kDate))) ||
         ((a & kBin) && (b & kBin));
}

class Checker {
 public:
  Checker(const Ast& ast, const SchemaResolver* resolver) : ast_(ast), resolver_(resolver) {}

  bool Visit(NodeId id, Type* out);
  const Status& status() const { return status_; }
  bool Fail(uint32_t pos, const std::string& what) {
    status_ = Status::InvalidArgument("expression at byte " + std::to_string(pos) + ": " + what);
    return false;
  }

 private:
  bool NeedCondition(NodeId child, const char* op) {
    Type t;
    if (!Visit(child, &t)) return false;
    if ((t.kinds & kBool) == 0) {
      return Fail(ast_.node(child).pos,
                  std::string(op) + " needs a condition, found " + Describe(t.kinds));
    }
    return true;
  }
  bool NeedKinds(NodeId child, Mask want, const std::string& who, const char* what, Type* t) {
    if (!Visit(child, t)) return false;
    if ((t->kinds & want) == 0) {
      return Fail(ast_.node(child).pos, who + " needs " + what + ", found " + Describe(t->kinds));
    }
    return true;
  }
  bool CheckCompare(const Node& n, const Type& l, const Type& r);

  const Ast& ast_;
  const SchemaResolver* resolver_;
  Status status_;
};

bool Checker::CheckCompare(const Node& n, const Type& l, const Type& r) {
  Mask a = Expand(l);
  Mask b = Expand(r);
  const std::string op = CompareOpText(n.compare, n.any);
  const bool a_null_only = (a & ~kNull) == 0;
  const bool b_null_only = (b & ~kNull) == 0;
  if (n.compare == CompareOp::kEq || n.compare == CompareOp::kNe) {
    if (a_null_only || b_null_only) return true;  // `x = null` asks whether x is empty
    if (EqualityPair(a, b)) return true;
  } else if (n.compare == CompareOp::kLike || n.compare == CompareOp::kNotLike) {
    if ((a & kStr) && (b & kStr)) return true;
    if (a_null_only || b_null_only) {
      return Fail(n.pos, "'" + op + "' against null is never true");
    }
    return Fail(n.pos, "'" + op + "' needs strings, found " + Describe(a) + " and " + Describe(b));
  } else {
    if (a_null_only || b_null_only) {
      return Fail(n.pos, "'" + op + "' against null is never true");
    }
    if (OrderPair(a, b)) return true;
  }
  return Fail(n.pos,
              "cannot compare " + Describe(a) + " with " + Describe(b) + " using '" + op + "'");
}

bool Checker::Visit(NodeId id, Type* out) {
  const Node& n = ast_.node(id);
  switch (n.kind) {
    case NodeKind::kLiteral: {
      Mask m = kNull;
      switch (n.literal_type) {
        case ValueType::kBool:
          m = kBool;
          break;
        case ValueType::kInt:
        case ValueType::kUint:
        case ValueType::kDouble:
          m = kNum;
          break;
        case ValueType::kString:
          m = kStr;
          break;
        default:
          break;
      }
      *out = Type{m, 0};
      return true;
    }
    case NodeKind::kField: {
      if (resolver_ == nullptr) {
        *out = kAnyType;
        return true;
      }
      const std::optional<FieldType> f = resolver_->ResolveField(n.path);
      if (!f) return Fail(n.pos, "unknown field '" + PathText(n.path) + "'");
      *out = FromField(*f);
      return true;
    }
    case NodeKind::kBinding: {
      if (resolver_ == nullptr) {
        *out = kAnyType;
        return true;
      }
      const std::optional<FieldType> f = resolver_->ResolveBinding(n.text, n.path);
      if (!f) {
        std::string name = "@" + n.text;
        if (!n.path.empty()) name.append(".").append(PathText(n.path));
        return Fail(n.pos, "unknown parameter '" + name + "'");
      }
      *out = FromField(*f);
      return true;
    }
    case NodeKind::kMacro:
      switch (n.macro) {
        case Macro::kSecond:
        case Macro::kMinute:
        case Macro::kHour:
        case Macro::kWeekday:
        case Macro::kDay:
        case Macro::kMonth:
        case Macro::kYear:
          *out = Type{kNum, 0};
          break;
        default:
          *out = Type{kDate, 0};
      }
      return true;
    case NodeKind::kNot:
      if (!NeedCondition(n.children[0], "'!'")) return false;
      *out = Type{kBool, 0};
      return true;
    case NodeKind::kNeg: {
      Type t;
      if (!NeedKinds(n.children[0], kNum, "unary '-'", "a number", &t)) return false;
      *out = Type{static_cast<Mask>(kNum | kNull), 0};
      return true;
    }
    case NodeKind::kArith: {
      Type a, b;
      const std::string who = std::string("'") + ArithOpText(n.arith) + "'";
      if (!NeedKinds(n.children[0], kNum, who, "numbers", &a)) return false;
      if (!NeedKinds(n.children[1], kNum, who, "numbers", &b)) return false;
      *out = Type{static_cast<Mask>(kNum | kNull), 0};
      return true;
    }
    case NodeKind::kCompare: {
      Type a, b;
      if (!Visit(n.children[0], &a) || !Visit(n.children[1], &b)) return false;
      if (!CheckCompare(n, a, b)) return false;
      *out = Type{kBool, 0};
      return true;
    }
    case NodeKind::kAnd:
    case NodeKind::kOr:
      for (NodeId c : n.children) {
        if (!NeedCondition(c, n.kind == NodeKind::kAnd ? "'&&'" : "'||'")) return false;
      }
      *out = Type{kBool, 0};
      return true;
    case NodeKind::kIn: {
      Type x;
      if (!Visit(n.children[0], &x)) return false;
      Node eq;
      eq.kind = NodeKind::kCompare;
      eq.compare = CompareOp::kEq;
      eq.pos = n.pos;
      for (size_t i = 1; i < n.children.size(); ++i) {
        Type e;
        if (!Visit(n.children[i], &e)) return false;
        if (!n.list)
          e = Type{static_cast<Mask>((e.kinds & ~kArr) | ((e.kinds & kArr) ? e.elements : 0)),
                   kAll};
        if (!CheckCompare(eq, x, e)) return false;
      }
      *out = Type{kBool, 0};
      return true;
    }
    case NodeKind::kCall: {
      const std::string who = std::string(FunctionName(n.function)) + "()";
      Type t;
      switch (n.function) {
        case Function::kLen:
          if (!NeedKinds(n.children[0], kStr | kArr | kMap | kBin, who,
                         "a string, array, map or binary", &t)) {
            return false;
          }
          *out = Type{static_cast<Mask>(kNum | kNull), 0};
          return true;
        case Function::kLower:
        case Function::kUpper:
          if (!NeedKinds(n.children[0], kStr, who, "a string", &t)) return false;
          *out = Type{static_cast<Mask>(kStr | kNull), 0};
          return true;
        case Function::kAbs:
          if (!NeedKinds(n.children[0], kNum, who, "a number", &t)) return false;
          *out = Type{static_cast<Mask>(kNum | kNull), 0};
          return true;
        case Function::kMin:
        case Function::kMax: {
          Mask all = kNull;
          for (NodeId c : n.children) {
            if (!NeedKinds(c, kNum | kStr | kDate | kBin, who,
                           "numbers, strings, datetimes or binaries", &t)) {
              return false;
            }
            all = static_cast<Mask>(all | (t.kinds & (kNum | kStr | kDate | kBin)));
          }
          *out = Type{all, 0};
          return true;
        }
        case Function::kNow:
          *out = Type{kDate, 0};
          return true;
        case Function::kDate:
          if (!NeedKinds(n.children[0], kStr | kDate, who, "a string or datetime", &t)) {
            return false;
          }
          *out = Type{static_cast<Mask>(kDate | kNull), 0};
          return true;
        case Function::kHas:
          // The path may name a field the schema does not define (optional JSON keys): has()
          // exists to ask, so its path is not resolved.
          *out = Type{kBool, 0};
          return true;
        case Function::kRegex:
          if (!NeedKinds(n.children[0], kStr, who, "a string", &t)) return false;
          if (!NeedKinds(n.children[1], kStr, who, "a string pattern", &t)) return false;
          *out = Type{static_cast<Mask>(kBool | kNull), 0};
          return true;
      }
      return true;
    }
  }
  return true;
}

}  // namespace

std::optional<FieldType> SchemaResolver::ResolveBinding(std::string_view,
                                                        const std::vector<PathSegment>&) const {
  return FieldType{};
}

Status Check(const Ast& ast, const SchemaResolver* resolver, const CheckOptions& options) {
  if (ast.empty()) return Status::InvalidArgument("expression at byte 0: empty expression");
  Checker c(ast, resolver);
  Type t;
  if (!c.Visit(ast.root(), &t)) return c.status();
  if (options.require_condition && (t.kinds & kBool) == 0) {
    return Status::InvalidArgument(
        "expression at byte " + std::to_string(ast.node(ast.root()).pos) +
        ": the expression is a " + Describe(t.kinds) + ", not a condition");
  }
  return Status::OK();
}

}  // namespace daas::expr
