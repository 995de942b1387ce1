// MessagePack decoding: one header decoder shared by the validator (bounds-checked, iterative) and
// the read path (trusts validated bytes, never allocates).
#include "doc/msgpack_reader.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <simdjson.h>

#include "core/coding.h"
#include "core/status_macros.h"
#include "doc/doc_internal.h"

namespace daas::doc {
namespace {

using core::GetBig16;
using core::GetBig32;
using core::GetBig64;

// The decoded header of one value: everything before its payload or elements.
struct Head {
  Type type = Type::kNil;
  uint32_t head_len = 1;  // bytes before the payload or first element (ext: includes the type byte)
  uint64_t len = 0;       // str/bin/ext: payload bytes; array: elements; map: pairs
  bool boolean = false;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double double_value = 0;
  int8_t ext_type = 0;
};

enum class HeadStatus { kOk, kTruncated, kReservedByte };

// Header length by lead byte for 0xc0..0xdf, the formats that are not fix formats: the lead byte
// plus any length, count or ext type bytes, and for scalars the whole value.
constexpr uint8_t kHeadLen[32] = {
    1, 1, 1, 1,     // c0 nil, c1 reserved, c2 false, c3 true
    2, 3, 5,        // c4..c6 bin 8/16/32
    3, 4, 6,        // c7..c9 ext 8/16/32 (length, then type)
    5, 9,           // ca float 32, cb float 64
    2, 3, 5, 9,     // cc..cf uint 8..64
    2, 3, 5, 9,     // d0..d3 int 8..64
    2, 2, 2, 2, 2,  // d4..d8 fixext 1/2/4/8/16 (type)
    2, 3, 5,        // d9..db str 8/16/32
    3, 5,           // dc, dd array 16/32
    3, 5,           // de, df map 16/32
};

// Decodes the header at p, of which `avail` bytes exist. Reads no byte at or past p + avail.
// Requires: avail >= 1.
inline HeadStatus DecodeHead(const uint8_t* p, size_t avail, Head* h) {
  const uint8_t b = p[0];
  if (b <= 0x7f) {
    h->type = Type::kInt;
    h->head_len = 1;
    h->int_value = b;
    return HeadStatus::kOk;
  }
  if (b >= 0xe0) {
    h->type = Type::kInt;
    h->head_len = 1;
    h->int_value = static_cast<int8_t>(b);
    return HeadStatus::kOk;
  }
  if (b <= 0x8f) {
    h->type = Type::kMap;
    h->head_len = 1;
    h->len = b & 0x0f;
    return HeadStatus::kOk;
  }
  if (b <= 0x9f) {
    h->type = Type::kArray;
    h->head_len = 1;
    h->len = b & 0x0f;
    return HeadStatus::kOk;
  }
  if (b <= 0xbf) {
    h->type = Type::kString;
    h->head_len = 1;
    h->len = b & 0x1f;
    return HeadStatus::kOk;
  }
  const uint32_t head_len = kHeadLen[b - 0xc0];
  if (head_len > avail) return HeadStatus::kTruncated;
  h->head_len = head_len;
  const uint8_t* q = p + 1;
  switch (b) {
    case 0xc0:
      h->type = Type::kNil;
      return HeadStatus::kOk;
    case 0xc1:
      return HeadStatus::kReservedByte;
    case 0xc2:
    case 0xc3:
      h->type = Type::kBool;
      h->boolean = b == 0xc3;
      return HeadStatus::kOk;
    case 0xc4:
      h->type = Type::kBinary;
      h->len = q[0];
      return HeadStatus::kOk;
    case 0xc5:
      h->type = Type::kBinary;
      h->len = GetBig16(q);
      return HeadStatus::kOk;
    case 0xc6:
      h->type = Type::kBinary;
      h->len = GetBig32(q);
      return HeadStatus::kOk;
    case 0xc7:
      h->type = Type::kExt;
      h->len = q[0];
      h->ext_type = static_cast<int8_t>(q[1]);
      return HeadStatus::kOk;
    case 0xc8:
      h->type = Type::kExt;
      h->len = GetBig16(q);
      h->ext_type = static_cast<int8_t>(q[2]);
      return HeadStatus::kOk;
    case 0xc9:
      h->type = Type::kExt;
      h->len = GetBig32(q);
      h->ext_type = static_cast<int8_t>(q[4]);
      return HeadStatus::kOk;
    case 0xca: {
      float f;
      const uint32_t bits = GetBig32(q);
      std::memcpy(&f, &bits, sizeof(f));
      h->type = Type::kDouble;
      h->double_value = f;
      return HeadStatus::kOk;
    }
    case 0xcb: {
      double d;
      const uint64_t bits = GetBig64(q);
      std::memcpy(&d, &bits, sizeof(d));
      h->type = Type::kDouble;
      h->double_value = d;
      return HeadStatus::kOk;
    }
    case 0xcc:
      h->type = Type::kInt;
      h->int_value = q[0];
      return HeadStatus::kOk;
    case 0xcd:
      h->type = Type::kInt;
      h->int_value = GetBig16(q);
      return HeadStatus::kOk;
    case 0xce:
      h->type = Type::kInt;
      h->int_value = GetBig32(q);
      return HeadStatus::kOk;
    case 0xcf: {
      const uint64_t u = GetBig64(q);
      if (u > static_cast<uint64_t>(INT64_MAX)) {
        h->type = Type::kUint;
        h->uint_value = u;
      } else {
        h->type = Type::kInt;
        h->int_value = static_cast<int64_t>(u);
      }
      return HeadStatus::kOk;
    }
    case 0xd0:
      h->type = Type::kInt;
      h->int_value = static_cast<int8_t>(q[0]);
      return HeadStatus::kOk;
    case 0xd1:
      h->type = Type::kInt;
      h->int_value = static_cast<int16_t>(GetBig16(q));
      return HeadStatus::kOk;
    case 0xd2:
      h->type = Type::kInt;
      h->int_value = static_cast<int32_t>(GetBig32(q));
      return HeadStatus::kOk;
    case 0xd3:
      h->type = Type::kInt;
      h->int_value = static_cast<int64_t>(GetBig64(q));
      return HeadStatus::kOk;
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      h->type = Type::kExt;
      h->len = uint64_t{1} << (b - 0xd4);
      h->ext_type = static_cast<int8_t>(q[0]);
      return HeadStatus::kOk;
    case 0xd9:
      h->type = Type::kString;
      h->len = q[0];
      return HeadStatus::kOk;
    case 0xda:
      h->type = Type::kString;
      h->len = GetBig16(q);
      return HeadStatus::kOk;
    case 0xdb:
      h->type = Type::kString;
      h->len = GetBig32(q);
      return HeadStatus::kOk;
    case 0xdc:
      h->type = Type::kArray;
      h->len = GetBig16(q);
      return HeadStatus::kOk;
    case 0xdd:
      h->type = Type::kArray;
      h->len = GetBig32(q);
      return HeadStatus::kOk;
    case 0xde:
      h->type = Type::kMap;
      h->len = GetBig16(q);
      return HeadStatus::kOk;
    default:  // 0xdf
      h->type = Type::kMap;
      h->len = GetBig32(q);
      return HeadStatus::kOk;
  }
}

inline bool IsContainer(Type t) { return t == Type::kArray || t == Type::kMap; }
inline bool HasPayload(Type t) {
  return t == Type::kString || t == Type::kBinary || t == Type::kExt;
}

// Length of the validated value at p, containers included. Iterative: `pending` counts values still
// to skip, so nesting costs no stack.
size_t SkipValue(const uint8_t* p, size_t avail) {
  const uint8_t* q = p;
  uint64_t pending = 1;
  Head h;
  while (pending > 0) {
    const HeadStatus hs = DecodeHead(q, avail - static_cast<size_t>(q - p), &h);
    DAAS_DCHECK(hs == HeadStatus::kOk);
    (void)hs;
    --pending;
    q += h.head_len;
    if (h.type == Type::kArray) {
      pending += h.len;
    } else if (h.type == Type::kMap) {
      pending += 2 * h.len;
    } else if (HasPayload(h.type)) {
      q += h.len;
    }
  }
  return static_cast<size_t>(q - p);
}

// ---- Validation --------------------------------------------------------------------------------

// Maps with more keys than this check duplicates with a hash set; below it a linear scan over the
// keys seen so far is faster and allocates nothing beyond the shared key vector.
constexpr uint64_t kLinearKeyScanMax = 16;

struct Frame {
  bool is_map = false;
  bool want_key = false;  // map: the next value is a key
  uint64_t left = 0;      // elements (array) or pairs (map) not yet finished
  uint64_t index = 0;     // array: index of the current element, for error paths
  std::string_view key;   // map: the current key, for error paths
  size_t keys_begin = 0;  // small map: first of its keys in Validator::keys_
  std::unique_ptr<std::unordered_set<std::string_view>> key_set;  // large map
};

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 64;  // keep error messages bounded
  std::string out = "\"";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out.append("...");
  out.append("\"");
  return out;
}

class Validator {
 public:
  Validator(std::string_view bytes, const DocumentLimits& limits)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), n_(bytes.size()), limits_(limits) {}

