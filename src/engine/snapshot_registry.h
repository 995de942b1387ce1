// SnapshotRegistry: the open snapshots of one database, and the budget of the old versions the
// shards keep for them (storage::Shard, "old versions").
//
// A snapshot reads the database as of one LSN: the newest handed out when it opened. Every commit
// up to it has applied (a commit applies before it takes its LSN, under its shard locks), and a
// read of a shard it holds waits for its locks; every later commit keeps what it overwrote while a
// snapshot is open. Two orders make that exact:
//   - Open increments the open count, then reads the newest LSN; a commit takes its LSN, then
//     reads the count (Transaction::Log). Either the commit sees the snapshot and keeps its old
//     versions, or its LSN was handed out before the snapshot read the newest one, and the
//     snapshot sees the commit.
//   - Open lowers oldest() to the newest LSN before reading its own, so a prune that ran before
//     could only drop versions overwritten before the snapshot's LSN, which it does not read.
//
// A snapshot expires (its reads fail) once older than its deadline, or when the kept versions pass
// the byte limit (Options::snapshot_history_bytes): then every open snapshot expires, the oldest
// LSN still needed moves up, and the kept versions go at the shards' next write or prune pass
// (DatabaseImpl::PruneHistory).
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "core/coarse_clock.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "daas/status.h"

namespace daas::engine {

class SnapshotRegistry {
 public:
  using Clock = core::CoarseClock;  // read by every commit that keeps versions
  enum class Expiry : uint8_t { kNone, kDeadline, kHistoryLimit, kClosed };

  // One open snapshot.
  class State {
   public:
    uint64_t lsn() const { return lsn_; }
    // OK while the snapshot's reads are exact. Check it after a read: a read that raced with the
    // expiry may have missed a pruned version.
    Status Usable() const {
      const Expiry e = expiry_.load(std::memory_order_acquire);
      return e == Expiry::kNone ? Status::OK() : Expired(e);
    }

   private:
    friend class SnapshotRegistry;
    Status Expired(Expiry e) const;
    uint64_t lsn_ = 0;
    Clock::time_point deadline_;
    std::atomic<Expiry> expiry_{Expiry::kNone};
    uint64_t limit_ = 0;  // for the message
  };

  explicit SnapshotRegistry(uint64_t history_limit_bytes) : limit_(history_limit_bytes) {}

  // Opens a snapshot as of newest(), the last LSN handed out, which expires at `deadline`.
  std::shared_ptr<State> Open(const std::function<uint64_t()>& newest, Clock::time_point deadline)
      DAAS_EXCLUDES(mu_);
  // Closes what Open returned (its Usable() says so afterwards). True when oldest() moved up
  // while versions are kept: a prune pass would free memory.
  bool Close(const std::shared_ptr<State>& snapshot) DAAS_EXCLUDES(mu_);

  // Whether any snapshot is open and not expired: a commit keeps old versions. Read after the
  // commit's LSN was handed out (the class comment).
  bool any_open() const { return open_.load(std::memory_order_seq_cst) > 0; }
  // The LSN of the oldest snapshot that has not expired; UINT64_MAX when none. A kept version
  // whose `until` is at most this is seen by no snapshot.
  uint64_t oldest() const { return oldest_.load(std::memory_order_seq_cst); }

  // A commit kept `bytes` more. Expires snapshots past their deadline, or all of them when the
  // kept versions passed the limit; true when it expired any (a prune pass would free memory).
  bool Kept(uint64_t bytes) DAAS_EXCLUDES(mu_);
  // Kept versions of `bytes` were dropped.
  void Freed(uint64_t bytes) { bytes_.fetch_sub(bytes, std::memory_order_relaxed); }

  uint64_t history_bytes() const { return bytes_.load(std::memory_order_relaxed); }
  uint64_t open_count() const { return open_.load(std::memory_order_relaxed); }

 private:
  // Sets oldest_ and earliest_deadline_ from live_.
  void RecomputeLocked() DAAS_REQUIRES(mu_);

  const uint64_t limit_;
  core::Mutex mu_;
  // Open snapshots that have not expired, by LSN.
  std::multimap<uint64_t, std::shared_ptr<State>> live_ DAAS_GUARDED_BY(mu_);
  std::atomic<uint64_t> open_{0};  // live_.size(), read without mu_
  std::atomic<uint64_t> oldest_{UINT64_MAX};
  std::atomic<Clock::rep> earliest_deadline_{Clock::time_point::max().time_since_epoch().count()};
  std::atomic<uint64_t> bytes_{0};
};

}  // namespace daas::engine
