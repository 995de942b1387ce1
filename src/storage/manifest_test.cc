#include "storage/manifest.h"

#include <gtest/gtest.h>

#include <functional>
#include <utility>
#include <vector>

namespace daas::storage {
namespace {

Manifest Sample() {
  Manifest m;
  m.generation = 9;
  m.next_collection_id = 4;
  m.next_shard_id = 12;
  m.next_file_number = 30;
  m.covered_lsn = 77;
  m.collections.push_back({1,
                           "users",
                           {{ShardId{1}, 20, 5, 65536}, {ShardId{7}, 0, 0, 0}},
                           R"({"version":2})",
                           R"({"version":1})",
                           7});
  m.collections.push_back({3, "orders", {}, "", "", 0});
  return m;
}

TEST(Manifest, RoundTrips) {
  auto m = DecodeManifest(EncodeManifest(Sample()));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->generation, 9u);
  EXPECT_EQ(m->next_collection_id, 4u);
  EXPECT_EQ(m->next_shard_id, 12u);
  EXPECT_EQ(m->next_file_number, 30u);
  ASSERT_EQ(m->collections.size(), 2u);
  EXPECT_EQ(m->collections[0].name, "users");
  ASSERT_EQ(m->collections[0].shards.size(), 2u);
  EXPECT_EQ(m->collections[0].shards[0].file_number, 20u);
  EXPECT_EQ(m->collections[0].shards[0].record_count, 65536u);
  EXPECT_EQ(m->collections[0].shards[1].id.value, 7u);
  EXPECT_EQ(m->collections[1].name, "orders");
  EXPECT_EQ(m->covered_lsn, 77u);
  EXPECT_EQ(m->collections[0].schema, R"({"version":2})");
  EXPECT_EQ(m->collections[0].migrating_from, R"({"version":1})");
  EXPECT_EQ(m->collections[0].migrated_below, 7u);
  EXPECT_EQ(m->collections[1].schema, "");
  EXPECT_EQ(m->collections[1].migrating_from, "");
}

TEST(Manifest, EveryFlippedByteAndTruncationIsCorruption) {
  const std::string file = EncodeManifest(Sample());
  for (size_t i = 0; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    auto m = DecodeManifest(bad);
    ASSERT_FALSE(m.ok()) << i;
    EXPECT_EQ(m.status().code(), StatusCode::kCorruption);
    EXPECT_NE(m.status().message().find("MANIFEST at byte"), std::string_view::npos);
    ASSERT_FALSE(DecodeManifest(std::string_view(file).substr(0, i)).ok()) << i;
  }
}

// A catalog open could not build is refused when decoding, so open and `daas check` agree.
TEST(Manifest, InconsistentCatalogIsCorruption) {
  const std::vector<std::pair<std::string, std::function<void(Manifest*)>>> cases = {
      {"collection 'orders' has ID 3, not below", [](Manifest* m) { m->next_collection_id = 3; }},
      {"has the ID 1 of another", [](Manifest* m) { m->collections[1].id = 1; }},
      {"two collections are named 'users'", [](Manifest* m) { m->collections[1].name = "users"; }},
      {"shard 0 of collection 'users'",
       [](Manifest* m) { m->collections[0].shards[0].id = ShardId{0}; }},
      {"shard 16777216 of collection 'orders'",
       [](Manifest* m) {
         m->next_shard_id = 16777217;
         m->collections[1].shards.push_back({ShardId{16777216}, 0, 0, 0});
       }},
      {"below the next shard ID 7", [](Manifest* m) { m->next_shard_id = 7; }},
      {"shard 7 of collection 'orders' is listed in another collection",
       [](Manifest* m) {
         m->collections[1].shards.push_back({ShardId{7}, 0, 0, 0});
       }},
      {"names file number 20, not below the next file number 20",
       [](Manifest* m) { m->next_file_number = 20; }},
  };
  for (const auto& [what, edit] : cases) {
    Manifest m = Sample();
    edit(&m);
    auto decoded = DecodeManifest(EncodeManifest(m));
    ASSERT_FALSE(decoded.ok()) << what;
    EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
    EXPECT_NE(decoded.status().message().find(what), std::string_view::npos)
        << decoded.status().message();
  }
}

TEST(Manifest, ShardFileNamesAreRecognized) {
  EXPECT_TRUE(IsShardFileName(ShardFileName(ShardId{1}, 3)));
  EXPECT_TRUE(IsShardFileName(ShardFileName(ShardId{0xffffff}, uint64_t{1} << 50)));
  for (const char* name : {"s00000001-000000000003.shard.tmp", "s0000001-000000000003.shard",
                           "s00000001-00000000003.shard", "s0000000g-000000000003.shard",
                           "x00000001-000000000003.shard", "s00000001_000000000003.shard",
                           "notes.shard", "MANIFEST"}) {
    EXPECT_FALSE(IsShardFileName(name)) << name;
  }
}

TEST(Manifest, ShardFileNamesAreFixedWidth) {
  EXPECT_EQ(ShardFileName(ShardId{1}, 3), "s00000001-000000000003.shard");
  EXPECT_EQ(ShardFileName(ShardId{0xabcdef}, 0x1234567890), "s00abcdef-001234567890.shard");
}

}  // namespace
}  // namespace daas::storage
