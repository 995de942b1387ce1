// Fixed-width integer encoding. Big-endian for IDs (so binary order is numeric order),
// little-endian for file formats (docs/format/). Unaligned access goes through memcpy.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace daas::core {

inline void PutBig16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void PutBig32(uint8_t* p, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}
inline void PutBig64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}
inline uint16_t GetBig16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t GetBig32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t GetBig64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// Little-endian; this code base targets little-endian hosts only (checked at compile time).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "DaaS file formats assume little-endian");

template <typename T>
inline T GetLittle(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <typename T>
inline void PutLittle(void* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}
template <typename T>
inline void AppendLittle(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

}  // namespace daas::core

namespace daas::core {

// Reads little-endian fields from a byte string with bounds checks; after a failed read the reader
// stays failed, so a decoder can read a whole structure and check ok() once.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : data_(bytes) {}

  template <typename T>
  T Read() {
    T v{};
    if (!ok_ || data_.size() - pos_ < sizeof(T)) {
      ok_ = false;
      return v;
    }
    v = GetLittle<T>(data_.data() + pos_);
    pos_ += sizeof(T);
    return v;
  }
  std::string_view ReadBytes(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string_view v = data_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  bool ok() const { return ok_; }
  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace daas::core
