// Pull cursors (Collection::OpenCursor): ID order across shards, filters, resuming after an ID,
// and writes between steps (the cursor holds no lock).
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "doc/msgpack_reader.h"
#include "engine/engine_test_util.h"

namespace daas {
namespace {

using testing::Doc;
using testing::IntField;

std::vector<DocId> Drain(Cursor& cursor) {
  std::vector<DocId> out;
  DocId id;
  std::string_view document;
  for (;;) {
    Result<bool> more = cursor.Next(&id, &document);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    out.push_back(id);
  }
  return out;
}

TEST(Cursor, GoesThroughEveryShardInIdOrderAndAgreesWithFind) {
  auto db = testing::OpenOrDie({});
  Collection* c = *db->CreateCollection("c");
  std::vector<std::string> docs;
  for (int i = 0; i < 70'000; ++i) docs.push_back(Doc(R"({"i":)" + std::to_string(i) + "}"));
  std::vector<std::string_view> views(docs.begin(), docs.end());
  ASSERT_TRUE(c->InsertMany(views).ok());
  EXPECT_EQ(c->Stats()->shards, 2u);

  auto all = *c->OpenCursor();
  const std::vector<DocId> every = Drain(*all);
  ASSERT_EQ(every.size(), 70'000u);
  for (size_t i = 1; i < every.size(); ++i) ASSERT_LT(every[i - 1], every[i]);

  std::vector<DocId> found;
  ASSERT_TRUE(c->Find("i % 7 = 3", [&](DocId id, std::string_view) {
                 found.push_back(id);
                 return true;
               }).ok());
  auto filtered = *c->OpenCursor("i % 7 = 3", std::nullopt);
  EXPECT_EQ(Drain(*filtered), found);

  // Resuming after an ID gives exactly the rest.
  auto rest = *c->OpenCursor("", every[65'535]);
  EXPECT_EQ(Drain(*rest), std::vector<DocId>(every.begin() + 65'536, every.end()));
  EXPECT_EQ(c->OpenCursor("i >", std::nullopt).status().code(), StatusCode::kInvalidArgument);
}

// The cursor holds no lock between steps: the caller writes to the same shard freely. Each
// document comes at most once and in ID order; one deleted ahead of the cursor does not come.
TEST(Cursor, WritesBetweenStepsNeitherDeadlockNorRepeatDocuments) {
  auto db = testing::OpenOrDie({});
  Collection* c = *db->CreateCollection("c");
  std::vector<DocId> ids;
  for (int i = 0; i < 2'000; ++i)
    ids.push_back(*c->Insert(Doc(R"({"i":)" + std::to_string(i) + "}")));
  auto cursor = *c->OpenCursor();
  std::set<DocId> seen;
  DocId last, id;
  std::string_view document;
  size_t n = 0;
  while (*cursor->Next(&id, &document)) {
    ASSERT_TRUE(seen.insert(id).second) << "returned twice";
    if (n > 0) ASSERT_LT(last, id);
    last = id;
    const int64_t i = IntField(document, "i");
    ASSERT_TRUE(c->Patch(id, Doc(R"({"seen":true})")).ok());  // the document just returned
    if (i >= 0 && i + 1000 < 2000) ASSERT_TRUE(c->Delete(ids[i + 1000]).ok());  // far ahead
    // New documents land in freed or later slots, ahead of the cursor: it will return them.
    if (n < 100) ASSERT_TRUE(c->Insert(Doc(R"({"i":-1})")).ok());
    ++n;
  }
  for (int i = 1000; i < 2000; ++i) EXPECT_EQ(seen.count(ids[i]), 0u) << i;
  EXPECT_GE(n, 1000u);
}

TEST(Cursor, ADroppedCollectionEndsItWithNotFound) {
  auto db = testing::OpenOrDie({});
  Collection* c = *db->CreateCollection("c");
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(c->Insert(Doc("{}")).ok());
  auto cursor = *c->OpenCursor();
  DocId id;
  std::string_view document;
  ASSERT_TRUE(*cursor->Next(&id, &document));
  ASSERT_TRUE(db->DropCollection("c").ok());
  Result<bool> more = true;
  while (more.ok() && *more) more = cursor->Next(&id, &document);
  EXPECT_EQ(more.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace daas