  Status Run(bool require_map);

 private:
  Status Truncated(size_t at, std::string_view what) const {
    return Status::InvalidArgument("truncated document: " + std::string(what) + " at byte " +
                                   std::to_string(at) + " runs past the end (" +
                                   std::to_string(n_) + " bytes)");
  }
  // "a.b[3]" for the value being decoded, or "" at the top level.
  std::string Path() const;
  std::string PathSuffix() const {
    std::string path = Path();
    return path.empty() ? std::string() : " (field " + path + ")";
  }
  Status CheckKey(size_t at, std::string_view key);
  Status CheckExt(size_t at, const Head& h, std::string_view payload) const;
  // Marks one value finished at the innermost open container, closing every container it fills.
  void FinishValue();

  const uint8_t* p_;
  size_t n_;
  const DocumentLimits& limits_;
  std::vector<Frame> frames_;
  std::vector<std::string_view> keys_;  // keys of the open small maps, innermost last
  bool done_ = false;
};

std::string Validator::Path() const {
  std::string path;
  for (const Frame& f : frames_) {
    if (f.is_map) {
      if (f.want_key) break;  // no key read yet at this level
      if (!path.empty()) path.push_back('.');
      path.append(f.key);
    } else {
      path.append("[" + std::to_string(f.index) + "]");
    }
  }
  return path;
}

