#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/test_util.h"
#include "env/fault_injection_env.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_writer.h"

namespace daas::storage::wal {
namespace {

namespace fs = std::filesystem;

class WalTest : public ::testing::Test {
 protected:
  // Writes `n` records "payload-<lsn>" starting at LSN 1, syncing each.
  void WriteRecords(int n, uint64_t segment_bytes = 1 << 20) {
    auto w = WalWriter::Create(env::Env::Default(), dir_, 1, segment_bytes);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (int i = 0; i < n; ++i) {
      auto lsn = (*w)->Append("payload-" + std::to_string(i + 1));
      ASSERT_TRUE(lsn.ok());
      ASSERT_TRUE((*w)->Flush(*lsn, true).ok());
    }
  }
  Result<LogReadResult> Read(std::vector<std::string>* payloads) {
    return ReadLog(env::Env::Default(), dir_, [&](uint64_t lsn, std::string_view p) {
      EXPECT_EQ(p, "payload-" + std::to_string(lsn));
      payloads->emplace_back(p);
      return Status::OK();
    });
  }
  std::vector<std::string> Segments() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  static void Flip(const std::string& path, uint64_t offset) {
    daas::testing::FlipBits(path, offset, 1);
  }
  daas::testing::TempDir tmp_;
  const std::string dir_ = tmp_.path();
};

TEST_F(WalTest, ReadsBackEveryRecordAcrossSegments) {
  WriteRecords(500, 2048);
  EXPECT_GT(Segments().size(), 3u);
  std::vector<std::string> got;
  auto r = Read(&got);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(got.size(), 500u);
  EXPECT_EQ(r->last_lsn, 500u);
  EXPECT_EQ(r->next_lsn, 501u);
  EXPECT_TRUE(r->torn_segment.empty());
}

TEST_F(WalTest, EveryTruncationOfTheLastRecordIsATornTail) {
  WriteRecords(3);
  const std::string seg = Segments().back();
  const uint64_t full = fs::file_size(seg);
  const uint64_t last_start = full - (kRecordHeaderBytes + std::string("payload-3").size());
  for (uint64_t len = last_start + 1; len < full; ++len) {
    fs::resize_file(seg, len);
    std::vector<std::string> got;
    auto r = Read(&got);
    ASSERT_TRUE(r.ok()) << len << ": " << r.status().ToString();
    EXPECT_EQ(got.size(), 2u);
    EXPECT_EQ(r->torn_offset, last_start);
  }
  // Cutting the tail leaves a clean log.
  std::vector<std::string> got;
  auto r = Read(&got);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(CutTornTail(env::Env::Default(), dir_, *r).ok());
  EXPECT_EQ(fs::file_size(seg), last_start);
  got.clear();
  r = Read(&got);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->torn_segment.empty());
  EXPECT_EQ(got.size(), 2u);
}

TEST_F(WalTest, FlippedBitInLastRecordIsATornTail) {
  WriteRecords(3);
  const std::string seg = Segments().back();
  Flip(seg, fs::file_size(seg) - 2);
  std::vector<std::string> got;
  auto r = Read(&got);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(got.size(), 2u);
  EXPECT_FALSE(r->torn_segment.empty());
}

TEST_F(WalTest, DamagedRecordFollowedByGoodOnesIsCorruption) {
  WriteRecords(10);
  const std::string seg = Segments().back();
  // Every byte of record 2 (the second record starts after the header and record 1).
  const uint64_t start = kSegmentHeaderBytes + kRecordHeaderBytes + 9;
  for (uint64_t off = start; off < start + kRecordHeaderBytes + 9; ++off) {
    Flip(seg, off);
    std::vector<std::string> got;
    auto r = Read(&got);
    ASSERT_FALSE(r.ok()) << "flip at " << off;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find(fs::path(seg).filename().string() + " at byte " +
                                        std::to_string(start)),
              std::string_view::npos)
        << r.status().message();
    Flip(seg, off);  // restore
  }
}

TEST_F(WalTest, DamageInAnEarlierSegmentIsCorruption) {
  // Crash invariant W1: only the last segment can end in a torn record.
  WriteRecords(200, 1024);
  const auto segs = Segments();
  ASSERT_GT(segs.size(), 2u);
  Flip(segs[0], fs::file_size(segs[0]) - 1);  // last byte of the first segment
  std::vector<std::string> got;
  auto r = Read(&got);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
}

