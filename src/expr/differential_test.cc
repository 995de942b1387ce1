// Differential test: random expressions on random documents, evaluated twice — by a plain
// tree-walking reference written here from docs/expressions.md, over this file's own expression
// trees and decoded document trees, and by the real pipeline (printed text -> Parse -> Compile ->
// Evaluator on MessagePack bytes). The two must agree exactly, value and type.
//
// The reference avoids the production shortcuts on purpose: numbers compare through long double
// (64-bit mantissa on x86-64, so every int64, uint64 and double is exact), documents are decoded
// into trees first, LIKE is a recursive matcher over code points, and the text is printed with
// the fewest parentheses the documented precedence allows, so the parser's precedence is checked
// too. Seed: EXPR_DIFF_SEED in the environment, else a fixed one; it is printed.
#include <gtest/gtest.h>

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daas/options.h"
#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"
#include "expr/bindings.h"
#include "expr/datetime.h"
#include "expr/evaluator.h"
#include "expr/parser.h"
#include "expr/program.h"

namespace daas::expr {
namespace {

static_assert(std::numeric_limits<long double>::digits >= 64,
              "the reference compares numbers through an x87 long double");

// ---- Reference values ---------------------------------------------------------------------------

struct RField;

struct RValue {
  enum Kind { kNull, kBool, kInt, kUint, kDouble, kString, kDatetime, kBinary, kArray, kMap, kExt };
  Kind kind = kNull;
  bool b = false;
  int64_t i = 0;  // kInt, kDatetime
  uint64_t u = 0;
  double d = 0;
  std::string s;  // kString, kBinary, kExt
  int8_t ext = 0;
  std::vector<RValue> items;
  std::vector<RField> fields;

  static RValue Null();
  static RValue Bool(bool v);
  static RValue Int(int64_t v);
  static RValue Uint(uint64_t v);
  static RValue Double(double v);
  static RValue Str(std::string v);
  static RValue Date(int64_t micros);
  bool IsNumber() const { return kind == kInt || kind == kUint || kind == kDouble; }
  long double Num() const {
    return kind == kInt    ? static_cast<long double>(i)
           : kind == kUint ? static_cast<long double>(u)
                           : static_cast<long double>(d);
  }
};

struct RField {
  std::string first;
  RValue second;
};

RValue RValue::Null() { return RValue(); }

RValue RValue::Bool(bool v) {
  RValue r;
  r.kind = kBool;
  r.b = v;
  return r;
}

RValue RValue::Int(int64_t v) {
  RValue r;
  r.kind = kInt;
  r.i = v;
  return r;
}

RValue RValue::Uint(uint64_t v) {
  if (v <= static_cast<uint64_t>(INT64_MAX)) return Int(static_cast<int64_t>(v));
  RValue r;
  r.kind = kUint;
  r.u = v;
  return r;
}

RValue RValue::Double(double v) {
  RValue r;
  r.kind = kDouble;
  r.d = v;
  return r;
}

RValue RValue::Str(std::string v) {
  RValue r;
  r.kind = kString;
  r.s = std::move(v);
  return r;
}

RValue RValue::Date(int64_t micros) {
  RValue r;
  r.kind = kDatetime;
  r.i = micros;
  return r;
}

bool Same(const RValue& a, const RValue& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case RValue::kNull:
      return true;
    case RValue::kBool:
      return a.b == b.b;
    case RValue::kInt:
    case RValue::kDatetime:
      return a.i == b.i;
    case RValue::kUint:
      return a.u == b.u;
    case RValue::kDouble:
      if (std::isnan(a.d) || std::isnan(b.d)) return std::isnan(a.d) && std::isnan(b.d);
      return std::memcmp(&a.d, &b.d, sizeof(double)) == 0;
    case RValue::kString:
    case RValue::kBinary:
      return a.s == b.s;
    case RValue::kExt:
      return a.ext == b.ext && a.s == b.s;
    case RValue::kArray:
      if (a.items.size() != b.items.size()) return false;
      for (size_t k = 0; k < a.items.size(); ++k) {
        if (!Same(a.items[k], b.items[k])) return false;
      }
      return true;
    case RValue::kMap:
      if (a.fields.size() != b.fields.size()) return false;
      for (size_t k = 0; k < a.fields.size(); ++k) {
        if (a.fields[k].first != b.fields[k].first ||
            !Same(a.fields[k].second, b.fields[k].second)) {
          return false;
        }
      }
      return true;
  }
  return false;
}

std::string Show(const RValue& v) {
  switch (v.kind) {
    case RValue::kNull:
      return "null";
    case RValue::kBool:
      return v.b ? "true" : "false";
    case RValue::kInt:
      return "int " + std::to_string(v.i);
    case RValue::kUint:
      return "uint " + std::to_string(v.u);
    case RValue::kDouble: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "double %.17g", v.d);
      return buf;
    }
    case RValue::kString:
      return "string \"" + v.s + "\"";
    case RValue::kDatetime:
      return "datetime " + std::to_string(v.i);
    case RValue::kBinary:
      return "binary(" + std::to_string(v.s.size()) + ")";
    case RValue::kExt:
      return "ext " + std::to_string(v.ext);
    case RValue::kArray: {
      std::string out = "[";
      for (const RValue& e : v.items) out += Show(e) + ", ";
      return out + "]";
    }
    case RValue::kMap: {
      std::string out = "{";
      for (const auto& [k, e] : v.fields) out += k + ": " + Show(e) + ", ";
      return out + "}";
    }
  }
  return "?";
}

