#include "core/mutex.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace daas::core {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Polls `cond` for up to 10 s; returns whether it became true.
template <typename Cond>
bool Eventually(Cond cond) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!cond()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

TEST(SharedMutex, WritersExcludeReadersAndEachOther) {
  SharedMutex mu;
  std::atomic<int> readers_inside{0};
  std::atomic<int> writers_inside{0};
  std::atomic<bool> violated{false};
  uint64_t a = 0, b = 0;  // written by writers only, always equal outside the lock
  auto writer = [&] {
    for (int i = 0; i < 20000; ++i) {
      WriterLock l(&mu);
      if (writers_inside.fetch_add(1) != 0 || readers_inside.load() != 0) violated = true;
      ++a;
      ++b;
      writers_inside.fetch_sub(1);
    }
  };
  auto reader = [&] {
    for (int i = 0; i < 20000; ++i) {
      ReaderLock l(&mu);
      readers_inside.fetch_add(1);
      if (writers_inside.load() != 0 || a != b) violated = true;
      readers_inside.fetch_sub(1);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back(writer);
  for (int i = 0; i < 3; ++i) threads.emplace_back(reader);
  for (auto& t : threads) t.join();
  EXPECT_FALSE(violated.load());
  EXPECT_EQ(a, 40000u);
  EXPECT_EQ(b, 40000u);
}

TEST(SharedMutex, ReadersHoldTheLockTogether) {
  SharedMutex mu;
  std::atomic<bool> second_in{false};
  ReaderLock first(&mu);
  std::thread t([&] {
    ReaderLock second(&mu);
    second_in = true;
  });
  EXPECT_TRUE(Eventually([&] { return second_in.load(); }));
  t.join();
}

TEST(SharedMutex, WriterWaitsForReadersAndIsNotStarvedByNewOnes) {
  SharedMutex mu;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0};
  // Two readers whose holds overlap, so the lock is never free of readers for long: a reader-
  // preferring lock would let them starve the writer.
  auto reader = [&] {
    while (!stop.load()) {
      ReaderLock l(&mu);
      reads.fetch_add(1);
      std::this_thread::sleep_for(milliseconds(1));
    }
  };
  std::thread r1(reader), r2(reader);
  ASSERT_TRUE(Eventually([&] { return reads.load() > 10; }));
  for (int i = 0; i < 20; ++i) {
    const auto start = Clock::now();
    WriterLock l(&mu);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(5)) << "writer starved, round " << i;
  }
  stop = true;
  r1.join();
  r2.join();
}

TEST(SharedMutex, NewReaderWaitsBehindPendingWriter) {
  SharedMutex mu;
  std::atomic<int> order{0};
  std::atomic<int> writer_turn{-1};
  std::atomic<int> reader_turn{-1};
  mu.LockShared();
  std::thread writer([&] {
    WriterLock l(&mu);
    writer_turn = order.fetch_add(1);
  });
  EXPECT_TRUE(Eventually([&] { return mu.WriterWaitingForTesting(); }));
  std::thread reader([&] {
    ReaderLock l(&mu);  // this thread holds no lock: rule 2, it queues behind the writer
    reader_turn = order.fetch_add(1);
  });
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(order.load(), 0);  // neither got in while the first reader holds the lock
  mu.UnlockShared();
  writer.join();
  reader.join();
  EXPECT_EQ(writer_turn.load(), 0);
  EXPECT_EQ(reader_turn.load(), 1);
}

TEST(SharedMutex, RecursiveSharedLockPassesPendingWriter) {
  SharedMutex mu;
  std::atomic<bool> writer_done{false};
  mu.LockShared();
  std::thread writer([&] {
    WriterLock l(&mu);
    writer_done = true;
  });
  EXPECT_TRUE(Eventually([&] { return mu.WriterWaitingForTesting(); }));
  // A lambda, so that -Wthread-safety does not see the recursive acquisition it rejects.
  [&] {
    ReaderLock inner(&mu);  // would deadlock if it queued behind the writer (rule 3)
    EXPECT_EQ(SharedMutex::HeldByThisThread(), 2u);
  }();
  EXPECT_FALSE(writer_done.load());
  mu.UnlockShared();
  writer.join();
  EXPECT_TRUE(writer_done.load());
}

TEST(SharedMutex, HolderOfAnotherLockPassesPendingWriter) {
  // A thread holding a shared lock on shard A reads shard B, on which a writer is pending: it does
  // not queue behind the writer (rule 3).
  SharedMutex a, b;
  b.LockShared();
  std::atomic<bool> writer_done{false};
  std::thread writer([&] {
    WriterLock l(&b);
    writer_done = true;
  });
  EXPECT_TRUE(Eventually([&] { return b.WriterWaitingForTesting(); }));
  std::atomic<bool> read_b{false};
  std::thread other([&] {
    ReaderLock la(&a);
    ReaderLock lb(&b);
    read_b = true;
  });
  EXPECT_TRUE(Eventually([&] { return read_b.load(); }));
  other.join();
  EXPECT_FALSE(writer_done.load());
  b.UnlockShared();
  writer.join();
  EXPECT_TRUE(writer_done.load());
}

TEST(SharedMutex, CountsLocksHeldByThisThread) {
  SharedMutex a, b;
  EXPECT_EQ(SharedMutex::HeldByThisThread(), 0u);
  {
    WriterLock la(&a);
    ReaderLock lb(&b);
    EXPECT_EQ(SharedMutex::HeldByThisThread(), 2u);
  }
  EXPECT_EQ(SharedMutex::HeldByThisThread(), 0u);
}

TEST(SharedMutex, TryLockTakesOnlyAFreeLock) {
  SharedMutex mu;
  mu.LockShared();
  std::thread([&] { EXPECT_FALSE(mu.TryLock()); }).join();
  mu.UnlockShared();
  if (!mu.TryLock()) {
    ADD_FAILURE() << "TryLock of a free lock failed";
    return;
  }
  EXPECT_EQ(SharedMutex::HeldByThisThread(), 1u);
  std::thread([&] {
    EXPECT_FALSE(mu.TryLock());
    EXPECT_EQ(SharedMutex::HeldByThisThread(), 0u);
  }).join();
  mu.Unlock();
  // Free again: a reader gets in at once.
  ReaderLock l(&mu);
  EXPECT_EQ(SharedMutex::HeldByThisThread(), 1u);
}

TEST(SharedMutex, SleepingWaitersWakeUp) {
  // Holds long past the spin phase, so waiters of every kind go to sleep and must be woken.
  SharedMutex mu;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  {
    WriterLock l(&mu);
    for (int i = 0; i < 2; ++i) {
      threads.emplace_back([&] {
        ReaderLock r(&mu);
        done.fetch_add(1);
      });
      threads.emplace_back([&] {
        WriterLock w(&mu);
        done.fetch_add(1);
      });
    }
    std::this_thread::sleep_for(milliseconds(100));
    EXPECT_EQ(done.load(), 0);
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(done.load(), 4);
  mu.LockShared();
  std::thread w([&] {
    WriterLock l(&mu);
    done.fetch_add(1);
  });
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(done.load(), 4);
  mu.UnlockShared();
  w.join();
  EXPECT_EQ(done.load(), 5);
}

}  // namespace
}  // namespace daas::core
