// Shard: up to 65,536 documents of one collection, addressed by slot (DESIGN.md §3).
//
// A slot holds the document's salt and a pointer to its record in the shard's arena:
//   record := len u32 (bit 31: record has its own allocation) | version u64 | created_ms u48
//             | updated_ms u48 | MessagePack bytes [len]
// so a document costs 40 bytes beyond its own bytes (16-byte slot + 24-byte record header).
//
// Invariant: slot.salt == 0 <=> the slot is empty, and an empty slot's record is null.
// A record pointer stays valid while the shard lock is held; records move only in Compact(), which
// requires the lock exclusively, so readers copy bytes out (or use them) before unlocking.
//
// Memory: a small shard grows like a vector (slot table doubling, arena blocks 4 KiB doubling to
// 256 KiB), so a small collection costs kilobytes. Once the slot table outgrows kHeapSlotLimit the
// shard is big: its full 65,536-slot table (1 MiB) moves into a 2 MiB huge page whose other half
// is an arena block, further arena blocks are 2 MiB huge pages, and the next MaybeCompact() moves
// the records of its small days into them. Only the tail of a filling shard, when what its free
// slots are expected to take would leave most of a huge page empty, goes to a heap block sized for
// it. Random point reads then find slot and record through a few hundred TLB entries for a million
// documents instead of missing the TLB on both. memory_bytes() counts every byte held, huge pages
// whole.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/coding.h"
#include "core/huge_page_memory.h"
#include "core/mutex.h"
#include "daas/doc_id.h"
#include "daas/status.h"

namespace daas::storage {

inline constexpr uint32_t kSlotsPerShard = 65536;

class ShardFileView;  // shard_file.h

// What a stored document carries beside its bytes (docs/format/document.md, "Versions and
// times").
struct RecordMeta {
  uint64_t version = 0;     // LSN of the commit that last wrote the document
  uint64_t created_ms = 0;  // Unix time (ms) of the commit that inserted it; 0: not known
  uint64_t updated_ms = 0;  // of the commit that last wrote it; 0: not known
  // Times are kept in 48 bits (until the year 10889); later ones are stored as this.
  static constexpr uint64_t kMaxTimeMs = (uint64_t{1} << 48) - 1;
  // The version of a record the running commit stored, until it has its LSN (SetVersion).
  static constexpr uint64_t kUncommitted = UINT64_MAX;
  bool operator==(const RecordMeta&) const = default;
};

struct Slot {
  uint64_t salt = 0;
  uint8_t* record = nullptr;
  bool empty() const { return salt == 0; }
};

// Lazy loading (DESIGN.md §5, "open is lazy"): a shard the manifest names starts cold. It knows
// how many documents its file holds (live_count()) and keeps the file open for reading in place
// (cold_file()) until the engine loads the file into it:
//   kCold --BeginLoad--> kLoading --EndLoad(true)--> kLoaded
//                                 --EndLoad(false)--> kFailed   (the file was damaged)
//                                 --AbortLoad--> kCold          (the load was cancelled)
//   and Discard() --> kLoaded (empty).
// Only a kLoaded shard's slots and records may be read or written. Until then, point reads go to
// cold_file() (a failed shard keeps it: a document whose own bytes are intact is still read), and
// everything else loads the shard first.
//
// Thread-safety: every method except id(), collection_id(), mu(), load_state(), loaded() and
// BeginLoad() requires mu() held: shared for const methods, exclusive for the rest. Callers that
// lock several shards lock them in ShardId order.
class Shard {
 public:
  enum class LoadState : uint8_t { kLoaded, kCold, kLoading, kFailed };

  // The record grammar of the file comment.
  static constexpr uint32_t kRecordHeaderBytes = 24;
  static constexpr uint32_t kOwnAllocationBit = 1u << 31;

  Shard(ShardId id, uint32_t collection_id);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  ShardId id() const { return id_; }
  uint32_t collection_id() const { return collection_id_; }
  core::SharedMutex* mu() const { return &mu_; }

  // --- reads (shared lock) ---