// Encodes with doc::Writer (documents and bindings are built from these trees).
void Encode(const RValue& v, doc::Writer* w) {
  switch (v.kind) {
    case RValue::kNull:
      w->Nil();
      break;
    case RValue::kBool:
      w->Bool(v.b);
      break;
    case RValue::kInt:
      w->Int(v.i);
      break;
    case RValue::kUint:
      w->Uint(v.u);
      break;
    case RValue::kDouble:
      w->Double(v.d);
      break;
    case RValue::kString:
      w->String(v.s);
      break;
    case RValue::kDatetime: {
      // Whole seconds, as the 4-byte timestamp (the generator only makes those).
      const auto secs = static_cast<uint32_t>(v.i / kMicrosPerSecond);
      const char p[4] = {static_cast<char>(secs >> 24), static_cast<char>(secs >> 16),
                         static_cast<char>(secs >> 8), static_cast<char>(secs)};
      w->Ext(-1, std::string_view(p, 4));
      break;
    }
    case RValue::kBinary:
      w->Binary(v.s);
      break;
    case RValue::kExt:
      w->Ext(v.ext, v.s);
      break;
    case RValue::kArray:
      w->ArrayHeader(static_cast<uint32_t>(v.items.size()));
      for (const RValue& e : v.items) Encode(e, w);
      break;
    case RValue::kMap:
      w->MapHeader(static_cast<uint32_t>(v.fields.size()));
      for (const auto& [k, e] : v.fields) {
        w->String(k);
        Encode(e, w);
      }
      break;
  }
}

