#include "storage/shard.h"

#include <gtest/gtest.h>

#include <string>

namespace daas::storage {
namespace {

std::string Bytes(size_t n, char c) { return std::string(n, c); }

TEST(Shard, PutGetChecksSalt) {
  Shard s(ShardId{1}, 7);
  core::WriterLock l(s.mu());
  EXPECT_TRUE(s.Put(5, 42, "doc", {}).empty());
  std::string_view out;
  ASSERT_TRUE(s.Get(5, 42, &out));
  EXPECT_EQ(out, "doc");
  EXPECT_FALSE(s.Get(5, 43, &out));
  EXPECT_FALSE(s.Get(4, 0, &out));  // empty slot, salt 0
  EXPECT_FALSE(s.Get(60000, 42, &out));
  EXPECT_EQ(s.live_count(), 1u);
  EXPECT_EQ(s.live_bytes(), 3u);
}

// Old versions: what a read as of an LSN sees in each slot, through overwrites, a delete and a
// slot reused under another salt; a compaction keeps them, pruning drops what no read needs.
TEST(Shard, ReadsAsOfAnLsnSeeTheVersionCurrentThen) {
  Shard s(ShardId{1}, 7);
  core::WriterLock l(s.mu());
  auto put = [&](uint16_t slot, uint64_t salt, std::string_view doc, uint64_t lsn) {
    Slot old = s.Put(slot, salt, doc, RecordMeta{lsn, 1, 1});
    s.KeepOld(slot, old, lsn);
    s.Retire(old);
  };
  put(0, 1, "a1", 1);
  put(1, 2, "b1", 2);
  put(0, 1, "a2", 3);
  Slot gone = s.Take(1);  // deleted at 4, then the slot reused by another document at 5
  EXPECT_GT(s.KeepOld(1, gone, 4), 0u);
  s.Retire(gone);
  put(1, 9, "c5", 5);
  // What the running commit wrote itself is no old version: nobody saw it.
  EXPECT_TRUE(s.Put(2, 3, "d", RecordMeta{RecordMeta::kUncommitted, 0, 0}).empty());
  Slot first = s.Put(2, 3, "d2", RecordMeta{RecordMeta::kUncommitted, 0, 0});
  EXPECT_EQ(s.KeepOld(2, first, 6), 0u);
  s.Retire(first);
  s.Retire(s.Take(2));
  s.Compact();

  auto at = [&](uint16_t slot, uint64_t salt, uint64_t lsn) {
    std::string_view doc;
    RecordMeta meta;
    return s.GetAt(slot, salt, lsn, &doc, &meta)
               ? std::string(doc) + "@" + std::to_string(meta.version)
               : std::string("-");
  };
  auto all = [&](uint64_t lsn) {
    std::string out;
    s.ForEachAt(0, lsn, [&](DocId id, std::string_view doc) {
      out += std::to_string(id.slot()) + ":" + std::string(doc) + " ";
      return true;
    });
    return out;
  };
  EXPECT_EQ(at(0, 1, 0), "-");
  EXPECT_EQ(at(0, 1, 1), "a1@1");
  EXPECT_EQ(at(0, 1, 2), "a1@1");
  EXPECT_EQ(at(0, 1, 3), "a2@3");
  EXPECT_EQ(at(1, 2, 3), "b1@2");
  EXPECT_EQ(at(1, 2, 4), "-");
  EXPECT_EQ(at(1, 9, 4), "-");
  EXPECT_EQ(at(1, 9, 5), "c5@5");
  EXPECT_EQ(all(2), "0:a1 1:b1 ");
  EXPECT_EQ(all(4), "0:a2 ");
  EXPECT_EQ(all(9), "0:a2 1:c5 ");
  EXPECT_TRUE(s.has_history());
  const uint64_t held = s.history_bytes();
  EXPECT_GT(s.PruneHistory(3), 0u);  // a1 (until 3) goes; b1 (until 4) stays
  EXPECT_LT(s.history_bytes(), held);
  EXPECT_EQ(at(0, 1, 2), "-");
  EXPECT_EQ(at(1, 2, 3), "b1@2");
  s.PruneHistory(UINT64_MAX);
  EXPECT_FALSE(s.has_history());
  EXPECT_EQ(s.history_bytes(), 0u);
}

TEST(Shard, RestoreUndoesPutAndTake) {
  Shard s(ShardId{1}, 7);
  core::WriterLock l(s.mu());
  s.Put(0, 1, "first", {});
  Slot old = s.Put(0, 1, "second", {});
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
  s.Put(0, 1, Bytes(1 << 20, 'x'), {});
  EXPECT_GE(s.memory_bytes(), empty + (1u << 20));
  s.Retire(s.Take(0));
  EXPECT_LT(s.memory_bytes(), empty + (1u << 20));
}

TEST(Shard, CompactionKeepsContentsAndReturnsMemory) {
  Shard s(ShardId{1}, 7);
  core::WriterLock l(s.mu());
  const uint16_t n = Shard::kHeapSlotLimit - 100;  // stays small: memory is mostly records
  for (uint16_t i = 0; i < n; ++i) s.Put(i, i + 1, std::to_string(i) + Bytes(100, 'p'), {});
  EXPECT_FALSE(s.big_for_testing());
  const uint64_t full = s.memory_bytes();
  for (uint16_t i = 0; i < n; ++i) {
    if (i % 10) s.Retire(s.Take(i));
  }
  s.MaybeCompact();
  EXPECT_LT(s.memory_bytes(), full / 3);
  for (uint16_t i = 0; i < n; i += 10) {
    std::string_view out;
    ASSERT_TRUE(s.Get(i, i + 1, &out));
    EXPECT_EQ(out, std::to_string(i) + Bytes(100, 'p'));
  }
}

TEST(Shard, SmallShardHoldsNoHugePages) {
  Shard s(ShardId{1}, 7);
  core::WriterLock l(s.mu());
  s.Put(0, 1, Bytes(100, 'a'), {});
  EXPECT_FALSE(s.big_for_testing());
  EXPECT_LT(s.memory_bytes(), 8u << 10);
}

// A full shard of documents the size of the benchmark's (148 bytes): memory within 1.3x of the
// documents' bytes (slot table, headers and the unfilled end of the last huge block included).
TEST(Shard, FullBigShardReadsBackAndStaysCompact) {
  Shard s(ShardId{1}, 7);
  core::WriterLock l(s.mu());
  for (uint32_t i = 0; i < kSlotsPerShard; ++i) {
    std::string doc = std::to_string(i);
    doc.resize(148, 'q');
    s.Put(static_cast<uint16_t>(i), i + 1, doc, {});
    if (i == Shard::kHeapSlotLimit) {
      EXPECT_TRUE(s.big_for_testing());
    }
    if (i % 1000 == 999) s.MaybeCompact();  // as commits of 1,000 documents do
  }
  s.MaybeCompact();
  EXPECT_EQ(s.slot_limit(), kSlotsPerShard);
  EXPECT_LE(static_cast<double>(s.memory_bytes()), 1.3 * static_cast<double>(s.live_bytes()));
  for (uint32_t i = 0; i < kSlotsPerShard; ++i) {
    std::string want = std::to_string(i);
    want.resize(148, 'q');
    std::string_view out;
    ASSERT_TRUE(s.Get(static_cast<uint16_t>(i), i + 1, &out)) << i;
    ASSERT_EQ(out, want) << i;
  }
}

TEST(Shard, BigShardCompactionReturnsBlocksAndKeepsWorking) {
  Shard s(ShardId{1}, 7);
  core::WriterLock l(s.mu());
  const uint32_t n = 40000;
  auto doc = [](uint32_t i, char fill) { return std::to_string(i) + Bytes(100, fill); };
  for (uint32_t i = 0; i < n; ++i) s.Put(static_cast<uint16_t>(i), i + 1, doc(i, 'p'), {});
  ASSERT_TRUE(s.big_for_testing());
  const uint64_t full = s.memory_bytes();
  for (uint32_t i = 0; i < n; ++i) {
    if (i % 10) s.Retire(s.Take(static_cast<uint16_t>(i)));
  }
  s.MaybeCompact();
  // The 2 MiB region (table + arena half) stays; the survivors' ~450 KB move into one exact block.
  EXPECT_LT(s.memory_bytes(),
            (2u << 20) + s.live_bytes() + Shard::kRecordHeaderBytes * (n / 10) + 1);
  EXPECT_LT(s.memory_bytes(), full / 2);
  // Writes after compaction go to the freed arena half of the region, then to new blocks.
  for (uint32_t i = 1; i < n; i += 10) s.Put(static_cast<uint16_t>(i), i + 7, doc(i, 'r'), {});
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view out;
    if (i % 10 == 0) {
      ASSERT_TRUE(s.Get(static_cast<uint16_t>(i), i + 1, &out));
      ASSERT_EQ(out, doc(i, 'p'));
    } else if (i % 10 == 1) {
      ASSERT_TRUE(s.Get(static_cast<uint16_t>(i), i + 7, &out));
      ASSERT_EQ(out, doc(i, 'r'));
    } else {
      ASSERT_FALSE(s.Get(static_cast<uint16_t>(i), i + 1, &out));
    }
  }
  s.Clear();
  EXPECT_EQ(s.memory_bytes(), 0u);
  EXPECT_FALSE(s.big_for_testing());
}

TEST(Shard, ForEachVisitsInSlotOrderAndStops) {
  Shard s(ShardId{3}, 7);
  core::WriterLock l(s.mu());
  s.Put(9, 1, "c", {});
  s.Put(2, 1, "a", {});
  s.Put(5, 1, "b", {});
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
  s.Put(0, 1, "x", {});
  EXPECT_TRUE(s.dirty());
  s.ClearDirty();
  s.Retire(s.Take(0));
  EXPECT_TRUE(s.dirty());
}

}  // namespace
}  // namespace daas::storage