  // The document in `slot` if the slot holds `salt`; false for an empty slot or another salt.
  // Inline: it is the whole of a point read.
  bool Get(uint16_t slot, uint64_t salt, std::string_view* doc) const {
    if (slot >= slot_limit_) return false;
    const Slot& s = slots_[slot];
    // An empty slot has salt 0, and callers never pass salt 0 (the null ID is rejected at parse),
    // but check anyway: returning nothing for the null ID is part of the contract.
    if (s.salt != salt || salt == 0) return false;
    // The record is a second cache miss after the slot's; a typical document spans two or three
    // lines past its header, so ask for the next one now instead of after the header arrives.
    __builtin_prefetch(s.record + 64);
    *doc = RecordBytes(s.record);
    return true;
  }
  // Hints for a batch of point reads (Database::GetMany): bring `slot`'s entry into the cache,
  // then, once it is there, its record, so that the reads of a batch overlap their misses.
  void PrefetchSlot(uint16_t slot) const {
    if (slot < slot_limit_) __builtin_prefetch(&slots_[slot]);
  }
  void PrefetchRecord(uint16_t slot) const {
    if (slot < slot_limit_ && slots_[slot].record != nullptr) {
      __builtin_prefetch(slots_[slot].record);
      __builtin_prefetch(slots_[slot].record + 64);
    }
  }
  // Get(), and the document's RecordMeta.
  bool Get(uint16_t slot, uint64_t salt, std::string_view* doc, RecordMeta* meta) const {
    if (!Get(slot, salt, doc)) return false;
    *meta = Meta(slots_[slot].record);
    return true;
  }
  // Requires: index < slot_limit().
  const Slot& slot(uint16_t index) const { return slots_[index]; }
  static std::string_view RecordBytes(const uint8_t* record) {
    return {reinterpret_cast<const char*>(record + kRecordHeaderBytes),
            core::GetLittle<uint32_t>(record) & ~kOwnAllocationBit};
  }
  static RecordMeta Meta(const uint8_t* record) {
    return RecordMeta{core::GetLittle<uint64_t>(record + 4), GetTime(record + 12),
                      GetTime(record + 18)};
  }
  static uint64_t Version(const uint8_t* record) { return core::GetLittle<uint64_t>(record + 4); }
  // Slots [0, slot_limit()) may be occupied; all above are empty.
  uint32_t slot_limit() const { return slot_limit_; }
  // Documents in the shard; for a shard not loaded (cold, loading or failed), in its file, as the
  // file's verified header says.
  uint32_t live_count() const { return live_count_ + cold_count_; }
  // Get() for a shard that is not loaded, from its file: the document in `slot` under `salt` and
  // its meta, read and verified in place (ShardFileView::Find); *doc stays valid while the lock
  // is held.
  // kLoadFirst when the file cannot answer point reads (version 1, or the shard has no file): the
  // shard must be loaded, then read with Get(). Errors: Corruption naming the file and byte offset
  // when the bytes it needs are damaged (ShardFileView::Bytes, Find). Requires the shared lock
  // and !loaded().
  enum class FileRead : uint8_t { kFound, kAbsent, kLoadFirst };
  Result<FileRead> GetFromFile(uint16_t slot, uint64_t salt, std::string_view* doc,
                               RecordMeta* meta) const;
  // Whether GetFromFile can answer for this shard, which is not loaded (it does not say
  // kLoadFirst). Errors: as GetFromFile. Requires the shared lock and !loaded().
  Result<bool> ReadsFromFile() const;
  // The shard's file while it is not loaded, else null. Valid while the lock is held (shared is
  // enough); to keep it longer, copy cold_file_ref().
  const ShardFileView* cold_file() const { return cold_file_.get(); }
  std::shared_ptr<const ShardFileView> cold_file_ref() const { return cold_file_; }
  // Calls fn(DocId, bytes) for each document in slot order until fn returns false. Returns false
  // when fn stopped the walk.
  template <typename Fn>
  bool ForEach(Fn&& fn) const {
    return ForEachFrom(0, fn);
  }
  // ForEach, starting at slot `first`.
  template <typename Fn>
  bool ForEachFrom(uint32_t first, Fn&& fn) const {
    const uint32_t limit = slot_limit();
    for (uint32_t i = first; i < limit; ++i) {
      const Slot& s = slots_[i];
      if (!s.empty() && !fn(DocId(s.salt, id_, static_cast<uint16_t>(i)), RecordBytes(s.record))) {
        return false;
      }
    }
    return true;
  }
  // Sum of live documents' MessagePack sizes.
  uint64_t live_bytes() const { return live_bytes_; }
  // Memory the shard holds: slot table, arena blocks and records with their own allocation.
  uint64_t memory_bytes() const { return slot_table_bytes_ + block_bytes_ + own_bytes_; }
  // True when a write changed the shard since ClearDirty(). A checkpoint reads and clears it under
  // the shared lock (checkpoints are serialized by the database), writers set it under the
  // exclusive lock: the lock orders them, so relaxed atomics suffice; atomic because a checkpoint's
  // shared lock does not exclude other readers' threads from the same object.
  bool dirty() const { return dirty_.load(std::memory_order_relaxed); }

