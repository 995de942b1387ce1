// Schema changes that rewrite stored documents, over live data: what they do to each document,
// what is refused before anything changes, writers waiting while readers go on, and a migration
// stopped after any shard (as by a crash) resuming at the next open.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "engine/database_impl.h"
#include "engine/engine_test_util.h"

namespace daas {
namespace {

using testing::Doc;
using testing::GetJson;

constexpr const char* kV1 =
    R"({"version": 1, "fields": {"name": "string", "cents": "int", "legacy": "string"}})";
// Adds `active` (default true), renames and converts cents -> price, removes legacy.
constexpr const char* kV2 =
    R"({"version": 2, "fields": {"name": "string", "active": {"type": "bool", "default": true},
        "price": {"type": "float", "renamedFrom": "cents", "convert": "cents / 100"}}})";

class MigrationTest : public ::testing::Test {
 protected:
  Options opts() const {
    Options o;
    o.dir = dir_.path() + "/db";
    o.sync = SyncMode::kOff;
    o.load_in_background = false;
    return o;
  }
  std::unique_ptr<engine::DatabaseImpl> Open() {
    auto db = engine::DatabaseImpl::Open(opts());
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  // `n` documents {"name": "d<i>", "cents": i, "legacy": "x"} under kV1; ids_[i] is document i.
  void Fill(Database* db, int n) {
    Collection* c = *db->CreateCollection("items");
    ASSERT_TRUE(c->SetSchema(kV1).ok());
    std::vector<std::string> docs;
    for (int i = 0; i < n; ++i) {
      docs.push_back(Doc(R"({"name": "d)" + std::to_string(i) + R"(", "cents": )" +
                         std::to_string(i) + R"(, "legacy": "x"})"));
    }
    std::vector<std::string_view> views(docs.begin(), docs.end());
    ids_ = *c->InsertMany(views);
  }
  // Document i after kV2's migration, as JSON (the price printed as the JSON layer prints i/100).
  static std::string Migrated(int i) {
    char price[32];
    std::snprintf(price, sizeof price, i % 100 == 0 ? "%.1f" : "%.17g", i / 100.0);
    return testing::Json(
        Doc(R"({"name":"d)" + std::to_string(i) + R"(","price":)" + price + R"(,"active":true})"));
  }
  // Every document is migrated exactly once.
  void ExpectAllMigrated(Collection* c) {
    ASSERT_EQ(*c->Count(), ids_.size());
    for (size_t i = 0; i < ids_.size(); i += 997) {
      EXPECT_EQ(GetJson(c, ids_[i]), Migrated(static_cast<int>(i))) << i;
    }
    size_t seen = 0;
    ASSERT_TRUE(c->Scan([&](DocId, std::string_view d) {
                   ++seen;
                   EXPECT_EQ(testing::Json(d).find("cents"), std::string::npos);
                   return true;
                 }).ok());
    EXPECT_EQ(seen, ids_.size());
  }

  testing::TempDir dir_;
  std::vector<DocId> ids_;
};

TEST_F(MigrationTest, AddRenameConvertAndRemoveRewriteEveryDocument) {
  auto db = Open();
  Fill(db.get(), 10);
  Collection* c = *db->GetCollection("items");
  ASSERT_TRUE(c->SetSchema(kV2).ok());
  ExpectAllMigrated(c);
  EXPECT_NE(testing::SchemaOf(c).find(R"("version":2)"), std::string::npos);
  // The new version is enforced: the old shape is refused, the new one taken.
  Status s = c->Insert(Doc(R"({"name": "n", "cents": 5})")).status();
  EXPECT_EQ(s.code(), StatusCode::kSchemaViolation) << s.ToString();
  EXPECT_TRUE(c->Insert(Doc(R"({"name": "n", "price": 0.5})")).ok());
  ids_.push_back(*c->Insert(Doc(R"({"name": "d10", "price": 0.1})")));
  ASSERT_TRUE(db->Close().ok());
  db = Open();
  c = *db->GetCollection("items");
  EXPECT_EQ(GetJson(c, ids_[3]), Migrated(3));
  EXPECT_NE(testing::SchemaOf(c).find(R"("version":2)"), std::string::npos);
}

TEST_F(MigrationTest, ADocumentTheNewVersionWouldRejectChangesNothing) {
  auto db = Open();
  Fill(db.get(), 5);
  Collection* c = *db->GetCollection("items");
  ASSERT_TRUE(c->Patch(ids_[2], Doc(R"({"cents": -300})")).ok());
  // Migrated, document 2 would have price -3, below the new minimum.
  Status s = c->SetSchema(
      R"({"version": 2, "fields": {"name": "string", "legacy": "string",
          "price": {"type": "float", "min": 0, "renamedFrom": "cents", "convert": "cents / 100"}}})");
  EXPECT_EQ(s.code(), StatusCode::kSchemaViolation) << s.ToString();
  EXPECT_NE(s.message().find("1 stored document(s)"), std::string_view::npos) << s.ToString();
  EXPECT_NE(s.message().find(ids_[2].ToString()), std::string_view::npos) << s.ToString();
  EXPECT_NE(s.message().find("price: validation_min"), std::string_view::npos) << s.ToString();
  EXPECT_EQ(GetJson(c, ids_[1]), R"({"name":"d1","cents":1,"legacy":"x"})");
  EXPECT_NE(testing::SchemaOf(c).find(R"("version":1)"), std::string::npos);
  EXPECT_TRUE(c->Insert(Doc(R"({"name": "n", "cents": 5})")).ok());
}