// Decodes a whole MessagePack value into a tree: the reference never reads bytes lazily.
RValue DecodeTree(const doc::Value& v) {
  switch (v.type) {
    case doc::Type::kNil:
      return RValue::Null();
    case doc::Type::kBool:
      return RValue::Bool(v.boolean);
    case doc::Type::kInt:
      return RValue::Int(v.int_value);
    case doc::Type::kUint:
      return RValue::Uint(v.uint_value);
    case doc::Type::kDouble:
      return RValue::Double(v.double_value);
    case doc::Type::kString:
      return RValue::Str(std::string(v.bytes));
    case doc::Type::kBinary: {
      RValue r;
      r.kind = RValue::kBinary;
      r.s = std::string(v.bytes);
      return r;
    }
    case doc::Type::kExt: {
      if (v.ext_type == -1 && v.bytes.size() == 4) {
        const auto* p = reinterpret_cast<const uint8_t*>(v.bytes.data());
        const uint32_t secs =
            (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
        return RValue::Date(int64_t{secs} * kMicrosPerSecond);
      }
      RValue r;
      r.kind = RValue::kExt;
      r.ext = v.ext_type;
      r.s = std::string(v.bytes);
      return r;
    }
    case doc::Type::kArray: {
      RValue r;
      r.kind = RValue::kArray;
      doc::ArrayIterator it(v);
      doc::Value e;
      while (it.Next(&e)) r.items.push_back(DecodeTree(e));
      return r;
    }
    case doc::Type::kMap: {
      RValue r;
      r.kind = RValue::kMap;
      doc::MapIterator it(v);
      std::string_view k;
      doc::Value e;
      while (it.Next(&k, &e)) r.fields.push_back(RField{std::string(k), DecodeTree(e)});
      return r;
    }
  }
  return RValue::Null();
}

RValue FromResult(const Value& v) {
  switch (v.type) {
    case ValueType::kNull:
      return RValue::Null();
    case ValueType::kBool:
      return RValue::Bool(v.boolean);
    case ValueType::kInt:
      return RValue::Int(v.int_value);
    case ValueType::kUint:
      return RValue::Uint(v.uint_value);
    case ValueType::kDouble:
      return RValue::Double(v.double_value);
    case ValueType::kString:
      return RValue::Str(std::string(v.bytes));
    case ValueType::kDatetime:
      return RValue::Date(v.int_value);
    case ValueType::kBinary: {
      RValue r;
      r.kind = RValue::kBinary;
      r.s = std::string(v.bytes);
      return r;
    }
    case ValueType::kExt: {
      RValue r;
      r.kind = RValue::kExt;
      r.ext = v.ext_type;
      r.s = std::string(v.bytes);
      return r;
    }
    case ValueType::kArray:
    case ValueType::kMap:
      return DecodeTree(doc::ReadValue(v.bytes));
  }
  return RValue::Null();
}

// ---- Reference semantics ------------------------------------------------------------------------

enum class Ord { kLess, kEqual, kGreater, kNone };

Ord Cmp(long double x, long double y) {
  if (std::isnan(x) || std::isnan(y)) return Ord::kNone;
  return x < y ? Ord::kLess : x > y ? Ord::kGreater : Ord::kEqual;
}

bool RefEmpty(const RValue& v) {
  return v.kind == RValue::kNull || (v.kind == RValue::kString && v.s.empty());
}

std::optional<int64_t> AsDate(const RValue& v) {
  if (v.kind == RValue::kDatetime) return v.i;
  if (v.kind == RValue::kString) return ParseDatetime(v.s);
  return std::nullopt;
}

bool RefEqual(const RValue& a, const RValue& b) {
  if (a.IsNumber() && b.IsNumber()) return Cmp(a.Num(), b.Num()) == Ord::kEqual;
  if (RefEmpty(a) && RefEmpty(b)) return true;
  if (a.kind == RValue::kDatetime || b.kind == RValue::kDatetime) {
    const auto x = AsDate(a);
    const auto y = AsDate(b);
    return x && y && *x == *y;
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case RValue::kBool:
      return a.b == b.b;
    case RValue::kString:
    case RValue::kBinary:
      return a.s == b.s;
    case RValue::kExt:
      return a.ext == b.ext && a.s == b.s;
    default:
      return false;
  }
}

Ord RefOrder(const RValue& a, const RValue& b) {
  if (a.IsNumber() && b.IsNumber()) return Cmp(a.Num(), b.Num());
  if (a.kind == RValue::kDatetime || b.kind == RValue::kDatetime) {
    const auto x = AsDate(a);
    const auto y = AsDate(b);
    if (!x || !y) return Ord::kNone;
    return *x < *y ? Ord::kLess : *x > *y ? Ord::kGreater : Ord::kEqual;
  }
  if (a.kind == b.kind && (a.kind == RValue::kString || a.kind == RValue::kBinary)) {
    const int c = a.s.compare(b.s);
    return c < 0 ? Ord::kLess : c > 0 ? Ord::kGreater : Ord::kEqual;
  }
  return Ord::kNone;
}

// The code points of UTF-8 text, ASCII letters lowercased.
std::vector<uint32_t> Folded(std::string_view s) {
  std::vector<uint32_t> out;
  for (size_t k = 0; k < s.size();) {
    const auto c = static_cast<uint8_t>(s[k]);
    const size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    uint32_t cp = 0;
    for (size_t j = 0; j < n && k + j < s.size(); ++j)
      cp = (cp << 8) | static_cast<uint8_t>(s[k + j]);
    if (cp >= 'A' && cp <= 'Z') cp += 32;
    out.push_back(cp);
    k += n;
  }
  return out;
}

enum class Tok { kAny, kOne, kLit };
struct PatTok {
  Tok t;
  uint32_t cp;
};

bool MatchFrom(const std::vector<uint32_t>& s, size_t si, const std::vector<PatTok>& p, size_t pi) {
  if (pi == p.size()) return si == s.size();
  if (p[pi].t == Tok::kAny) {
    for (size_t k = si; k <= s.size(); ++k) {
      if (MatchFrom(s, k, p, pi + 1)) return true;
    }
    return false;
  }
  if (si == s.size()) return false;
  if (p[pi].t == Tok::kLit && p[pi].cp != s[si]) return false;
  return MatchFrom(s, si + 1, p, pi + 1);
}

bool RefLike(const std::string& text, const std::string& pattern) {
  // Tokenize: `\c` is c; with an unescaped % anywhere, % and _ are wildcards; without, the
  // pattern is a substring, i.e. %pattern% with every character literal.
  std::vector<PatTok> toks;
  bool wild = false;
  for (size_t k = 0; k < pattern.size(); ++k) {
    if (pattern[k] == '\\') {
      ++k;
    } else if (pattern[k] == '%') {
      wild = true;
    }
  }
  for (size_t k = 0; k < pattern.size();) {
    if (pattern[k] == '\\' && k + 1 < pattern.size()) {
      // An escaped character: one literal (its whole UTF-8 sequence).
      const std::vector<uint32_t> cps = Folded(pattern.substr(k + 1));
      toks.push_back({Tok::kLit, cps[0]});
      const auto c = static_cast<uint8_t>(pattern[k + 1]);
      k += 1 + (c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4);
      continue;
    }
    if (wild && pattern[k] == '%') {
      toks.push_back({Tok::kAny, 0});
      ++k;
      continue;
    }
    if (wild && pattern[k] == '_') {
      toks.push_back({Tok::kOne, 0});
      ++k;
      continue;
    }
    const std::vector<uint32_t> cps = Folded(pattern.substr(k));
    toks.push_back({Tok::kLit, cps[0]});
    const auto c = static_cast<uint8_t>(pattern[k]);
    k += c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
  }
  if (!wild) {
    toks.insert(toks.begin(), {Tok::kAny, 0});
    toks.push_back({Tok::kAny, 0});
  }
  return MatchFrom(Folded(text), 0, toks, 0);
}

bool RefScalar(CompareOp op, const RValue& a, const RValue& b) {
  switch (op) {
    case CompareOp::kEq:
      return RefEqual(a, b);
    case CompareOp::kNe:
      return !RefEqual(a, b);
    case CompareOp::kLt:
      return RefOrder(a, b) == Ord::kLess;
    case CompareOp::kLe:
      return RefOrder(a, b) == Ord::kLess || RefOrder(a, b) == Ord::kEqual;
    case CompareOp::kGt:
      return RefOrder(a, b) == Ord::kGreater;
    case CompareOp::kGe:
      return RefOrder(a, b) == Ord::kGreater || RefOrder(a, b) == Ord::kEqual;
    case CompareOp::kLike:
    case CompareOp::kNotLike:
      if (a.kind != RValue::kString || b.kind != RValue::kString) return false;
      return RefLike(a.s, b.s) == (op == CompareOp::kLike);
  }
  return false;
}

std::vector<RValue> Operands(const RValue& v) {
  if (v.kind != RValue::kArray) return {v};
  if (v.items.empty()) return {RValue::Null()};
  return v.items;
}

bool RefCompare(CompareOp op, bool any, const RValue& a, const RValue& b) {
  if (a.kind != RValue::kArray && b.kind != RValue::kArray) return RefScalar(op, a, b);
  for (const RValue& x : Operands(a)) {
    for (const RValue& y : Operands(b)) {
      const bool r = RefScalar(op, x, y);
      if (any && r) return true;
      if (!any && !r) return false;
    }
  }
  return !any;
}

RValue FromInt128(__int128 r, bool* ok) {
  *ok = true;
  if (r >= INT64_MIN && r <= INT64_MAX) return RValue::Int(static_cast<int64_t>(r));
  if (r > 0 && r <= static_cast<__int128>(UINT64_MAX))
    return RValue::Uint(static_cast<uint64_t>(r));
  *ok = false;
  return RValue::Null();
}

double AsDouble(const RValue& v) {
  return v.kind == RValue::kInt    ? static_cast<double>(v.i)
         : v.kind == RValue::kUint ? static_cast<double>(v.u)
                                   : v.d;
}

RValue RefArith(ArithOp op, const RValue& a, const RValue& b) {
  if (!a.IsNumber() || !b.IsNumber()) return RValue::Null();
  const bool ints = a.kind != RValue::kDouble && b.kind != RValue::kDouble;
  const bool zero = ints ? (b.kind == RValue::kInt && b.i == 0) : b.Num() == 0;
  if ((op == ArithOp::kDiv || op == ArithOp::kMod) && zero) return RValue::Null();
  const double x = AsDouble(a);
  const double y = AsDouble(b);
  if (ints && op != ArithOp::kDiv) {
    const __int128 p = a.kind == RValue::kInt ? __int128{a.i} : __int128{a.u};
    const __int128 q = b.kind == RValue::kInt ? __int128{b.i} : __int128{b.u};
    bool ok = true;
    RValue r;
    switch (op) {
      case ArithOp::kAdd:
        r = FromInt128(p + q, &ok);
        break;
      case ArithOp::kSub:
        r = FromInt128(p - q, &ok);
        break;
      case ArithOp::kMul: {
        __int128 m;
        ok = !__builtin_mul_overflow(p, q, &m);
        if (ok) r = FromInt128(m, &ok);
        break;
      }
      default:
        r = FromInt128(p % q, &ok);
        break;
    }
    if (ok) return r;
  }
  switch (op) {
    case ArithOp::kAdd:
      return RValue::Double(x + y);
    case ArithOp::kSub:
      return RValue::Double(x - y);
    case ArithOp::kMul:
      return RValue::Double(x * y);
    case ArithOp::kDiv:
      return RValue::Double(x / y);
    case ArithOp::kMod:
      return RValue::Double(std::fmod(x, y));
  }
  return RValue::Null();
}

RValue RefNegate(const RValue& a) {
  if (a.kind == RValue::kDouble) return RValue::Double(-a.d);
  if (a.kind == RValue::kInt || a.kind == RValue::kUint) {
    const __int128 v = a.kind == RValue::kInt ? -__int128{a.i} : -__int128{a.u};
    bool ok;
    RValue r = FromInt128(v, &ok);
    return ok ? r : RValue::Double(-AsDouble(a));
  }
  return RValue::Null();
}

// ---- Reference expressions ----------------------------------------------------------------------

enum class EKind {
  kLit,
  kField,
  kParam,
  kMacro,
  kNot,
  kNeg,
  kArith,
  kCmp,
  kAnd,
  kOr,
  kInList,
  kInValue,
  kCall
};

struct RExpr {
  EKind kind = EKind::kLit;
  RValue lit;
  std::vector<std::string> path;  // kField; kParam: name then path
  Macro macro = Macro::kNow;
  ArithOp arith = ArithOp::kAdd;
  CompareOp cmp = CompareOp::kEq;
  bool any = false;
  Function fn = Function::kLen;
  std::vector<RExpr> kids;
};

int Prec(const RExpr& e) {
  switch (e.kind) {
    case EKind::kOr:
      return 1;
    case EKind::kAnd:
      return 2;
    case EKind::kCmp:
    case EKind::kInList:
    case EKind::kInValue:
      return 3;
    case EKind::kArith:
      return e.arith == ArithOp::kAdd || e.arith == ArithOp::kSub ? 4 : 5;
    case EKind::kNot:
    case EKind::kNeg:
      return 6;
    case EKind::kLit:
      // A negative number prints with a leading '-': it binds like a unary operator.
      return (e.lit.kind == RValue::kInt && e.lit.i < 0) ||
                     (e.lit.kind == RValue::kDouble && std::signbit(e.lit.d))
                 ? 6
                 : 7;
    default:
      return 7;
  }
}

void PrintLiteral(const RValue& v, std::string* out) {
  switch (v.kind) {
    case RValue::kNull:
      out->append("null");
      return;
    case RValue::kBool:
      out->append(v.b ? "true" : "false");
      return;
    case RValue::kInt:
      out->append(std::to_string(v.i));
      return;
    case RValue::kUint:
      out->append(std::to_string(v.u));
      return;
    case RValue::kDouble: {
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof(buf), v.d);
      std::string t(buf, r.ptr);
      if (t.find_first_of(".e") == std::string::npos) t += ".0";
      out->append(t);
      return;
    }
    default: {
      const char quote = v.s.find('"') != std::string::npos ? '\'' : '"';
      out->push_back(quote);
      for (char c : v.s) {
        if (c == quote || c == '\\') out->push_back('\\');
        out->push_back(c);
      }
      out->push_back(quote);
      return;
    }
  }
}

