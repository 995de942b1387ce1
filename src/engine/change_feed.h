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
// The retained commits' bytes live in the hub's own chunks of kChunkBytes, filled in LSN order and
// freed from the front as the budget trims: a commit copies its record to the end of the last
// chunk, and readers copy commits out into buffers of their own, at most kReadBytes a call (a
// commit that publishes meanwhile waits for that copy). So publishing allocates a chunk once in
// thousands of commits, and no reader frees what a commit allocated (when readers freed the
// commits' memory, the allocator's consolidation across threads cost a commit more than the copy
// does). The chunks hold the budget, plus the tails of chunks a commit did not fit in (a chunk of
// commits just over half its size wastes the rest): at most about twice the budget, plus one
// chunk. The hub frees them all when the last subscriber leaves.
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
#include <span>
#include <string>
#include <string_view>
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

  // A commit publishes its record `payload` and, when `has_before`, per put or erase op the
  // document it replaced ("": none); the hub copies them. Requires: its LSN was handed out after
  // it read active() as true.
  void Publish(uint64_t lsn, std::string_view payload, bool has_before,
               std::span<const std::string_view> before) DAAS_EXCLUDES(mu_);

  // Copies into (*out)[0, *n) the retained commits after `after`, up to `max` and about
  // kReadBytes (at least one), waiting up to `wait_ms` for one when there is none: first polling
  // for kPollMicros, then asleep. *out is resized to *n; its strings' capacity is reused from call
  // to call. A reader that keeps up with the
  // commits thus finds the next one while polling, and the commit does not pay for waking it (a
  // futex wake, a few microseconds under the commit's shard locks). ResourceExhausted ("too far
  // behind") when commits after `after` are no longer retained; Aborted once Close() ran.
  Status Read(uint64_t after, size_t max, uint32_t wait_ms, std::vector<PublishedCommit>* out,
              size_t* n) DAAS_EXCLUDES(mu_);
  // The LSN of the oldest commit the hub still holds for its subscribers, or the next one when it
  // holds none: a subscriber after an older LSN needs the commits before it from elsewhere.
  uint64_t first_kept() const DAAS_EXCLUDES(mu_);
  // Wakes every reader, which then fails with Aborted.
  void Close() DAAS_EXCLUDES(mu_);

  static constexpr int kPollMicros = 50;
  static constexpr size_t kReadBytes = 1 << 20;

 private:
  static constexpr size_t kChunkBytes = 1 << 20;

  // One retained commit: `blob` bytes at `offset` in the chunk numbered `chunk`: its payload
  // (`payload` bytes), then each before-image as a u32 length and its bytes.
  struct Entry {
    uint64_t lsn;
    uint64_t chunk;
    size_t offset;
    size_t blob;
    size_t payload;
    uint32_t before_count;
    bool has_before;
  };
  struct Chunk {
    std::unique_ptr<char[]> bytes;
    size_t size;
    size_t used;
  };

  // Appends the commit with the next LSN to the retained ones.
  void Deliver(uint64_t lsn, std::string_view payload, bool has_before,
               std::span<const std::string_view> before) DAAS_REQUIRES(mu_);
  // Copies a retained commit into *out, reusing its strings' capacity.
  void CopyOut(const Entry& e, PublishedCommit* out) const DAAS_REQUIRES(mu_);
  void Trim() DAAS_REQUIRES(mu_);
  // Drops every retained commit and frees the chunks.
  void Clear() DAAS_REQUIRES(mu_);

  const uint64_t retain_bytes_;
  std::atomic<int> subscribers_{0};
  std::atomic<int> before_subscribers_{0};
  mutable core::Mutex mu_;
  core::CondVar cv_;  // signalled when delivered_ moves while a reader sleeps, and on Close
  bool closed_ DAAS_GUARDED_BY(mu_) = false;
  uint64_t start_ DAAS_GUARDED_BY(mu_) = 0;  // the LSN the current run of subscribers began after
  uint64_t delivered_ DAAS_GUARDED_BY(mu_) = 0;  // every LSN up to it is in the ring or trimmed
  // delivered_, for a reader polling without the mutex (release: written after the ring).
  std::atomic<uint64_t> delivered_hint_{0};
  int sleepers_ DAAS_GUARDED_BY(mu_) = 0;  // readers waiting on cv_: only then does Publish wake
  std::deque<Entry> entries_ DAAS_GUARDED_BY(mu_);  // in LSN order, ending at delivered_
  std::deque<Chunk> chunks_ DAAS_GUARDED_BY(mu_);
  uint64_t first_chunk_ DAAS_GUARDED_BY(mu_) = 0;  // the number of chunks_.front()
  uint64_t ring_bytes_ DAAS_GUARDED_BY(mu_) = 0;   // what the budget counts of entries_
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
    Clear();
    return start_;
  }
  subscribers_.fetch_add(1, std::memory_order_seq_cst);
  if (before) before_subscribers_.fetch_add(1, std::memory_order_seq_cst);
  // Commits with an LSN handed out before this one's before-images were asked for may lack them.
  return last_lsn();
}

}  // namespace daas::engine
