#include <gtest/gtest.h>

#include <set>

#include "engine/engine_test_util.h"

namespace daas {
namespace {

using testing::Doc;
using testing::GetJson;
using testing::Json;

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::OpenOrDie(Options{});
    auto c = db_->CreateCollection("users");
    ASSERT_TRUE(c.ok());
    users_ = *c;
  }
  std::unique_ptr<Database> db_;
  Collection* users_ = nullptr;
};

TEST_F(DatabaseTest, InsertThenGetReturnsSameBytes) {
  const std::string doc = Doc(R"({"name":"Ada","age":36,"tags":["x","y"],"ok":true})");
  auto id = users_->Insert(doc);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  std::string out;
  ASSERT_TRUE(users_->Get(*id, &out).ok());
  EXPECT_EQ(out, doc);
  EXPECT_EQ(Json(out), R"({"name":"Ada","age":36,"tags":["x","y"],"ok":true})");
}

TEST_F(DatabaseTest, ReadGivesBytesWithoutCopy) {
  auto id = users_->Insert(Doc(R"({"a":1})"));
  ASSERT_TRUE(id.ok());
  std::string seen;
  ASSERT_TRUE(users_->Read(*id, [&](std::string_view b) { seen = Json(b); }).ok());
  EXPECT_EQ(seen, R"({"a":1})");
}

TEST_F(DatabaseTest, InsertRejectsMalformedDocumentAndStoresNothing) {
  auto id = users_->Insert(std::string("\x81\xa1", 2));  // map of one pair, truncated key
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(id.status().message().find("collection 'users'"), std::string_view::npos)
      << id.status().message();
  EXPECT_EQ(*users_->Count(), 0u);
}

TEST_F(DatabaseTest, InsertRejectsNonMapDocument) {
  auto id = users_->Insert(std::string("\x92\x01\x02", 3));  // [1,2]
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DatabaseTest, DocumentOverSizeLimitIsResourceExhausted) {
  Options o;
  o.limits.max_size_bytes = 64;
  auto db = testing::OpenOrDie(o);
  Collection* c = *db->CreateCollection("c");
  auto id = c->Insert(Doc(R"({"text":")" + std::string(100, 'x') + R"("})"));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(*c->Count(), 0u);
}

TEST_F(DatabaseTest, OpenRejectsLimitsAboveCeiling) {
  Options o;
  o.limits.max_depth = kMaxDocumentDepthCeiling + 1;
  auto db = Database::Open(o);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DatabaseTest, GuessedIdFindsNothing) {
  auto id = users_->Insert(Doc(R"({"a":1})"));
  ASSERT_TRUE(id.ok());
  DocId guessed(id->salt() ^ 1, id->shard(), id->slot());
  std::string out;
  Status s = users_->Get(guessed, &out);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find(guessed.ToString()), std::string_view::npos);
  EXPECT_EQ(users_->Get(DocId(id->salt(), ShardId{999999}, 0), &out).code(), StatusCode::kNotFound);
  EXPECT_EQ(users_->Get(DocId(), &out).code(), StatusCode::kNotFound);
}

TEST_F(DatabaseTest, StaleIdAfterDeleteAndSlotReuseFindsNothing) {
  auto old_id = users_->Insert(Doc(R"({"v":"old"})"));
  ASSERT_TRUE(old_id.ok());
  ASSERT_TRUE(users_->Delete(*old_id).ok());
  auto new_id = users_->Insert(Doc(R"({"v":"new"})"));
  ASSERT_TRUE(new_id.ok());
  // Same shard and slot, new salt: the old ID must not reach the new document.
  EXPECT_EQ(new_id->shard(), old_id->shard());
  EXPECT_EQ(new_id->slot(), old_id->slot());
  EXPECT_NE(new_id->salt(), old_id->salt());
  std::string out;
  EXPECT_EQ(users_->Get(*old_id, &out).code(), StatusCode::kNotFound);
  EXPECT_EQ(users_->Delete(*old_id).code(), StatusCode::kNotFound);
  EXPECT_EQ(users_->Replace(*old_id, Doc("{}")).code(), StatusCode::kNotFound);
  EXPECT_EQ(GetJson(users_, *new_id), R"({"v":"new"})");
}

TEST_F(DatabaseTest, IdOfAnotherCollectionFindsNothing) {
  Collection* other = *db_->CreateCollection("orders");
  auto id = other->Insert(Doc(R"({"a":1})"));
  ASSERT_TRUE(id.ok());
  std::string out;
  EXPECT_EQ(users_->Get(*id, &out).code(), StatusCode::kNotFound);
  EXPECT_EQ(users_->Delete(*id).code(), StatusCode::kNotFound);
  EXPECT_TRUE(other->Get(*id, &out).ok());
}

TEST_F(DatabaseTest, ReplaceSwapsWholeDocument) {
  auto id = users_->Insert(Doc(R"({"a":1,"b":2})"));
  ASSERT_TRUE(users_->Replace(*id, Doc(R"({"c":3})")).ok());
  EXPECT_EQ(GetJson(users_, *id), R"({"c":3})");
}

