#include "engine/change_feed.h"

#include <algorithm>
#include <chrono>

namespace daas::engine {

size_t PublishedCommit::bytes() const {
  size_t n = payload.size() + 64;
  for (const std::string& b : before) n += b.size();
  return n;
}

void ChangeFeedHub::Unsubscribe(bool before) {
  core::MutexLock l(&mu_);
  if (before) before_subscribers_.fetch_sub(1, std::memory_order_seq_cst);
  if (subscribers_.fetch_sub(1, std::memory_order_seq_cst) == 1) {
    // The last one left: nothing is kept for no one.
    ring_.clear();
    ring_bytes_ = 0;
    early_.clear();
  }
}

void ChangeFeedHub::Publish(PublishedCommit commit) {
  bool wake;
  {
    core::MutexLock l(&mu_);
    if (subscribers_.load(std::memory_order_relaxed) == 0 || commit.lsn <= delivered_) {
      return;  // no one is subscribed, or it belongs to an earlier run of subscribers
    }
    if (commit.lsn != delivered_ + 1) {
      early_.emplace(commit.lsn, std::move(commit));
      return;
    }
    Deliver(std::move(commit));
    for (auto it = early_.begin(); it != early_.end() && it->first == delivered_ + 1;) {
      Deliver(std::move(it->second));
      it = early_.erase(it);
    }
    Trim();
    delivered_hint_.store(delivered_, std::memory_order_release);
    wake = sleepers_ > 0;
  }
  // A sleeper rechecks under the mutex, and counted itself before it slept: none is missed.
  if (wake) cv_.SignalAll();
}

void ChangeFeedHub::Deliver(PublishedCommit commit) {
  ring_bytes_ += commit.bytes();
  delivered_ = commit.lsn;
  ring_.push_back(std::make_shared<const PublishedCommit>(std::move(commit)));
}

void ChangeFeedHub::Trim() {
  while (ring_bytes_ > retain_bytes_ && ring_.size() > 1) {
    ring_bytes_ -= ring_.front()->bytes();
    ring_.pop_front();
  }
}

uint64_t ChangeFeedHub::first_kept() const {
  core::MutexLock l(&mu_);
  return ring_.empty() ? delivered_ + 1 : ring_.front()->lsn;
}

void ChangeFeedHub::Close() {
  core::MutexLock l(&mu_);
  closed_ = true;
  cv_.SignalAll();
}

Status ChangeFeedHub::Read(uint64_t after, size_t max, uint32_t wait_ms,
                           std::vector<std::shared_ptr<const PublishedCommit>>* out) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  bool polled = false;
  core::MutexLock l(&mu_);
  for (;;) {
    if (closed_) return Status::Aborted("the database was closed");
    if (after < delivered_) {
      // The ring holds a contiguous run of LSNs ending at delivered_.
      const uint64_t first = ring_.empty() ? delivered_ + 1 : ring_.front()->lsn;
      if (after + 1 < first) {
        return Status::ResourceExhausted(
            "the change feed subscriber is too far behind: it is at LSN " + std::to_string(after) +
            " and the oldest change still kept is " + std::to_string(first) +
            " (Options::feed_retain_bytes); resync and subscribe again");
      }
      for (size_t i = after + 1 - first; i < ring_.size() && out->size() < max; ++i) {
        out->push_back(ring_[i]);
      }
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