  // --- writes (exclusive lock) ---

  // Stores `doc` with `meta` in `slot` under `salt` and returns what the slot held before (empty
  // if free). The old record stays readable until Retire(old), so a failed batch can Restore() it.
  Slot Put(uint16_t slot, uint64_t salt, std::string_view doc, const RecordMeta& meta);
  // Sets the version of the document in `slot`, which a Put of the running commit stored (its LSN
  // is known only once the commit's record is logged). Requires: the slot holds a document.
  void SetVersion(uint16_t slot, uint64_t version);
  // Empties `slot`, returning what it held; the record stays readable until Retired.
  Slot Take(uint16_t slot);
  // Puts `old` back into `slot` and returns what the slot held (to be Retired by the caller).
  Slot Restore(uint16_t slot, Slot old);
  // Declares a record returned by Put/Take/Restore garbage. Its memory is reused by Compact().
  void Retire(Slot old);
  // Moves live records into fresh blocks when more than half the arena is garbage, or once after
  // the shard became big (see the file comment). Invalidates every record pointer obtained before.
  // Requires: no record awaits Retire.
  void MaybeCompact();
  // Moves live records into fresh blocks now, whatever the garbage, and frees the old blocks.
  // Invalidates every record pointer obtained before. Requires: no record awaits Retire.
  void Compact();
  // Empties the shard and frees its memory. Leaves the load state, the cold file and its count
  // alone.
  void Clear();
  // Clear(), for good (the collection was dropped): a cold or loading shard counts as loaded, and
  // empty, afterwards, so a load in progress stores nothing; the cold file is let go.
  void Discard();
  // Exchanges everything the shard holds (slots, records, counts, lsn) with `other`, an unshared
  // shard (a load fills one without any lock, then swaps it in). Leaves ids, load states, cold
  // files and dirty flags alone. Requires this shard's lock exclusively.
  void SwapContents(Shard& other);

  // --- old versions, kept for snapshots (engine/snapshot_registry.h) ---
  //
  // While a snapshot is open, a commit keeps a copy of each record it overwrote or deleted as the
  // version its slot held until the commit's LSN. A read as of LSN `lsn` sees, in each slot, the
  // current record if its version <= lsn, else the kept version with version <= lsn < until (at
  // most one: a slot holds one document at a time), else nothing. Kept versions survive
  // Compact(); Clear() and Discard() drop them.

