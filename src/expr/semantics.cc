#include "expr/semantics.h"

#include <cmath>
#include <cstring>
#include <optional>

#include "expr/datetime.h"

namespace daas::expr {
namespace {

constexpr double kTwo63 = 9223372036854775808.0;
constexpr double kTwo64 = 18446744073709551616.0;

Ordering OrderOf(bool less, bool greater) {
  return less ? Ordering::kLess : greater ? Ordering::kGreater : Ordering::kEqual;
}

Ordering Flip(Ordering o) {
  switch (o) {
    case Ordering::kLess:
      return Ordering::kGreater;
    case Ordering::kGreater:
      return Ordering::kLess;
    default:
      return o;
  }
}

// i against d, exactly: compare the integral parts as integers, then the fraction.
Ordering CompareIntDouble(int64_t i, double d) {
  if (std::isnan(d)) return Ordering::kUnordered;
  if (d >= kTwo63) return Ordering::kLess;
  if (d < -kTwo63) return Ordering::kGreater;
  const double t = std::trunc(d);  // in [-2^63, 2^63): converts exactly
  const auto ti = static_cast<int64_t>(t);
  if (i != ti) return OrderOf(i<ti, i> ti);
  const double frac = d - t;  // exact (Sterbenz)
  return OrderOf(frac > 0, frac < 0);
}

Ordering CompareUintDouble(uint64_t u, double d) {
  if (std::isnan(d)) return Ordering::kUnordered;
  if (d < 0) return Ordering::kGreater;
  if (d >= kTwo64) return Ordering::kLess;
  const double t = std::trunc(d);
  const auto tu = static_cast<uint64_t>(t);
  if (u != tu) return OrderOf(u<tu, u> tu);
  const double frac = d - t;
  return OrderOf(frac > 0, false);
}

Ordering CompareBytes(std::string_view a, std::string_view b) {
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  const int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c < 0 ? Ordering::kLess : Ordering::kGreater;
  return OrderOf(a.size() < b.size(), a.size() > b.size());
}

bool IsEmpty(const Value& v) {
  return v.type == ValueType::kNull || (v.type == ValueType::kString && v.bytes.empty());
}

// A datetime against a string that may hold one.
Ordering CompareDatetimeString(int64_t micros, std::string_view s) {
  const std::optional<int64_t> t = ParseDatetime(s);
  if (!t) return Ordering::kUnordered;
  return OrderOf(micros<*t, micros> * t);
}

size_t CharLen(const char* p, size_t avail) {
  const auto b = static_cast<uint8_t>(*p);
  const size_t n = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
  return n < avail ? n : avail;
}

// LIKE with `%` and `_`, greedy with one backtrack point: the classic wildcard algorithm, linear
// in stack and O(text * pattern) in the worst case, which the budget bounds.
bool GlobMatch(std::string_view text, std::string_view pat, uint64_t* budget) {
  size_t t = 0;
  size_t p = 0;
  size_t star_p = std::string_view::npos;
  size_t star_t = 0;
  const size_t n = text.size();
  const size_t m = pat.size();
  while (t < n) {
    if (*budget == 0) return false;
    --*budget;
    if (p < m && pat[p] == '%') {
      while (p < m && pat[p] == '%') ++p;
      star_p = p;
      star_t = t;
      continue;
    }
    if (p < m) {
      if (pat[p] == '_') {
        p += 1;
        t += CharLen(text.data() + t, n - t);
        continue;
      }
      char pc = pat[p];
      size_t plen = 1;
      if (pc == '\\' && p + 1 < m) {
        pc = pat[p + 1];
        plen = 2;
      }
      if (FoldAscii(pc) == FoldAscii(text[t])) {
        p += plen;
        t += 1;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    star_t += CharLen(text.data() + star_t, n - star_t);
    t = star_t;
  }
  while (p < m && pat[p] == '%') ++p;
  return p == m;
}

// Substring search for a pattern with no unescaped `%`, unescaping as it compares.
bool ContainsEscaped(std::string_view text, std::string_view pat, uint64_t* budget) {
  const size_t n = text.size();
  const size_t m = pat.size();
  for (size_t s = 0; s <= n; ++s) {
    size_t i = s;
    size_t p = 0;
    while (p < m) {
      if (*budget == 0) return false;
      --*budget;
      char pc = pat[p];
      if (pc == '\\' && p + 1 < m) {
        pc = pat[p + 1];
        p += 2;
      } else {
        p += 1;
      }
      if (i >= n || FoldAscii(text[i]) != FoldAscii(pc)) break;
      ++i;
      if (p == m) return true;
    }
    if (m == 0) return true;
    if (n - s < m / 2) break;  // an escaped pattern of m bytes needs at least m/2 text bytes
  }
  return false;
}

bool IsInteger(const Value& v) { return v.type == ValueType::kInt || v.type == ValueType::kUint; }

__int128 AsI128(const Value& v) {
  return v.type == ValueType::kInt ? __int128{v.int_value} : __int128{v.uint_value};
}

double AsDouble(const Value& v) {
  switch (v.type) {
    case ValueType::kInt:
      return static_cast<double>(v.int_value);
    case ValueType::kUint:
      return static_cast<double>(v.uint_value);
    default:
      return v.double_value;
  }
}

bool IsZero(const Value& v) { return IsInteger(v) ? AsI128(v) == 0 : v.double_value == 0; }

// The integer r as kInt or kUint; false when it fits neither.
bool FromI128(__int128 r, Value* out) {
  if (r >= INT64_MIN && r <= INT64_MAX) {
    *out = Value::Int(static_cast<int64_t>(r));
    return true;
  }
  if (r > 0 && r <= static_cast<__int128>(UINT64_MAX)) {
    *out = Value::Uint(static_cast<uint64_t>(r));
    return true;
  }
  return false;
}

double DoubleOp(ArithOp op, double x, double y) {
  switch (op) {
    case ArithOp::kAdd:
      return x + y;
    case ArithOp::kSub:
      return x - y;
    case ArithOp::kMul:
      return x * y;
    case ArithOp::kDiv:
      return x / y;
    case ArithOp::kMod:
      return std::fmod(x, y);
  }
  return 0;
}

}  // namespace

Ordering CompareNumbers(const Value& a, const Value& b) {
  switch (a.type) {
    case ValueType::kInt:
      switch (b.type) {
        case ValueType::kInt:
          return OrderOf(a.int_value<b.int_value, a.int_value> b.int_value);
        case ValueType::kUint:
          return Ordering::kLess;  // a kUint is above INT64_MAX
        default:
          return CompareIntDouble(a.int_value, b.double_value);
      }
    case ValueType::kUint:
      switch (b.type) {
        case ValueType::kInt:
          return Ordering::kGreater;
        case ValueType::kUint:
          return OrderOf(a.uint_value<b.uint_value, a.uint_value> b.uint_value);
        default:
          return CompareUintDouble(a.uint_value, b.double_value);
      }
    default:
      switch (b.type) {
        case ValueType::kInt:
          return Flip(CompareIntDouble(b.int_value, a.double_value));
        case ValueType::kUint:
          return Flip(CompareUintDouble(b.uint_value, a.double_value));
        default: {
          const double x = a.double_value;
          const double y = b.double_value;
          if (std::isnan(x) || std::isnan(y)) return Ordering::kUnordered;
          return OrderOf(x<y, x> y);
        }
      }
  }
}

bool Equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b) == Ordering::kEqual;
  if (a.type == b.type) {
    switch (a.type) {
      case ValueType::kNull:
        return true;
      case ValueType::kBool:
        return a.boolean == b.boolean;
      case ValueType::kString:
      case ValueType::kBinary:
        return a.bytes == b.bytes;
      case ValueType::kDatetime:
        return a.int_value == b.int_value;
      case ValueType::kExt:
        return a.ext_type == b.ext_type && a.bytes == b.bytes;
      default:
        return false;  // arrays and maps
    }
  }
  if (IsEmpty(a) && IsEmpty(b)) return true;
  if (a.type == ValueType::kDatetime && b.type == ValueType::kString) {
    return CompareDatetimeString(a.int_value, b.bytes) == Ordering::kEqual;
  }
  if (a.type == ValueType::kString && b.type == ValueType::kDatetime) {
    return CompareDatetimeString(b.int_value, a.bytes) == Ordering::kEqual;
  }
  return false;
}

Ordering Order(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b);
  if (a.type == b.type) {
    switch (a.type) {
      case ValueType::kString:
      case ValueType::kBinary:
        return CompareBytes(a.bytes, b.bytes);
      case ValueType::kDatetime:
        return OrderOf(a.int_value<b.int_value, a.int_value> b.int_value);
      default:
        return Ordering::kUnordered;
    }
  }
  if (a.type == ValueType::kDatetime && b.type == ValueType::kString) {
    return CompareDatetimeString(a.int_value, b.bytes);
  }
  if (a.type == ValueType::kString && b.type == ValueType::kDatetime) {
    return Flip(CompareDatetimeString(b.int_value, a.bytes));
  }
  return Ordering::kUnordered;
}

