// The values an expression computes with: a tagged scalar, or a view of MessagePack bytes for
// strings, binaries, arrays and maps (docs/expressions.md, "Values").
//
// Invariant: a Value never owns memory. Its bytes live in the document being evaluated, the
// Program (constants), the Bindings, or the Evaluator's scratch; each producer says which, and the
// Value is valid only while that owner is alive and unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "doc/msgpack_reader.h"

namespace daas::expr {

enum class ValueType : uint8_t {
  kNull,  // nil, a missing field, or the result of an undefined operation (1 / 0)
  kBool,
  kInt,       // int64
  kUint,      // uint64 above INT64_MAX (smaller unsigned values are kInt)
  kDouble,    // IEEE 754 binary64
  kString,    // UTF-8 bytes
  kDatetime,  // microseconds since the Unix epoch, UTC (expr/datetime.h)
  kBinary,    // bytes
  kArray,     // a MessagePack array: `bytes` is its whole encoding, `count` its elements
  kMap,       // a MessagePack map: `bytes` is its whole encoding, `count` its pairs
  kExt,       // a MessagePack ext value other than a timestamp: `bytes` is its payload
};

// "null", "bool", "int", ...: for error messages and the checker.
const char* TypeName(ValueType type);

// A tagged value. Only the fields its type uses are meaningful (kBool: `boolean`; kInt and
// kDatetime: `int_value`; ...); the others are unspecified.
struct Value {
  ValueType type = ValueType::kNull;
  bool boolean = false;
  int8_t ext_type = 0;  // kExt
  uint32_t count = 0;   // kArray, kMap
  union {
    int64_t int_value = 0;  // kInt; kDatetime: microseconds
    uint64_t uint_value;    // kUint
    double double_value;    // kDouble
  };
  std::string_view bytes;  // kString, kBinary, kExt: the payload; kArray, kMap: the encoding

  static Value Null() { return Value(); }
  static Value Bool(bool b) {
    Value v;
    v.type = ValueType::kBool;
    v.boolean = b;
    return v;
  }
  static Value Int(int64_t i) {
    Value v;
    v.type = ValueType::kInt;
    v.int_value = i;
    return v;
  }
  // kInt when `u` fits int64, else kUint: one encoding per number.
  static Value Uint(uint64_t u) {
    Value v;
    if (u <= static_cast<uint64_t>(INT64_MAX)) {
      v.type = ValueType::kInt;
      v.int_value = static_cast<int64_t>(u);
    } else {
      v.type = ValueType::kUint;
      v.uint_value = u;
    }
    return v;
  }
  static Value Double(double d) {
    Value v;
    v.type = ValueType::kDouble;
    v.double_value = d;
    return v;
  }
  static Value String(std::string_view s) {
    Value v;
    v.type = ValueType::kString;
    v.bytes = s;
    return v;
  }
  static Value Datetime(int64_t micros) {
    Value v;
    v.type = ValueType::kDatetime;
    v.int_value = micros;
    return v;
  }

  bool is_null() const { return type == ValueType::kNull; }
  bool is_number() const {
    return type == ValueType::kInt || type == ValueType::kUint || type == ValueType::kDouble;
  }
  // True only for the boolean true: the one value under which a condition holds.
  bool is_true() const { return type == ValueType::kBool && boolean; }
};

// The expression value of a decoded document value, viewing the same bytes. The MessagePack
// timestamp (ext type -1, 4, 8 or 12 bytes) becomes kDatetime when it fits in microseconds; every
// other ext value stays kExt. Thread-safe.
Value FromDocValue(const doc::Value& v);

// The expression value of one validated MessagePack value at the start of `msgpack`. Thread-safe.
Value DecodeValue(std::string_view msgpack);

// Appends `v` as JSON text: datetimes as PocketBase strings ("2024-05-01 10:00:00.000Z"), doubles
// as in MsgpackToJson (NaN and infinities as null). For tests, the CLI and error messages.
void AppendJson(const Value& v, std::string* out);
std::string ToJson(const Value& v);

}  // namespace daas::expr
