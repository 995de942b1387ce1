// ShardLoader: brings cold shards into memory (Shard: lazy loading). Open reads no shard file; a
// shard is loaded when a write, a scan or a log record first needs it, or by the background loader.
// One thread decodes the file into a shard of its own with no lock held and swaps it in; others
// wait for it. A damaged file fails that shard's loads, always the same way, and nothing else.
//
// State, under mu_ (a leaf): the IDs of the shards still cold, and the error of each that failed.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "core/mutex.h"
#include "daas/status.h"
#include "storage/shard.h"

namespace daas::engine {

class CollectionImpl;

class ShardLoader {
 public:
  ShardLoader() = default;
  ShardLoader(const ShardLoader&) = delete;
  ShardLoader& operator=(const ShardLoader&) = delete;

  // Records that `shard` starts cold (open).
  void AddCold(ShardId shard) DAAS_EXCLUDES(mu_);
  // Forgets `shards` (their collection was dropped): loads in progress are void.
  void Forget(std::span<storage::Shard* const> shards) DAAS_EXCLUDES(mu_);
  // How many shards are still cold.
  size_t cold_count() const DAAS_EXCLUDES(mu_);

  // Makes sure `shard`, one of `coll`'s, is loaded: returns at once when it is, else loads its
  // file, or waits for the thread that is loading it. Corruption naming the file and byte offset
  // when the file is damaged; the shard then fails every later load the same way, and the rest of
  // the database works on. Takes no lock the caller may hold. Thread-safe.
  // `cancel` (background loads only): when it reads true the load stops, the shard stays cold, and
  // the result is Aborted.
  Status Load(const CollectionImpl* coll, storage::Shard* shard,
              const std::atomic<bool>* cancel = nullptr) DAAS_EXCLUDES(mu_);

 private:
  // Reads and loads the file of a shard this thread moved to kLoading.
  Status LoadFile(const CollectionImpl* coll, storage::Shard* shard,
                  const std::atomic<bool>* cancel) DAAS_EXCLUDES(mu_);

  mutable core::Mutex mu_;
  core::CondVar cv_;  // signalled when a load ends
  std::unordered_set<uint32_t> cold_ DAAS_GUARDED_BY(mu_);
  std::unordered_map<uint32_t, Status> errors_ DAAS_GUARDED_BY(mu_);
};

}  // namespace daas::engine
