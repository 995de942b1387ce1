#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "engine/engine_test_util.h"
#include "storage/manifest.h"

namespace daas {
namespace {

using testing::Doc;
using testing::GetJson;

namespace fs = std::filesystem;

class PersistenceTest : public ::testing::Test {
 protected:
  Options opts() const {
    Options o;
    o.dir = dir_.path() + "/db";
    return o;
  }
  std::vector<std::string> Files(std::string_view suffix) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(opts().dir)) {
      if (e.path().string().ends_with(suffix)) out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::string ReadFile(const std::string& path) { return testing::ReadWholeFile(path); }
  static void FlipByte(const std::string& path, size_t offset) {
    testing::FlipBits(path, offset, 0x40);
  }
  // The file name of the shard holding `id` (collections here are checkpointed once, file 1+).
  std::string storage_name(DocId id) const {
    for (const auto& e : fs::directory_iterator(opts().dir)) {
      const std::string name = e.path().filename().string();
      char prefix[16];
      std::snprintf(prefix, sizeof prefix, "s%08x-", id.shard().value);
      if (name.starts_with(prefix) && name.ends_with(".shard")) return name;
    }
    return "<no file>";
  }
  testing::TempDir dir_;
};

TEST_F(PersistenceTest, ReopenFindsEveryDocument) {
  std::vector<std::pair<DocId, std::string>> stored;
  {
    Options o = opts();
    o.sync = SyncMode::kOff;  // 80,000 single commits; Close makes them durable
    auto db = testing::OpenOrDie(o);
    Collection* c = *db->CreateCollection("items");
    for (int i = 0; i < 70000; ++i) {
      std::string json = "{\"i\":" + std::to_string(i) + ",\"s\":\"v" + std::to_string(i) + "\"}";
      stored.emplace_back(*c->Insert(Doc(json)), json);
    }
    for (int i = 0; i < 70000; i += 7) ASSERT_TRUE(c->Delete(stored[i].first).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = testing::OpenOrDie(opts());
  Collection* c = *db->GetCollection("items");
  EXPECT_EQ(*c->Count(), 70000u - 10000u);
  for (int i = 0; i < 70000; ++i) {
    std::string out;
    Status s = c->Get(stored[i].first, &out);
    if (i % 7 == 0) {
      ASSERT_EQ(s.code(), StatusCode::kNotFound) << i;
    } else {
      ASSERT_TRUE(s.ok()) << i << " " << s.ToString();
      ASSERT_EQ(testing::Json(out), stored[i].second);
    }
  }
  // Slots freed before the restart are reused after it, and stale IDs stay dead.
  DocId again = *c->Insert(Doc("{}"));
  EXPECT_EQ(again.slot() % 7, 0);
  std::string out;
  EXPECT_EQ(c->Get(stored[0].first, &out).code(), StatusCode::kNotFound);
}

TEST_F(PersistenceTest, CatalogChangesSurviveReopen) {
  DocId id;
  {
    auto db = testing::OpenOrDie(opts());
    Collection* a = *db->CreateCollection("a");
    id = *a->Insert(Doc(R"({"k":"v"})"));
    ASSERT_TRUE(db->CreateCollection("b").ok());
    ASSERT_TRUE(db->CreateCollection("c").ok());
    ASSERT_TRUE(db->RenameCollection("a", "renamed").ok());
    ASSERT_TRUE(db->DropCollection("b").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = testing::OpenOrDie(opts());
  EXPECT_EQ(db->ListCollections(), (std::vector<std::string>{"c", "renamed"}));
  EXPECT_EQ(GetJson(*db->GetCollection("renamed"), id), R"({"k":"v"})");
  // A new collection gets a new ID: the old ID does not reach into it.
  Collection* fresh = *db->CreateCollection("fresh");
  std::string out;
  EXPECT_EQ(fresh->Get(id, &out).code(), StatusCode::kNotFound);
}

TEST_F(PersistenceTest, DroppedCollectionFilesAreRemoved) {
  {
    auto db = testing::OpenOrDie(opts());
    Collection* a = *db->CreateCollection("a");
    ASSERT_TRUE(a->Insert(Doc("{}")).ok());
    ASSERT_TRUE(db->Checkpoint().ok());
    EXPECT_EQ(Files(".shard").size(), 1u);
    ASSERT_TRUE(db->DropCollection("a").ok());
    EXPECT_EQ(Files(".shard").size(), 0u);
  }
  auto db = testing::OpenOrDie(opts());
  EXPECT_TRUE(db->ListCollections().empty());
}

// Open removes leftovers of interrupted checkpoints (unreferenced shard files, temp files of
// shard files and of MANIFEST), and only those: a file DaaS does not write is left alone, whatever
// it ends with.
TEST_F(PersistenceTest, OpenRemovesOnlyTheLeftoversItWrote) {
  {
    auto db = testing::OpenOrDie(opts());
    ASSERT_TRUE((*db->CreateCollection("a"))->Insert(Doc("{}")).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const std::string dir = opts().dir;
  const std::string leftover = storage::ShardFileName(ShardId{7}, 99);
  for (const std::string& name :
       {leftover, leftover + ".tmp", std::string("MANIFEST.tmp"), std::string("notes.shard"),
        std::string("notes.shard.tmp"), std::string("README")}) {
    std::ofstream(dir + "/" + name) << "x";
  }
  auto db = testing::OpenOrDie(opts());
  EXPECT_FALSE(fs::exists(dir + "/" + leftover));
  EXPECT_FALSE(fs::exists(dir + "/" + leftover + ".tmp"));
  EXPECT_FALSE(fs::exists(dir + "/MANIFEST.tmp"));
  EXPECT_TRUE(fs::exists(dir + "/MANIFEST"));
  EXPECT_TRUE(fs::exists(dir + "/notes.shard"));
  EXPECT_TRUE(fs::exists(dir + "/notes.shard.tmp"));
  EXPECT_TRUE(fs::exists(dir + "/README"));
  EXPECT_EQ(*(*db->GetCollection("a"))->Count(), 1u);
}

TEST_F(PersistenceTest, CheckpointRewritesOnlyChangedShards) {
  auto db = testing::OpenOrDie(opts());
  Collection* a = *db->CreateCollection("a");
  Collection* b = *db->CreateCollection("b");
  DocId ida = *a->Insert(Doc(R"({"x":1})"));
  ASSERT_TRUE(b->Insert(Doc(R"({"y":1})")).ok());
  ASSERT_TRUE(db->Checkpoint().ok());
  const auto before = Files(".shard");
  ASSERT_EQ(before.size(), 2u);
  ASSERT_TRUE(a->Patch(ida, Doc(R"({"x":2})")).ok());
  ASSERT_TRUE(db->Checkpoint().ok());
  const auto after = Files(".shard");
  ASSERT_EQ(after.size(), 2u);
  // b's file is the same file; a's was replaced by a new one.
  int same = 0;
  for (const auto& f : after) same += std::count(before.begin(), before.end(), f);
  EXPECT_EQ(same, 1);
}

TEST_F(PersistenceTest, SecondOpenOfSameDirectoryIsBusyAndChangesNothing) {
  DocId id;
  {
    auto db = testing::OpenOrDie(opts());
    id = *(*db->CreateCollection("a"))->Insert(Doc(R"({"k":1})"));
    ASSERT_TRUE(db->Checkpoint().ok());
    const std::string manifest = ReadFile(opts().dir + "/MANIFEST");
    auto second = Database::Open(opts());
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), StatusCode::kBusy);
    // The refused open must not have written anything: the first handle still owns the files.
    EXPECT_EQ(ReadFile(opts().dir + "/MANIFEST"), manifest);
  }
  auto db = testing::OpenOrDie(opts());
  EXPECT_EQ(GetJson(*db->GetCollection("a"), id), R"({"k":1})");
}

TEST_F(PersistenceTest, DeletingTheLockFileLetsNoSecondOpenIn) {
  auto db = testing::OpenOrDie(opts());
  const DocId id = *(*db->CreateCollection("a"))->Insert(Doc(R"({"k":1})"));
  // Misuse, but it must not let a second writer in: the directory itself is locked.
  ASSERT_TRUE(fs::remove(opts().dir + "/LOCK"));
  auto second = Database::Open(opts());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kBusy) << second.status().ToString();
  EXPECT_EQ(GetJson(*db->GetCollection("a"), id), R"({"k":1})");
}

TEST_F(PersistenceTest, ManifestWrittenByAnotherWriterStopsWritesLoudly) {
  auto db = testing::OpenOrDie(opts());
  ASSERT_TRUE(db->CreateCollection("a").ok());
  const std::string older = ReadFile(opts().dir + "/MANIFEST");
  ASSERT_TRUE(db->CreateCollection("b").ok());
  // Another writer that bypassed the lock replaces the manifest (here: with one it wrote before).
  {
    std::ofstream out(opts().dir + "/MANIFEST", std::ios::binary | std::ios::trunc);
    out << older;
  }
  Result<Collection*> c = db->CreateCollection("c");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kConflict) << c.status().ToString();
  EXPECT_NE(c.status().message().find("MANIFEST"), std::string_view::npos);
  // What the other writer wrote stays, and this database takes no more writes.
  EXPECT_EQ(ReadFile(opts().dir + "/MANIFEST"), older);
  EXPECT_FALSE((*db->GetCollection("a"))->Insert(Doc(R"({"k":1})")).ok());
  EXPECT_FALSE(db->Checkpoint().ok());
}

TEST_F(PersistenceTest, FailedOpenOfCorruptDatabaseLeavesFilesUntouched) {
  {
    auto db = testing::OpenOrDie(opts());
    ASSERT_TRUE((*db->CreateCollection("a"))->Insert(Doc(R"({"k":1})")).ok());
  }
  const auto shard = Files(".shard");
  ASSERT_EQ(shard.size(), 1u);
  FlipByte(opts().dir + "/MANIFEST", 30);  // which open reads
  const std::string manifest = ReadFile(opts().dir + "/MANIFEST");
  const std::string file = ReadFile(shard[0]);
  EXPECT_FALSE(Database::Open(opts()).ok());
  EXPECT_EQ(ReadFile(opts().dir + "/MANIFEST"), manifest);
  EXPECT_EQ(ReadFile(shard[0]), file);
}

TEST_F(PersistenceTest, MissingDirectoryWithoutCreateIsNotFound) {
  Options o = opts();
  o.create_if_missing = false;
  auto db = Database::Open(o);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kNotFound);
}

// Open reads no shard file. A damaged header, a truncated file, or the file of an older checkpoint
// of the shard under the current name is found when the shard is first used: every use that
// needs the file fails with Corruption naming it, every time, while its count comes from the
// manifest and the rest of the database works on.
TEST_F(PersistenceTest, DamagedOrStaleShardFileFailsEveryReadOfThatShardNamingIt) {
  DocId id, other;
  std::string stale;
  {
    auto db = testing::OpenOrDie(opts());
    Collection* a = *db->CreateCollection("a");
    for (int i = 0; i < 100; ++i) id = *a->Insert(Doc(R"({"k":"some value"})"));
    other = *(*db->CreateCollection("b"))->Insert(Doc(R"({"k":2})"));
    ASSERT_TRUE(db->Close().ok());
    stale = ReadFile(opts().dir + "/" + storage_name(id));
    // A later checkpoint of the same shard, with as many documents.
    db = testing::OpenOrDie(opts());
    ASSERT_TRUE((*db->GetCollection("a"))->Patch(id, Doc(R"({"k":"changed"})")).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const std::string path = opts().dir + "/" + storage_name(id);
  const std::string name = storage_name(id);
  const std::string good = ReadFile(path);
  for (size_t damage : {size_t{12}, size_t{20}, size_t{40}, good.size() - 1, size_t{0}}) {
    SCOPED_TRACE(damage);
    if (damage == 0) {
      std::ofstream(path, std::ios::binary | std::ios::trunc) << stale;
    } else if (damage == good.size() - 1) {
      fs::resize_file(path, damage);  // a truncated file: the header's sizes disagree
    } else {
      FlipByte(path, damage);
    }
    auto db = testing::OpenOrDie(opts());
    Collection* a = *db->GetCollection("a");
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::string out;
      Status s = a->Get(id, &out);
      EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
      EXPECT_NE(s.message().find(name), std::string_view::npos) << s.message();
      EXPECT_NE(s.message().find(damage == 0 ? "MANIFEST says" : "at byte"), std::string_view::npos)
          << s.message();
      EXPECT_EQ(a->Scan([](DocId, std::string_view) { return true; }).code(),
                StatusCode::kCorruption);
      EXPECT_EQ(*a->Count(), 100u);
    }
    EXPECT_EQ(GetJson(*db->GetCollection("b"), other), R"({"k":2})");
    ASSERT_TRUE(db->Close().ok());
    EXPECT_NE(ReadFile(path), good);  // nothing rewrote it
    std::ofstream(path, std::ios::binary | std::ios::trunc) << good;
  }
  auto db = testing::OpenOrDie(opts());
  EXPECT_EQ(GetJson(*db->GetCollection("a"), id), R"({"k":"changed"})");
}

// Open reads no shard file. A damaged record is found when it is read: a point read of it fails,
// naming the file and offset, every time, whether or not the shard was loaded meanwhile, while
// point reads of the intact documents of the same shard, and its count (from the header open
// checked), go on working. Everything that needs the whole shard (a scan, a write) fails. The
// rest of the database works on, and nothing on disk changes.
TEST_F(PersistenceTest, CorruptRecordFailsWhatReadsItAndOnlyThat) {
  DocId damaged, intact, in_b;
  {
    auto db = testing::OpenOrDie(opts());
    Collection* a = *db->CreateCollection("a");
    for (int i = 0; i < 100; ++i) {
      const DocId id = *a->Insert(Doc(i == 40 ? R"({"k":"the damaged one"})" : R"({"k":"x"})"));
      if (i == 40) damaged = id;
      if (i == 70) intact = id;
    }
    in_b = *(*db->CreateCollection("b"))->Insert(Doc(R"({"k":2})"));
    ASSERT_TRUE(db->Close().ok());
  }
  const std::string file = opts().dir + "/" + storage_name(damaged);
  const size_t at = ReadFile(file).find("damaged");
  ASSERT_NE(at, std::string::npos);
  FlipByte(file, at);
  const std::string bad = ReadFile(file);
  const std::string manifest = ReadFile(opts().dir + "/MANIFEST");
  {
    auto db = testing::OpenOrDie(opts());
    Collection* a = *db->GetCollection("a");
    // Before and after the shard's load has been tried (and failed): the same answers.
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::string out;
      Status s = a->Get(damaged, &out);
      EXPECT_EQ(s.code(), StatusCode::kCorruption);
      EXPECT_NE(s.message().find(storage_name(damaged) + " at byte"), std::string_view::npos)
          << s.ToString();
      EXPECT_EQ(GetJson(a, intact), R"({"k":"x"})");
      EXPECT_EQ(*a->Count(), 100u);
      std::vector<std::optional<std::string>> many;
      EXPECT_EQ(db->GetMany(std::vector<DocRef>{{a, intact}, {a, damaged}}, &many).code(),
                StatusCode::kCorruption);
      EXPECT_EQ(a->Scan([](DocId, std::string_view) { return true; }).code(),
                StatusCode::kCorruption);
      EXPECT_EQ(a->Delete(intact).code(), StatusCode::kCorruption);
    }
    EXPECT_EQ(GetJson(*db->GetCollection("b"), in_b), R"({"k":2})");
    EXPECT_TRUE((*db->GetCollection("b"))->Insert(Doc(R"({"k":3})")).ok());
    // Inserts into the damaged collection go to a new shard.
    DocId fresh = *a->Insert(Doc(R"({"k":4})"));
    EXPECT_NE(fresh.shard(), damaged.shard());
    EXPECT_EQ(*a->Count(), 101u);
    EXPECT_TRUE(db->Close().ok());
  }
  EXPECT_EQ(ReadFile(file), bad);
  EXPECT_NE(ReadFile(opts().dir + "/MANIFEST"), manifest);  // it names the new shards' files
  // Opening again finds the damage again, and nothing else.
  auto db = testing::OpenOrDie(opts());
  std::string out;
  EXPECT_EQ((*db->GetCollection("a"))->Get(damaged, &out).code(), StatusCode::kCorruption);
  EXPECT_EQ(GetJson(*db->GetCollection("a"), intact), R"({"k":"x"})");
  EXPECT_EQ(GetJson(*db->GetCollection("b"), in_b), R"({"k":2})");
}

TEST_F(PersistenceTest, MissingShardFileIsCorruptionNamingIt) {
  DocId id;
  {
    auto db = testing::OpenOrDie(opts());
    id = *(*db->CreateCollection("a"))->Insert(Doc(R"({"k":1})"));
  }
  ASSERT_TRUE(fs::remove(opts().dir + "/" + storage_name(id)));
  auto db = Database::Open(opts());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kCorruption) << db.status().ToString();
  EXPECT_NE(db.status().message().find("missing"), std::string_view::npos);
}

TEST_F(PersistenceTest, CorruptManifestFailsOpen) {
  {
    auto db = testing::OpenOrDie(opts());
    ASSERT_TRUE(db->CreateCollection("a").ok());
  }
  FlipByte(opts().dir + "/MANIFEST", 20);
  auto db = Database::Open(opts());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kCorruption);
  EXPECT_NE(db.status().message().find("MANIFEST"), std::string_view::npos);
}

TEST_F(PersistenceTest, MissingManifestWithDataFailsOpenAndDeletesNothing) {
  DocId id;
  {
    Options o = opts();
    o.sync = SyncMode::kOff;
    auto db = testing::OpenOrDie(o);
    id = *(*db->CreateCollection("a"))->Insert(Doc(R"({"k":1})"));
    ASSERT_TRUE(db->Checkpoint().ok());
    ASSERT_TRUE((*db->GetCollection("a"))->Insert(Doc(R"({"k":2})")).ok());
    ASSERT_TRUE(db->Sync().ok());
    db.reset();
  }
  const std::string manifest = ReadFile(opts().dir + "/MANIFEST");
  fs::remove(opts().dir + "/MANIFEST");
  const size_t shards = Files(".shard").size(), logs = Files(".log").size();
  ASSERT_EQ(shards, 1u);
  auto db = Database::Open(opts());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kCorruption);
  EXPECT_NE(db.status().message().find("MANIFEST is missing"), std::string_view::npos)
      << db.status().ToString();
  EXPECT_EQ(Files(".shard").size(), shards);
  EXPECT_EQ(Files(".log").size(), logs);
  // With the manifest back, everything is there.
  std::ofstream(opts().dir + "/MANIFEST", std::ios::binary) << manifest;
  auto again = testing::OpenOrDie(opts());
  EXPECT_EQ(GetJson(*again->GetCollection("a"), id), R"({"k":1})");
  EXPECT_EQ(*(*again->GetCollection("a"))->Count(), 2u);
}