bool CompareScalar(CompareOp op, const Value& a, const Value& b, uint64_t* budget) {
  switch (op) {
    case CompareOp::kEq:
      return Equal(a, b);
    case CompareOp::kNe:
      return !Equal(a, b);
    case CompareOp::kLt:
      return Order(a, b) == Ordering::kLess;
    case CompareOp::kLe: {
      const Ordering o = Order(a, b);
      return o == Ordering::kLess || o == Ordering::kEqual;
    }
    case CompareOp::kGt:
      return Order(a, b) == Ordering::kGreater;
    case CompareOp::kGe: {
      const Ordering o = Order(a, b);
      return o == Ordering::kGreater || o == Ordering::kEqual;
    }
    case CompareOp::kLike:
    case CompareOp::kNotLike:
      if (a.type != ValueType::kString || b.type != ValueType::kString) return false;
      return Like(a.bytes, b.bytes, budget) == (op == CompareOp::kLike);
  }
  return false;
}

bool HasUnescapedPercent(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      ++i;
    } else if (pattern[i] == '%') {
      return true;
    }
  }
  return false;
}

bool Like(std::string_view text, std::string_view pattern, uint64_t* budget) {
  if (HasUnescapedPercent(pattern)) return GlobMatch(text, pattern, budget);
  return ContainsEscaped(text, pattern, budget);
}