void Print(const RExpr& e, std::string* out);

void PrintChild(const RExpr& e, int min_prec, std::string* out) {
  if (Prec(e) < min_prec) {
    out->push_back('(');
    Print(e, out);
    out->push_back(')');
  } else {
    Print(e, out);
  }
}

void Print(const RExpr& e, std::string* out) {
  switch (e.kind) {
    case EKind::kLit:
      PrintLiteral(e.lit, out);
      return;
    case EKind::kField:
    case EKind::kParam:
      if (e.kind == EKind::kParam) out->push_back('@');
      for (size_t k = 0; k < e.path.size(); ++k) {
        if (k > 0) out->push_back('.');
        out->append(e.path[k]);
      }
      return;
    case EKind::kMacro:
      out->append(MacroName(e.macro));
      return;
    case EKind::kNot:
    case EKind::kNeg:
      // A space after '-' keeps "- -1" from reading as one token; after '!' it keeps "! =".
      out->append(e.kind == EKind::kNot ? "!" : "- ");
      PrintChild(e.kids[0], 6, out);
      return;
    case EKind::kArith: {
      const int p = Prec(e);
      PrintChild(e.kids[0], p, out);
      out->append(" ").append(ArithOpText(e.arith)).append(" ");
      PrintChild(e.kids[1], p + 1, out);
      return;
    }
    case EKind::kCmp:
      PrintChild(e.kids[0], 4, out);
      out->append(" ").append(CompareOpText(e.cmp, e.any)).append(" ");
      PrintChild(e.kids[1], 4, out);
      return;
    case EKind::kAnd:
    case EKind::kOr: {
      const int p = Prec(e);
      for (size_t k = 0; k < e.kids.size(); ++k) {
        if (k > 0) out->append(e.kind == EKind::kAnd ? " && " : " || ");
        PrintChild(e.kids[k], p + 1, out);
      }
      return;
    }
    case EKind::kInList:
      PrintChild(e.kids[0], 4, out);
      out->append(" in [");
      for (size_t k = 1; k < e.kids.size(); ++k) {
        if (k > 1) out->append(", ");
        Print(e.kids[k], out);
      }
      out->append("]");
      return;
    case EKind::kInValue:
      PrintChild(e.kids[0], 4, out);
      out->append(" in ");
      PrintChild(e.kids[1], 4, out);
      return;
    case EKind::kCall:
      out->append(FunctionName(e.fn)).push_back('(');
      for (size_t k = 0; k < e.kids.size(); ++k) {
        if (k > 0) out->append(", ");
        Print(e.kids[k], out);
      }
      out->push_back(')');
      return;
  }
}

