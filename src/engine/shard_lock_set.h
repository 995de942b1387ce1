// ShardLockSet: holds the locks of several shards, taken in ascending ShardId order so that two
// commits (or a commit and a consistent read) can never deadlock.
#pragma once

#include <algorithm>
#include <memory_resource>
#include <span>
#include <vector>

#include "core/inline_arena.h"
#include "core/thread_annotations.h"
#include "storage/shard.h"

namespace daas::engine {

class ShardLockSet {
 public:
  enum class Mode { kShared, kExclusive };

  // Sorts and de-duplicates `shards`, then locks them in order.
  ShardLockSet(std::span<storage::Shard* const> shards, Mode mode)
      : ShardLockSet(mode == Mode::kExclusive ? shards : std::span<storage::Shard* const>(),
                     mode == Mode::kShared ? shards : std::span<storage::Shard* const>()) {}

  // Locks `exclusive` exclusively and `shared` shared, all in ascending ID order; a shard in both
  // is locked exclusively. Null entries are skipped.
  // The set of locks is only known at run time, so clang's static analysis cannot follow it.
  ShardLockSet(std::span<storage::Shard* const> exclusive,
               std::span<storage::Shard* const> shared) DAAS_NO_THREAD_SAFETY_ANALYSIS {
    locks_.reserve(exclusive.size() + shared.size());
    for (storage::Shard* s : exclusive) {
      if (s != nullptr) locks_.push_back({s, Mode::kExclusive});
    }
    for (storage::Shard* s : shared) {
      if (s != nullptr) locks_.push_back({s, Mode::kShared});
    }
    // By ID, exclusive first among equals, then one entry per shard.
    std::sort(locks_.begin(), locks_.end(), [](const Entry& a, const Entry& b) {
      if (a.shard->id() != b.shard->id()) return a.shard->id() < b.shard->id();
      return a.mode == Mode::kExclusive && b.mode == Mode::kShared;
    });
    locks_.erase(std::unique(locks_.begin(), locks_.end(),
                             [](const Entry& a, const Entry& b) { return a.shard == b.shard; }),
                 locks_.end());
    shards_.reserve(locks_.size());
    for (const Entry& e : locks_) {
      shards_.push_back(e.shard);
      if (e.mode == Mode::kExclusive) exclusive_.push_back(e.shard);
      if (e.mode == Mode::kShared) {
        e.shard->mu()->LockShared();
      } else {
        e.shard->mu()->Lock();
      }
    }
  }

  ~ShardLockSet() DAAS_NO_THREAD_SAFETY_ANALYSIS {
    for (auto it = locks_.rbegin(); it != locks_.rend(); ++it) {
      if (it->mode == Mode::kShared) {
        it->shard->mu()->UnlockShared();
      } else {
        it->shard->mu()->Unlock();
      }
    }
  }

  ShardLockSet(const ShardLockSet&) = delete;
  ShardLockSet& operator=(const ShardLockSet&) = delete;

  // Every locked shard, ascending ID; those locked exclusively.
  std::span<storage::Shard* const> shards() const { return shards_; }
  std::span<storage::Shard* const> exclusive_shards() const { return exclusive_; }

 private:
  struct Entry {
    storage::Shard* shard;
    Mode mode;
  };
  // A commit of a few documents locks a few shards: no heap allocation for those.
  core::InlineArena<256> arena_;
  std::pmr::vector<Entry> locks_{arena_.get()};
  std::pmr::vector<storage::Shard*> shards_{arena_.get()};
  std::pmr::vector<storage::Shard*> exclusive_{arena_.get()};
};

}  // namespace daas::engine