TEST_F(MigrationTest, InMemoryDatabasesMigrateToo) {
  auto db = testing::OpenOrDie(Options{});
  Fill(db.get(), 100);
  Collection* c = *db->GetCollection("items");
  ASSERT_TRUE(c->SetSchema(kV2).ok());
  ExpectAllMigrated(c);
}

constexpr int kTwoShards = 65536 + 5000;

// A migration stopped after its first shard, as a crash would stop it: the next open finds the
// first shard migrated and the second not, resumes, and migrates each document exactly once (the
// conversion divides by 100, so a second pass would show).
TEST_F(MigrationTest, StoppedAfterAShardResumesAtTheNextOpen) {
  {
    auto db = Open();
    Fill(db.get(), kTwoShards);
    ASSERT_TRUE(db->Close().ok());
  }
  {
    auto db = Open();
    int shards_done = 0;
    db->SetMigrationHookForTesting([&](ShardId) { return ++shards_done < 1; });
    Collection* c = *db->GetCollection("items");
    Status s = c->SetSchema(kV2);
    EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
    EXPECT_EQ(shards_done, 1);
    db->AbandonForTesting();
  }
  auto db = Open();
  Collection* c = *db->GetCollection("items");
  // The first write waits for the resumed migration, then is checked against version 2.
  ids_.push_back(*c->Insert(Doc(R"({"name": "d70536", "price": 705.36})")));
  ExpectAllMigrated(c);
  ASSERT_TRUE(db->Close().ok());
  db = Open();
  ExpectAllMigrated(*db->GetCollection("items"));
}

