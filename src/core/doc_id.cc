#include "daas/doc_id.h"

#include <string>

#include "core/coding.h"

namespace daas {
namespace {

// Order-preserving URL-safe alphabet: ASCII order equals digit order, so the text form of two IDs
// sorts like their binary form.
constexpr char kAlphabet[] = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
static_assert(sizeof(kAlphabet) == 65);

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

std::array<uint8_t, DocId::kBinarySize> DocId::ToBinary() const {
  std::array<uint8_t, kBinarySize> out;
  core::PutBig64(out.data(), salt_);
  core::PutBig32(out.data() + 8, shard_);
  core::PutBig16(out.data() + 12, slot_);
  return out;
}

Result<DocId> DocId::FromBinary(std::span<const uint8_t> bytes) {
  if (bytes.size() != kBinarySize) {
    return Status::InvalidArgument("binary document ID must be 14 bytes, got " +
                                   std::to_string(bytes.size()));
  }
  DocId id(core::GetBig64(bytes.data()), ShardId{core::GetBig32(bytes.data() + 8)},
           core::GetBig16(bytes.data() + 12));
  if (id.is_null()) return Status::InvalidArgument("binary document ID has a zero salt");
  return id;
}

std::string DocId::ToString() const {
  // 112 bits -> 19 sextets; the last sextet carries 4 data bits and 2 zero bits.
  const auto bin = ToBinary();
  std::string out(kTextSize, '\0');
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (uint8_t b : bin) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out[o++] = kAlphabet[(acc >> bits) & 63];
    }
  }
  out[o++] = kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

Result<DocId> DocId::Parse(std::string_view text) {
  if (text.size() != kTextSize) {
    return Status::InvalidArgument("document ID must be " + std::to_string(kTextSize) +
                                   " characters, got " + std::to_string(text.size()));
  }
  std::array<uint8_t, kBinarySize> bin{};
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const int8_t v = kDecode[static_cast<uint8_t>(text[i])];
    if (v < 0) {
      return Status::InvalidArgument("document ID has an invalid character at offset " +
                                     std::to_string(i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o < kBinarySize) bin[o++] = static_cast<uint8_t>(acc >> bits);
    }
  }
  // 19 * 6 = 114 bits: the 2 bits left over must be zero, so each ID has one spelling.
  if ((acc & ((1u << bits) - 1)) != 0) {
    return Status::InvalidArgument("document ID is not in canonical form (last character)");
  }
  auto id = FromBinary(bin);
  if (!id.ok()) return Status::InvalidArgument("document ID has a zero salt");
  return id;
}

}  // namespace daas