  // Keeps a copy of `old` (what Put or Take returned, not retired yet) as the version `slot` held
  // until `until`. Returns the bytes it holds for it; 0 for an empty `old`, and for one the
  // running commit wrote (version kUncommitted: no one else saw it).
  uint64_t KeepOld(uint16_t slot, const Slot& old, uint64_t until);
  // Get() as of `lsn`.
  bool GetAt(uint16_t slot, uint64_t salt, uint64_t lsn, std::string_view* doc,
             RecordMeta* meta) const {
    if (slot < slot_limit_) {
      const Slot& s = slots_[slot];
      if (s.salt == salt && salt != 0) {
        __builtin_prefetch(s.record + 64);  // as Get() does
        if (Version(s.record) <= lsn) [[likely]] {
          *doc = RecordBytes(s.record);
          *meta = Meta(s.record);
          return true;
        }
      }
    }
    return history_ != nullptr && GetOld(slot, salt, lsn, doc, meta);
  }
  // ForEachFrom() as of `lsn`.
  template <typename Fn>
  bool ForEachAt(uint32_t first, uint64_t lsn, Fn&& fn) const {
    if (history_ == nullptr) {
      return ForEachFrom(first, [&](DocId id, std::string_view bytes) {
        return Version(slots_[id.slot()].record) > lsn || fn(id, bytes);
      });
    }
    auto kept = history_->lower_bound(static_cast<uint16_t>(std::min(first, kSlotsPerShard - 1)));
    const uint32_t limit = slot_limit();
    for (uint32_t i = first; i < limit; ++i) {
      const Slot& s = slots_[i];
      const auto slot = static_cast<uint16_t>(i);
      if (!s.empty() && Version(s.record) <= lsn) {
        if (!fn(DocId(s.salt, id_, slot), RecordBytes(s.record))) return false;
        continue;
      }
      while (kept != history_->end() && kept->first < i) ++kept;
      if (kept == history_->end() || kept->first != i) continue;
      if (const OldVersion* old = Visible(kept->second, lsn); old != nullptr) {
        if (!fn(DocId(old->salt, id_, slot), std::string_view(old->bytes))) return false;
      }
    }
    return true;
  }
  // Drops the kept versions no read at or after `oldest` can see (until <= oldest). Returns the
  // bytes freed.
  uint64_t PruneHistory(uint64_t oldest);
  // Bytes held for kept versions.
  uint64_t history_bytes() const { return history_bytes_; }
  // Whether the shard keeps old versions. Lock-free (relaxed): a hint, to act on under the lock.
  bool has_history() const { return has_history_.load(std::memory_order_relaxed); }

  // --- lazy loading (see the class comment) ---

  // Lock-free; acquire, so a thread that sees kLoaded sees everything the load stored.
  LoadState load_state() const { return load_state_.load(std::memory_order_acquire); }
  bool loaded() const { return load_state() == LoadState::kLoaded; }
  // Marks an empty shard cold, its file `file` holding `count` documents. Requires the exclusive
  // lock or a shard no other thread can see yet.
  void SetCold(uint32_t count, std::shared_ptr<const ShardFileView> file);
  // kCold -> kLoading. True for the one caller that made the move, which must then EndLoad or
  // AbortLoad. That caller reads the file into a shard of its own without any lock, then takes
  // this one's exclusively, checks that the state is still kLoading (Discard() may have come
  // first), swaps the contents in and ends the load. Lock-free.
  bool BeginLoad();
  // kLoading -> kLoaded when `ok` (the cold file is let go), else kFailed (the shard stays empty,
  // and keeps its file and count). Requires the exclusive lock and state kLoading.
  void EndLoad(bool ok);
  // kLoading -> kCold: the load was cancelled and nothing was stored. Requires the exclusive lock
  // and state kLoading.
  void AbortLoad();

  // The log position of the last commit applied to this shard (0: none since the log began).
  uint64_t lsn() const { return lsn_; }
  void set_lsn(uint64_t lsn) { lsn_ = lsn; }

  void ClearDirty() const { dirty_.store(false, std::memory_order_relaxed); }
  void MarkDirty() const { dirty_.store(true, std::memory_order_relaxed); }

  // A slot table larger than this many slots makes the shard big (see the file comment).
  static constexpr uint32_t kHeapSlotLimit = 16384;
  // True once the shard is big. For tests.
  bool big_for_testing() const { return big_region_.data() != nullptr; }

 private:
  // An arena block. Owns its memory through `heap` or `huge`, or neither for the arena half of
  // big_region_.
  struct Block {
    uint8_t* data = nullptr;
    uint32_t size = 0;
    uint32_t used = 0;
    std::unique_ptr<uint8_t[]> heap;
    core::HugePageMemory huge;
  };

