// Zero-copy reading of MessagePack documents (docs/format/document.md).
//
// Invariant: the read path never allocates and never builds document objects. Functions here that
// take document bytes without validating them require bytes that ValidateDocument accepted;
// everything that arrives from outside the engine goes through ValidateDocument first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "daas/options.h"
#include "daas/status.h"

namespace daas::doc {

enum class Type : uint8_t {
  kNil,
  kBool,
  kInt,     // fits int64 (positive and negative fixint, int 8..64, uint 8..64 up to INT64_MAX)
  kUint,    // uint 64 above INT64_MAX
  kDouble,  // float 32 and float 64, widened
  kString,  // str 8/16/32, fixstr: UTF-8 checked by ValidateDocument
  kBinary,  // bin 8/16/32
  kArray,
  kMap,
  kExt,  // ext / fixext; see document.md for the ext types DaaS itself writes
};

// "nil", "bool", "integer", ...: for error messages.
const char* TypeName(Type type);

// One decoded value, a view into the document bytes: valid while those bytes are.
struct Value {
  Type type = Type::kNil;
  bool boolean = false;
  int64_t int_value = 0;    // kInt
  uint64_t uint_value = 0;  // kUint
  double double_value = 0;  // kDouble
  std::string_view bytes;   // kString, kBinary, kExt: the payload
  int8_t ext_type = 0;      // kExt
  uint32_t count = 0;       // kArray: elements, kMap: key/value pairs
  std::string_view raw;     // the whole encoded value (header and, for containers, every element)
};

// Checks that `bytes` is exactly one well-formed MessagePack map (a document) within `limits`:
// sizes and counts in bounds, strings valid UTF-8, map keys strings, no key repeated within one
// map, nesting at most limits.max_depth, keys at most limits.max_key_bytes, total at most
// limits.max_size_bytes. Errors: InvalidArgument naming the byte offset and what is wrong;
// ResourceExhausted for a limit, naming the limit, the value found and the field path where known.
// Ext types 0-31 are reserved for DaaS (docs/format/document.md): type 1 must hold JSON number
// text, the others are refused until a format version defines them. Thread-safe.
Status ValidateDocument(std::string_view bytes, const DocumentLimits& limits);

// As ValidateDocument, but `bytes` may be any single value (a patch's nested value, a parameter);
// a top-level array or map counts as depth 1. Thread-safe.
Status ValidateValue(std::string_view bytes, const DocumentLimits& limits);

// Decodes the value at the start of `bytes`. Requires validated bytes.
Value ReadValue(std::string_view bytes);

// Iterates a map or array value's elements without allocating. Requires validated bytes.
class MapIterator {
 public:
  explicit MapIterator(const Value& map);
  // Advances to the next pair; false when done.
  bool Next(std::string_view* key, Value* value);

 private:
  std::string_view rest_;
  uint32_t left_;
};

class ArrayIterator {
 public:
  explicit ArrayIterator(const Value& array);
  bool Next(Value* value);

 private:
  std::string_view rest_;
  uint32_t left_;
};

// The value of top-level field `key` of a validated document, or nullopt when absent.
std::optional<Value> FindField(std::string_view document, std::string_view key);

}  // namespace daas::doc
