// MessagePack decoding: one header decoder shared by the validator (bounds-checked, iterative) and
// the read path (trusts validated bytes, never allocates).
#include "doc/msgpack_reader.h"

#include <algorithm>
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

// Total length, by lead byte for 0xc0..0xdf, of the scalars whose header is the whole value (nil,
// bools, floats, integers); 0 for every other format, which needs DecodeHead. Lets the validator
// and the read path step over them without decoding what they hold.
constexpr uint8_t kScalarLen[32] = {
    1, 0, 1, 1,     // c0 nil, c1 reserved, c2 false, c3 true
    0, 0, 0,        // c4..c6 bin
    0, 0, 0,        // c7..c9 ext
    5, 9,           // ca float 32, cb float 64
    2, 3, 5, 9,     // cc..cf uint 8..64
    2, 3, 5, 9,     // d0..d3 int 8..64
    0, 0, 0, 0, 0,  // d4..d8 fixext
    0, 0, 0,        // d9..db str
    0, 0, 0, 0,     // dc..df array, map
};

inline bool IsFixInt(uint8_t b) { return b <= 0x7f || b >= 0xe0; }
inline bool IsFixStr(uint8_t b) { return b >= 0xa0 && b <= 0xbf; }

// ---- UTF-8 -------------------------------------------------------------------------------------

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// True when none of the n bytes at s has its high bit set. Reads only those bytes: the tail is an
// overlapping load, so keys and strings of any length take one to a few word loads.
inline bool IsAscii(const uint8_t* s, size_t n) {
  if (n >= 8) {
    uint64_t acc = Load64(s + n - 8);
    for (size_t i = 0; i + 8 < n; i += 8) acc |= Load64(s + i);
    return (acc & 0x8080808080808080u) == 0;
  }
  if (n >= 4) return ((Load32(s) | Load32(s + n - 4)) & 0x80808080u) == 0;
  if (n == 0) return true;
  return ((s[0] | s[n / 2] | s[n - 1]) & 0x80) == 0;  // n = 1..3: every byte is one of these
}

// Text at least this long goes to simdjson's vectorized validator; shorter non-ASCII text is
// checked byte by byte, cheaper than simdjson's per-call dispatch and setup.
constexpr size_t kSimdUtf8Min = 64;

// Byte-by-byte well-formedness (Unicode table 3-7, "Well-Formed UTF-8 Byte Sequences").
bool IsValidUtf8Scalar(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    const auto is_cont = [&](size_t k) { return (s[k] & 0xc0) == 0x80; };
    if (c < 0xc2) return false;  // a continuation byte, or c0/c1 (overlong 2-byte forms)
    if (c < 0xe0) {
      if (n - i < 2 || !is_cont(i + 1)) return false;
      i += 2;
      continue;
    }
    if (c < 0xf0) {
      if (n - i < 3 || !is_cont(i + 1) || !is_cont(i + 2)) return false;
      if (c == 0xe0 && s[i + 1] < 0xa0) return false;  // overlong 3-byte form
      if (c == 0xed && s[i + 1] > 0x9f) return false;  // U+D800..U+DFFF, surrogates
      i += 3;
      continue;
    }
    if (c < 0xf5) {
      if (n - i < 4 || !is_cont(i + 1) || !is_cont(i + 2) || !is_cont(i + 3)) return false;
      if (c == 0xf0 && s[i + 1] < 0x90) return false;  // overlong 4-byte form
      if (c == 0xf4 && s[i + 1] > 0x8f) return false;  // above U+10FFFF
      i += 4;
      continue;
    }
    return false;  // f5..ff never occur
  }
  return true;
}

[[gnu::always_inline]] inline bool IsUtf8(const uint8_t* s, size_t n) {
  if (n >= kSimdUtf8Min) return simdjson::validate_utf8(reinterpret_cast<const char*>(s), n);
  return IsAscii(s, n) || IsValidUtf8Scalar(s, n);
}