TEST_F(DatabaseTest, PatchMergesAndNullRemoves) {
  auto id = users_->Insert(Doc(R"({"a":1,"b":{"x":1,"y":2},"c":[1,2]})"));
  ASSERT_TRUE(users_->Patch(*id, Doc(R"({"a":null,"b":{"y":null,"z":3},"c":[3],"d":"new"})")).ok());
  EXPECT_EQ(GetJson(users_, *id), R"({"b":{"x":1,"z":3},"c":[3],"d":"new"})");
}

TEST_F(DatabaseTest, PatchOfMissingDocumentIsNotFound) {
  auto id = users_->Insert(Doc(R"({"a":1})"));
  ASSERT_TRUE(users_->Delete(*id).ok());
  Status s = users_->Patch(*id, Doc(R"({"a":2})"));
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("collection 'users'"), std::string_view::npos) << s.message();
}

TEST_F(DatabaseTest, DeleteRemovesAndCountFollows) {
  std::vector<DocId> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(*users_->Insert(Doc(R"({"i":1})")));
  EXPECT_EQ(*users_->Count(), 10u);
  for (int i = 0; i < 10; i += 2) ASSERT_TRUE(users_->Delete(ids[i]).ok());
  EXPECT_EQ(*users_->Count(), 5u);
  std::string out;
  EXPECT_EQ(users_->Get(ids[0], &out).code(), StatusCode::kNotFound);
  EXPECT_TRUE(users_->Get(ids[1], &out).ok());
}

TEST_F(DatabaseTest, ScanVisitsEveryDocumentInIdOrderAcrossShards) {
  // More than one shard's worth, so the walk crosses a shard boundary.
  std::vector<std::string> docs;
  for (int i = 0; i < 70000; ++i) docs.push_back(Doc("{\"i\":" + std::to_string(i) + "}"));
  std::vector<std::string_view> views(docs.begin(), docs.end());
  auto ids = users_->InsertMany(views);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  std::set<uint32_t> shards;
  for (const DocId& id : *ids) shards.insert(id.shard().value);
  EXPECT_EQ(shards.size(), 2u);
  std::vector<DocId> seen;
  ASSERT_TRUE(users_
                  ->Scan([&](DocId id, std::string_view) {
                    seen.push_back(id);
                    return true;
                  })
                  .ok());
  ASSERT_EQ(seen.size(), docs.size());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  std::vector<DocId> sorted = *ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(seen, sorted);
}

TEST_F(DatabaseTest, ScanStopsWhenCallbackReturnsFalse) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(users_->Insert(Doc("{}")).ok());
  int calls = 0;
  ASSERT_TRUE(users_->Scan([&](DocId, std::string_view) { return ++calls < 2; }).ok());
  EXPECT_EQ(calls, 2);
}

TEST_F(DatabaseTest, ParallelScanSeesEveryDocumentOnce) {
  std::vector<std::string> docs;
  for (int i = 0; i < 140000; ++i) docs.push_back(Doc("{\"i\":" + std::to_string(i) + "}"));
  std::vector<std::string_view> views(docs.begin(), docs.end());
  ASSERT_TRUE(users_->InsertMany(views).ok());
  std::vector<uint64_t> per_worker(db_->concurrency(), 0);
  std::vector<uint64_t> counts(db_->concurrency(), 0);
  ASSERT_TRUE(users_
                  ->ParallelScan([&](unsigned w, DocId, std::string_view bytes) {
                    ASSERT_LT(w, per_worker.size());
                    per_worker[w] += bytes.size();
                    ++counts[w];
                  })
                  .ok());
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  EXPECT_EQ(total, docs.size());
}

