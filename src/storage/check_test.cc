#include "storage/check.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "core/test_util.h"
#include "storage/manifest.h"
#include "storage/shard_file.h"
#include "storage/wal/commit_record.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_writer.h"

namespace daas::storage {
namespace {

namespace fs = std::filesystem;

// A database directory written with the storage formats directly: one collection, one shard file,
// and a log of three commits.
class CheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env::Env* env = env::Env::Default();
    Shard shard(ShardId{1}, 1);
    std::string file;
    {
      core::WriterLock l(shard.mu());
      shard.Put(0, 77, std::string("\x81\xa1k\x01", 4), RecordMeta{1, 0, 0});
      file = EncodeShardFile(shard, 0);
    }
    shard_file_ = env::JoinPath(dir_, ShardFileName(ShardId{1}, 1));
    ASSERT_TRUE(env::WriteFileAtomically(env, shard_file_, file).ok());
    Manifest m;
    m.next_collection_id = 2;
    m.next_shard_id = 2;
    m.next_file_number = 2;
    m.collections.push_back({1, "c", {{ShardId{1}, 1, 0, 1}}, "", "", 0});
    ASSERT_TRUE(
        env::WriteFileAtomically(env, env::JoinPath(dir_, kManifestFileName), EncodeManifest(m))
            .ok());
    auto w = wal::WalWriter::Create(env, dir_, 1, 1 << 20);
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 3; ++i) {
      wal::CommitRecordBuilder b;
      b.Put(1, DocId(100 + i, ShardId{1}, static_cast<uint16_t>(1 + i)),
            std::string("\x81\xa1k\x02", 4));
      ASSERT_TRUE((*w)->Append(b.Finish()).ok());
    }
    ASSERT_TRUE((*w)->Flush(3, true).ok());
    segment_ = env::JoinPath(dir_, wal::SegmentFileName(1));
  }
  testing::TempDir tmp_;
  const std::string dir_ = tmp_.path();
  std::string shard_file_, segment_;
};

TEST_F(CheckTest, CleanDatabaseReportsCountsAndNoProblem) {
  auto r = CheckDirectory(env::Env::Default(), dir_, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->collections, 1u);
  EXPECT_EQ(r->shard_files, 1u);
  EXPECT_EQ(r->checkpoint_documents, 1u);
  EXPECT_EQ(r->log_records, 3u);
  EXPECT_EQ(r->last_lsn, 3u);
  EXPECT_TRUE(r->torn_tail.empty());
}

TEST_F(CheckTest, DamagedShardFileIsAProblemNamingIt) {
  testing::FlipBits(shard_file_, 50, 0x55);
  auto r = CheckDirectory(env::Env::Default(), dir_, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_NE(r->problems[0].find(fs::path(shard_file_).filename().string()), std::string::npos);
}

TEST_F(CheckTest, TornLogTailIsReportedButIsNotAProblem) {
  fs::resize_file(segment_, fs::file_size(segment_) - 2);
  const auto size = fs::file_size(segment_);
  auto r = CheckDirectory(env::Env::Default(), dir_, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->log_records, 2u);
  EXPECT_NE(r->torn_tail.find("torn tail"), std::string::npos);
  EXPECT_EQ(fs::file_size(segment_), size);  // check changes nothing
}

TEST_F(CheckTest, MissingDatabaseIsNotFound) {
  auto r = CheckDirectory(env::Env::Default(), dir_ + "/nothing", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace daas::storage
