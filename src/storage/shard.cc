#include "storage/shard.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/coding.h"
#include "core/status_macros.h"
#include "storage/shard_file.h"

namespace daas::storage {
namespace {

constexpr uint32_t kHeaderBytes = Shard::kRecordHeaderBytes;
constexpr uint32_t kOwnAllocationBit = Shard::kOwnAllocationBit;
constexpr uint32_t kMinBlockBytes = 4u << 10;
constexpr uint32_t kMaxBlockBytes = 256u << 10;
// Records larger than this get their own allocation, so a few big documents do not pin whole blocks
// of garbage and compaction never copies them.
constexpr uint32_t kOwnAllocationThreshold = 16u << 10;
// A big shard's region: the full slot table, then an arena block filling the huge page.
constexpr size_t kRegionBytes = core::HugePageMemory::kHugePageBytes;
constexpr size_t kFullTableBytes = size_t{kSlotsPerShard} * sizeof(Slot);
static_assert(kFullTableBytes < kRegionBytes);
constexpr uint32_t kRegionArenaBytes = static_cast<uint32_t>(kRegionBytes - kFullTableBytes);
static_assert(kRegionArenaBytes > kHeaderBytes + kOwnAllocationThreshold);
// Arena blocks of a big shard: whole huge pages.
constexpr uint32_t kBigBlockBytes = static_cast<uint32_t>(core::HugePageMemory::kHugePageBytes);
static_assert(kBigBlockBytes > kHeaderBytes + kOwnAllocationThreshold);

uint32_t RecordHeader(const uint8_t* record) { return core::GetLittle<uint32_t>(record); }
uint32_t RecordLength(const uint8_t* record) { return RecordHeader(record) & ~kOwnAllocationBit; }

}  // namespace

static_assert(Shard::kHeapSlotLimit < kSlotsPerShard);

Shard::Shard(ShardId id, uint32_t collection_id) : id_(id), collection_id_(collection_id) {}

Shard::~Shard() { Clear(); }

void Shard::GrowSlots(uint32_t limit) {
  DAAS_CHECK(limit <= kSlotsPerShard);
  if (limit > slot_capacity_) {
    if (limit <= kHeapSlotLimit) {
      auto table = std::make_unique<Slot[]>(limit);  // value-initialized: every slot empty
      std::copy(slots_, slots_ + slot_limit_, table.get());
      heap_slots_ = std::move(table);
      slots_ = heap_slots_.get();
      slot_table_bytes_ = uint64_t{limit} * sizeof(Slot);
      slot_capacity_ = limit;
    } else {
      // The shard becomes big: one huge page for the final table and an arena block, so the table
      // never moves again.
      core::HugePageMemory region = core::HugePageMemory::Allocate(kRegionBytes);
      // The mapping is zeroed, which is the bytes of empty Slots; constructing them makes that
      // official for the language and costs one pass over memory touched anyway.
      Slot* table = std::uninitialized_value_construct_n(reinterpret_cast<Slot*>(region.data()),
                                                         kSlotsPerShard) -
                    kSlotsPerShard;
      std::copy(slots_, slots_ + slot_limit_, table);
      big_region_ = std::move(region);
      heap_slots_.reset();
      slots_ = table;
      slot_table_bytes_ = kRegionBytes;  // its arena half is counted here, used or not
      slot_capacity_ = kSlotsPerShard;
      region_arena_free_ = true;
      has_small_blocks_ = !blocks_.empty();
    }
  }
  slot_limit_ = limit;
}

Shard::Block Shard::NewBlock(uint32_t need, uint64_t expected) {
  Block b;
  if (region_arena_free_ && need <= kRegionArenaBytes) {
    region_arena_free_ = false;
    b.data = big_region_.data() + kFullTableBytes;
    b.size = kRegionArenaBytes;
    return b;  // already counted in slot_table_bytes_
  }
  uint32_t size;
  if (big_region_.data() != nullptr && (expected == 0 || need + expected >= kBigBlockBytes)) {
    // A big shard's blocks are huge pages, unless what is left to store would leave most of one
    // empty. expected == 0 means the shard is full: new records replace old ones and compaction
    // will bring the arena back, so no end is in sight.
    b.huge = core::HugePageMemory::Allocate(need);
    b.data = b.huge.data();
    b.size = static_cast<uint32_t>(b.huge.size());
    block_bytes_ += b.size;
    return b;
  } else if (big_region_.data() != nullptr) {
    // The tail of a filling big shard: just what is expected, with an eighth to spare.
    size = static_cast<uint32_t>(std::max<uint64_t>(kMaxBlockBytes, (need + expected) * 9 / 8));
  } else {
    size = blocks_.empty() ? kMinBlockBytes : std::min(kMaxBlockBytes, blocks_.back().size * 2);
  }
  size = std::max(size, need);
  b.heap.reset(new uint8_t[size]);
  b.data = b.heap.get();
  b.size = size;
  block_bytes_ += b.size;
  return b;
}

uint64_t Shard::ExpectedFillBytes() const {
  if (live_count_ == 0 || live_count_ >= kSlotsPerShard) return 0;
  const uint64_t average = (held_bytes_ + own_bytes_) / live_count_;
  return uint64_t{kSlotsPerShard - live_count_} * average;
}

void Shard::PutTime(uint8_t* p, uint64_t ms) {
  ms = std::min(ms, RecordMeta::kMaxTimeMs);
  core::PutLittle<uint32_t>(p, static_cast<uint32_t>(ms));
  core::PutLittle<uint16_t>(p + 4, static_cast<uint16_t>(ms >> 32));
}

uint8_t* Shard::AllocateRecord(std::string_view doc, const RecordMeta& meta, uint64_t expected) {
  DAAS_CHECK(doc.size() < kOwnAllocationBit);
  const uint32_t need = kHeaderBytes + static_cast<uint32_t>(doc.size());
  uint8_t* record;
  if (doc.size() > kOwnAllocationThreshold) {
    record = new uint8_t[need];
    own_bytes_ += need;
    core::PutLittle<uint32_t>(record, static_cast<uint32_t>(doc.size()) | kOwnAllocationBit);
  } else {
    if (blocks_.empty() || blocks_.back().size - blocks_.back().used < need) {
      blocks_.push_back(NewBlock(need, expected));
    }
    Block& b = blocks_.back();
    record = b.data + b.used;
    b.used += need;
    held_bytes_ += need;
    core::PutLittle<uint32_t>(record, static_cast<uint32_t>(doc.size()));
  }
  core::PutLittle<uint64_t>(record + 4, meta.version);
  PutTime(record + 12, meta.created_ms);
  PutTime(record + 18, meta.updated_ms);
  std::memcpy(record + kHeaderBytes, doc.data(), doc.size());
  return record;
}

Slot Shard::Put(uint16_t slot, uint64_t salt, std::string_view doc, const RecordMeta& meta) {
  DAAS_CHECK(salt != 0);
  if (slot >= slot_limit_) {
    // The growth a std::vector of slots had, so slot_limit() (and the free lists built from it at
    // open) do not depend on where the table lives.
    const uint32_t grow =
        std::max<uint32_t>(slot + 1u, std::min<uint32_t>(kSlotsPerShard, slot_limit_ * 2));
    GrowSlots(std::max<uint32_t>(grow, 64));
  }
  Slot old = slots_[slot];
  if (old.empty()) {
    ++live_count_;
  } else {
    live_bytes_ -= RecordLength(old.record);
  }
  slots_[slot] = Slot{salt, AllocateRecord(doc, meta, ExpectedFillBytes())};
  live_bytes_ += doc.size();
  MarkDirty();
  return old;
}

void Shard::SetVersion(uint16_t slot, uint64_t version) {
  DAAS_CHECK(slot < slot_limit_ && !slots_[slot].empty());
  core::PutLittle<uint64_t>(slots_[slot].record + 4, version);
}

Slot Shard::Take(uint16_t slot) {
  if (slot >= slot_limit_ || slots_[slot].empty()) return Slot{};
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
    DAAS_CHECK(slot < slot_limit_);
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

namespace {
// What a kept version costs beside its bytes: the entry, and its share of a map node.
constexpr uint64_t kOldVersionOverhead = 96;
}  // namespace

uint64_t Shard::KeepOld(uint16_t slot, const Slot& old, uint64_t until) {
  if (old.empty() || Version(old.record) == RecordMeta::kUncommitted) return 0;
  if (history_ == nullptr) {
    history_ = std::make_unique<History>();
    has_history_.store(true, std::memory_order_relaxed);
  }
  const std::string_view bytes = RecordBytes(old.record);
  (*history_)[slot].push_back(OldVersion{old.salt, until, Meta(old.record), std::string(bytes)});
  history_min_until_ = std::min(history_min_until_, until);
  const uint64_t held = bytes.size() + kOldVersionOverhead;
  history_bytes_ += held;
  return held;
}

bool Shard::GetOld(uint16_t slot, uint64_t salt, uint64_t lsn, std::string_view* doc,
                   RecordMeta* meta) const {
  const OldVersion* old = OldAt(slot, lsn);
  if (old == nullptr || old->salt != salt) return false;
  *doc = old->bytes;
  *meta = old->meta;
  return true;
}

uint64_t Shard::PruneHistory(uint64_t oldest) {
  // Nothing to drop (the common case while a snapshot stays open): no walk.
  if (history_ == nullptr || oldest < history_min_until_) return 0;
  uint64_t freed = 0;
  history_min_until_ = UINT64_MAX;
  for (auto it = history_->begin(); it != history_->end();) {
    std::vector<OldVersion>& chain = it->second;
    const auto gone = std::remove_if(chain.begin(), chain.end(), [&](const OldVersion& v) {
      if (v.until > oldest) {
        history_min_until_ = std::min(history_min_until_, v.until);
        return false;
      }
      freed += v.bytes.size() + kOldVersionOverhead;
      return true;
    });
    chain.erase(gone, chain.end());
    it = chain.empty() ? history_->erase(it) : std::next(it);
  }
  history_bytes_ -= freed;
  if (history_->empty()) ClearHistory();
  return freed;
}

void Shard::ClearHistory() {
  history_.reset();
  history_bytes_ = 0;
  history_min_until_ = UINT64_MAX;
  has_history_.store(false, std::memory_order_relaxed);
}

void Shard::MaybeCompact() {
  // Amortized: compaction copies at most as many live bytes as garbage was created since the last.
  // A shard that just became big compacts once to move the records of its small days (up to
  // kHeapSlotLimit of them, in heap blocks) into huge pages; it cannot do so while growing,
  // because records awaiting Retire must stay put until the batch settles.
  if ((dead_bytes_ > kMaxBlockBytes && dead_bytes_ > held_bytes_) || has_small_blocks_) Compact();
}

void Shard::Compact() {
  // Requires: no record is awaiting Retire (callers compact only after a batch settled), so every
  // record in the old blocks that matters is referenced by a slot.
  std::vector<Block> old_blocks;
  old_blocks.swap(blocks_);
  // The region's arena half, if in use, is among the old blocks: it is a source of the copy below
  // and free again only after it.
  const bool region_arena_was_used = big_region_.data() != nullptr && !region_arena_free_;
  const uint64_t live_bytes_in_blocks = held_bytes_;
  held_bytes_ = 0;
  dead_bytes_ = 0;
  block_bytes_ = 0;
  if (big_region_.data() != nullptr && !region_arena_free_ && live_bytes_in_blocks > 0 &&
      live_bytes_in_blocks + ExpectedFillBytes() < kBigBlockBytes) {
    // What survives fits in less than a huge block: one heap block of exactly its size, not 2 MiB
    // mostly empty. The region's arena half takes the writes that follow.
    Block b;
    b.size = static_cast<uint32_t>(live_bytes_in_blocks);
    b.heap.reset(new uint8_t[b.size]);
    b.data = b.heap.get();
    block_bytes_ += b.size;
    blocks_.push_back(std::move(b));
  }
  uint64_t left = live_bytes_in_blocks;
  const uint64_t fill = ExpectedFillBytes();
  for (uint32_t i = 0; i < slot_limit_; ++i) {
    Slot& s = slots_[i];
    if (s.empty() || (RecordHeader(s.record) & kOwnAllocationBit)) continue;
    const std::string_view bytes = RecordBytes(s.record);
    left -= kHeaderBytes + bytes.size();
    s.record = AllocateRecord(bytes, Meta(s.record), left + fill);
  }
  old_blocks.clear();
  has_small_blocks_ = false;
  if (region_arena_was_used) region_arena_free_ = true;
}

void Shard::Clear() {
  for (uint32_t i = 0; i < slot_limit_; ++i) {
    const Slot& s = slots_[i];
    if (!s.empty() && (RecordHeader(s.record) & kOwnAllocationBit)) delete[] s.record;
  }
  // Blocks first: the region's arena half may be one of them.
  std::vector<Block>().swap(blocks_);
  slots_ = nullptr;
  slot_limit_ = 0;
  slot_capacity_ = 0;
  heap_slots_.reset();
  big_region_.Reset();
  region_arena_free_ = false;
  has_small_blocks_ = false;
  live_count_ = 0;
  live_bytes_ = 0;
  held_bytes_ = 0;
  dead_bytes_ = 0;
  slot_table_bytes_ = 0;
  block_bytes_ = 0;
  own_bytes_ = 0;
  ClearHistory();
  MarkDirty();
}

void Shard::Discard() {
  Clear();
  cold_count_ = 0;
  cold_file_.reset();
  load_state_.store(LoadState::kLoaded, std::memory_order_release);
}

void Shard::SwapContents(Shard& other) {
  using std::swap;
  swap(slots_, other.slots_);
  swap(slot_limit_, other.slot_limit_);
  swap(slot_capacity_, other.slot_capacity_);
  swap(heap_slots_, other.heap_slots_);
  swap(big_region_, other.big_region_);
  swap(region_arena_free_, other.region_arena_free_);
  swap(has_small_blocks_, other.has_small_blocks_);
  swap(blocks_, other.blocks_);
  swap(live_count_, other.live_count_);
  swap(live_bytes_, other.live_bytes_);
  swap(held_bytes_, other.held_bytes_);
  swap(dead_bytes_, other.dead_bytes_);
  swap(slot_table_bytes_, other.slot_table_bytes_);
  swap(block_bytes_, other.block_bytes_);
  swap(own_bytes_, other.own_bytes_);
  swap(lsn_, other.lsn_);
}

void Shard::SetCold(uint32_t count, std::shared_ptr<const ShardFileView> file) {
  DAAS_CHECK(slot_limit_ == 0 && live_count_ == 0);
  cold_count_ = count;
  cold_file_ = std::move(file);
  load_state_.store(LoadState::kCold, std::memory_order_release);
}

bool Shard::BeginLoad() {
  LoadState expected = LoadState::kCold;
  return load_state_.compare_exchange_strong(expected, LoadState::kLoading,
                                             std::memory_order_acq_rel);
}

void Shard::EndLoad(bool ok) {
  DAAS_CHECK(load_state_.load(std::memory_order_relaxed) == LoadState::kLoading);
  if (ok) {
    cold_count_ = 0;
    cold_file_.reset();
  }
  // A loaded shard is what its file says, and a failed one keeps naming its file: nothing to
  // write at the next checkpoint.
  ClearDirty();
  load_state_.store(ok ? LoadState::kLoaded : LoadState::kFailed, std::memory_order_release);
}

Result<bool> Shard::ReadsFromFile() const {
  if (cold_file_ == nullptr) return false;
  return cold_file_->PointReads();
}

Result<Shard::FileRead> Shard::GetFromFile(uint16_t slot, uint64_t salt, std::string_view* doc,
                                           RecordMeta* meta) const {
  DAAS_ASSIGN_OR_RETURN(const bool point_reads, ReadsFromFile());
  if (!point_reads) return FileRead::kLoadFirst;
  // A shard that is not loaded takes no write (writers load it first): its file is its content.
  DAAS_ASSIGN_OR_RETURN(const bool found, cold_file_->Find(slot, salt, doc, meta));
  return found ? FileRead::kFound : FileRead::kAbsent;
}

void Shard::AbortLoad() {
  DAAS_CHECK(load_state_.load(std::memory_order_relaxed) == LoadState::kLoading);
  load_state_.store(LoadState::kCold, std::memory_order_release);
}

}  // namespace daas::storage
