#include "storage/shard.h"

#include <gtest/gtest.h>

#include <string>

namespace daas::storage {
namespace {

std::string Bytes(size_t n, char c) { return std::string(n, c); }

TEST(Shard, PutGetChecksSalt) {
  Shard s(ShardId{1}, 7);
  core::WriterLock l(s.mu());
  EXPECT_TRUE(s.Put(5, 42, "doc").empty());
  std::string_view out;
  ASSERT_TRUE(s.Get(5, 42, &out));
  EXPECT_EQ(out, "doc");
  EXPECT_FALSE(s.Get(5, 43, &out));
  EXPECT_FALSE(s.Get(4, 0, &out));  // empty slot, salt 0
  EXPECT_FALSE(s.Get(60000, 42, &out));
  EXPECT_EQ(s.live_count(), 1u);
  EXPECT_EQ(s.live_bytes(), 3u);
}

TEST(Shard, RestoreUndoesPutAndTake) {
  Shard s(ShardId{1}, 7);
  core::WriterLock l(s.mu());
  s.Put(0, 1, "first");
  Slot old = s.Put(0, 1, "second");
  std::string_view out;
  ASSERT_TRUE(s.Get(0, 1, &out));
  EXPECT_EQ(out, "second");
  s.Retire(s.Restore(0, old));
  ASSERT_TRUE(s.Get(0, 1, &out));
  EXPECT_EQ(out, "first");
  Slot taken = s.Take(0);
  EXPECT_FALSE(s.Get(0, 1, &out));
  EXPECT_EQ(s.live_count(), 0u);
  s.Retire(s.Restore(0, taken));
  ASSERT_TRUE(s.Get(0, 1, &out));
  EXPECT_EQ(out, "first");
  EXPECT_EQ(s.live_count(), 1u);
  EXPECT_EQ(s.live_bytes(), 5u);
}

TEST(Shard, LargeRecordsAreFreedOnRetire) {
  Shard s(ShardId{1}, 7);
  core::WriterLock l(s.mu());
  const uint64_t empty = s.memory_bytes();
  s.Put(0, 1, Bytes(1 << 20, 'x'));
  EXPECT_GE(s.memory_bytes(), empty + (1u << 20));
  s.Retire(s.Take(0));
  EXPECT_LT(s.memory_bytes(), empty + (1u << 20));
}

TEST(Shard, CompactionKeepsContentsAndReturnsMemory) {
  Shard s(ShardId{1}, 7);
  core::WriterLock l(s.mu());
  for (uint16_t i = 0; i < 20000; ++i) s.Put(i, i + 1, std::to_string(i) + Bytes(100, 'p'));
  const uint64_t full = s.memory_bytes();
  for (uint16_t i = 0; i < 20000; ++i) {
    if (i % 10) s.Retire(s.Take(i));
  }
  s.MaybeCompact();
  EXPECT_LT(s.memory_bytes(), full / 3);
  for (uint16_t i = 0; i < 20000; i += 10) {
    std::string_view out;
    ASSERT_TRUE(s.Get(i, i + 1, &out));
    EXPECT_EQ(out, std::to_string(i) + Bytes(100, 'p'));
  }
}

TEST(Shard, ForEachVisitsInSlotOrderAndStops) {
  Shard s(ShardId{3}, 7);
  core::WriterLock l(s.mu());
  s.Put(9, 1, "c");
  s.Put(2, 1, "a");
  s.Put(5, 1, "b");
  std::string seen;
  EXPECT_TRUE(s.ForEach([&](DocId id, std::string_view b) {
    EXPECT_EQ(id.shard().value, 3u);
    seen += b;
    return true;
  }));
  EXPECT_EQ(seen, "abc");
  int calls = 0;
  EXPECT_FALSE(s.ForEach([&](DocId, std::string_view) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);
}

TEST(Shard, DirtyTracksWrites) {
  Shard s(ShardId{1}, 7);
  core::WriterLock l(s.mu());
  EXPECT_FALSE(s.dirty());
  s.Put(0, 1, "x");
  EXPECT_TRUE(s.dirty());
  s.ClearDirty();
  s.Retire(s.Take(0));
  EXPECT_TRUE(s.dirty());
}

}  // namespace
}  // namespace daas::storage