Status Validator::CheckKey(size_t at, std::string_view key) {
  Frame& f = frames_.back();
  if (key.size() > limits_.max_key_bytes) {
    return Status::ResourceExhausted("key length " + std::to_string(key.size()) +
                                     " bytes exceeds max_key_bytes " +
                                     std::to_string(limits_.max_key_bytes) + " at byte " +
                                     std::to_string(at) + " (key " + Quote(key) + ")");
  }
  if (!simdjson::validate_utf8(key.data(), key.size())) {
    return Status::InvalidArgument("invalid UTF-8 in map key at byte " + std::to_string(at) +
                                   PathSuffix());
  }
  bool duplicate = false;
  if (f.key_set != nullptr) {
    duplicate = !f.key_set->insert(key).second;
  } else {
    for (size_t i = f.keys_begin; i < keys_.size(); ++i) {
      if (keys_[i] == key) {
        duplicate = true;
        break;
      }
    }
    keys_.push_back(key);
  }
  if (duplicate) {
    return Status::InvalidArgument("duplicate key " + Quote(key) + " at byte " +
                                   std::to_string(at) + PathSuffix());
  }
  f.key = key;
  f.want_key = false;
  return Status::OK();
}

Status Validator::CheckExt(size_t at, const Head& h, std::string_view payload) const {
  if (h.ext_type >= 0 && h.ext_type <= 31) {
    if (h.ext_type != 1) {
      return Status::InvalidArgument(
          "reserved ext type " + std::to_string(h.ext_type) + " at byte " + std::to_string(at) +
          " (types 0-31 belong to DaaS; only 1 is defined)" + PathSuffix());
    }
    if (!internal::IsJsonNumberText(payload)) {
      return Status::InvalidArgument("ext type 1 at byte " + std::to_string(at) +
                                     " does not hold JSON number text" + PathSuffix());
    }
  }
  return Status::OK();
}

void Validator::FinishValue() {
  while (!frames_.empty()) {
    Frame& f = frames_.back();
    if (--f.left > 0) {
      if (f.is_map) {
        f.want_key = true;
      } else {
        ++f.index;
      }
      return;
    }
    if (f.key_set == nullptr && f.is_map) keys_.resize(f.keys_begin);
    frames_.pop_back();
  }
  done_ = true;
}

