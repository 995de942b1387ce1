// Annotated mutexes and their RAII guards (STYLE.md §5). Use these, not std::mutex directly, so
// that -Wthread-safety can check every GUARDED_BY member.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "core/thread_annotations.h"

namespace daas::core {

class DAAS_CAPABILITY("mutex") Mutex {
 public:
  void Lock() DAAS_ACQUIRE() { mu_.lock(); }
  void Unlock() DAAS_RELEASE() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Waits for a condition guarded by a Mutex. Use in a loop: wakeups may be spurious.
class CondVar {
 public:
  // Atomically releases *mu and blocks; holds *mu again on return.
  void Wait(Mutex* mu) DAAS_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // still held: ownership goes back to the caller's guard
  }
  // As Wait, but returns after `timeout` at the latest.
  void WaitFor(Mutex* mu, std::chrono::milliseconds timeout) DAAS_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait_for(lock, timeout);
    lock.release();
  }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

// Many readers or one writer, in one atomic word; used for shard locks, where a point read takes
// and drops the shared lock millions of times a second, so the uncontended paths are one atomic
// read-modify-write each and never enter the kernel.
//
// Fairness rule (writer preference, re-entrant for threads already inside):
//   1. A writer first announces itself (kPending), which turns away new readers, then waits for the
//      readers inside to leave and becomes active (kActive). So a stream of readers cannot starve a
//      writer.
//   2. A thread that holds no SharedMutex (in either mode) waits while a writer is pending or
//   active.
//   3. A thread that already holds some SharedMutex, shared or exclusive, waits for an active
//   writer
//      only: it enters past a merely pending one. So a shared lock taken recursively (a Scan
//      callback calling Get on the shard it scans) never deadlocks behind a waiting writer, and a
//      thread that holds shard locks never waits for a writer that did not acquire yet, which is
//      the progress guarantee of a reader-preferring lock such as the pthread rwlock this replaced.
//      Lock ordering (ascending ShardId, see ShardLockSet) covers the rest: a thread waits only for
//      a writer that holds the lock, as with any reader-writer lock.
//   4. Mutexes that are ever taken before a SharedMutex (e.g. the database's checkpoint mutex) must
//      not be acquired while holding one; with rule 2 a violation could deadlock even when every
//      other holder is a reader.
// A thread releases the locks it acquired itself (rule 3 keeps a per-thread count).
// Waiting: a short spin, then a futex-style std::atomic::wait, so a writer waiting behind a long
// scan does not burn a core.
class DAAS_CAPABILITY("shared_mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() DAAS_ACQUIRE();
  // Lock() if no thread holds the lock or waits to write; else false at once, nothing taken.
  bool TryLock() DAAS_TRY_ACQUIRE(true) {
    uint32_t s = state_.load(std::memory_order_relaxed);
    if (s & (kPending | kActive | kReaders)) return false;
    // acquire: as Lock's final CAS.
    if (!state_.compare_exchange_strong(s, s | kPending | kActive, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
      return false;
    }
    ++held_by_this_thread_;
    return true;
  }
  void Unlock() DAAS_RELEASE() {
    --held_by_this_thread_;
    // release: publishes the writer's changes to whoever acquires next (its acquire RMW reads
    // this value or a later one: every write of state_ is an RMW, so it is in our release
    // sequence). Clears kWaiters too: every sleeper is woken below and re-announces itself.
    const uint32_t prev =
        state_.fetch_and(~(kPending | kActive | kWaiters), std::memory_order_release);
    if (prev & kWaiters) [[unlikely]]
      WakeAll();
  }

  void LockShared() DAAS_ACQUIRE_SHARED() {
    // acquire: pairs with the release in Unlock, so the last writer's changes are visible.
    const uint32_t prev = state_.fetch_add(1, std::memory_order_acquire);
    if (prev & (kPending | kActive)) [[unlikely]]
      LockSharedSlow(prev);
    ++held_by_this_thread_;
  }
  void UnlockShared() DAAS_RELEASE_SHARED() {
    --held_by_this_thread_;
    // release: our reads of the guarded data happen before a writer's acquire (its CAS in Lock
    // reads a value in our release sequence).
    const uint32_t prev = state_.fetch_sub(1, std::memory_order_release);
    // The last reader out with a writer asleep waiting for the readers to drain wakes it.
    if (prev == (kPending | kWaiters | 1)) [[unlikely]]
      WakeAll();
  }

  // Locks of any SharedMutex the calling thread holds, shared or exclusive.
  static uint32_t HeldByThisThread() { return held_by_this_thread_; }
  // True while a writer is pending or active. relaxed: a snapshot for tests to poll.
  bool WriterWaitingForTesting() const {
    return (state_.load(std::memory_order_relaxed) & kPending) != 0;
  }

 private:
  // state_ := kActive | kPending | kWaiters | reader holds (29 bits)
  static constexpr uint32_t kActive = 1u << 31;   // a writer holds the lock
  static constexpr uint32_t kPending = 1u << 30;  // a writer claimed the lock (set while active)
  static constexpr uint32_t kWaiters = 1u << 29;  // a thread may sleep in state_.wait()
  static constexpr uint32_t kReaders = kWaiters - 1;

  void LockSharedSlow(uint32_t prev);
  // Leaves one reader hold taken by a fetch_add that did not grant the lock.
  void BackOutReader();
  // Waits until (state_ & mask) == 0 and returns the state seen then.
  uint32_t WaitUntilClear(uint32_t mask);
  void WakeAll();

  std::atomic<uint32_t> state_{0};
  // Rule 3. constinit: no dynamic initialization, so no TLS wrapper call on the fast path.
  static constinit inline thread_local uint32_t held_by_this_thread_ = 0;
};

class DAAS_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) DAAS_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() DAAS_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

class DAAS_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex* mu) DAAS_ACQUIRE_SHARED(mu) : mu_(mu) { mu_->LockShared(); }
  ~ReaderLock() DAAS_RELEASE() { mu_->UnlockShared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex* const mu_;
};

class DAAS_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex* mu) DAAS_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~WriterLock() DAAS_RELEASE() { mu_->Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex* const mu_;
};

}  // namespace daas::core
