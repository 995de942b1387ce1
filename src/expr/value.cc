#include "expr/value.h"

#include <string>

#include "core/coding.h"
#include "doc/json.h"
#include "doc/msgpack_writer.h"
#include "expr/datetime.h"

namespace daas::expr {
namespace {

// The MessagePack timestamp extension (spec: "Timestamp extension type"), as microseconds. False
// when the payload is not one of the three forms, its nanoseconds are out of range, or the instant
// does not fit int64 microseconds.
bool DecodeTimestamp(std::string_view p, int64_t* micros) {
  const auto* b = reinterpret_cast<const uint8_t*>(p.data());
  int64_t seconds;
  int64_t nanos;
  if (p.size() == 4) {
    seconds = core::GetBig32(b);
    nanos = 0;
  } else if (p.size() == 8) {
    const uint64_t v = core::GetBig64(b);
    nanos = static_cast<int64_t>(v >> 34);
    seconds = static_cast<int64_t>(v & 0x3ffffffffULL);
  } else if (p.size() == 12) {
    nanos = core::GetBig32(b);
    seconds = static_cast<int64_t>(core::GetBig64(b + 4));
  } else {
    return false;
  }
  if (nanos >= 1'000'000'000) return false;
  int64_t us;
  if (__builtin_mul_overflow(seconds, kMicrosPerSecond, &us)) return false;
  if (__builtin_add_overflow(us, nanos / 1000, &us)) return false;
  *micros = us;
  return true;
}

}  // namespace

const char* TypeName(ValueType type) {
  switch (type) {
    case ValueType::kNull:
      return "null";
    case ValueType::kBool:
      return "bool";
    case ValueType::kInt:
    case ValueType::kUint:
      return "integer";
    case ValueType::kDouble:
      return "float";
    case ValueType::kString:
      return "string";
    case ValueType::kDatetime:
      return "datetime";
    case ValueType::kBinary:
      return "binary";
    case ValueType::kArray:
      return "array";
    case ValueType::kMap:
      return "map";
    case ValueType::kExt:
      return "ext";
  }
  return "?";
}

Value FromDocValue(const doc::Value& d) {
  Value v;
  switch (d.type) {
    case doc::Type::kNil:
      break;
    case doc::Type::kBool:
      v.type = ValueType::kBool;
      v.boolean = d.boolean;
      break;
    case doc::Type::kInt:
      v.type = ValueType::kInt;
      v.int_value = d.int_value;
      break;
    case doc::Type::kUint:
      v.type = ValueType::kUint;
      v.uint_value = d.uint_value;
      break;
    case doc::Type::kDouble:
      v.type = ValueType::kDouble;
      v.double_value = d.double_value;
      break;
    case doc::Type::kString:
      v.type = ValueType::kString;
      v.bytes = d.bytes;
      break;
    case doc::Type::kBinary:
      v.type = ValueType::kBinary;
      v.bytes = d.bytes;
      break;
    case doc::Type::kArray:
      v.type = ValueType::kArray;
      v.count = d.count;
      v.bytes = d.raw;
      break;
    case doc::Type::kMap:
      v.type = ValueType::kMap;
      v.count = d.count;
      v.bytes = d.raw;
      break;
    case doc::Type::kExt: {
      int64_t micros;
      if (d.ext_type == -1 && DecodeTimestamp(d.bytes, &micros)) {
        v.type = ValueType::kDatetime;
        v.int_value = micros;
      } else {
        v.type = ValueType::kExt;
        v.ext_type = d.ext_type;
        v.bytes = d.bytes;
      }
      break;
    }
  }
  return v;
}

Value DecodeValue(std::string_view msgpack) { return FromDocValue(doc::ReadValue(msgpack)); }

void AppendJson(const Value& v, std::string* out) {
  std::string mp;
  doc::Writer w(&mp);
  switch (v.type) {
    case ValueType::kNull:
      w.Nil();
      break;
    case ValueType::kBool:
      w.Bool(v.boolean);
      break;
    case ValueType::kInt:
      w.Int(v.int_value);
      break;
    case ValueType::kUint:
      w.Uint(v.uint_value);
      break;
    case ValueType::kDouble:
      w.Double(v.double_value);
      break;
    case ValueType::kString:
      w.String(v.bytes);
      break;
    case ValueType::kDatetime: {
      char buf[kDatetimeTextMax];
      w.String(std::string_view(buf, FormatDatetime(v.int_value, buf)));
      break;
    }
    case ValueType::kBinary:
      w.Binary(v.bytes);
      break;
    case ValueType::kArray:
    case ValueType::kMap:
      w.Raw(v.bytes);
      break;
    case ValueType::kExt:
      w.Ext(v.ext_type, v.bytes);
      break;
  }
  doc::MsgpackToJson(mp, out);
}

std::string ToJson(const Value& v) {
  std::string out;
  AppendJson(v, &out);
  return out;
}

}  // namespace daas::expr
