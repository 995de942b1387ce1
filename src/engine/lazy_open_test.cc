// Open is lazy (DESIGN.md §5): shards load when first used, or in the background.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

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
  EXPECT_EQ(GetJson(c, ids_[70000]), R"({"i":70000})");
  EXPECT_EQ(ColdShards(db.get()), 3u);
  // A write to a cold shard loads it first.
  ASSERT_TRUE(c->Patch(ids_[5], Doc(R"({"p":true})")).ok());
  EXPECT_EQ(ColdShards(db.get()), 2u);
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

}  // namespace
}  // namespace daas
