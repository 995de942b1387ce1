// Open is lazy (DESIGN.md §5): shards load when first used, or in the background.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <thread>

#include "engine/database_impl.h"
#include "engine/engine_test_util.h"

namespace daas {
namespace {

using testing::Doc;
using testing::GetJson;

constexpr int kDocs = 3 * 65536 + 100;  // four shards, the last one nearly empty

class LazyOpenTest : public ::testing::Test {
 protected:
  Options opts(bool in_background) const {
    Options o;
    o.dir = dir_.path() + "/db";
    o.sync = SyncMode::kOff;
    o.load_in_background = in_background;
    return o;
  }
  // A database of kDocs documents {"i": n} in collection "c"; ids_[n] is document n's ID.
  void SetUp() override {
    auto db = testing::OpenOrDie(opts(false));
    Collection* c = *db->CreateCollection("c");
    std::vector<std::string> docs;
    for (int i = 0; i < kDocs; ++i) docs.push_back(Doc("{\"i\":" + std::to_string(i) + "}"));
    std::vector<std::string_view> views(docs.begin(), docs.end());
    ids_ = *c->InsertMany(views);
    ASSERT_TRUE(db->Close().ok());
  }
  static uint64_t ColdShards(Database* db) { return db->Stats()->cold_shards; }

