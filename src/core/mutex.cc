#include "core/mutex.h"

#include "core/status_macros.h"

namespace daas::core {
namespace {

// Spins before sleeping: most waits (a point read, a single-document commit) last well under a
// microsecond, and a futex round trip costs several.
constexpr int kSpins = 128;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

uint32_t SharedMutex::WaitUntilClear(uint32_t mask) {
  for (int spin = 0;; ++spin) {
    // relaxed: only decides whether to retry; the caller's RMW that takes the lock is the acquire.
    uint32_t s = state_.load(std::memory_order_relaxed);
    if ((s & mask) == 0) return s;
    if (spin < kSpins) {
      CpuRelax();
      continue;
    }
    // Announce the sleeper so that the thread that clears `mask` calls WakeAll. relaxed: the flag
    // and the value we sleep on are in the same word, and the futex compares the word atomically
    // with going to sleep, so a change made after this CAS either makes wait() return at once or
    // comes with a WakeAll.
    if ((s & kWaiters) == 0 &&
        !state_.compare_exchange_weak(s, s | kWaiters, std::memory_order_relaxed)) {
      continue;
    }
    state_.wait(s | kWaiters, std::memory_order_relaxed);
  }
}

void SharedMutex::WakeAll() {
  // seq_cst: the RMW that made this call necessary must be ordered before notify_all's check for
  // sleepers, which the sleeper registers (seq_cst) before it compares state_; otherwise both
  // could miss each other. Only this rare path pays for the fence.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  state_.notify_all();
}

void SharedMutex::BackOutReader() {
  // relaxed: this hold never granted access, so it has nothing to publish; it is still an RMW,
  // so it does not break the release sequences writers acquire through.
  const uint32_t prev = state_.fetch_sub(1, std::memory_order_relaxed);
  if (prev == (kPending | kWaiters | 1)) WakeAll();  // as in UnlockShared
}

void SharedMutex::LockSharedSlow(uint32_t prev) {
  // Rule 3: a thread already inside lets a pending writer wait; only an active one stops it.
  const uint32_t blocking = held_by_this_thread_ > 0 ? kActive : (kPending | kActive);
  while (prev & blocking) {
    BackOutReader();
    WaitUntilClear(blocking);
    // acquire: as in LockShared.
    prev = state_.fetch_add(1, std::memory_order_acquire);
  }
  DAAS_DCHECK((prev & kReaders) + 1 < kReaders);  // reader holds overflowing into kWaiters
}

void SharedMutex::Lock() {
  // Phase 1: claim kPending, one writer at a time. relaxed: claiming grants no access yet.
  uint32_t s = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (s & kPending) {
      s = WaitUntilClear(kPending);
      continue;
    }
    if (state_.compare_exchange_weak(s, s | kPending, std::memory_order_relaxed)) break;
  }
  // Phase 2: new readers now back out (rule 2); wait for those inside to leave.
  // acquire on success: pairs with every reader's release in UnlockShared (all writes of state_
  // are RMWs, so the value we read is in each of their release sequences) and with the previous
  // writer's release in Unlock.
  s |= kPending;
  for (;;) {
    if (s & kReaders) {
      s = WaitUntilClear(kReaders);
      continue;
    }
    if (state_.compare_exchange_weak(s, s | kActive, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      break;
    }
  }
  ++held_by_this_thread_;
}

}  // namespace daas::core