struct RefContext {
  const RValue* doc;
  const RValue* params[3];  // request, auth, param; null when unbound
  int64_t now;
};

// Follows `path` from `v`; nullopt when a step is missing.
std::optional<RValue> Walk(const RValue& v, const std::vector<std::string>& path, size_t from) {
  const RValue* cur = &v;
  for (size_t k = from; k < path.size(); ++k) {
    const std::string& seg = path[k];
    if (cur->kind == RValue::kMap) {
      const RValue* next = nullptr;
      for (const auto& [key, val] : cur->fields) {
        if (key == seg) next = &val;
      }
      if (next == nullptr) return std::nullopt;
      cur = next;
    } else if (cur->kind == RValue::kArray && !seg.empty() &&
               seg.find_first_not_of("0123456789") == std::string::npos && seg.size() <= 10 &&
               std::stoull(seg) < cur->items.size()) {
      cur = &cur->items[std::stoull(seg)];
    } else {
      return std::nullopt;
    }
  }
  return *cur;
}

std::optional<RValue> Lookup(const RExpr& e, const RefContext& ctx) {
  if (e.kind == EKind::kField) return Walk(*ctx.doc, e.path, 0);
  const int slot = e.path[0] == "request" ? 0 : e.path[0] == "auth" ? 1 : 2;
  if (ctx.params[slot] == nullptr) return std::nullopt;
  return Walk(*ctx.params[slot], e.path, 1);
}

RValue MacroValue(Macro m, int64_t now) {
  const CivilTime c = ToCivil(now);
  const int64_t day0 = FromCivil(c.year, c.month, c.day, 0, 0, 0, 0);
  switch (m) {
    case Macro::kNow:
      return RValue::Date(now);
    case Macro::kYesterday:
      return RValue::Date(now - kMicrosPerDay);
    case Macro::kTomorrow:
      return RValue::Date(now + kMicrosPerDay);
    case Macro::kSecond:
      return RValue::Int(c.second);
    case Macro::kMinute:
      return RValue::Int(c.minute);
    case Macro::kHour:
      return RValue::Int(c.hour);
    case Macro::kWeekday:
      return RValue::Int(c.weekday);
    case Macro::kDay:
      return RValue::Int(c.day);
    case Macro::kMonth:
      return RValue::Int(c.month);
    case Macro::kYear:
      return RValue::Int(c.year);
    case Macro::kTodayStart:
      return RValue::Date(day0);
    case Macro::kTodayEnd:
      return RValue::Date(day0 + kMicrosPerDay - 1);
    case Macro::kMonthStart:
      return RValue::Date(FromCivil(c.year, c.month, 1, 0, 0, 0, 0));
    case Macro::kMonthEnd:
      return RValue::Date(
          FromCivil(c.year, c.month, DaysInMonth(c.year, c.month), 23, 59, 59, 999999));
    case Macro::kYearStart:
      return RValue::Date(FromCivil(c.year, 1, 1, 0, 0, 0, 0));
    case Macro::kYearEnd:
      return RValue::Date(FromCivil(c.year, 12, 31, 23, 59, 59, 999999));
  }
  return RValue::Null();
}

bool Orderable(const RValue& v) {
  return v.IsNumber() || v.kind == RValue::kString || v.kind == RValue::kDatetime ||
         v.kind == RValue::kBinary;
}