bool ContainsFolded(std::string_view text, std::string_view needle, uint64_t* budget) {
  const size_t m = needle.size();
  if (m == 0) return true;
  if (text.size() < m) return false;
  const char first = needle[0];
  const size_t last = text.size() - m;
  for (size_t s = 0; s <= last; ++s) {
    if (FoldAscii(text[s]) != first) continue;
    size_t k = 1;
    while (k < m && FoldAscii(text[s + k]) == needle[k]) ++k;
    const uint64_t cost = k + 1;
    if (*budget < cost) {
      *budget = 0;
      return false;
    }
    *budget -= cost;
    if (k == m) return true;
  }
  return false;
}

Value Arithmetic(ArithOp op, const Value& a, const Value& b) {
  if (!a.is_number() || !b.is_number()) return Value::Null();
  if ((op == ArithOp::kDiv || op == ArithOp::kMod) && IsZero(b)) return Value::Null();
  if (op != ArithOp::kDiv && IsInteger(a) && IsInteger(b)) {
    const __int128 x = AsI128(a);
    const __int128 y = AsI128(b);
    __int128 r = 0;
    bool overflow = false;
    switch (op) {
      case ArithOp::kAdd:
        r = x + y;
        break;
      case ArithOp::kSub:
        r = x - y;
        break;
      case ArithOp::kMul:
        overflow = __builtin_mul_overflow(x, y, &r);
        break;
      default:  // kMod
        r = x % y;
        break;
    }
    Value out;
    if (!overflow && FromI128(r, &out)) return out;
  }
  return Value::Double(DoubleOp(op, AsDouble(a), AsDouble(b)));
}

Value Negate(const Value& a) {
  switch (a.type) {
    case ValueType::kInt:
      if (a.int_value == INT64_MIN) return Value::Uint(uint64_t{1} << 63);
      return Value::Int(-a.int_value);
    case ValueType::kUint:
      if (a.uint_value == uint64_t{1} << 63) return Value::Int(INT64_MIN);
      return Value::Double(-static_cast<double>(a.uint_value));
    case ValueType::kDouble:
      return Value::Double(-a.double_value);
    default:
      return Value::Null();
  }
}

}  // namespace daas::expr