Status Validator::Run(bool require_map) {
  if (n_ > limits_.max_size_bytes) {
    return Status::ResourceExhausted("document size " + std::to_string(n_) +
                                     " bytes exceeds max_size_bytes " +
                                     std::to_string(limits_.max_size_bytes));
  }
  if (n_ == 0) return Status::InvalidArgument("document is empty (0 bytes)");
  size_t pos = 0;
  Head h;
  while (!done_) {
    const bool is_key = !frames_.empty() && frames_.back().want_key;
    if (pos >= n_) return Truncated(pos, is_key ? "map key" : "value");
    const size_t left = n_ - pos;
    switch (DecodeHead(p_ + pos, left, &h)) {
      case HeadStatus::kOk:
        break;
      case HeadStatus::kTruncated:
        return Truncated(pos, "value header");
      case HeadStatus::kReservedByte:
        return Status::InvalidArgument("reserved byte 0xc1 at byte " + std::to_string(pos) +
                                       PathSuffix());
    }
    if (pos == 0 && require_map && h.type != Type::kMap) {
      return Status::InvalidArgument(std::string("document at byte 0 is ") + TypeName(h.type) +
                                     ", not a map");
    }
    if (HasPayload(h.type) && h.len > left - h.head_len) {
      return Truncated(pos,
                       std::string(TypeName(h.type)) + " of " + std::to_string(h.len) + " bytes");
    }
    if (is_key) {
      if (h.type != Type::kString) {
        return Status::InvalidArgument("map key at byte " + std::to_string(pos) + " is " +
                                       TypeName(h.type) + ", not a string" + PathSuffix());
      }
      DAAS_RETURN_IF_ERROR(CheckKey(
          pos, std::string_view(reinterpret_cast<const char*>(p_ + pos + h.head_len), h.len)));
      pos += h.head_len + h.len;
      continue;
    }
    const std::string_view payload(reinterpret_cast<const char*>(p_ + pos + h.head_len),
                                   HasPayload(h.type) ? h.len : 0);
    if (h.type == Type::kString && !simdjson::validate_utf8(payload.data(), payload.size())) {
      return Status::InvalidArgument("invalid UTF-8 in string at byte " + std::to_string(pos) +
                                     PathSuffix());
    }
    if (h.type == Type::kExt) DAAS_RETURN_IF_ERROR(CheckExt(pos, h, payload));
    if (!IsContainer(h.type)) {
      pos += h.head_len + payload.size();
      FinishValue();
      continue;
    }
    const size_t depth = frames_.size() + 1;
    if (depth > limits_.max_depth) {
      return Status::ResourceExhausted("nesting depth " + std::to_string(depth) +
                                       " exceeds max_depth " + std::to_string(limits_.max_depth) +
                                       " at byte " + std::to_string(pos) + PathSuffix());
    }
    // Every element takes at least one byte, so a count beyond the bytes left is a lie; refusing it
    // here keeps the counters below far from overflow.
    const bool is_map = h.type == Type::kMap;
    const uint64_t min_bytes = is_map ? 2 * h.len : h.len;
    if (min_bytes > left - h.head_len) {
      return Truncated(pos, std::string(TypeName(h.type)) + " of " + std::to_string(h.len) +
                                (is_map ? " pairs" : " elements"));
    }
    pos += h.head_len;
    if (h.len == 0) {
      FinishValue();
      continue;
    }
    Frame f;
    f.is_map = is_map;
    f.want_key = is_map;
    f.left = h.len;
    f.keys_begin = keys_.size();
    if (is_map && h.len > kLinearKeyScanMax) {
      f.key_set = std::make_unique<std::unordered_set<std::string_view>>();
      f.key_set->reserve(h.len);
    }
    frames_.push_back(std::move(f));
  }
  if (pos != n_) {
    return Status::InvalidArgument("trailing bytes after the document at byte " +
                                   std::to_string(pos) + " (" + std::to_string(n_ - pos) +
                                   " extra)");
  }
  return Status::OK();
}

}  // namespace