  // A version of a slot that is no longer current.
  struct OldVersion {
    uint64_t salt;
    uint64_t until;  // the LSN of the commit that overwrote or deleted it
    RecordMeta meta;
    std::string bytes;
  };
  using History = std::map<uint16_t, std::vector<OldVersion>>;  // by slot, oldest first

  // GetAt() from the kept versions.
  bool GetOld(uint16_t slot, uint64_t salt, uint64_t lsn, std::string_view* doc,
              RecordMeta* meta) const;
  // The kept version of `slot` a read as of `lsn` sees, else null.
  const OldVersion* OldAt(uint16_t slot, uint64_t lsn) const {
    if (history_ == nullptr) return nullptr;
    auto it = history_->find(slot);
    return it == history_->end() ? nullptr : Visible(it->second, lsn);
  }
  static const OldVersion* Visible(const std::vector<OldVersion>& chain, uint64_t lsn) {
    for (const OldVersion& v : chain) {
      if (v.meta.version <= lsn && lsn < v.until) return &v;
    }
    return nullptr;
  }
  // Drops every kept version.
  void ClearHistory();

  // A record header's 48-bit little-endian times.
  static uint64_t GetTime(const uint8_t* p) {
    return core::GetLittle<uint32_t>(p) | uint64_t{core::GetLittle<uint16_t>(p + 4)} << 32;
  }
  static void PutTime(uint8_t* p, uint64_t ms);
  // `expected`: bytes the caller expects to store soon after this record (sizes the next block).
  uint8_t* AllocateRecord(std::string_view doc, const RecordMeta& meta, uint64_t expected);
  // A fresh block with room for `need` bytes; adds what it allocates to block_bytes_.
  Block NewBlock(uint32_t need, uint64_t expected);
  // Bytes the free slots would take at the current average record size; 0 when full.
  uint64_t ExpectedFillBytes() const;
  // Makes slots [0, limit) addressable; limit <= kSlotsPerShard.
  void GrowSlots(uint32_t limit);

  const ShardId id_;
  const uint32_t collection_id_;
  mutable core::SharedMutex mu_;
  std::atomic<LoadState> load_state_{LoadState::kLoaded};
  uint32_t cold_count_ = 0;  // documents in the file while not loaded
  // The file while not loaded. Shared with loaders and readers that copied it (cold_file_ref()).
  std::shared_ptr<const ShardFileView> cold_file_;

  Slot* slots_ = nullptr;    // slot_capacity_ slots, in heap_slots_ or big_region_
  uint32_t slot_limit_ = 0;  // <= slot_capacity_; grows like a vector's size did
  uint32_t slot_capacity_ = 0;
  std::unique_ptr<Slot[]> heap_slots_;  // the table of a small shard
  // A big shard's table (first half) and an arena block (second half), one huge page.
  core::HugePageMemory big_region_;
  bool region_arena_free_ = false;  // the second half of big_region_ is in no block
  bool has_small_blocks_ = false;   // big, but some blocks are from its small days
  std::vector<Block> blocks_;
  uint32_t live_count_ = 0;
  uint64_t live_bytes_ = 0;
  uint64_t held_bytes_ = 0;        // records in blocks not yet retired, headers included
  uint64_t dead_bytes_ = 0;        // retired records still inside blocks
  uint64_t slot_table_bytes_ = 0;  // heap_slots_ or all of big_region_
  uint64_t block_bytes_ = 0;       // sum of the sizes of blocks owning their memory
  uint64_t own_bytes_ = 0;         // records with their own allocation, not yet retired
  mutable std::atomic<bool> dirty_{false};
  uint64_t lsn_ = 0;
  std::unique_ptr<History> history_;  // null when empty
  uint64_t history_bytes_ = 0;
  uint64_t history_min_until_ = UINT64_MAX;  // the least `until` in history_
  std::atomic<bool> has_history_{false};     // history_ != nullptr, for has_history()
};

}  // namespace daas::storage
