#include "engine/shard_loader.h"

#include "core/status_macros.h"
#include "engine/collection_impl.h"
#include "storage/shard_file.h"

namespace daas::engine {

void ShardLoader::AddCold(ShardId shard) {
  core::MutexLock l(&mu_);
  cold_.insert(shard.value);
}

void ShardLoader::Forget(std::span<storage::Shard* const> shards) {
  {
    core::MutexLock l(&mu_);
    for (const storage::Shard* s : shards) cold_.erase(s->id().value);
  }
  cv_.SignalAll();
}

size_t ShardLoader::cold_count() const {
  core::MutexLock l(&mu_);
  return cold_.size();
}

Status ShardLoader::Load(const CollectionImpl* coll, storage::Shard* shard,
                         const std::atomic<bool>* cancel) {
  using State = storage::Shard::LoadState;
  for (;;) {
    switch (shard->load_state()) {
      case State::kLoaded:
        return Status::OK();
      case State::kCold:
        if (shard->BeginLoad()) return LoadFile(coll, shard, cancel);
        break;  // another thread began first: wait for it below
      case State::kLoading: {
        core::MutexLock l(&mu_);
        while (shard->load_state() == State::kLoading) cv_.Wait(&mu_);
        break;
      }
      case State::kFailed: {
        core::MutexLock l(&mu_);
        auto it = errors_.find(shard->id().value);
        DAAS_CHECK(it != errors_.end());
        return it->second;
      }
    }
  }
}

Status ShardLoader::LoadFile(const CollectionImpl* coll, storage::Shard* shard,
                             const std::atomic<bool>* cancel) {
  std::shared_ptr<const storage::ShardFileView> file;
  {
    core::ReaderLock l(shard->mu());
    file = shard->cold_file_ref();  // null when the collection was dropped since BeginLoad
  }
  // The file is read and decoded into a shard of this thread's own, with no lock held: readers of
  // the cold shard go on reading from the file meanwhile. Only the swap takes the lock.
  storage::Shard staging(shard->id(), shard->collection_id());
  Status s;
  if (file != nullptr) {
    Result<std::string_view> bytes = file->Bytes();
    s = bytes.status();
    if (s.ok()) {
      file->WillReadAll();
      s = storage::DecodeShardFile(*bytes, file->name(), kCeilingDocumentLimits, &staging, cancel)
              .status();
    }
    // Loading put a big shard's records in small blocks; compaction moves them into huge pages.
    if (s.ok()) staging.MaybeCompact();
  }
  // Only damage is kept: a cancelled load, or one the OS failed (out of memory, an I/O error),
  // leaves the shard cold for the next use to try again.
  const bool retry = !s.ok() && s.code() != StatusCode::kCorruption;
  if (!s.ok()) {
    s = s.WithContext("loading shard " + std::to_string(shard->id().value) + " of " +
                      coll->Describe());
  }
  {
    core::WriterLock l(shard->mu());
    if (shard->load_state() != storage::Shard::LoadState::kLoading) {
      s = Status::OK();  // discarded meanwhile (collection dropped): nothing to store
    } else {
      if (s.ok()) {
        shard->SwapContents(staging);
        coll->ShardLoaded(*shard);
      } else if (!retry) {
        coll->ShardLoadFailed(*shard);
      }
      // The state changes under mu_ too, with what waiters read: a waiter that sees kFailed finds
      // its error, and one that sees kLoading cannot miss the signal.
      core::MutexLock ll(&mu_);
      if (retry) {
        shard->AbortLoad();
      } else {
        if (!s.ok()) errors_[shard->id().value] = s;
        cold_.erase(shard->id().value);
        shard->EndLoad(s.ok());
      }
    }
  }
  cv_.SignalAll();
  return s;
}

}  // namespace daas::engine