RValue RefEval(const RExpr& e, const RefContext& ctx) {
  switch (e.kind) {
    case EKind::kLit:
      return e.lit;
    case EKind::kField:
    case EKind::kParam:
      return Lookup(e, ctx).value_or(RValue::Null());
    case EKind::kMacro:
      return MacroValue(e.macro, ctx.now);
    case EKind::kNot: {
      const RValue v = RefEval(e.kids[0], ctx);
      return RValue::Bool(!(v.kind == RValue::kBool && v.b));
    }
    case EKind::kNeg:
      return RefNegate(RefEval(e.kids[0], ctx));
    case EKind::kArith:
      return RefArith(e.arith, RefEval(e.kids[0], ctx), RefEval(e.kids[1], ctx));
    case EKind::kCmp:
      return RValue::Bool(
          RefCompare(e.cmp, e.any, RefEval(e.kids[0], ctx), RefEval(e.kids[1], ctx)));
    case EKind::kAnd:
    case EKind::kOr: {
      const bool is_and = e.kind == EKind::kAnd;
      for (const RExpr& k : e.kids) {
        const RValue v = RefEval(k, ctx);
        const bool t = v.kind == RValue::kBool && v.b;
        if (is_and && !t) return RValue::Bool(false);
        if (!is_and && t) return RValue::Bool(true);
      }
      return RValue::Bool(is_and);
    }
    case EKind::kInList: {
      const RValue x = RefEval(e.kids[0], ctx);
      for (size_t k = 1; k < e.kids.size(); ++k) {
        if (RefCompare(CompareOp::kEq, false, x, RefEval(e.kids[k], ctx)))
          return RValue::Bool(true);
      }
      return RValue::Bool(false);
    }
    case EKind::kInValue: {
      const RValue x = RefEval(e.kids[0], ctx);
      const RValue list = RefEval(e.kids[1], ctx);
      if (list.kind != RValue::kArray)
        return RValue::Bool(RefCompare(CompareOp::kEq, false, x, list));
      for (const RValue& item : list.items) {
        if (RefCompare(CompareOp::kEq, false, x, item)) return RValue::Bool(true);
      }
      return RValue::Bool(false);
    }
    case EKind::kCall:
      break;
  }
  if (e.fn == Function::kHas) return RValue::Bool(Lookup(e.kids[0], ctx).has_value());
  if (e.fn == Function::kNow) return RValue::Date(ctx.now);
  std::vector<RValue> args;
  for (const RExpr& k : e.kids) args.push_back(RefEval(k, ctx));
  const RValue& a = args[0];
  switch (e.fn) {
    case Function::kLen:
      switch (a.kind) {
        case RValue::kNull:
          return RValue::Int(0);
        case RValue::kString:
          return RValue::Int(static_cast<int64_t>(Folded(a.s).size()));
        case RValue::kBinary:
          return RValue::Int(static_cast<int64_t>(a.s.size()));
        case RValue::kArray:
          return RValue::Int(static_cast<int64_t>(a.items.size()));
        case RValue::kMap:
          return RValue::Int(static_cast<int64_t>(a.fields.size()));
        default:
          return RValue::Null();
      }
    case Function::kLower:
    case Function::kUpper: {
      if (a.kind != RValue::kString) return RValue::Null();
      std::string s = a.s;
      for (char& c : s) {
        if (e.fn == Function::kLower && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        if (e.fn == Function::kUpper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      }
      return RValue::Str(s);
    }
    case Function::kAbs:
      if (a.kind == RValue::kDouble) return RValue::Double(std::fabs(a.d));
      if (a.kind == RValue::kInt && a.i < 0) return RefNegate(a);
      if (a.kind == RValue::kInt || a.kind == RValue::kUint) return a;
      return RValue::Null();
    case Function::kMin:
    case Function::kMax: {
      for (const RValue& v : args) {
        if (!Orderable(v)) return RValue::Null();
      }
      RValue best = args[0];
      for (size_t k = 1; k < args.size(); ++k) {
        const Ord o = RefOrder(args[k], best);
        if (o == Ord::kNone) return RValue::Null();
        if (o == (e.fn == Function::kMin ? Ord::kLess : Ord::kGreater)) best = args[k];
      }
      if (best.kind == RValue::kDouble && std::isnan(best.d)) return RValue::Null();
      return best;
    }
    case Function::kDate:
      if (a.kind == RValue::kDatetime) return a;
      if (a.kind == RValue::kString) {
        const auto t = ParseDatetime(a.s);
        if (t) return RValue::Date(*t);
      }
      return RValue::Null();
    case Function::kRegex: {
      if (a.kind != RValue::kString || args[1].kind != RValue::kString) return RValue::Null();
      RE2::Options options;
      options.set_log_errors(false);
      RE2 re(args[1].s, options);
      if (!re.ok()) return RValue::Null();
      return RValue::Bool(RE2::PartialMatch(a.s, re));
    }
    default:
      return RValue::Null();
  }
}

// ---- Random generation --------------------------------------------------------------------------

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  uint64_t Below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  bool Chance(int percent) { return Below(100) < static_cast<uint64_t>(percent); }
  template <typename T, size_t N>
  const T& Pick(const T (&from)[N]) {
    return from[Below(N)];
  }

  RValue Scalar() {
    static const int64_t kInts[] = {0,
                                    1,
                                    -1,
                                    2,
                                    3,
                                    5,
                                    -7,
                                    10,
                                    36,
                                    100,
                                    INT64_MAX,
                                    INT64_MIN,
                                    (int64_t{1} << 53) + 1,
                                    -(int64_t{1} << 53)};
    static const double kDoubles[] = {0.5,
                                      -2.25,
                                      3.0,
                                      -0.0,
                                      0.0,
                                      1e300,
                                      -1e300,
                                      1e-300,
                                      2.5,
                                      9007199254740992.0,
                                      9223372036854775808.0,
                                      std::numeric_limits<double>::quiet_NaN(),
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity()};
    switch (Below(12)) {
      case 0:
      case 1:
        return RValue::Int(Pick(kInts));
      case 2:
        return RValue::Int(static_cast<int64_t>(Below(21)) - 10);
      case 3:
        return RValue::Uint(Chance(50) ? UINT64_MAX : (uint64_t{1} << 63) + Below(3));
      case 4:
        return RValue::Double(Pick(kDoubles));
      case 5:
      case 6:
        return RValue::Str(String());
      case 7:
        return RValue::Bool(Chance(50));
      case 8:
        return RValue::Null();
      case 9:
        return RValue::Date((1714521600 + static_cast<int64_t>(Below(3)) * 86400) *
                            kMicrosPerSecond);
      case 10: {
        RValue r;
        r.kind = RValue::kBinary;
        r.s = Chance(50) ? "ab" : "";
        return r;
      }
      default: {
        RValue r;
        r.kind = RValue::kExt;
        r.ext = Chance(50) ? 100 : 40;
        r.s = "xy";
        return r;
      }
    }
  }

  std::string String() {
    static const char* kStrings[] = {"",
                                     "a",
                                     "A",
                                     "ab",
                                     "Hello World",
                                     "hello",
                                     "50%",
                                     "a_b",
                                     "a%b",
                                     "\\",
                                     "é",
                                     "ÉCOLE",
                                     "日本",
                                     "b",
                                     "abc",
                                     "2024-05-01",
                                     "2024-05-01 10:00:00.000Z",
                                     "x'y\"z",
                                     "%",
                                     "_",
                                     "l+o",
                                     "(",
                                     "[0-9]"};
    return Pick(kStrings);
  }

  RValue Array(int depth) {
    RValue r;
    r.kind = RValue::kArray;
    const uint64_t n = Below(5);
    for (uint64_t k = 0; k < n; ++k) {
      r.items.push_back(depth > 0 && Chance(10) ? Array(depth - 1) : Scalar());
    }
    return r;
  }

  RValue Document() {
    RValue d;
    d.kind = RValue::kMap;
    auto add = [&](const char* key, RValue v) {
      if (Chance(85)) d.fields.push_back(RField{key, std::move(v)});
    };
    add("a", Scalar());
    add("b", Scalar());
    add("c", Scalar());
    add("s", RValue::Str(String()));
    add("t", RValue::Str(String()));
    add("n", Chance(50) ? RValue::Int(static_cast<int64_t>(Below(11)) - 5) : Scalar());
    add("arr", Chance(80) ? Array(1) : Scalar());
    add("strs", [&] {
      RValue r;
      r.kind = RValue::kArray;
      for (uint64_t k = Below(4); k > 0; --k) r.items.push_back(RValue::Str(String()));
      return r;
    }());
    RValue y;
    y.kind = RValue::kMap;
    y.fields.push_back(RField{"z", Scalar()});
    RValue obj;
    obj.kind = RValue::kMap;
    obj.fields.push_back(RField{"x", Scalar()});
    obj.fields.push_back(RField{"y", std::move(y)});
    obj.fields.push_back(RField{"0", Scalar()});
    add("obj", std::move(obj));
    add("dt",
        RValue::Date((1714521600 + static_cast<int64_t>(Below(40)) * 86400) * kMicrosPerSecond));
    // Random key order: the evaluator's scan must not depend on it.
    for (size_t k = d.fields.size(); k > 1; --k) std::swap(d.fields[k - 1], d.fields[Below(k)]);
    return d;
  }

  RExpr Leaf() {
    RExpr e;
    const uint64_t r = Below(10);
    if (r < 4) {
      static const std::vector<std::string> kPaths[] = {{"a"},
                                                        {"b"},
                                                        {"c"},
                                                        {"s"},
                                                        {"t"},
                                                        {"n"},
                                                        {"arr"},
                                                        {"strs"},
                                                        {"obj", "x"},
                                                        {"obj", "y", "z"},
                                                        {"obj", "0"},
                                                        {"arr", "0"},
                                                        {"arr", "1"},
                                                        {"strs", "0"},
                                                        {"missing"},
                                                        {"dt"},
                                                        {"obj"},
                                                        {"a", "b"},
                                                        {"arr", "0", "1"}};
      e.kind = EKind::kField;
      e.path = Pick(kPaths);
    } else if (r < 8) {
      e.kind = EKind::kLit;
      e.lit = Scalar();
      // Only what the grammar can write as a literal.
      if (e.lit.kind == RValue::kDouble && !std::isfinite(e.lit.d)) e.lit = RValue::Double(1.5);
      if (e.lit.kind == RValue::kDatetime || e.lit.kind == RValue::kBinary ||
          e.lit.kind == RValue::kExt) {
        e.lit = RValue::Str(String());
      }
    } else if (r < 9) {
      static const Macro kMacros[] = {Macro::kNow,      Macro::kYear,       Macro::kDay,
                                      Macro::kHour,     Macro::kTodayStart, Macro::kMonthEnd,
                                      Macro::kYesterday};
      e.kind = EKind::kMacro;
      e.macro = Pick(kMacros);
    } else {
      static const std::vector<std::string> kParams[] = {
          {"param", "x"}, {"param", "arr"},  {"request", "auth", "id"},
          {"auth", "id"}, {"param", "nope"}, {"param"}};
      e.kind = EKind::kParam;
      e.path = Pick(kParams);
    }
    return e;
  }

  RExpr Expr(int depth) {
    if (depth <= 0 || Chance(15)) return Leaf();
    RExpr e;
    switch (Below(9)) {
      case 0:
        e.kind = Chance(50) ? EKind::kNot : EKind::kNeg;
        e.kids.push_back(Expr(depth - 1));
        return e;
      case 1:
        e.kind = EKind::kArith;
        e.arith = static_cast<ArithOp>(Below(5));
        e.kids = {Expr(depth - 1), Expr(depth - 1)};
        return e;
      case 2:
      case 3:
        e.kind = EKind::kCmp;
        e.cmp = static_cast<CompareOp>(Below(8));
        e.any = Chance(40);
        e.kids = {Expr(depth - 1), Expr(depth - 1)};
        return e;
      case 4:
        e.kind = Chance(50) ? EKind::kAnd : EKind::kOr;
        for (uint64_t k = 2 + Below(3); k > 0; --k) e.kids.push_back(Expr(depth - 1));
        return e;
      case 5:
        e.kind = EKind::kInList;
        e.kids.push_back(Expr(depth - 1));
        for (uint64_t k = Below(4); k > 0; --k) e.kids.push_back(Expr(depth - 2));
        return e;
      case 6:
        e.kind = EKind::kInValue;
        e.kids = {Expr(depth - 1), Leaf()};
        return e;
      default:
        return Call(depth);
    }
  }

  RExpr Call(int depth) {
    static const Function kFns[] = {
        Function::kLen, Function::kLower, Function::kUpper, Function::kAbs, Function::kMin,
        Function::kMax, Function::kNow,   Function::kDate,  Function::kHas, Function::kRegex};
    RExpr e;
    e.kind = EKind::kCall;
    e.fn = Pick(kFns);
    switch (e.fn) {
      case Function::kNow:
        break;
      case Function::kHas: {
        RExpr p = Leaf();
        while (p.kind != EKind::kField && p.kind != EKind::kParam) p = Leaf();
        e.kids.push_back(p);
        break;
      }
      case Function::kMin:
      case Function::kMax:
        for (uint64_t k = 1 + Below(3); k > 0; --k) e.kids.push_back(Expr(depth - 1));
        break;
      case Function::kRegex: {
        e.kids.push_back(Expr(depth - 1));
        if (Chance(60)) {
          static const char* kPatterns[] = {"^a", "l+o", "[0-9]", "(?i)hello", "", "b$", "é"};
          RExpr p;
          p.kind = EKind::kLit;
          p.lit = RValue::Str(Pick(kPatterns));
          e.kids.push_back(p);
        } else {
          // A pattern from the document or a parameter, maybe invalid (null at run time); a
          // literal one would be compiled, and refused, by Compile.
          RExpr p = Leaf();
          while (p.kind == EKind::kLit) p = Leaf();
          e.kids.push_back(p);
        }
        break;
      }
      default:
        e.kids.push_back(Expr(depth - 1));
    }
    return e;
  }

 private:
  std::mt19937_64 rng_;
};

std::string EncodeDoc(const RValue& v) {
  std::string out;
  doc::Writer w(&out);
  Encode(v, &w);
  return out;
}

TEST(Differential, BytecodeAgreesWithTheReferenceEvaluator) {
  uint64_t seed = 0x5eed'e4b1;
  if (const char* env = std::getenv("EXPR_DIFF_SEED")) seed = std::strtoull(env, nullptr, 0);
  std::printf("differential seed: %llu (set EXPR_DIFF_SEED to repeat another)\n",
              static_cast<unsigned long long>(seed));
  Gen gen(seed);
  const int64_t now = FromCivil(2024, 5, 15, 13, 45, 30, 250000);

  // Parameters: the same trees feed the reference and (encoded) the Bindings.
  RValue request;
  request.kind = RValue::kMap;
  RValue auth;
  auth.kind = RValue::kMap;
  auth.fields.push_back(RField{"id", RValue::Str("ab")});
  request.fields.push_back(RField{"auth", auth});
  RValue param;
  param.kind = RValue::kMap;
  param.fields.push_back(RField{"x", RValue::Int(5)});
  param.fields.push_back(RField{"arr", gen.Array(0)});
  Bindings bindings;
  ASSERT_TRUE(bindings.Set("request", EncodeDoc(request)).ok());
  ASSERT_TRUE(bindings.Set("param", EncodeDoc(param)).ok());

  constexpr int kDocuments = 24;
  constexpr int kExpressions = 2500;
  std::vector<RValue> docs;
  std::vector<std::string> encoded;
  for (int k = 0; k < kDocuments; ++k) {
    docs.push_back(gen.Document());
    encoded.push_back(EncodeDoc(docs.back()));
    ASSERT_TRUE(doc::ValidateDocument(encoded.back(), kCeilingDocumentLimits).ok());
  }
  int compared = 0;
  int true_results = 0;
  for (int x = 0; x < kExpressions; ++x) {
    const RExpr e = gen.Expr(1 + static_cast<int>(gen.Below(5)));
    std::string text;
    Print(e, &text);
    auto ast = Parse(text);
    ASSERT_TRUE(ast.ok()) << text << ": " << ast.status().ToString();
    auto program = Compile(*ast);
    ASSERT_TRUE(program.ok()) << text << ": " << program.status().ToString();
    Evaluator ev(*program, EvalContext{&bindings, now});
    for (int k = 0; k < kDocuments; ++k) {
      const RefContext ctx{&docs[k], {&request, nullptr, &param}, now};
      const RValue want = RefEval(e, ctx);
      auto got = ev.Evaluate(encoded[k]);
      ASSERT_TRUE(got.ok()) << text << ": " << got.status().ToString();
      const RValue have = FromResult(*got);
      ASSERT_TRUE(Same(want, have))
          << "seed " << seed << ", expression #" << x << ": " << text
          << "\ndocument: " << Show(docs[k]) << "\nreference: " << Show(want)
          << "\nbytecode: " << Show(have) << "\ncanonical: " << ast->ToString() << "\ncode:\n"
          << program->Disassemble();
      auto m = ev.Matches(encoded[k]);
      ASSERT_TRUE(m.ok());
      ASSERT_EQ(*m, want.kind == RValue::kBool && want.b) << text;
      ++compared;
      true_results += want.kind == RValue::kBool && want.b;
    }
  }
  std::printf("differential: %d evaluations agreed (%d true)\n", compared, true_results);
  EXPECT_GT(true_results, compared / 20) << "the generator should make true results common";
}

}  // namespace
}  // namespace daas::expr
