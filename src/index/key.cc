#include "index/key.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace daas::index {
namespace {

enum Tag : char { kFalse = 0x10, kTrue = 0x11, kNumber = 0x20, kString = 0x30, kBytes = 0x40 };

void AppendBigEndian(uint64_t v, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

// A double's bits reordered so that unsigned comparison is numeric order (-0 and 0 equal).
uint64_t OrderedDouble(double d) {
  if (d == 0) d = 0;  // -0 -> +0
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return (bits & (1ull << 63)) ? ~bits : bits | (1ull << 63);
}

// A number: its double, then the exact integer (ints beyond 2^53 share doubles). A float's
// integer is its truncation, clamped to int64, so 5 and 5.0 give the same key.
void AppendNumber(double as_double, int64_t exact, std::string* out) {
  out->push_back(kNumber);
  AppendBigEndian(OrderedDouble(as_double), out);
  AppendBigEndian(static_cast<uint64_t>(exact) ^ (1ull << 63), out);
}

int64_t Truncate(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 9223372036854775807.0) return std::numeric_limits<int64_t>::max();
  if (d <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);
}

// Bytes with 0x00 escaped as 0x00 0xff and a 0x00 0x01 terminator: no encoded string is a prefix
// of another, so tuples concatenate unambiguously and keep bytewise order.
void AppendEscaped(char tag, std::string_view bytes, std::string* out) {
  out->push_back(tag);
  for (char c : bytes) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xff');
  }
  out->push_back('\0');
  out->push_back('\x01');
}

}  // namespace

void AppendKey(const doc::Value& v, std::string* out) {
  switch (v.type) {
    case doc::Type::kNil:
      out->push_back(0x01);
      return;
    case doc::Type::kBool:
      out->push_back(v.boolean ? kTrue : kFalse);
      return;
    case doc::Type::kInt:
      return AppendNumber(static_cast<double>(v.int_value), v.int_value, out);
    case doc::Type::kUint:  // above INT64_MAX: the exact value follows, to keep keys distinct
      AppendNumber(static_cast<double>(v.uint_value), std::numeric_limits<int64_t>::max(), out);
      return AppendBigEndian(v.uint_value, out);
    case doc::Type::kDouble:
      return AppendNumber(v.double_value, Truncate(v.double_value), out);
    case doc::Type::kString:
      return AppendEscaped(kString, v.bytes, out);
    default:
      return AppendEscaped(kBytes, v.raw, out);
  }
}

std::optional<std::string> KeyOf(std::string_view document, std::span<const std::string> fields) {
  std::string key;
  for (const std::string& f : fields) {
    std::optional<doc::Value> v = doc::FindField(document, f);
    if (!v || v->type == doc::Type::kNil) return std::nullopt;
    AppendKey(*v, &key);
  }
  return key;
}

}  // namespace daas::index
