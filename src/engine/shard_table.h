// ShardTable: ShardId -> Shard*, read without locks on every document lookup, and the allocator
// of shard IDs.
//
// Invariant: an entry, once published, never changes and its Shard lives until the table is
// destroyed (dropped collections leave empty shards behind), so a reader holding a Shard* needs no
// reclamation scheme.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <vector>

#include "core/mutex.h"
#include "daas/status.h"
#include "storage/shard.h"

namespace daas::engine {

class ShardTable {
 public:
  static constexpr uint32_t kChunkBits = 12;
  static constexpr uint32_t kChunkSize = 1u << kChunkBits;
  static constexpr uint32_t kChunks = 4096;
  // Shard IDs run from 1 to kMaxShardId: 16.7 million shards of 65,536 documents.
  static constexpr uint32_t kMaxShardId = kChunks * kChunkSize - 1;

  ShardTable() = default;
  ~ShardTable();
  ShardTable(const ShardTable&) = delete;
  ShardTable& operator=(const ShardTable&) = delete;

  // The shard with this ID, or null. Thread-safe, lock-free.
  storage::Shard* Find(ShardId id) const {
    const uint32_t chunk = id.value >> kChunkBits;
    if (chunk >= kChunks) return nullptr;
    // acquire: pairs with the release in Add, so the chunk and shard are seen fully constructed.
    const Chunk* c = chunks_[chunk].load(std::memory_order_acquire);
    if (c == nullptr) return nullptr;
    return c->shards[id.value & (kChunkSize - 1)].load(std::memory_order_acquire);
  }

  // Takes ownership and publishes. Requires: the ID is in range and not yet used. Thread-safe.
  storage::Shard* Add(std::unique_ptr<storage::Shard> shard) DAAS_EXCLUDES(mu_);
  // Creates and publishes an empty shard of collection `collection_id` under the next unused ID.
  // ResourceExhausted when IDs run out. Thread-safe.
  Result<storage::Shard*> New(uint32_t collection_id) DAAS_EXCLUDES(mu_);

  // The ID New hands out next (the manifest records it, so IDs are never reused).
  uint32_t next_id() const { return next_id_.load(std::memory_order_relaxed); }
  // Makes New hand out IDs from `id` on, unless they already start later (open).
  void RaiseNextId(uint32_t id) {
    uint32_t cur = next_id_.load(std::memory_order_relaxed);
    while (cur < id && !next_id_.compare_exchange_weak(cur, id, std::memory_order_relaxed)) {
    }
  }

 private:
  struct Chunk {
    std::array<std::atomic<storage::Shard*>, kChunkSize> shards{};
  };

  core::Mutex mu_;  // serializes Add; readers do not take it
  std::array<std::atomic<Chunk*>, kChunks> chunks_{};
  std::vector<std::unique_ptr<storage::Shard>> owned_ DAAS_GUARDED_BY(mu_);
  std::atomic<uint32_t> next_id_{1};
};

}  // namespace daas::engine
