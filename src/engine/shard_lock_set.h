// ShardLockSet: holds the locks of several shards, taken in ascending ShardId order so that two
// commits (or a commit and a consistent read) can never deadlock.
#pragma once

#include <algorithm>
#include <vector>

#include "core/thread_annotations.h"
#include "storage/shard.h"

namespace daas::engine {

class ShardLockSet {
 public:
  enum class Mode { kShared, kExclusive };

  // Sorts and de-duplicates `shards`, then locks them in order.
  // The set of locks is only known at run time, so clang's static analysis cannot follow it.
  ShardLockSet(std::vector<storage::Shard*> shards, Mode mode) DAAS_NO_THREAD_SAFETY_ANALYSIS
      : shards_(std::move(shards)),
        mode_(mode) {
    std::sort(shards_.begin(), shards_.end(),
              [](const storage::Shard* a, const storage::Shard* b) { return a->id() < b->id(); });
    shards_.erase(std::unique(shards_.begin(), shards_.end()), shards_.end());
    for (storage::Shard* s : shards_) {
      if (mode_ == Mode::kShared) {
        s->mu()->LockShared();
      } else {
        s->mu()->Lock();
      }
    }
  }

  ~ShardLockSet() DAAS_NO_THREAD_SAFETY_ANALYSIS {
    for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) {
      if (mode_ == Mode::kShared) {
        (*it)->mu()->UnlockShared();
      } else {
        (*it)->mu()->Unlock();
      }
    }
  }

  ShardLockSet(const ShardLockSet&) = delete;
  ShardLockSet& operator=(const ShardLockSet&) = delete;

  const std::vector<storage::Shard*>& shards() const { return shards_; }

 private:
  std::vector<storage::Shard*> shards_;
  const Mode mode_;
};

}  // namespace daas::engine
