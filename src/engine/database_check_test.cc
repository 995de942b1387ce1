// The full check (`daas check`, CheckDatabase) against open: each directory here is damaged in a
// way open refuses, and the check must refuse it too, so that "check ok" means "the database
// opens". One test per rule open applies.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "engine/backup.h"
#include "engine/engine_test_util.h"
#include "env/env.h"
#include "storage/manifest.h"
#include "storage/wal/commit_record.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_writer.h"

namespace daas {
namespace {

namespace fs = std::filesystem;
using testing::Doc;

class DatabaseCheck : public ::testing::Test {
 protected:
  // A closed database with collections `a` (3 documents) and `b` (1 document), each in one shard
  // file, that both the check and open accept.
  void SetUp() override {
    Options o;
    o.dir = dir_;
    auto db = testing::OpenOrDie(o);
    Collection* a = *db->CreateCollection("a");
    Collection* b = *db->CreateCollection("b");
    for (int i = 0; i < 3; ++i) a_ids_.push_back(*a->Insert(Doc(R"({"k":1})")));
    ASSERT_TRUE(b->Insert(Doc(R"({"k":2})")).ok());
    ASSERT_TRUE(db->Close().ok());
    ExpectCheckAndOpenAccept();
  }

  env::Env* env() const { return env::Env::Default(); }

  storage::Manifest ReadManifest() {
    auto bytes = env()->ReadFile(env::JoinPath(dir_, storage::kManifestFileName));
    EXPECT_TRUE(bytes.ok());
    auto m = storage::DecodeManifest(bytes.ok() ? *bytes : "");
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : storage::Manifest{};
  }
  void WriteManifest(const storage::Manifest& m) {
    ASSERT_TRUE(env::WriteFileAtomically(env(), env::JoinPath(dir_, storage::kManifestFileName),
                                         storage::EncodeManifest(m))
                    .ok());
  }
  void EditManifest(const std::function<void(storage::Manifest*)>& edit) {
    storage::Manifest m = ReadManifest();
    edit(&m);
    WriteManifest(m);
  }
  storage::ManifestCollection& Named(storage::Manifest* m, std::string_view name) {
    for (storage::ManifestCollection& c : m->collections) {
      if (c.name == name) return c;
    }
    ADD_FAILURE() << "no collection " << name;
    return m->collections.front();
  }
  // Appends one commit record to the log, after the records it holds.
  void AppendLogRecord(const std::function<void(storage::wal::CommitRecordBuilder*)>& build) {
    uint64_t next = 0;
    for (const auto& e : fs::directory_iterator(dir_)) {
      uint64_t first;
      if (storage::wal::ParseSegmentFileName(e.path().filename().string(), &first)) {
        next = std::max(next, first);  // a closed database ends with an empty segment
      }
    }
    ASSERT_NE(next, 0u);
    auto w = storage::wal::WalWriter::Create(env(), dir_, next, 1 << 20);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    storage::wal::CommitRecordBuilder b;
    build(&b);
    ASSERT_TRUE((*w)->Append(b.Finish()).ok());
    ASSERT_TRUE((*w)->Flush(next, /*sync=*/true).ok());
  }

  void ExpectCheckAndOpenAccept() {
    auto report = engine::CheckDatabase(env(), dir_);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok()) << report->problems.front();
    Options o;
    o.dir = dir_;
    o.create_if_missing = false;
    auto db = Database::Open(o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Close().ok());
  }
  // The check reports a problem containing `what`, and open fails with Corruption. The check runs
  // first: a refused open may still have removed files. A damaged shard file is one open does not
  // read (it reads a shard file at the shard's first use): for one, pass the collection, and the
  // database opens but reading the collection's first document fails with Corruption.
  void ExpectCheckAndOpenRefuse(std::string_view what, const char* shard_of = nullptr) {
    auto report = engine::CheckDatabase(env(), dir_);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    std::string all;
    for (const std::string& p : report->problems) all += p + "\n";
    EXPECT_FALSE(report->ok()) << "the check passes a directory that open refuses";
    EXPECT_NE(all.find(what), std::string::npos) << all;
    Options o;
    o.dir = dir_;
    o.create_if_missing = false;
    auto db = Database::Open(o);
    if (shard_of != nullptr) {
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      auto c = (*db)->GetCollection(shard_of);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      std::string bytes;
      const Status got = (*c)->Get(a_ids_[0], &bytes);
      EXPECT_EQ(got.code(), StatusCode::kCorruption) << got.ToString();
      EXPECT_NE(got.message().find(what), std::string::npos) << got.ToString();
      return;
    }
    EXPECT_EQ(db.status().code(), StatusCode::kCorruption) << db.status().ToString();
  }