// ---- Read path helpers -------------------------------------------------------------------------

// Length of the validated value at p, containers included. Iterative: `pending` counts values still
// to skip, so nesting costs no stack. The formats of typical documents (fixint, fixstr, str 8, fix
// containers, the fixed-size scalars) are stepped over inline; the rest go through DecodeHead.
size_t SkipValue(const uint8_t* p, size_t avail) {
  const uint8_t* q = p;
  uint64_t pending = 1;
  do {
    const uint8_t b = q[0];
    if (IsFixInt(b)) {
      q += 1;
    } else if (IsFixStr(b)) {
      q += 1 + (b & 0x1f);
    } else if (b <= 0x8f) {
      pending += 2 * uint64_t{b & 0x0fu};
      q += 1;
    } else if (b <= 0x9f) {
      pending += b & 0x0f;
      q += 1;
    } else if (kScalarLen[b - 0xc0] != 0) {
      q += kScalarLen[b - 0xc0];
    } else if (b == 0xd9) {
      q += 2 + q[1];
    } else {
      Head h;
      const HeadStatus hs = DecodeHead(q, avail - static_cast<size_t>(q - p), &h);
      DAAS_DCHECK(hs == HeadStatus::kOk);
      (void)hs;
      q += h.head_len;
      if (h.type == Type::kArray) {
        pending += h.len;
      } else if (h.type == Type::kMap) {
        pending += 2 * h.len;
      } else if (HasPayload(h.type)) {
        q += h.len;
      }
    }
  } while (--pending > 0);
  return static_cast<size_t>(q - p);
}

// The key at p of a validated map: its bytes, and in *size the length of its whole encoding.
inline std::string_view ReadKey(const uint8_t* p, size_t avail, size_t* size) {
  const uint8_t b = p[0];
  size_t head_len;
  size_t len;
  if (IsFixStr(b)) {
    head_len = 1;
    len = b & 0x1f;
  } else {
    Head h;
    const HeadStatus hs = DecodeHead(p, avail, &h);
    DAAS_DCHECK(hs == HeadStatus::kOk && h.type == Type::kString);
    (void)hs;
    head_len = h.head_len;
    len = h.len;
  }
  *size = head_len + len;
  return std::string_view(reinterpret_cast<const char*>(p + head_len), len);
}

// ---- Validation --------------------------------------------------------------------------------

// Maps with more keys than this check duplicates with a hash set; below it a linear scan over the
// keys seen so far is faster and allocates nothing.
constexpr uint64_t kLinearKeyScanMax = 16;
// Open containers kept without allocating; deeper nesting moves the frames to the heap.
constexpr size_t kInlineFrames = 32;
// Keys of open small maps kept without allocating (two full small maps and then some).
constexpr size_t kInlineKeys = 48;

// One open container. Plain data, so the inline stack needs no construction.
struct Frame {
  uint64_t count;   // elements (array) or pairs (map)
  uint64_t left;    // of those, not yet finished; at least 1 while the frame is open
  const char* key;  // map: the current key (key_size bytes), for error paths; set by CheckKey
  size_t key_size;
  size_t keys_begin;   // small map: the first of its keys in Validator::keys_
  uint64_t key_bloom;  // small map: bit KeyBloomBit(k) set for each of its keys k so far
  bool is_map;
  bool large;  // map over kLinearKeyScanMax pairs: its keys are in Validator::key_sets_
};

struct KeyRef {
  const char* data;
  size_t size;
};

// A bit from a key's length and end bytes: a small map only compares a new key with the keys
// before it when its bit is already set, so most keys are never compared at all.
inline uint64_t KeyBloomBit(const uint8_t* key, size_t size) {
  const uint32_t h = size == 0 ? 0 : static_cast<uint32_t>(size * 7 + key[0] + key[size - 1] * 3);
  return uint64_t{1} << (h & 63);
}

