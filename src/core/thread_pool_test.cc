#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace daas::core {
namespace {

TEST(ThreadPool, RunsEveryIndexExactlyOnce) {
  ThreadPool pool(4);
  std::vector<int> hits(10000, 0);
  pool.ParallelFor(hits.size(), [&](size_t i, unsigned) { ++hits[i]; });
  for (int h : hits) ASSERT_EQ(h, 1);
}

TEST(ThreadPool, WorkerNumbersAreInRangeAndPrivate) {
  ThreadPool pool(3);
  std::vector<uint64_t> per_worker(pool.size(), 0);  // written without locks, read after return
  pool.ParallelFor(100000, [&](size_t i, unsigned w) {
    ASSERT_LT(w, pool.size());
    per_worker[w] += i;
  });
  uint64_t total = 0;
  for (uint64_t v : per_worker) total += v;
  EXPECT_EQ(total, 100000ull * 99999 / 2);
}

TEST(ThreadPool, ConcurrentCallersShareWorkers) {
  ThreadPool pool(2);
  std::atomic<uint64_t> sum{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        pool.ParallelFor(64, [&](size_t i, unsigned) { sum.fetch_add(i); });
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(sum.load(), 4ull * 50 * (64 * 63 / 2));
}

TEST(ThreadPool, SingleThreadPoolRunsOnCaller) {
  ThreadPool pool(1);
  EXPECT_EQ(pool.size(), 1u);
  const auto caller = std::this_thread::get_id();
  pool.ParallelFor(10, [&](size_t, unsigned w) {
    EXPECT_EQ(w, 0u);
    EXPECT_EQ(std::this_thread::get_id(), caller);
  });
}

}  // namespace
}  // namespace daas::core
