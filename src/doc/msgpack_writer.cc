// Writer: every encoding decision (smallest integer form, header widths) is msgpack-cxx's packer's,
// so there is exactly one MessagePack encoder in the tree. The exceptions are Double and strings
// under 32 bytes (see there).
#include "doc/msgpack_writer.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "core/coding.h"
#include "core/status_macros.h"

namespace daas::doc {
namespace {

// The packer's Stream concept: anything with write(const char*, size_t). Appending to a std::string
// cannot fail short of out-of-memory, which is fatal (STYLE.md §4).
struct StringSink {
  std::string* out;
  void write(const char* data, size_t size) { out->append(data, size); }
};

// MessagePack lengths are 32-bit; callers enforce DocumentLimits long before this, so a longer
// payload here is a programmer error, not user input.
uint32_t Length32(std::string_view v) {
  DAAS_CHECK(v.size() <= std::numeric_limits<uint32_t>::max());
  return static_cast<uint32_t>(v.size());
}

// Runs `fn` with a packer appending to `out`. The packer holds only a reference to its sink, so
// building one per call costs nothing.
template <typename Fn>
void Pack(std::string* out, Fn fn) {
  StringSink sink{out};
  msgpack::packer<StringSink> packer(sink);
  fn(packer);
}

}  // namespace

void Writer::Nil() {
  Pack(out_, [&](auto& packer) { packer.pack_nil(); });
}

void Writer::Bool(bool v) {
  Pack(out_, [&](auto& packer) {
    if (v) {
      packer.pack_true();
    } else {
      packer.pack_false();
    }
  });
}

void Writer::Int(int64_t v) {
  Pack(out_, [&](auto& packer) {
    packer.pack_int64(v);  // smallest of fixint, int/uint 8..64
  });
}

void Writer::Uint(uint64_t v) {
  Pack(out_, [&](auto& packer) {
    packer.pack_uint64(v);  // smallest of fixint, uint 8..64
  });
}

void Writer::Double(double v) {
  // Written by hand: msgpack-cxx 4's pack_double stores integral doubles (1.0, -0.0) as integers,
  // which would turn 1.0 into 1 and lose the sign of -0.0. A double is always float 64 here.
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  uint8_t encoded[9];
  encoded[0] = 0xcb;
  core::PutBig64(encoded + 1, bits);
  out_->append(reinterpret_cast<const char*>(encoded), sizeof(encoded));
}

void Writer::String(std::string_view v) {
  // Map keys and short strings, the bulk of what merge patch and JSON conversion write: fixstr is
  // one header byte, 0xa0 | length, the bytes pack_str writes below 32 (msgpack_writer_test checks
  // every length against the packer), appended in one call instead of the packer's two.
  if (v.size() < 32) {
    char encoded[32];
    encoded[0] = static_cast<char>(0xa0 | v.size());
    std::memcpy(encoded + 1, v.data(), v.size());
    out_->append(encoded, v.size() + 1);
    return;
  }
  Pack(out_, [&](auto& packer) {
    packer.pack_str(Length32(v));
    packer.pack_str_body(v.data(), static_cast<uint32_t>(v.size()));
  });
}

void Writer::Binary(std::string_view v) {
  Pack(out_, [&](auto& packer) {
    packer.pack_bin(Length32(v));
    packer.pack_bin_body(v.data(), static_cast<uint32_t>(v.size()));
  });
}

void Writer::Ext(int8_t type, std::string_view payload) {
  Pack(out_, [&](auto& packer) {
    packer.pack_ext(Length32(payload), type);
    packer.pack_ext_body(payload.data(), static_cast<uint32_t>(payload.size()));
  });
}

void Writer::ArrayHeader(uint32_t count) {
  Pack(out_, [&](auto& packer) { packer.pack_array(count); });
}

void Writer::MapHeader(uint32_t count) {
  Pack(out_, [&](auto& packer) { packer.pack_map(count); });
}

}  // namespace daas::doc