// Writers wait while a migration runs; readers do not, and see every document in its new shape,
// whether it was rewritten yet or not.
TEST_F(MigrationTest, WritersWaitReadersGoOn) {
  auto db = Open();
  Fill(db.get(), kTwoShards);
  Collection* c = *db->GetCollection("items");
  std::atomic<bool> paused{false}, resume{false};
  db->SetMigrationHookForTesting([&](ShardId) {
    if (!paused.exchange(true)) {
      while (!resume.load()) std::this_thread::yield();
    }
    return true;
  });
  std::thread migrate([&] { EXPECT_TRUE(c->SetSchema(kV2).ok()); });
  while (!paused.load()) std::this_thread::yield();
  // Mid-migration: the first shard is rewritten, the second not, and every read path shows both
  // in the new shape.
  const int last = kTwoShards - 1;
  EXPECT_EQ(GetJson(c, ids_[7]), Migrated(7));
  EXPECT_EQ(GetJson(c, ids_[last]), Migrated(last));
  std::string read;
  ASSERT_TRUE(c->Read(ids_[last], [&](std::string_view d) { read = testing::Json(d); }).ok());
  EXPECT_EQ(read, Migrated(last));
  std::vector<std::optional<std::string>> many;
  const DocRef refs[] = {{c, ids_[7]}, {c, ids_[last]}};
  ASSERT_TRUE(db->GetMany(refs, &many).ok());
  EXPECT_EQ(testing::Json(*many[0]), Migrated(7));
  EXPECT_EQ(testing::Json(*many[1]), Migrated(last));
  // The renamed field finds documents of both shards; the old name finds none.
  size_t found = 0;
  ASSERT_TRUE(c->Find("price >= 0", [&](DocId, std::string_view) { return ++found, true; }).ok());
  EXPECT_EQ(found, ids_.size());
  found = 0;
  ASSERT_TRUE(c->Find("cents >= 0", [&](DocId, std::string_view) { return ++found, true; }).ok());
  EXPECT_EQ(found, 0u);
  std::atomic<size_t> scanned{0}, old_shape{0};
  ASSERT_TRUE(c->ParallelScan([&](unsigned, DocId, std::string_view d) {
                 ++scanned;
                 if (testing::Json(d).find("cents") != std::string::npos) ++old_shape;
               }).ok());
  EXPECT_EQ(scanned.load(), ids_.size());
  EXPECT_EQ(old_shape.load(), 0u);
  std::atomic<bool> released{false};
  std::thread writer([&] {
    auto id = c->Insert(Doc(R"({"name": "w", "price": 1.5})"));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    // The insert could only finish after the migration did.
    EXPECT_TRUE(released.load());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  released.store(true);
  resume.store(true);
  migrate.join();
  writer.join();
  ids_.push_back(DocId());  // the writer's document is counted, not compared
  ASSERT_EQ(*c->Count(), ids_.size());
  ids_.pop_back();
  for (size_t i = 0; i < ids_.size(); i += 4999) {
    EXPECT_EQ(GetJson(c, ids_[i]), Migrated(static_cast<int>(i))) << i;
  }
}

// Readers racing a running migration (no pause: the rewrite and the reads interleave freely) never
// see the old shape once the new version is installed, nor a document migrated twice.
TEST_F(MigrationTest, ReadersRacingTheRewriteSeeOnlyTheNewShape) {
  auto db = Open();
  Fill(db.get(), kTwoShards);
  Collection* c = *db->GetCollection("items");
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, wrong{0};
  std::thread reader([&] {
    size_t i = 0;
    while (!done.load()) {
      // Once the schema says version 2, every later read must show version 2's shape.
      const bool installed = testing::SchemaOf(c).find(R"("version":2)") != std::string::npos;
      i = (i + 7919) % ids_.size();
      std::string got = GetJson(c, ids_[i]);
      if (installed && got != Migrated(static_cast<int>(i))) ++wrong;
      ++reads;
    }
  });
  ASSERT_TRUE(c->SetSchema(kV2).ok());
  done.store(true);
  reader.join();
  EXPECT_EQ(wrong.load(), 0) << "of " << reads.load() << " reads";
  ExpectAllMigrated(c);
}

// Schema changes queue behind a running migration, and a version is never skipped backwards.
TEST_F(MigrationTest, AChangeWaitsForTheMigrationBeforeIt) {
  auto db = Open();
  Fill(db.get(), 1000);
  Collection* c = *db->GetCollection("items");
  ASSERT_TRUE(c->SetSchema(kV2).ok());
  // Version 3 drops `active` again: a second migration, over the first one's output.
  ASSERT_TRUE(
      c->SetSchema(R"({"version": 3, "fields": {"name": "string", "price": "float"}})").ok());
  EXPECT_EQ(GetJson(c, ids_[250]), R"({"name":"d250","price":2.5})");
  ASSERT_TRUE(db->Close().ok());
  db = Open();
  c = *db->GetCollection("items");
  EXPECT_EQ(GetJson(c, ids_[250]), R"({"name":"d250","price":2.5})");
}

}  // namespace
}  // namespace daas
