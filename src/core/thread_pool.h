// ThreadPool: fork-join parallelism for scans and aggregations (DESIGN.md §6).
//
// Built on std::thread, Mutex and CondVar rather than a task library, so that every synchronization
// edge is visible to ThreadSanitizer: the TSan suite checks the engine's parallel paths with no
// suppressions.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "core/mutex.h"

namespace daas::core {

class ThreadPool {
 public:
  // `threads` counts the caller: the pool starts threads - 1 workers. At least 1.
  explicit ThreadPool(unsigned threads);
  // Requires: no ParallelFor in progress.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // The process-wide pool, sized to the machine, created on first use and never destroyed (so it
  // outlives static destructors that might still scan).
  static ThreadPool& Default();

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // Calls fn(index, worker) once for every index in [0, n), on the calling thread and the pool's
  // workers, and returns when every call has returned. `worker` is in [0, size()): 0 is the caller,
  // and within one ParallelFor no two threads share a number, so fn may keep per-worker state
  // without locks. Everything the calls wrote is visible to the caller on return.
  // Thread-safe: concurrent ParallelFor calls share the workers.
  void ParallelFor(size_t n, const std::function<void(size_t index, unsigned worker)>& fn)
      DAAS_EXCLUDES(mu_);

 private:
  struct Job;
  void WorkerLoop(unsigned worker) DAAS_EXCLUDES(mu_);
  // Claims and runs indices of `job` until none are left.
  void RunItems(Job* job, unsigned worker) DAAS_EXCLUDES(mu_);

  Mutex mu_;
  CondVar work_cv_;  // a job was queued, or stopping
  CondVar done_cv_;  // a job's last item finished, or its last worker let go of it
  std::deque<Job*> jobs_ DAAS_GUARDED_BY(mu_);
  bool stopping_ DAAS_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace daas::core