// memcmp(a, b, n) == 0, without a library call for the short keys documents mostly have. Reads
// only the n bytes of each.
inline bool SameBytes(const char* a, const char* b, size_t n) {
  const auto* x = reinterpret_cast<const uint8_t*>(a);
  const auto* y = reinterpret_cast<const uint8_t*>(b);
  if (n > 16) return std::memcmp(x, y, n) == 0;
  if (n >= 8) return Load64(x) == Load64(y) && Load64(x + n - 8) == Load64(y + n - 8);
  if (n >= 4) return Load32(x) == Load32(y) && Load32(x + n - 4) == Load32(y + n - 4);
  if (n == 0) return true;
  return x[0] == y[0] && x[n / 2] == y[n / 2] && x[n - 1] == y[n - 1];
}

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 64;  // keep error messages bounded
  std::string out = "\"";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out.append("...");
  out.append("\"");
  return out;
}

// Validates one value in a single forward pass, without recursion. Each step reads one value,
// preceded by its key when the innermost open container is a map. The formats documents mostly
// hold are checked inline, by functions that return false after storing the error in error_; the
// rest of the formats, and every error message, are out of line. Every message and the order of
// the checks are part of the contract (other layers' tests quote them).
class Validator {
 public:
  Validator(std::string_view bytes, const DocumentLimits& limits)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), n_(bytes.size()), limits_(limits) {}

  Status Run(bool require_map);

 private:
  // Walks the value at byte 0; false with error_ set on the first problem. *end: where it ends.
  bool Walk(size_t* end);
  // Stores `error` for Run to return; always false.
  bool Fail(Status error);
  Status Truncated(size_t at, std::string_view what) const {
    return Status::InvalidArgument("truncated document: " + std::string(what) + " at byte " +
                                   std::to_string(at) + " runs past the end (" +
                                   std::to_string(n_) + " bytes)");
  }
  bool FailTruncated(size_t at, std::string_view what) { return Fail(Truncated(at, what)); }
  bool FailTruncatedPayload(size_t at, Type type, uint64_t len);
  bool FailUtf8(size_t at, bool key);
  Status ReservedByte(size_t at) const {
    return Status::InvalidArgument("reserved byte 0xc1 at byte " + std::to_string(at) +
                                   PathSuffix());
  }
  // "a.b[3]" for the value being decoded, or "" at the top level.
  std::string Path() const;
  std::string PathSuffix() const {
    std::string path = Path();
    return path.empty() ? std::string() : " (field " + path + ")";
  }
  // The document's first value must be a map: the errors ValidateDocument gives at byte 0.
  Status CheckTopIsMap() const;
  // Reads the key at *pos into the innermost map and moves *pos past it.
  bool ReadMapKey(size_t* pos);
  // ReadMapKey for a key that is not a fixstr: its header and every error a header can cause.
  bool KeyHead(size_t pos, size_t* head_len, size_t* len);
  bool CheckKey(size_t at, std::string_view key);
  bool CheckLargeMapKey(size_t at, std::string_view key);
  bool FailLongKey(size_t at, std::string_view key);
  bool FailDuplicateKey(size_t at, std::string_view key);
  // The value at *pos in a format the hot loop leaves to DecodeHead. Moves *pos past its header and
  // payload; *opened tells that it opened a container whose elements follow.
  bool OtherValue(size_t* pos, bool* opened);
  Status CheckExt(size_t at, const Head& h, std::string_view payload) const;
  // Checks a container header at byte `at`; opens a frame for it unless it is empty.
  bool OpenContainer(size_t at, bool is_map, uint64_t len, uint32_t head_len);
  bool FailContainer(size_t at, bool is_map, uint64_t len, uint32_t head_len);
  // Marks one value finished at the innermost open container, closing every container it fills.
  // True when that finished the top-level value.
  bool FinishValue();

  const uint8_t* p_;
  size_t n_;
  const DocumentLimits& limits_;
  internal::InlineStack<Frame, kInlineFrames> frames_;
  internal::InlineStack<KeyRef, kInlineKeys> keys_;  // keys of the open small maps, innermost last
  std::vector<std::unordered_set<std::string_view>> key_sets_;  // one per open large map
  bool reading_key_ = false;  // the innermost map's next key is being read: no key at its level
  Status error_;
};

