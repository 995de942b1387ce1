#include "storage/shard.h"

#include <algorithm>
#include <cstring>

#include "core/coding.h"
#include "core/status_macros.h"

namespace daas::storage {
namespace {

constexpr uint32_t kHeaderBytes = 4;
constexpr uint32_t kOwnAllocationBit = 1u << 31;
constexpr uint32_t kMinBlockBytes = 4u << 10;
constexpr uint32_t kMaxBlockBytes = 256u << 10;
// Records larger than this get their own allocation, so a few big documents do not pin whole blocks
// of garbage and compaction never copies them.
constexpr uint32_t kOwnAllocationThreshold = 16u << 10;

uint32_t RecordHeader(const uint8_t* record) { return core::GetLittle<uint32_t>(record); }
uint32_t RecordLength(const uint8_t* record) { return RecordHeader(record) & ~kOwnAllocationBit; }

}  // namespace

Shard::Shard(ShardId id, uint32_t collection_id) : id_(id), collection_id_(collection_id) {}

Shard::~Shard() { Clear(); }

std::string_view Shard::RecordBytes(const uint8_t* record) {
  return {reinterpret_cast<const char*>(record + kHeaderBytes), RecordLength(record)};
}

bool Shard::Get(uint16_t slot, uint64_t salt, std::string_view* doc) const {
  if (slot >= slots_.size()) return false;
  const Slot& s = slots_[slot];
  // An empty slot has salt 0, and callers never pass salt 0 (the null ID is rejected at parse), but
  // check anyway: returning nothing for the null ID is part of the contract.
  if (s.salt != salt || salt == 0) return false;
  *doc = RecordBytes(s.record);
  return true;
}

uint8_t* Shard::AllocateRecord(std::string_view doc) {
  DAAS_CHECK(doc.size() < kOwnAllocationBit);
  const uint32_t need = kHeaderBytes + static_cast<uint32_t>(doc.size());
  uint8_t* record;
  if (doc.size() > kOwnAllocationThreshold) {
    record = new uint8_t[need];
    own_bytes_ += need;
    core::PutLittle<uint32_t>(record, static_cast<uint32_t>(doc.size()) | kOwnAllocationBit);
  } else {
    if (blocks_.empty() || blocks_.back().size - blocks_.back().used < need) {
      uint32_t size =
          blocks_.empty() ? kMinBlockBytes : std::min(kMaxBlockBytes, blocks_.back().size * 2);
      size = std::max(size, need);
      blocks_.push_back(Block{std::unique_ptr<uint8_t[]>(new uint8_t[size]), size, 0});
      block_bytes_ += size;
    }
    Block& b = blocks_.back();
    record = b.data.get() + b.used;
    b.used += need;
    held_bytes_ += need;
    core::PutLittle<uint32_t>(record, static_cast<uint32_t>(doc.size()));
  }
  std::memcpy(record + kHeaderBytes, doc.data(), doc.size());
  return record;
}

Slot Shard::Put(uint16_t slot, uint64_t salt, std::string_view doc) {
  DAAS_CHECK(salt != 0);
  if (slot >= slots_.size()) {
    size_t grow = std::max<size_t>(slot + 1, std::min<size_t>(kSlotsPerShard, slots_.size() * 2));
    slots_.resize(std::max<size_t>(grow, 64));
  }
  Slot old = slots_[slot];
  if (old.empty()) {
    ++live_count_;
  } else {
    live_bytes_ -= RecordLength(old.record);
  }
  slots_[slot] = Slot{salt, AllocateRecord(doc)};
  live_bytes_ += doc.size();
  MarkDirty();
  return old;
}

Slot Shard::Take(uint16_t slot) {
  if (slot >= slots_.size() || slots_[slot].empty()) return Slot{};
  Slot old = slots_[slot];
  slots_[slot] = Slot{};
  --live_count_;
  live_bytes_ -= RecordLength(old.record);
  MarkDirty();
  return old;
}

Slot Shard::Restore(uint16_t slot, Slot old) {
  Slot current = Take(slot);
  if (!old.empty()) {
    DAAS_CHECK(slot < slots_.size());
    slots_[slot] = old;
    ++live_count_;
    live_bytes_ += RecordLength(old.record);
  }
  return current;
}

void Shard::Retire(Slot old) {
  if (old.empty()) return;
  const uint32_t header = RecordHeader(old.record);
  const uint64_t bytes = kHeaderBytes + (header & ~kOwnAllocationBit);
  if (header & kOwnAllocationBit) {
    own_bytes_ -= bytes;
    delete[] old.record;
  } else {
    held_bytes_ -= bytes;
    dead_bytes_ += bytes;
  }
}

void Shard::MaybeCompact() {
  // Amortized: compaction copies at most as many live bytes as garbage was created since the last.
  if (dead_bytes_ > kMaxBlockBytes && dead_bytes_ > held_bytes_) Compact();
}

void Shard::Compact() {
  // Requires: no record is awaiting Retire (callers compact only after a batch settled), so every
  // record in the old blocks that matters is referenced by a slot.
  std::vector<Block> old_blocks;
  old_blocks.swap(blocks_);
  held_bytes_ = 0;
  dead_bytes_ = 0;
  block_bytes_ = 0;
  for (Slot& s : slots_) {
    if (s.empty() || (RecordHeader(s.record) & kOwnAllocationBit)) continue;
    s.record = AllocateRecord(RecordBytes(s.record));
  }
}

void Shard::Clear() {
  for (Slot& s : slots_) {
    if (!s.empty() && (RecordHeader(s.record) & kOwnAllocationBit)) delete[] s.record;
  }
  std::vector<Slot>().swap(slots_);
  std::vector<Block>().swap(blocks_);
  live_count_ = 0;
  live_bytes_ = 0;
  held_bytes_ = 0;
  dead_bytes_ = 0;
  block_bytes_ = 0;
  own_bytes_ = 0;
  MarkDirty();
}

}  // namespace daas::storage