  testing::TempDir tmp_;
  const std::string dir_ = tmp_.path() + "/db";
  std::vector<DocId> a_ids_;
};

TEST_F(DatabaseCheck, StaleShardFileWithTheSameCountUnderTheCurrentName) {
  storage::Manifest m0 = ReadManifest();
  const storage::ManifestShard before = Named(&m0, "a").shards[0];
  const std::string old_name = storage::ShardFileName(before.id, before.file_number);
  const std::string old_bytes = testing::ReadWholeFile(env::JoinPath(dir_, old_name));
  {
    Options o;
    o.dir = dir_;
    auto db = testing::OpenOrDie(o);
    // Same document count, later log position.
    ASSERT_TRUE((*db->GetCollection("a"))->Patch(a_ids_[0], Doc(R"({"k":9})")).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  storage::Manifest m = ReadManifest();
  const storage::ManifestShard after = Named(&m, "a").shards[0];
  ASSERT_NE(after.file_number, before.file_number);
  ASSERT_EQ(after.record_count, before.record_count);
  std::ofstream(env::JoinPath(dir_, storage::ShardFileName(after.id, after.file_number)),
                std::ios::binary | std::ios::trunc)
      << old_bytes;
  ExpectCheckAndOpenRefuse("up to log record " + std::to_string(before.lsn), "a");
}

TEST_F(DatabaseCheck, BadCollectionNameInTheManifest) {
  EditManifest([&](storage::Manifest* m) { Named(m, "b").name = "9b"; });
  ExpectCheckAndOpenRefuse("'9b'");
}

TEST_F(DatabaseCheck, RepeatedCollectionName) {
  EditManifest([&](storage::Manifest* m) { Named(m, "b").name = "a"; });
  ExpectCheckAndOpenRefuse("'a'");
}

TEST_F(DatabaseCheck, CollectionIdNotBelowTheNextOne) {
  EditManifest([&](storage::Manifest* m) { m->next_collection_id = Named(m, "b").id; });
  ExpectCheckAndOpenRefuse("collection 'b' has ID");
}

TEST_F(DatabaseCheck, ShardListedInTwoCollections) {
  // Listed without a file in the second: no shard file header can tell.
  const ShardId shard = a_ids_[0].shard();
  EditManifest([&](storage::Manifest* m) {
    std::vector<storage::ManifestShard>& b = Named(m, "b").shards;
    ASSERT_LT(shard, b.front().id);
    b.insert(b.begin(), storage::ManifestShard{shard, 0, 0, 0});
  });
  ExpectCheckAndOpenRefuse("shard " + std::to_string(shard.value));
}

TEST_F(DatabaseCheck, ShardIdNotBelowTheNextOne) {
  EditManifest([&](storage::Manifest* m) { m->next_shard_id = Named(m, "b").shards[0].id.value; });
  ExpectCheckAndOpenRefuse("shard");
}

TEST_F(DatabaseCheck, FileNumberNotBelowTheNextOne) {
  EditManifest(
      [&](storage::Manifest* m) { m->next_file_number = Named(m, "b").shards[0].file_number; });
  ExpectCheckAndOpenRefuse("file number");
}

TEST_F(DatabaseCheck, SchemaThatDoesNotParse) {
  EditManifest([&](storage::Manifest* m) {
    Named(m, "a").schema = R"({"version":1,"fields":{"x":{"type":"ref","collection":"nope"}}})";
  });
  ExpectCheckAndOpenRefuse("collection 'a'");
}

TEST_F(DatabaseCheck, MigrationWithoutSchema) {
  EditManifest(
      [&](storage::Manifest* m) { Named(m, "a").migrating_from = R"({"version":1,"fields":{}})"; });
  ExpectCheckAndOpenRefuse("collection 'a'");
}

TEST_F(DatabaseCheck, LogPutsAShardInAnotherCollection) {
  storage::Manifest m = ReadManifest();
  const uint32_t b_id = Named(&m, "b").id;
  AppendLogRecord([&](storage::wal::CommitRecordBuilder* b) {
    b->Put(b_id, DocId(5, a_ids_[0].shard(), 100), Doc(R"({"k":3})"));
  });
  ExpectCheckAndOpenRefuse("log puts shard " + std::to_string(a_ids_[0].shard().value));
}

TEST_F(DatabaseCheck, LogNamesAShardBeyondTheLargestId) {
  storage::Manifest m = ReadManifest();
  const uint32_t a_id = Named(&m, "a").id;
  AppendLogRecord([&](storage::wal::CommitRecordBuilder* b) {
    b->Put(a_id, DocId(5, ShardId{16777216}, 1), Doc(R"({"k":3})"));
  });
  ExpectCheckAndOpenRefuse("shard 16777216");
}

}  // namespace
}  // namespace daas