bool Validator::Fail(Status error) {
  error_ = std::move(error);
  return false;
}

bool Validator::FailTruncatedPayload(size_t at, Type type, uint64_t len) {
  return FailTruncated(at, std::string(TypeName(type)) + " of " + std::to_string(len) + " bytes");
}

bool Validator::FailUtf8(size_t at, bool key) {
  return Fail(Status::InvalidArgument(
      std::string(key ? "invalid UTF-8 in map key at byte " : "invalid UTF-8 in string at byte ") +
      std::to_string(at) + PathSuffix()));
}

std::string Validator::Path() const {
  std::string path;
  for (size_t i = 0; i < frames_.size(); ++i) {
    const Frame& f = frames_[i];
    if (f.is_map) {
      if (reading_key_ && i + 1 == frames_.size()) break;  // no key read yet at this level
      if (!path.empty()) path.push_back('.');
      path.append(f.key, f.key_size);
    } else {
      path.push_back('[');
      path.append(std::to_string(f.count - f.left));
      path.push_back(']');
    }
  }
  return path;
}

Status Validator::CheckTopIsMap() const {
  Head h;
  switch (DecodeHead(p_, n_, &h)) {
    case HeadStatus::kOk:
      break;
    case HeadStatus::kTruncated:
      return Truncated(0, "value header");
    case HeadStatus::kReservedByte:
      return ReservedByte(0);
  }
  if (h.type != Type::kMap) {
    return Status::InvalidArgument(std::string("document at byte 0 is ") + TypeName(h.type) +
                                   ", not a map");
  }
  return Status::OK();
}

[[gnu::always_inline]] inline bool Validator::ReadMapKey(size_t* pos) {
  const size_t at = *pos;
  reading_key_ = true;
  if (at >= n_) return FailTruncated(at, "map key");
  const uint8_t b = p_[at];
  size_t head_len = 1;
  size_t len = b & 0x1f;
  if (IsFixStr(b)) {
    if (len > n_ - at - 1) return FailTruncatedPayload(at, Type::kString, len);
  } else if (!KeyHead(at, &head_len, &len)) {
    return false;
  }
  if (!CheckKey(at, std::string_view(reinterpret_cast<const char*>(p_ + at + head_len), len))) {
    return false;
  }
  reading_key_ = false;
  *pos = at + head_len + len;
  return true;
}

bool Validator::KeyHead(size_t pos, size_t* head_len, size_t* len) {
  const size_t left = n_ - pos;
  Head h;
  switch (DecodeHead(p_ + pos, left, &h)) {
    case HeadStatus::kOk:
      break;
    case HeadStatus::kTruncated:
      return FailTruncated(pos, "value header");
    case HeadStatus::kReservedByte:
      return Fail(ReservedByte(pos));
  }
  if (HasPayload(h.type) && h.len > left - h.head_len) {
    return FailTruncatedPayload(pos, h.type, h.len);
  }
  if (h.type != Type::kString) {
    return Fail(Status::InvalidArgument("map key at byte " + std::to_string(pos) + " is " +
                                        TypeName(h.type) + ", not a string" + PathSuffix()));
  }
  *head_len = h.head_len;
  *len = h.len;
  return true;
}

