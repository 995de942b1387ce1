#include "engine/shard_table.h"

#include "core/status_macros.h"
#include "storage/manifest.h"

namespace daas::engine {

static_assert(ShardTable::kMaxShardId == storage::kMaxShardId,
              "the shard table holds every shard ID the format allows");

ShardTable::~ShardTable() {
  for (auto& c : chunks_) delete c.load(std::memory_order_relaxed);  // no readers remain
}

storage::Shard* ShardTable::Add(std::unique_ptr<storage::Shard> shard) {
  core::MutexLock l(&mu_);
  const uint32_t id = shard->id().value;
  DAAS_CHECK(id != 0 && id <= kMaxShardId);
  std::atomic<Chunk*>& slot = chunks_[id >> kChunkBits];
  Chunk* chunk = slot.load(std::memory_order_relaxed);  // writers are serialized by mu_
  if (chunk == nullptr) {
    chunk = new Chunk();
    slot.store(chunk, std::memory_order_release);
  }
  storage::Shard* raw = shard.get();
  DAAS_CHECK(chunk->shards[id & (kChunkSize - 1)].load(std::memory_order_relaxed) == nullptr);
  owned_.push_back(std::move(shard));
  chunk->shards[id & (kChunkSize - 1)].store(raw, std::memory_order_release);
  return raw;
}

Result<storage::Shard*> ShardTable::New(uint32_t collection_id) {
  const uint32_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  if (id > kMaxShardId) {
    return Status::ResourceExhausted("the database has used all " + std::to_string(kMaxShardId) +
                                     " shard IDs");
  }
  return Add(std::make_unique<storage::Shard>(ShardId{id}, collection_id));
}

}  // namespace daas::engine
