// DocId: the 112-bit document identifier `salt (64) | shard (32) | slot (16)` (docs/format/ids.md).
//
// Invariant: a live document's salt is never 0; a DocId with salt 0 is the null ID and names
// nothing. The salt is drawn from a CSPRNG at insert and checked on every lookup, so a guessed ID,
// or a stale ID whose slot was reused, finds nothing.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "daas/status.h"

namespace daas {

// Shard IDs are unique per database and never reused. Strong type so it cannot mix with a slot.
struct ShardId {
  uint32_t value = 0;
  friend constexpr auto operator<=>(ShardId, ShardId) = default;
};

class DocId {
 public:
  static constexpr size_t kBinarySize = 14;  // salt (8) | shard (4) | slot (2), big-endian
  static constexpr size_t kTextSize = 19;    // order-preserving base64 of the binary form

  constexpr DocId() = default;  // the null ID
  constexpr DocId(uint64_t salt, ShardId shard, uint16_t slot)
      : salt_(salt), shard_(shard.value), slot_(slot) {}

  constexpr uint64_t salt() const { return salt_; }
  constexpr ShardId shard() const { return ShardId{shard_}; }
  constexpr uint16_t slot() const { return slot_; }
  constexpr bool is_null() const { return salt_ == 0; }

  std::array<uint8_t, kBinarySize> ToBinary() const;
  // Fails with InvalidArgument unless `bytes` is exactly 14 bytes with a nonzero salt.
  static Result<DocId> FromBinary(std::span<const uint8_t> bytes);

  // The 19-character URL-safe text form.
  std::string ToString() const;
  // Fails with InvalidArgument naming the offending character and offset, a wrong length, or a
  // non-canonical encoding (every ID has exactly one text form).
  static Result<DocId> Parse(std::string_view text);

  // Storage order: (shard, slot), then salt. Collections iterate in this order.
  friend constexpr auto operator<=>(const DocId& a, const DocId& b) {
    if (auto c = a.shard_ <=> b.shard_; c != 0) return c;
    if (auto c = a.slot_ <=> b.slot_; c != 0) return c;
    return a.salt_ <=> b.salt_;
  }
  friend constexpr bool operator==(const DocId&, const DocId&) = default;

 private:
  uint64_t salt_ = 0;
  uint32_t shard_ = 0;
  uint16_t slot_ = 0;
};

}  // namespace daas
