#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/engine_test_util.h"

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

TEST_F(PersistenceTest, FailedOpenOfCorruptDatabaseLeavesFilesUntouched) {
  {
    auto db = testing::OpenOrDie(opts());
    ASSERT_TRUE((*db->CreateCollection("a"))->Insert(Doc(R"({"k":1})")).ok());
  }
  const auto shard = Files(".shard");
  ASSERT_EQ(shard.size(), 1u);
  FlipByte(shard[0], 60);
  const std::string manifest = ReadFile(opts().dir + "/MANIFEST");
  const std::string bad = ReadFile(shard[0]);
  EXPECT_FALSE(Database::Open(opts()).ok());
  EXPECT_EQ(ReadFile(opts().dir + "/MANIFEST"), manifest);
  EXPECT_EQ(ReadFile(shard[0]), bad);
}

TEST_F(PersistenceTest, MissingDirectoryWithoutCreateIsNotFound) {
  Options o = opts();
  o.create_if_missing = false;
  auto db = Database::Open(o);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kNotFound);
}

TEST_F(PersistenceTest, CorruptShardFileFailsOpenNamingFileAndOffset) {
  {
    auto db = testing::OpenOrDie(opts());
    Collection* a = *db->CreateCollection("a");
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(a->Insert(Doc(R"({"k":"some value"})")).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  const auto files = Files(".shard");
  ASSERT_EQ(files.size(), 1u);
  FlipByte(files[0], 200);
  auto db = Database::Open(opts());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kCorruption);
  const std::string name = fs::path(files[0]).filename().string();
  EXPECT_NE(db.status().message().find(name), std::string_view::npos) << db.status().message();
  EXPECT_NE(db.status().message().find("at byte"), std::string_view::npos);
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
