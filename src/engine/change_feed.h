// ChangeFeedHub: the commits of a database in LSN order, for its change feed subscribers
// (Database::SubscribeChanges, docs/transactions.md "The change feed").
//
// Each commit that takes place while someone is subscribed publishes its log record payload (and,
// when a subscriber asked for them, the documents it replaced) right after it got its LSN, still
// under its shard locks. Commits on different shards can publish out of LSN order, so the hub
// keeps early ones aside until the LSNs before them arrived: subscribers see commits in LSN order,
// with no gap. The hub retains up to a byte budget of the newest commits; a subscriber that falls
// further behind fails with "too far behind" and must resync, and no commit ever waits for a
// subscriber.
//
// Invariant: every commit with an LSN above `start_` (the last LSN handed out when the first
// current subscriber arrived) is published; the ring holds a contiguous run of LSNs ending at
// delivered_.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "daas/status.h"

namespace daas::engine {

// One commit as published.
struct PublishedCommit {
  uint64_t lsn = 0;
  std::string payload;              // the commit record payload (storage/wal/commit_record.h)
  std::vector<std::string> before;  // per put or erase op, the document it replaced ("": none)
  bool has_before = false;          // `before` was captured
  size_t bytes() const;
};

// Thread-safe.
class ChangeFeedHub {
 public:
  explicit ChangeFeedHub(uint64_t retain_bytes) : retain_bytes_(retain_bytes) {}

  // Whether commits must publish, and whether they must capture what they replace. Seq-cst: a
  // commit reads them after it got its LSN, and Subscribe sets them before it reads the last LSN
  // handed out, so a commit that reads false has an LSN the subscriber does not need.
  bool active() const { return subscribers_.load(std::memory_order_seq_cst) > 0; }
  bool wants_before() const { return before_subscribers_.load(std::memory_order_seq_cst) > 0; }

  // A subscriber arrives. `last_lsn` reads the last LSN handed out, once this subscriber counts
  // (so every later commit publishes). Returns the LSN it starts after.
  template <typename LastLsn>
  uint64_t Subscribe(bool before, LastLsn&& last_lsn) DAAS_EXCLUDES(mu_);
  void Unsubscribe(bool before) DAAS_EXCLUDES(mu_);

  // A commit publishes. Requires: its LSN was handed out after it read active() as true.
  void Publish(PublishedCommit commit) DAAS_EXCLUDES(mu_);

  // Copies into *out the retained commits after `after`, up to `max`, waiting up to `wait_ms` for
  // one when there is none: first polling for kPollMicros, then asleep. A reader that keeps up
  // with the commits thus finds the next one while polling, and the commit does not pay for waking
  // it (a futex wake, a few microseconds under the commit's shard locks). ResourceExhausted ("too
  // far behind") when commits after `after` are no longer retained; Aborted once Close() ran.
  Status Read(uint64_t after, size_t max, uint32_t wait_ms,
              std::vector<std::shared_ptr<const PublishedCommit>>* out) DAAS_EXCLUDES(mu_);
  // The LSN of the oldest commit the hub still holds for its subscribers, or the next one when it
  // holds none: a subscriber after an older LSN needs the commits before it from elsewhere.
  uint64_t first_kept() const DAAS_EXCLUDES(mu_);
  // Wakes every reader, which then fails with Aborted.
  void Close() DAAS_EXCLUDES(mu_);

  static constexpr int kPollMicros = 50;

 private:
  void Trim() DAAS_REQUIRES(mu_);
  // Appends `commit`, the next LSN, to the ring.
  void Deliver(PublishedCommit commit) DAAS_REQUIRES(mu_);

  const uint64_t retain_bytes_;
  std::atomic<int> subscribers_{0};
  std::atomic<int> before_subscribers_{0};
  mutable core::Mutex mu_;
  core::CondVar cv_;  // signalled when delivered_ moves while a reader sleeps, and on Close
  bool closed_ DAAS_GUARDED_BY(mu_) = false;
  uint64_t start_ DAAS_GUARDED_BY(mu_) = 0;  // the LSN the current run of subscribers began after
  uint64_t delivered_ DAAS_GUARDED_BY(mu_) = 0;  // every LSN up to it is in ring_ or trimmed
  // delivered_, for a reader polling without the mutex (release: written after the ring).
  std::atomic<uint64_t> delivered_hint_{0};
  int sleepers_ DAAS_GUARDED_BY(mu_) = 0;  // readers waiting on cv_: only then does Publish wake
  // Shared with readers that copied them out.
  std::deque<std::shared_ptr<const PublishedCommit>> ring_ DAAS_GUARDED_BY(mu_);
  uint64_t ring_bytes_ DAAS_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, PublishedCommit> early_ DAAS_GUARDED_BY(mu_);  // published before their turn
};

template <typename LastLsn>
uint64_t ChangeFeedHub::Subscribe(bool before, LastLsn&& last_lsn) {
  core::MutexLock l(&mu_);
  if (subscribers_.load(std::memory_order_relaxed) == 0) {
    subscribers_.store(1, std::memory_order_seq_cst);
    if (before) before_subscribers_.fetch_add(1, std::memory_order_seq_cst);
    // A new run: what an earlier run kept is stale (commits made with no subscriber are missing).
    start_ = last_lsn();
    delivered_ = start_;
    delivered_hint_.store(start_, std::memory_order_release);
    ring_.clear();
    ring_bytes_ = 0;
    early_.clear();
    return start_;
  }
  subscribers_.fetch_add(1, std::memory_order_seq_cst);
  if (before) before_subscribers_.fetch_add(1, std::memory_order_seq_cst);
  // Commits with an LSN handed out before this one's before-images were asked for may lack them.
  return last_lsn();
}

}  // namespace daas::engine