[[gnu::always_inline]] inline bool Validator::CheckKey(size_t at, std::string_view key) {
  Frame& f = frames_.back();
  const auto* k = reinterpret_cast<const uint8_t*>(key.data());
  if (key.size() > limits_.max_key_bytes) return FailLongKey(at, key);
  if (!IsUtf8(k, key.size())) return FailUtf8(at, true);
  if (f.large) {
    if (!CheckLargeMapKey(at, key)) return false;
  } else {
    const uint64_t bit = KeyBloomBit(k, key.size());
    if ((f.key_bloom & bit) != 0) {
      for (size_t i = f.keys_begin; i < keys_.size(); ++i) {
        const KeyRef& seen = keys_[i];
        if (seen.size == key.size() && SameBytes(seen.data, key.data(), key.size())) {
          return FailDuplicateKey(at, key);
        }
      }
    }
    f.key_bloom |= bit;
    keys_.push_back(KeyRef{key.data(), key.size()});
  }
  f.key = key.data();
  f.key_size = key.size();
  return true;
}

bool Validator::CheckLargeMapKey(size_t at, std::string_view key) {
  return key_sets_.back().insert(key).second || FailDuplicateKey(at, key);
}

bool Validator::FailLongKey(size_t at, std::string_view key) {
  return Fail(Status::ResourceExhausted("key length " + std::to_string(key.size()) +
                                        " bytes exceeds max_key_bytes " +
                                        std::to_string(limits_.max_key_bytes) + " at byte " +
                                        std::to_string(at) + " (key " + Quote(key) + ")"));
}