  testing::TempDir dir_;
  std::vector<DocId> ids_;
};

TEST_F(LazyOpenTest, OpenLoadsNoShardAndFirstUseLoadsOne) {
  auto db = testing::OpenOrDie(opts(false));
  Collection* c = *db->GetCollection("c");
  EXPECT_EQ(ColdShards(db.get()), 4u);
  // Count answers from the files' counts without loading.
  EXPECT_EQ(*c->Count(), static_cast<uint64_t>(kDocs));
  EXPECT_EQ(ColdShards(db.get()), 4u);
  // A point read reads its document from the file, in place: nothing is loaded.
  EXPECT_EQ(GetJson(c, ids_[70000]), R"({"i":70000})");
  EXPECT_EQ(ColdShards(db.get()), 4u);
  std::vector<std::optional<std::string>> many;
  ASSERT_TRUE(db->GetMany(std::vector<DocRef>{{c, ids_[1]}, {c, ids_[140000]}}, &many).ok());
  ASSERT_TRUE(many[0] && many[1]);
  EXPECT_EQ(testing::Json(*many[1]), R"({"i":140000})");
  EXPECT_EQ(ColdShards(db.get()), 4u);
  // A write to a cold shard loads it first.
  ASSERT_TRUE(c->Patch(ids_[5], Doc(R"({"p":true})")).ok());
  EXPECT_EQ(ColdShards(db.get()), 3u);
  EXPECT_EQ(GetJson(c, ids_[5]), R"({"i":5,"p":true})");
  // A scan loads the rest.
  uint64_t seen = 0;
  ASSERT_TRUE(c->Scan([&](DocId, std::string_view) { return ++seen, true; }).ok());
  EXPECT_EQ(seen, static_cast<uint64_t>(kDocs));
  EXPECT_EQ(ColdShards(db.get()), 0u);
}

TEST_F(LazyOpenTest, BackgroundLoadingLoadsEveryShard) {
  auto db = testing::OpenOrDie(opts(true));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (ColdShards(db.get()) != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(ColdShards(db.get()), 0u);
  Collection* c = *db->GetCollection("c");
  for (int i = 0; i < kDocs; i += 997) {
    ASSERT_EQ(GetJson(c, ids_[i]), "{\"i\":" + std::to_string(i) + "}");
  }
}

TEST_F(LazyOpenTest, InsertsFillFreeSlotsOfShardsNotYetLoaded) {
  {
    auto db = testing::OpenOrDie(opts(false));
    Collection* c = *db->GetCollection("c");
    ASSERT_TRUE(c->Delete(ids_[3]).ok());  // a free slot in the first shard
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = testing::OpenOrDie(opts(false));
  Collection* c = *db->GetCollection("c");
  const DocId first = *c->Insert(Doc(R"({"new":1})"));
  EXPECT_EQ(first.shard(), ids_[3].shard());
  EXPECT_EQ(first.slot(), ids_[3].slot());
  // The last shard had room too; the full ones stay cold.
  const DocId second = *c->Insert(Doc(R"({"new":2})"));
  EXPECT_EQ(second.shard(), ids_.back().shard());
  EXPECT_EQ(ColdShards(db.get()), 2u);
  EXPECT_EQ(*c->Count(), static_cast<uint64_t>(kDocs) + 1);
}

TEST_F(LazyOpenTest, ConcurrentFirstUsesAndADropAgreeWithTheFiles) {
  for (bool drop : {false, true}) {
    SCOPED_TRACE(drop);
    auto db = testing::OpenOrDie(opts(true));
    Collection* c = *db->GetCollection("c");
    std::atomic<int> wrong{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t) {
      readers.emplace_back([&, t] {
        for (int i = t; i < kDocs; i += 4099) {
          std::string out;
          Status s = c->Get(ids_[i], &out);
          // After the drop, NotFound; before it, the document.
          if (s.ok() ? testing::Json(out) != "{\"i\":" + std::to_string(i) + "}"
                     : s.code() != StatusCode::kNotFound || !drop) {
            ++wrong;
          }
        }
      });
    }
    if (drop) {
      ASSERT_TRUE(db->DropCollection("c").ok());
    }
    for (auto& r : readers) r.join();
    EXPECT_EQ(wrong.load(), 0);
    ASSERT_TRUE(db->Close().ok());
  }
}

// What a directory holds, file by file: size and modification time. Equal snapshots mean nothing
// was written, created or removed.
std::map<std::string, std::pair<uintmax_t, std::filesystem::file_time_type>> Snapshot(
    const std::string& dir) {
  std::map<std::string, std::pair<uintmax_t, std::filesystem::file_time_type>> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out[e.path().filename().string()] = {e.file_size(), e.last_write_time()};
  }
  return out;
}

TEST_F(LazyOpenTest, OpeningReadingAndClosingWritesNothing) {
  const auto before = Snapshot(opts(false).dir);
  // Modification times have a coarse grain on some file systems: let a write show.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (bool in_background : {false, true}) {
    auto db = testing::OpenOrDie(opts(in_background));
    Collection* c = *db->GetCollection("c");
    EXPECT_EQ(GetJson(c, ids_[123]), R"({"i":123})");
    EXPECT_EQ(*c->Count(), static_cast<uint64_t>(kDocs));
    ASSERT_TRUE(db->Close().ok());
    EXPECT_EQ(Snapshot(opts(false).dir), before);
  }
  // The first write after such a session goes on in the log as usual, and survives a reopen.
  DocId id;
  {
    Options durable = opts(false);
    durable.sync = SyncMode::kFull;
    auto db = testing::OpenOrDie(durable);
    id = *(*db->GetCollection("c"))->Insert(Doc(R"({"after":1})"));
    static_cast<engine::DatabaseImpl*>(db.get())->AbandonForTesting();  // no checkpoint
  }
  auto db = testing::OpenOrDie(opts(false));
  EXPECT_EQ(GetJson(*db->GetCollection("c"), id), R"({"after":1})");
}

// Close stops index builds and background loads where they are; what they did not finish is
// done again by the next open, which finds the database whole.
TEST_F(LazyOpenTest, ClosingDuringTheIndexBuildLeavesTheDatabaseWhole) {
  {
    auto db = testing::OpenOrDie(opts(false));
    ASSERT_TRUE((*db->GetCollection("c"))
                    ->SetSchema(R"({"version":1,"fields":{"i":{"type":"int","unique":true}}})")
                    .ok());
    ASSERT_TRUE(db->Close().ok());
  }
  // Background work starts 50 ms after open: the later closes land in the build and the loads.
  for (int delay_ms : {0, 5, 55, 70, 100}) {
    auto db = testing::OpenOrDie(opts(true));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = testing::OpenOrDie(opts(true));
  Collection* c = *db->GetCollection("c");
  EXPECT_EQ(*c->Count(), static_cast<uint64_t>(kDocs));
  // The index is built (the insert waits for it) and enforced.
  Result<DocId> dup = c->Insert(Doc(R"({"i":7})"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), StatusCode::kSchemaViolation) << dup.status().ToString();
  ASSERT_TRUE(c->Insert(Doc(R"({"i":-1})")).ok());
  for (int i = 0; i < kDocs; i += 4999) {
    ASSERT_EQ(GetJson(c, ids_[i]), "{\"i\":" + std::to_string(i) + "}");
  }
}

}  // namespace
}  // namespace daas