TEST_F(DatabaseTest, CollectionsCreateListRenameDrop) {
  ASSERT_TRUE(db_->CreateCollection("orders").ok());
  EXPECT_EQ(db_->ListCollections(), (std::vector<std::string>{"orders", "users"}));
  EXPECT_EQ(db_->CreateCollection("users").status().code(), StatusCode::kAlreadyExists);
  auto id = users_->Insert(Doc(R"({"a":1})"));
  ASSERT_TRUE(db_->RenameCollection("users", "people").ok());
  EXPECT_EQ(users_->name(), "people");
  EXPECT_EQ(db_->GetCollection("users").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*db_->GetCollection("people"), users_);
  EXPECT_EQ(GetJson(users_, *id), R"({"a":1})");
  EXPECT_EQ(db_->RenameCollection("people", "orders").code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(db_->DropCollection("people").ok());
  EXPECT_EQ(db_->ListCollections(), (std::vector<std::string>{"orders"}));
  // The handle stays valid and says what happened.
  std::string out;
  Status s = users_->Get(*id, &out);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("dropped"), std::string_view::npos);
  EXPECT_EQ(users_->Insert(Doc("{}")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(users_->Count().status().code(), StatusCode::kNotFound);
  EXPECT_EQ(users_->Stats().status().code(), StatusCode::kNotFound);
  EXPECT_EQ(users_->Scan([](DocId, std::string_view) { return true; }).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(users_->ParallelScan([](unsigned, DocId, std::string_view) {}).code(),
            StatusCode::kNotFound);
  // A new collection of the same name is a different collection.
  Collection* again = *db_->CreateCollection("people");
  EXPECT_NE(again, users_);
  EXPECT_EQ(again->Get(*id, &out).code(), StatusCode::kNotFound);
}

// Collection's contract: once dropped, every call but name() fails with NotFound, a write its last
// schema would refuse too.
TEST_F(DatabaseTest, EveryCallOnADroppedCollectionIsNotFound) {
  ASSERT_TRUE(users_->SetSchema(R"({"version":1,"fields":{"a":{"type":"int"}}})").ok());
  const DocId id = *users_->Insert(Doc(R"({"a":1})"));
  ASSERT_TRUE(db_->DropCollection("users").ok());
  auto not_found = [](const Status& s, const char* call) {
    EXPECT_EQ(s.code(), StatusCode::kNotFound) << call << ": " << s.ToString();
    EXPECT_NE(s.message().find("dropped"), std::string_view::npos) << call << ": " << s.ToString();
  };
  const std::string doc = Doc(R"({"a":2})");
  const std::string_view docs[] = {doc};
  std::string out = "untouched";
  not_found(users_->Insert(doc).status(), "Insert");
  not_found(users_->Insert(Doc(R"({"zzz":1})")).status(), "Insert of what the last schema refuses");
  not_found(users_->InsertMany(docs).status(), "InsertMany");
  not_found(users_->InsertMany({}).status(), "InsertMany of nothing");
  not_found(users_->Get(id, &out), "Get");
  not_found(users_->Read(id, [](std::string_view) {}), "Read");
  not_found(users_->Replace(id, doc), "Replace");
  not_found(users_->Patch(id, doc), "Patch");
  not_found(users_->Delete(id), "Delete");
  not_found(users_->Count().status(), "Count");
  not_found(users_->Scan([](DocId, std::string_view) { return true; }), "Scan");
  not_found(users_->ParallelScan([](unsigned, DocId, std::string_view) {}), "ParallelScan");
  not_found(users_->Find("a > 0", [](DocId, std::string_view) { return true; }), "Find");
  not_found(users_->Stats().status(), "Stats");
  not_found(users_->SetSchema(R"({"version":2,"fields":{}})"), "SetSchema");
  not_found(users_->SetSchema(""), "SetSchema removing the schema");
  not_found(users_->GetSchema(&out), "GetSchema");
  EXPECT_EQ(out, "untouched");  // outputs are written only on success
  WriteBatch batch;
  batch.Insert(users_, doc);
  not_found(db_->Write(batch, nullptr), "Write");
  EXPECT_EQ(users_->name(), "users");  // the one call that cannot fail: the last name
}

TEST_F(DatabaseTest, CollectionNamesAreValidated) {
  for (std::string_view bad : {"", "1abc", "a-b", "a b", "_sys", "é"}) {
    auto c = db_->CreateCollection(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(db_->CreateCollection(std::string(129, 'a')).ok());
  EXPECT_TRUE(db_->CreateCollection(std::string(128, 'a')).ok());
  EXPECT_TRUE(db_->CreateCollection("Ab_9").ok());
}

TEST_F(DatabaseTest, StatsCountBytesAndMemory) {
  std::string doc = Doc(R"({"name":"someone","email":"someone@example.com","age":42})");
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(users_->Insert(doc).ok());
  auto st = users_->Stats();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->documents, 1000u);
  EXPECT_EQ(st->document_bytes, 1000u * doc.size());
  EXPECT_GE(st->memory_bytes, st->document_bytes);
  EXPECT_EQ(st->shards, 1u);
}

TEST_F(DatabaseTest, DeletedSpaceIsReusedInMemory) {
  std::string doc = Doc(R"({"payload":")" + std::string(200, 'p') + R"("})");
  std::vector<std::string_view> views(20000, doc);
  auto ids = users_->InsertMany(views);
  ASSERT_TRUE(ids.ok());
  const uint64_t full = users_->Stats()->memory_bytes;
  for (int round = 0; round < 5; ++round) {
    for (const DocId& id : *ids) ASSERT_TRUE(users_->Delete(id).ok());
    ids = users_->InsertMany(views);
    ASSERT_TRUE(ids.ok());
  }
  // Five rounds of delete-all and refill must not grow memory by five times.
  EXPECT_LT(users_->Stats()->memory_bytes, full * 2);
}

TEST_F(DatabaseTest, CallsAfterCloseAreAborted) {
  ASSERT_TRUE(db_->Close().ok());
  EXPECT_EQ(users_->Insert(Doc("{}")).status().code(), StatusCode::kAborted);
  EXPECT_EQ(db_->CreateCollection("x").status().code(), StatusCode::kAborted);
}

}  // namespace
}  // namespace daas