bool Validator::FailDuplicateKey(size_t at, std::string_view key) {
  return Fail(Status::InvalidArgument("duplicate key " + Quote(key) + " at byte " +
                                      std::to_string(at) + PathSuffix()));
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

[[gnu::always_inline]] inline bool Validator::OpenContainer(size_t at, bool is_map, uint64_t len,
                                                            uint32_t head_len) {
  // Every element takes at least one byte, so a count beyond the bytes left is a lie; refusing it
  // here keeps the counters below far from overflow.
  const uint64_t min_bytes = is_map ? 2 * len : len;
  if (frames_.size() >= limits_.max_depth || min_bytes > n_ - at - head_len) {
    return FailContainer(at, is_map, len, head_len);
  }
  if (len == 0) return true;
  const bool large = is_map && len > kLinearKeyScanMax;
  frames_.push_back(Frame{len, len, nullptr, 0, keys_.size(), 0, is_map, large});
  if (large) {
    key_sets_.emplace_back();
    key_sets_.back().reserve(len);
  }
  return true;
}

bool Validator::FailContainer(size_t at, bool is_map, uint64_t len, uint32_t head_len) {
  const size_t depth = frames_.size() + 1;
  if (depth > limits_.max_depth) {
    return Fail(Status::ResourceExhausted(
        "nesting depth " + std::to_string(depth) + " exceeds max_depth " +
        std::to_string(limits_.max_depth) + " at byte " + std::to_string(at) + PathSuffix()));
  }
  DAAS_DCHECK((is_map ? 2 * len : len) > n_ - at - head_len);
  (void)head_len;
  return FailTruncated(at, std::string(is_map ? "map" : "array") + " of " + std::to_string(len) +
                               (is_map ? " pairs" : " elements"));
}

bool Validator::OtherValue(size_t* pos, bool* opened) {
  const size_t at = *pos;
  const size_t left = n_ - at;
  Head h;
  switch (DecodeHead(p_ + at, left, &h)) {
    case HeadStatus::kOk:
      break;
    case HeadStatus::kTruncated:
      return FailTruncated(at, "value header");
    case HeadStatus::kReservedByte:
      return Fail(ReservedByte(at));
  }
  if (HasPayload(h.type) && h.len > left - h.head_len) {
    return FailTruncatedPayload(at, h.type, h.len);
  }
  const std::string_view payload(reinterpret_cast<const char*>(p_ + at + h.head_len),
                                 HasPayload(h.type) ? h.len : 0);
  if (h.type == Type::kString &&
      !IsUtf8(reinterpret_cast<const uint8_t*>(payload.data()), payload.size())) {
    return FailUtf8(at, false);
  }
  if (h.type == Type::kExt) {
    if (Status s = CheckExt(at, h, payload); !s.ok()) return Fail(std::move(s));
  }
  if (!IsContainer(h.type)) {
    *pos = at + h.head_len + payload.size();
    return true;
  }
  if (!OpenContainer(at, h.type == Type::kMap, h.len, h.head_len)) return false;
  *pos = at + h.head_len;
  *opened = h.len != 0;
  return true;
}

[[gnu::always_inline]] inline bool Validator::FinishValue() {
  while (!frames_.empty()) {
    Frame& f = frames_.back();
    if (--f.left > 0) return false;
    if (f.is_map) {
      if (f.large) {
        key_sets_.pop_back();
      } else {
        keys_.truncate(f.keys_begin);
      }
    }
    frames_.pop_back();
  }
  return true;
}

inline bool Validator::Walk(size_t* end) {
  size_t pos = 0;
  bool in_map = false;  // the innermost open container is a map: a key comes next
  for (;;) {
    if (in_map && !ReadMapKey(&pos)) return false;
    if (pos >= n_) return FailTruncated(pos, "value");
    const uint8_t b = p_[pos];
    const size_t left = n_ - pos;
    if (IsFixInt(b)) {
      pos += 1;
    } else if (IsFixStr(b) || b == 0xd9) {
      size_t head_len = 1;
      size_t len = b & 0x1f;
      if (b == 0xd9) {
        if (left < 2) return FailTruncated(pos, "value header");
        head_len = 2;
        len = p_[pos + 1];
      }
      if (len > left - head_len) return FailTruncatedPayload(pos, Type::kString, len);
      if (!IsUtf8(p_ + pos + head_len, len)) return FailUtf8(pos, false);
      pos += head_len + len;
    } else if (b <= 0x9f) {  // fixmap 0x80..0x8f, fixarray 0x90..0x9f
      const uint64_t len = b & 0x0f;
      const bool is_map = b <= 0x8f;
      if (!OpenContainer(pos, is_map, len, 1)) return false;
      pos += 1;
      if (len != 0) {
        in_map = is_map;
        continue;
      }
    } else if (kScalarLen[b - 0xc0] != 0) {
      if (kScalarLen[b - 0xc0] > left) return FailTruncated(pos, "value header");
      pos += kScalarLen[b - 0xc0];
    } else {
      bool opened = false;
      if (!OtherValue(&pos, &opened)) return false;
      if (opened) {
        in_map = frames_.back().is_map;
        continue;
      }
    }
    if (FinishValue()) break;
    in_map = frames_.back().is_map;
  }
  *end = pos;
  return true;
}

Status Validator::Run(bool require_map) {
  if (n_ > limits_.max_size_bytes) {
    return Status::ResourceExhausted("document size " + std::to_string(n_) +
                                     " bytes exceeds max_size_bytes " +
                                     std::to_string(limits_.max_size_bytes));
  }
  if (n_ == 0) return Status::InvalidArgument("document is empty (0 bytes)");
  if (require_map) DAAS_RETURN_IF_ERROR(CheckTopIsMap());
  size_t end;
  if (!Walk(&end)) return std::move(error_);
  if (end != n_) {
    return Status::InvalidArgument("trailing bytes after the document at byte " +
                                   std::to_string(end) + " (" + std::to_string(n_ - end) +
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

namespace internal {

Value ReadWholeValue(std::string_view bytes) {
  const auto b = static_cast<uint8_t>(bytes[0]);
  if (b < 0x80 || b > 0x9f) return ReadValue(bytes);
  Value v;
  v.type = b <= 0x8f ? Type::kMap : Type::kArray;
  v.count = b & 0x0f;
  v.raw = bytes;
  DAAS_DCHECK(v.raw.size() ==
              SkipValue(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  return v;
}

bool IsValidUtf8(std::string_view text) {
  return IsUtf8(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

ValueShape MeasureValue(std::string_view value) {
  struct Level {
    uint64_t left;  // values still to read: elements, or keys and values
    bool is_map;
  };
  const auto* p = reinterpret_cast<const uint8_t*>(value.data());
  InlineStack<Level, 32> levels;
  ValueShape shape;
  size_t pos = 0;
  for (;;) {
    bool is_key = false;
    if (!levels.empty()) {
      Level& l = levels.back();
      is_key = l.is_map && l.left % 2 == 0;
      --l.left;
    }
    Head h;
    const HeadStatus hs = DecodeHead(p + pos, value.size() - pos, &h);
    DAAS_DCHECK(hs == HeadStatus::kOk);
    (void)hs;
    pos += h.head_len;
    if (is_key && h.len > shape.max_key_bytes) shape.max_key_bytes = h.len;
    if (HasPayload(h.type)) pos += h.len;
    if (IsContainer(h.type)) {
      shape.depth = std::max<uint64_t>(shape.depth, levels.size() + 1);
      if (h.len != 0) {
        levels.push_back(Level{h.type == Type::kMap ? 2 * h.len : h.len, h.type == Type::kMap});
        continue;
      }
    }
    while (!levels.empty() && levels.back().left == 0) levels.pop_back();
    if (levels.empty()) return shape;
  }
}

}  // namespace internal

// ---- Read path ---------------------------------------------------------------------------------

Value ReadValue(std::string_view bytes) {
  DAAS_DCHECK(!bytes.empty());
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  Value v;
  // The formats documents mostly hold first, without filling a Head.
  const uint8_t b = p[0];
  if (b <= 0x7f) {
    v.type = Type::kInt;
    v.int_value = b;
    v.raw = bytes.substr(0, 1);
    return v;
  }
  if (IsFixStr(b) || b == 0xd9) {
    const size_t head_len = b == 0xd9 ? 2 : 1;
    const size_t len = b == 0xd9 ? p[1] : b & 0x1f;
    v.type = Type::kString;
    v.bytes = bytes.substr(head_len, len);
    v.raw = bytes.substr(0, head_len + len);
    return v;
  }
  if (b <= 0x9f) {
    v.type = b <= 0x8f ? Type::kMap : Type::kArray;
    v.count = b & 0x0f;
    v.raw = bytes.substr(0, SkipValue(p, bytes.size()));
    return v;
  }
  if (b == 0xc2 || b == 0xc3) {
    v.type = Type::kBool;
    v.boolean = b == 0xc3;
    v.raw = bytes.substr(0, 1);
    return v;
  }
  Head h;
  const HeadStatus hs = DecodeHead(p, bytes.size(), &h);
  DAAS_DCHECK(hs == HeadStatus::kOk);
  (void)hs;
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
  size_t key_size;
  *key = ReadKey(reinterpret_cast<const uint8_t*>(rest_.data()), rest_.size(), &key_size);
  rest_.remove_prefix(key_size);
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
  const size_t n = document.size();
  uint64_t count;
  size_t pos;
  if (p[0] >= 0x80 && p[0] <= 0x8f) {
    count = p[0] & 0x0f;
    pos = 1;
  } else {
    Head h;
    const HeadStatus hs = DecodeHead(p, n, &h);
    DAAS_DCHECK(hs == HeadStatus::kOk && h.type == Type::kMap);
    (void)hs;
    count = h.len;
    pos = h.head_len;
  }
  for (uint64_t i = 0; i < count; ++i) {
    size_t key_size;
    const std::string_view k = ReadKey(p + pos, n - pos, &key_size);
    pos += key_size;
    if (k == key) return ReadValue(document.substr(pos));
    pos += SkipValue(p + pos, n - pos);
  }
  return std::nullopt;
}

}  // namespace daas::doc