TEST_F(WalTest, MissingSegmentIsCorruption) {
  WriteRecords(200, 1024);
  const auto segs = Segments();
  ASSERT_GT(segs.size(), 2u);
  fs::remove(segs[1]);
  std::vector<std::string> got;
  auto r = Read(&got);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("missing"), std::string_view::npos);
}

TEST_F(WalTest, ConcurrentCommittersShareSyncs) {
  // Crash invariant W3: concurrent waiters share the leader's write and fdatasync.
  env::FaultInjectionEnv fenv(env::Env::Default());
  auto w = WalWriter::Create(&fenv, dir_, 1, 1 << 30);
  ASSERT_TRUE(w.ok());
  const uint64_t syncs_before = fenv.sync_count();
  constexpr int kThreads = 16, kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto lsn = (*w)->Append("x");
        ASSERT_TRUE(lsn.ok());
        ASSERT_TRUE((*w)->Flush(*lsn, true).ok());
        ASSERT_GE((*w)->durable_lsn(), *lsn);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ((*w)->durable_lsn(), uint64_t{kThreads * kEach});
  // Group commit: fewer syncs than commits (each leader syncs a whole group).
  EXPECT_LT(fenv.sync_count() - syncs_before, uint64_t{kThreads * kEach});
}

TEST_F(WalTest, FailedSyncIsStickyAndNeverRetried) {
  // Crash invariant W5.
  env::FaultInjectionEnv fenv(env::Env::Default());
  auto w = WalWriter::Create(&fenv, dir_, 1, 1 << 30);
  ASSERT_TRUE(w.ok());
  auto lsn = (*w)->Append("payload-1");
  ASSERT_TRUE((*w)->Flush(*lsn, true).ok());
  fenv.FailSyncsAfter(0);
  lsn = (*w)->Append("payload-2");
  Status s = (*w)->Flush(*lsn, true);
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  fenv.ClearFaults();
  // Even with the disk healthy again, the writer stays failed: a failed fsync is not retried.
  EXPECT_FALSE((*w)->Append("payload-3").ok());
  EXPECT_FALSE((*w)->Flush(*lsn, true).ok());
  EXPECT_EQ((*w)->durable_lsn(), 1u);
}

TEST_F(WalTest, PowerLossKeepsEverySyncedRecord) {
  // Crash invariant W3: what Flush(sync) returned for survives the loss of unsynced bytes.
  env::FaultInjectionEnv fenv(env::Env::Default());
  {
    auto w = WalWriter::Create(&fenv, dir_, 1, 4096);
    ASSERT_TRUE(w.ok());
    for (int i = 1; i <= 300; ++i) {
      auto lsn = (*w)->Append("payload-" + std::to_string(i));
      ASSERT_TRUE(lsn.ok());
      // Sync every third; the rest are written but not synced when the power goes.
      ASSERT_TRUE((*w)->Flush(*lsn, i % 3 == 0).ok());
    }
  }
  ASSERT_TRUE(fenv.DropUnsyncedData().ok());
  std::vector<std::string> got;
  auto r = Read(&got);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(got.size(), 300u - 2u);  // at most the two unsynced records after the last sync
}

TEST_F(WalTest, RemovesSegmentsCoveredByCheckpoint) {
  auto w = WalWriter::Create(env::Env::Default(), dir_, 1, 1024);
  ASSERT_TRUE(w.ok());
  for (int i = 1; i <= 200; ++i) {
    auto lsn = (*w)->Append("payload-" + std::to_string(i));
    ASSERT_TRUE((*w)->Flush(*lsn, true).ok());
  }
  const size_t before = Segments().size();
  ASSERT_TRUE((*w)->RemoveSegmentsThrough(150).ok());
  EXPECT_LT(Segments().size(), before);
  std::vector<std::string> got;
  auto r = Read(&got);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->last_lsn, 200u);
  EXPECT_LE(200u - got.size() + 1, 151u);  // the first record kept is at most 151
}

TEST(WalFormat, SegmentNamesRoundTrip) {
  uint64_t first = 0;
  EXPECT_TRUE(ParseSegmentFileName(SegmentFileName(0xabc), &first));
  EXPECT_EQ(first, 0xabcu);
  EXPECT_FALSE(ParseSegmentFileName("wal-00000000000000zz.log", &first));
  EXPECT_FALSE(ParseSegmentFileName("MANIFEST", &first));
}

}  // namespace
}  // namespace daas::storage::wal