TEST_F(PersistenceTest, LeftoverFilesOfInterruptedCheckpointAreRemovedAtOpen) {
  {
    auto db = testing::OpenOrDie(opts());
    ASSERT_TRUE(db->CreateCollection("a").ok());
  }
  std::ofstream(opts().dir + "/s00000009-000000000099.shard") << "partial";
  std::ofstream(opts().dir + "/MANIFEST.tmp") << "partial";
  std::ofstream(opts().dir + "/unrelated.txt") << "kept";
  auto db = testing::OpenOrDie(opts());
  EXPECT_TRUE(Files(".shard").empty());
  EXPECT_TRUE(Files("MANIFEST.tmp").empty());
  EXPECT_EQ(Files("unrelated.txt").size(), 1u);
}

// Disk bytes of the database: shard files, manifest and log.
uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

TEST_F(PersistenceTest, CompactAfterDeletingNinetyPercentGivesSpaceBack) {
  Options o = opts();
  o.sync = SyncMode::kOff;
  auto db = testing::OpenOrDie(o);
  Collection* c = *db->CreateCollection("c");
  const std::string filler(100, 'x');
  std::vector<std::string> docs;
  for (int i = 0; i < 200000; ++i) {
    docs.push_back(Doc("{\"i\":" + std::to_string(i) + ",\"f\":\"" + filler + "\"}"));
  }
  const std::vector<DocId> ids =
      *c->InsertMany(std::vector<std::string_view>(docs.begin(), docs.end()));
  ASSERT_TRUE(db->Compact().ok());
  const uint64_t disk_full = DirBytes(o.dir);
  const uint64_t memory_full = c->Stats()->memory_bytes;

  WriteBatch batch;
  for (int i = 0; i < 200000; ++i) {
    if (i % 10 != 0) batch.Delete(c, ids[i]);
  }
  ASSERT_TRUE(db->Write(batch, nullptr).ok());
  ASSERT_TRUE(db->Compact().ok());
  const uint64_t disk_compact = DirBytes(o.dir);
  const uint64_t memory_compact = c->Stats()->memory_bytes;
  // Disk follows the live documents. Memory keeps each shard's 1 MiB slot table (IDs name slots,
  // so a slot table cannot shrink below its highest live slot), so it falls less.
  EXPECT_LT(disk_compact, disk_full * 12 / 100) << disk_compact << " of " << disk_full;
  EXPECT_LT(memory_compact, memory_full * 35 / 100) << memory_compact << " of " << memory_full;

  for (int i = 0; i < 200000; i += 10) {
    ASSERT_EQ(GetJson(c, ids[i]), "{\"i\":" + std::to_string(i) + ",\"f\":\"" + filler + "\"}");
  }
  ASSERT_TRUE(db->Close().ok());
  db = testing::OpenOrDie(o);
  c = *db->GetCollection("c");
  EXPECT_EQ(*c->Count(), 20000u);
  EXPECT_EQ(GetJson(c, ids[199990]), "{\"i\":199990,\"f\":\"" + filler + "\"}");
  std::string out;
  EXPECT_EQ(c->Get(ids[199991], &out).code(), StatusCode::kNotFound);
}

TEST_F(PersistenceTest, DestructorCheckpointsWithoutExplicitClose) {
  DocId id;
  {
    auto db = testing::OpenOrDie(opts());
    id = *(*db->CreateCollection("a"))->Insert(Doc(R"({"z":26})"));
  }
  auto db = testing::OpenOrDie(opts());
  EXPECT_EQ(GetJson(*db->GetCollection("a"), id), R"({"z":26})");
}

}  // namespace
}  // namespace daas
