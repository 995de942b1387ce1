#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>

namespace daas::core {

// A ParallelFor in progress. Lives on the caller's stack; the caller returns only when every index
// has run and no worker holds the job any more (users == 0), so workers never touch a dead job.
struct ThreadPool::Job {
  const std::function<void(size_t, unsigned)>* fn;
  size_t n;
  std::atomic<size_t> next{0};  // relaxed: only hands out distinct indices; mu_ publishes results
  size_t finished = 0;          // guarded by mu_
  int users = 0;                // workers inside RunItems for this job; guarded by mu_
};

ThreadPool::ThreadPool(unsigned threads) {
  const unsigned workers = std::max(threads, 1u) - 1;
  workers_.reserve(workers);
  for (unsigned w = 1; w <= workers; ++w) workers_.emplace_back([this, w] { WorkerLoop(w); });
}

ThreadPool::~ThreadPool() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
  }
  work_cv_.SignalAll();
  for (std::thread& t : workers_) t.join();
}

ThreadPool& ThreadPool::Default() {
  static ThreadPool* pool = new ThreadPool(std::max(1u, std::thread::hardware_concurrency()));
  return *pool;
}

void ThreadPool::RunItems(Job* job, unsigned worker) {
  size_t ran = 0;
  for (;;) {
    const size_t i = job->next.fetch_add(1, std::memory_order_relaxed);
    if (i >= job->n) break;
    (*job->fn)(i, worker);
    ++ran;
  }
  MutexLock l(&mu_);
  job->finished += ran;
  if (worker != 0) --job->users;
  if (job->finished == job->n && job->users == 0) done_cv_.SignalAll();
}

void ThreadPool::WorkerLoop(unsigned worker) {
  for (;;) {
    Job* job = nullptr;
    {
      MutexLock l(&mu_);
      while (job == nullptr) {
        // Exhausted jobs leave the queue; their callers finish them.
        while (!jobs_.empty() &&
               jobs_.front()->next.load(std::memory_order_relaxed) >= jobs_.front()->n) {
          jobs_.pop_front();
        }
        if (!jobs_.empty()) {
          job = jobs_.front();
          ++job->users;
        } else if (stopping_) {
          return;
        } else {
          work_cv_.Wait(&mu_);
        }
      }
    }
    RunItems(job, worker);
  }
}

void ThreadPool::ParallelFor(size_t n, const std::function<void(size_t, unsigned)>& fn) {
  if (n == 0) return;
  if (n == 1 || workers_.empty()) {
    for (size_t i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  Job job{&fn, n};
  {
    MutexLock l(&mu_);
    jobs_.push_back(&job);
  }
  work_cv_.SignalAll();
  RunItems(&job, 0);
  MutexLock l(&mu_);
  auto it = std::find(jobs_.begin(), jobs_.end(), &job);
  if (it != jobs_.end()) jobs_.erase(it);
  while (job.finished != job.n || job.users != 0) done_cv_.Wait(&mu_);
}

}  // namespace daas::core
