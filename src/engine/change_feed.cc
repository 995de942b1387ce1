#include "engine/change_feed.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "daas/options.h"

namespace daas::engine {

namespace {

// Copies `from` into `to`, reusing its capacity, unless that capacity is far beyond what it holds
// now (a huge commit once went through it): then it starts afresh.
void AssignReusing(std::string_view from, std::string* to) {
  if (to->capacity() > (64u << 10) && to->capacity() / 4 > from.size()) {
    *to = std::string(from);
  } else {
    to->assign(from);
  }
}

// Before-images are stored with a u32 length.
static_assert(kMaxDocumentBytesCeiling <= UINT32_MAX);

// What the budget counts for a commit of `blob` bytes.
constexpr size_t kEntryOverhead = 64;

}  // namespace

void ChangeFeedHub::Unsubscribe(bool before) {
  core::MutexLock l(&mu_);
  if (before) before_subscribers_.fetch_sub(1, std::memory_order_seq_cst);
  // The last one left: nothing is kept for no one.
  if (subscribers_.fetch_sub(1, std::memory_order_seq_cst) == 1) Clear();
}

void ChangeFeedHub::Clear() {
  std::deque<Entry>().swap(entries_);
  std::deque<Chunk>().swap(chunks_);
  first_chunk_ = 0;
  ring_bytes_ = 0;
  early_.clear();
}

void ChangeFeedHub::Publish(uint64_t lsn, std::string_view payload, bool has_before,
                            std::span<const std::string_view> before) {
  bool wake;
  {
    core::MutexLock l(&mu_);
    if (subscribers_.load(std::memory_order_relaxed) == 0 || lsn <= delivered_) {
      return;  // no one is subscribed, or it belongs to an earlier run of subscribers
    }
    if (lsn != delivered_ + 1) {
      // Early: kept aside as a copy of its own until the commits before it arrived (rare: commits
      // on different shards racing between their LSN and this).
      PublishedCommit& c = early_[lsn];
      c.lsn = lsn;
      c.payload = std::string(payload);
      c.has_before = has_before;
      c.before.assign(before.begin(), before.end());
      return;
    }
    Deliver(lsn, payload, has_before, before);
    for (auto it = early_.begin(); it != early_.end() && it->first == delivered_ + 1;) {
      const std::vector<std::string_view> views(it->second.before.begin(), it->second.before.end());
      Deliver(it->first, it->second.payload, it->second.has_before, views);
      it = early_.erase(it);
    }
    Trim();
    delivered_hint_.store(delivered_, std::memory_order_release);
    wake = sleepers_ > 0;
  }
  // A sleeper rechecks under the mutex, and counted itself before it slept: none is missed.
  if (wake) cv_.SignalAll();
}

void ChangeFeedHub::Deliver(uint64_t lsn, std::string_view payload, bool has_before,
                            std::span<const std::string_view> before) {
  size_t blob = payload.size();
  for (std::string_view b : before) blob += sizeof(uint32_t) + b.size();
  if (chunks_.empty() || chunks_.back().size - chunks_.back().used < blob) {
    const size_t size = std::max(kChunkBytes, blob);
    chunks_.push_back(Chunk{std::unique_ptr<char[]>(new char[size]), size, 0});
  }
  Chunk& c = chunks_.back();
  Entry e{lsn,
          first_chunk_ + chunks_.size() - 1,
          c.used,
          blob,
          payload.size(),
          static_cast<uint32_t>(before.size()),
          has_before};
  // (An empty view may have no data pointer, which memcpy must not be given.)
  char* p = c.bytes.get() + c.used;
  if (!payload.empty()) std::memcpy(p, payload.data(), payload.size());
  p += payload.size();
  for (std::string_view b : before) {
    const uint32_t n = static_cast<uint32_t>(b.size());
    std::memcpy(p, &n, sizeof n);
    if (n != 0) std::memcpy(p + sizeof n, b.data(), n);
    p += sizeof n + n;
  }
  c.used += blob;
  entries_.push_back(e);
  ring_bytes_ += blob + kEntryOverhead;
  delivered_ = lsn;
}

void ChangeFeedHub::CopyOut(const Entry& e, PublishedCommit* out) const {
  const char* p = chunks_[e.chunk - first_chunk_].bytes.get() + e.offset;
  out->lsn = e.lsn;
  AssignReusing(std::string_view(p, e.payload), &out->payload);
  p += e.payload;
  out->has_before = e.has_before;
  out->before.resize(e.before_count);
  for (std::string& b : out->before) {
    uint32_t n;
    std::memcpy(&n, p, sizeof n);
    AssignReusing(std::string_view(p + sizeof n, n), &b);
    p += sizeof n + n;
  }
}

void ChangeFeedHub::Trim() {
  while (ring_bytes_ > retain_bytes_ && entries_.size() > 1) {
    ring_bytes_ -= entries_.front().blob + kEntryOverhead;
    entries_.pop_front();
  }
  // Chunks before the oldest retained commit's hold nothing any more.
  while (!entries_.empty() && first_chunk_ < entries_.front().chunk) {
    chunks_.pop_front();
    ++first_chunk_;
  }
}

uint64_t ChangeFeedHub::first_kept() const {
  core::MutexLock l(&mu_);
  return delivered_ + 1 - entries_.size();
}

void ChangeFeedHub::Close() {
  core::MutexLock l(&mu_);
  closed_ = true;
  cv_.SignalAll();
}

Status ChangeFeedHub::Read(uint64_t after, size_t max, uint32_t wait_ms,
                           std::vector<PublishedCommit>* out, size_t* n) {
  *n = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  bool polled = false;
  core::MutexLock l(&mu_);
  for (;;) {
    if (closed_) return Status::Aborted("the database was closed");
    if (after < delivered_) {
      // The ring holds a contiguous run of LSNs ending at delivered_.
      const uint64_t first = delivered_ + 1 - entries_.size();
      if (after + 1 < first) {
        return Status::ResourceExhausted(
            "the change feed subscriber is too far behind: it is at LSN " + std::to_string(after) +
            " and the oldest change still kept is " + std::to_string(first) +
            " (Options::feed_retain_bytes); resync and subscribe again");
      }
      const size_t from = after + 1 - first;
      const size_t limit = std::min<size_t>(entries_.size() - from, max);
      size_t bytes = 0;
      while (*n < limit && (*n == 0 || bytes < kReadBytes)) {
        const Entry& e = entries_[from + *n];
        if (out->size() <= *n) out->resize(*n + 1);
        CopyOut(e, &(*out)[*n]);
        bytes += e.blob;
        ++*n;
      }
      out->resize(*n);  // what a bigger read left beyond is freed
      return Status::OK();
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return Status::OK();
    if (!polled) {
      polled = true;
      mu_.Unlock();
      const auto poll_until = std::min(deadline, now + std::chrono::microseconds(kPollMicros));
      while (delivered_hint_.load(std::memory_order_acquire) <= after &&
             std::chrono::steady_clock::now() < poll_until) {
        __builtin_ia32_pause();
      }
      mu_.Lock();
      continue;
    }
    ++sleepers_;
    cv_.WaitFor(&mu_, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
                          std::chrono::milliseconds(1));
    --sleepers_;
  }
}

}  // namespace daas::engine