const char* TypeName(Type type) {
  switch (type) {
    case Type::kNil:
      return "nil";
    case Type::kBool:
      return "bool";
    case Type::kInt:
      return "integer";
    case Type::kUint:
      return "unsigned integer";
    case Type::kDouble:
      return "double";
    case Type::kString:
      return "string";
    case Type::kBinary:
      return "binary";
    case Type::kArray:
      return "array";
    case Type::kMap:
      return "map";
    case Type::kExt:
      return "ext";
  }
  return "unknown";
}

Status ValidateDocument(std::string_view bytes, const DocumentLimits& limits) {
  return Validator(bytes, limits).Run(/*require_map=*/true);
}

Status ValidateValue(std::string_view bytes, const DocumentLimits& limits) {
  return Validator(bytes, limits).Run(/*require_map=*/false);
}

// ---- Read path ---------------------------------------------------------------------------------

Value ReadValue(std::string_view bytes) {
  DAAS_DCHECK(!bytes.empty());
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  Head h;
  const HeadStatus hs = DecodeHead(p, bytes.size(), &h);
  DAAS_DCHECK(hs == HeadStatus::kOk);
  (void)hs;
  Value v;
  v.type = h.type;
  switch (h.type) {
    case Type::kNil:
      break;
    case Type::kBool:
      v.boolean = h.boolean;
      break;
    case Type::kInt:
      v.int_value = h.int_value;
      break;
    case Type::kUint:
      v.uint_value = h.uint_value;
      break;
    case Type::kDouble:
      v.double_value = h.double_value;
      break;
    case Type::kExt:
      v.ext_type = h.ext_type;
      [[fallthrough]];
    case Type::kString:
    case Type::kBinary:
      v.bytes = bytes.substr(h.head_len, h.len);
      v.raw = bytes.substr(0, h.head_len + h.len);
      return v;
    case Type::kArray:
    case Type::kMap:
      v.count = static_cast<uint32_t>(h.len);
      v.raw = bytes.substr(0, SkipValue(p, bytes.size()));
      return v;
  }
  v.raw = bytes.substr(0, h.head_len);
  return v;
}

namespace {

// The elements of a validated container value: its raw bytes after the header.
std::string_view Elements(const Value& container) {
  DAAS_DCHECK(IsContainer(container.type));
  const auto b = static_cast<uint8_t>(container.raw[0]);
  const size_t head_len = (b == 0xdc || b == 0xde) ? 3 : (b == 0xdd || b == 0xdf) ? 5 : 1;
  return container.raw.substr(head_len);
}

}  // namespace

MapIterator::MapIterator(const Value& map) : rest_(Elements(map)), left_(map.count) {
  DAAS_DCHECK(map.type == Type::kMap);
}

bool MapIterator::Next(std::string_view* key, Value* value) {
  if (left_ == 0) return false;
  --left_;
  const Value k = ReadValue(rest_);
  DAAS_DCHECK(k.type == Type::kString);
  *key = k.bytes;
  rest_.remove_prefix(k.raw.size());
  *value = ReadValue(rest_);
  rest_.remove_prefix(value->raw.size());
  return true;
}

ArrayIterator::ArrayIterator(const Value& array) : rest_(Elements(array)), left_(array.count) {
  DAAS_DCHECK(array.type == Type::kArray);
}

bool ArrayIterator::Next(Value* value) {
  if (left_ == 0) return false;
  --left_;
  *value = ReadValue(rest_);
  rest_.remove_prefix(value->raw.size());
  return true;
}

std::optional<Value> FindField(std::string_view document, std::string_view key) {
  const auto* p = reinterpret_cast<const uint8_t*>(document.data());
  Head h;
  HeadStatus hs = DecodeHead(p, document.size(), &h);
  DAAS_DCHECK(hs == HeadStatus::kOk && h.type == Type::kMap);
  size_t pos = h.head_len;
  for (uint64_t i = 0; i < h.len; ++i) {
    Head kh;
    hs = DecodeHead(p + pos, document.size() - pos, &kh);
    DAAS_DCHECK(hs == HeadStatus::kOk && kh.type == Type::kString);
    const std::string_view k = document.substr(pos + kh.head_len, kh.len);
    pos += kh.head_len + kh.len;
    if (k == key) return ReadValue(document.substr(pos));
    pos += SkipValue(p + pos, document.size() - pos);
  }
  (void)hs;
  return std::nullopt;
}

}  // namespace daas::doc
