#include "engine/snapshot_registry.h"

#include <algorithm>
#include <string>

namespace daas::engine {

Status SnapshotRegistry::State::Expired(Expiry e) const {
  switch (e) {
    case Expiry::kNone:
      return Status::OK();
    case Expiry::kDeadline:
      return Status::Aborted(
          "the snapshot expired: its transaction is older than its max_age_ms and was rolled back");
    case Expiry::kHistoryLimit:
      return Status::Conflict(
          "the snapshot expired: the old versions kept for open snapshots passed "
          "Options::snapshot_history_bytes (" +
          std::to_string(limit_) + " bytes); run the transaction again");
    case Expiry::kClosed:
      return Status::Aborted("the snapshot is closed: its transaction has ended");
  }
  return Status::OK();
}

std::shared_ptr<SnapshotRegistry::State> SnapshotRegistry::Open(
    const std::function<uint64_t()>& newest, Clock::time_point deadline) {
  auto snapshot = std::make_shared<State>();
  snapshot->deadline_ = deadline;
  snapshot->limit_ = limit_;
  core::MutexLock l(&mu_);
  // The order the class comment explains: oldest() down, the count up, then the snapshot's LSN.
  oldest_.store(std::min(oldest_.load(std::memory_order_seq_cst), newest()),
                std::memory_order_seq_cst);
  open_.fetch_add(1, std::memory_order_seq_cst);
  snapshot->lsn_ = newest();
  live_.emplace(snapshot->lsn_, snapshot);
  RecomputeLocked();
  return snapshot;
}

bool SnapshotRegistry::Close(const std::shared_ptr<State>& snapshot) {
  core::MutexLock l(&mu_);
  const uint64_t before = oldest_.load(std::memory_order_seq_cst);
  Expiry none = Expiry::kNone;
  snapshot->expiry_.compare_exchange_strong(none, Expiry::kClosed, std::memory_order_acq_rel);
  auto [first, last] = live_.equal_range(snapshot->lsn_);
  for (auto it = first; it != last; ++it) {
    if (it->second == snapshot) {
      live_.erase(it);
      open_.fetch_sub(1, std::memory_order_seq_cst);
      break;
    }
  }
  RecomputeLocked();
  return oldest_.load(std::memory_order_seq_cst) > before && history_bytes() > 0;
}

bool SnapshotRegistry::Kept(uint64_t bytes) {
  const uint64_t held = bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  const Clock::rep now = Clock::now().time_since_epoch().count();
  if (held <= limit_ && now < earliest_deadline_.load(std::memory_order_relaxed)) return false;
  core::MutexLock l(&mu_);
  bool expired = false;
  for (auto it = live_.begin(); it != live_.end();) {
    const State& s = *it->second;
    Expiry why = Expiry::kNone;
    if (s.deadline_.time_since_epoch().count() <= now) {
      why = Expiry::kDeadline;
    } else if (bytes_.load(std::memory_order_relaxed) > limit_) {
      why = Expiry::kHistoryLimit;
    }
    if (why == Expiry::kNone) {
      ++it;
      continue;
    }
    it->second->expiry_.store(why, std::memory_order_release);
    it = live_.erase(it);
    open_.fetch_sub(1, std::memory_order_seq_cst);
    expired = true;
  }
  RecomputeLocked();
  return expired;
}

void SnapshotRegistry::RecomputeLocked() {
  oldest_.store(live_.empty() ? UINT64_MAX : live_.begin()->first, std::memory_order_seq_cst);
  Clock::time_point earliest = Clock::time_point::max();
  for (const auto& [lsn, s] : live_) earliest = std::min(earliest, s->deadline_);
  earliest_deadline_.store(earliest.time_since_epoch().count(), std::memory_order_relaxed);
}

}  // namespace daas::engine
