// Annotated mutexes and their RAII guards (STYLE.md §5). Use these, not std::mutex directly, so
// that -Wthread-safety can check every GUARDED_BY member.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

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

// Many readers or one writer.
class DAAS_CAPABILITY("shared_mutex") SharedMutex {
 public:
  void Lock() DAAS_ACQUIRE() { mu_.lock(); }
  void Unlock() DAAS_RELEASE() { mu_.unlock(); }
  void LockShared() DAAS_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void UnlockShared() DAAS_RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
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
