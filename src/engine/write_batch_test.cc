#include <gtest/gtest.h>

#include "engine/engine_test_util.h"

namespace daas {
namespace {

using testing::Doc;
using testing::GetJson;

class WriteBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::OpenOrDie(Options{});
    a_ = *db_->CreateCollection("accounts");
    l_ = *db_->CreateCollection("ledger");
  }
  std::unique_ptr<Database> db_;
  Collection* a_ = nullptr;
  Collection* l_ = nullptr;
};

TEST_F(WriteBatchTest, AppliesOperationsAcrossCollectionsTogether) {
  DocId alice = *a_->Insert(Doc(R"({"balance":100})"));
  DocId bob = *a_->Insert(Doc(R"({"balance":0})"));
  WriteBatch b;
  b.Patch(a_, alice, Doc(R"({"balance":60})"));
  b.Patch(a_, bob, Doc(R"({"balance":40})"));
  b.Insert(l_, Doc(R"({"from":"alice","to":"bob","amount":40})"));
  std::vector<DocId> ids;
  ASSERT_TRUE(db_->Write(b, &ids).ok());
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(GetJson(a_, alice), R"({"balance":60})");
  EXPECT_EQ(GetJson(a_, bob), R"({"balance":40})");
  EXPECT_EQ(GetJson(l_, ids[0]), R"({"from":"alice","to":"bob","amount":40})");
}

// The business rule balance >= 0 at commit: a transfer that would overdraw fails whole, naming the
// collection, the document, the rule and the value.
TEST_F(WriteBatchTest, SchemaViolationInABatchAppliesNothing) {
  DocId alice = *a_->Insert(Doc(R"({"balance":100})"));
  DocId bob = *a_->Insert(Doc(R"({"balance":0})"));
  ASSERT_TRUE(
      a_->SetSchema(R"({"fields":{"balance":{"type":"float","check":"balance >= 0"}}})").ok());
  WriteBatch b;
  b.Patch(a_, alice, Doc(R"({"balance":-50})"));
  b.Patch(a_, bob, Doc(R"({"balance":150})"));
  b.Insert(l_, Doc(R"({"amount":150})"));
  Status s = db_->Write(b, nullptr);
  ASSERT_EQ(s.code(), StatusCode::kSchemaViolation) << s.ToString();
  for (const char* part : {"operation 0", "accounts", "balance >= 0", "-50", "validation_check"}) {
    EXPECT_NE(s.message().find(part), std::string_view::npos) << part << " in " << s.ToString();
  }
  EXPECT_NE(s.message().find(alice.ToString()), std::string_view::npos) << s.ToString();
  EXPECT_EQ(GetJson(a_, alice), R"({"balance":100})");
  EXPECT_EQ(GetJson(a_, bob), R"({"balance":0})");
  EXPECT_EQ(*l_->Count(), 0u);
}

TEST_F(WriteBatchTest, FailingOperationLeavesNothingApplied) {
  DocId alice = *a_->Insert(Doc(R"({"balance":100})"));
  DocId gone = *a_->Insert(Doc(R"({"balance":5})"));
  ASSERT_TRUE(a_->Delete(gone).ok());
  WriteBatch b;
  b.Insert(l_, Doc(R"({"n":1})"));
  b.Replace(a_, alice, Doc(R"({"balance":1})"));
  b.Delete(a_, alice);
  b.Insert(a_, Doc(R"({"n":2})"));
  b.Patch(a_, gone, Doc(R"({"balance":6})"));  // fails: deleted
  Status s = db_->Write(b, nullptr);
  ASSERT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("operation 4 (patch)"), std::string_view::npos) << s.message();
  EXPECT_NE(s.message().find(gone.ToString()), std::string_view::npos) << s.message();
  EXPECT_EQ(GetJson(a_, alice), R"({"balance":100})");
  EXPECT_EQ(*a_->Count(), 1u);
  EXPECT_EQ(*l_->Count(), 0u);
}

TEST_F(WriteBatchTest, InvalidDocumentIsRejectedBeforeAnythingApplies) {
  WriteBatch b;
  b.Insert(a_, Doc(R"({"ok":1})"));
  b.Insert(a_, std::string("\xc1", 1));  // reserved byte, not MessagePack
  Status s = db_->Write(b, nullptr);
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("operation 1 (insert)"), std::string_view::npos) << s.message();
  EXPECT_EQ(*a_->Count(), 0u);
}

TEST_F(WriteBatchTest, LaterOperationsSeeEarlierOnesOfTheSameBatch) {
  DocId d = *a_->Insert(Doc(R"({"n":1})"));
  WriteBatch b;
  b.Replace(a_, d, Doc(R"({"n":2,"x":true})"));
  b.Patch(a_, d, Doc(R"({"n":3})"));
  ASSERT_TRUE(db_->Write(b, nullptr).ok());
  EXPECT_EQ(GetJson(a_, d), R"({"n":3,"x":true})");
}

TEST_F(WriteBatchTest, FailureAfterReplacingTwiceRestoresOriginal) {
  DocId d = *a_->Insert(Doc(R"({"n":1})"));
  WriteBatch b;
  b.Replace(a_, d, Doc(R"({"n":2})"));
  b.Replace(a_, d, Doc(R"({"n":3})"));
  b.Delete(a_, d);
  b.Delete(a_, d);  // fails: already deleted by the operation before
  ASSERT_EQ(db_->Write(b, nullptr).code(), StatusCode::kNotFound);
  EXPECT_EQ(GetJson(a_, d), R"({"n":1})");
}

TEST_F(WriteBatchTest, FailedInsertsGiveTheirSlotsBack) {
  WriteBatch b;
  for (int i = 0; i < 100; ++i) b.Insert(a_, Doc(R"({"n":1})"));
  b.Delete(a_, DocId(12345, ShardId{1}, 9));
  ASSERT_FALSE(db_->Write(b, nullptr).ok());
  // The next insert reuses the lowest slots instead of leaking 100.
  DocId next = *a_->Insert(Doc(R"({"n":2})"));
  EXPECT_LT(next.slot(), 100);
  EXPECT_EQ(*a_->Count(), 1u);
}

TEST_F(WriteBatchTest, RejectsCollectionOfAnotherDatabase) {
  auto other = testing::OpenOrDie(Options{});
  Collection* foreign = *other->CreateCollection("x");
  WriteBatch b;
  b.Insert(foreign, Doc("{}"));
  EXPECT_EQ(db_->Write(b, nullptr).code(), StatusCode::kInvalidArgument);
}

TEST_F(WriteBatchTest, GetManyReadsAcrossCollections) {
  DocId x = *a_->Insert(Doc(R"({"x":1})"));
  DocId y = *l_->Insert(Doc(R"({"y":2})"));
  std::vector<DocRef> refs = {{a_, x}, {l_, y}, {a_, y}};
  std::vector<std::optional<std::string>> out;
  ASSERT_TRUE(db_->GetMany(refs, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(testing::Json(*out[0]), R"({"x":1})");
  EXPECT_EQ(testing::Json(*out[1]), R"({"y":2})");
  EXPECT_FALSE(out[2].has_value());
}

// A GetMany that would copy out more than max_get_many_bytes fails with a clear error instead of
// exhausting memory; the same call under the limit works, in and out of transactions.
TEST(GetManyLimit, PastMaxGetManyBytesIsResourceExhausted) {
  EXPECT_EQ(Database::Open(Options{.max_get_many_bytes = 0}).status().code(),
            StatusCode::kInvalidArgument);
  auto db = testing::OpenOrDie(Options{.max_get_many_bytes = 1000});
  Collection* c = *db->CreateCollection("c");
  const DocId big = *c->Insert(Doc(R"({"s":")" + std::string(400, 'x') + R"("})"));
  std::vector<std::optional<std::string>> out;
  ASSERT_TRUE(db->GetMany(std::vector<DocRef>{{c, big}, {c, big}}, &out).ok());
  const std::vector<DocRef> three = {{c, big}, {c, big}, {c, big}};
  Status s = db->GetMany(three, &out);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("max_get_many_bytes (1000 bytes)"), std::string_view::npos);
  for (const bool read_only : {false, true}) {
    auto t = db->BeginTransaction(TransactionOptions{.read_only = read_only});
    ASSERT_TRUE(t.ok());
    EXPECT_EQ((*t)->GetMany(three, &out).code(), StatusCode::kResourceExhausted);
  }
}

// Unique keys are checked at commit over the whole batch: a batch may move a key from one
// document to another, and one that leaves a key with two documents applies nothing.
TEST_F(WriteBatchTest, UniqueKeysMayMoveWithinABatchButNeverRepeat) {
  ASSERT_TRUE(
      a_->SetSchema(R"({"version": 1, "fields": {"email": {"type": "string", "unique": true}}})")
          .ok());
  DocId ann = *a_->Insert(Doc(R"({"email":"a@x"})"));
  DocId bob = *a_->Insert(Doc(R"({"email":"b@x"})"));
  WriteBatch swap;
  swap.Patch(a_, ann, Doc(R"({"email":"b@x"})"));
  swap.Patch(a_, bob, Doc(R"({"email":"a@x"})"));
  ASSERT_TRUE(db_->Write(swap, nullptr).ok());
  EXPECT_EQ(GetJson(a_, ann), R"({"email":"b@x"})");
  EXPECT_EQ(GetJson(a_, bob), R"({"email":"a@x"})");

  WriteBatch clash;
  clash.Patch(a_, ann, Doc(R"({"email":"c@x"})"));
  clash.Insert(a_, Doc(R"({"email":"c@x"})"));
  Status s = db_->Write(clash, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kSchemaViolation) << s.ToString();
  EXPECT_NE(s.message().find("email: validation_unique"), std::string_view::npos) << s.ToString();
  // The same as values: which collection, document and field, and the stable code.
  ASSERT_EQ(s.violations().size(), 1u) << s.ToString();
  EXPECT_EQ(s.violations()[0].collection, a_->name());
  EXPECT_EQ(s.violations()[0].field, "email");
  EXPECT_EQ(s.violations()[0].code, "validation_unique");
  EXPECT_FALSE(s.violations()[0].message.empty());
  EXPECT_EQ(GetJson(a_, ann), R"({"email":"b@x"})");
  EXPECT_EQ(*a_->Count(), 2u);
  // The failed batch released nothing and claimed nothing: b@x is still taken, c@x is free.
  EXPECT_EQ(a_->Insert(Doc(R"({"email":"b@x"})")).status().code(), StatusCode::kSchemaViolation);
  EXPECT_TRUE(a_->Insert(Doc(R"({"email":"c@x"})")).ok());
}

// A batch that deletes a document and points at it fails; one that deletes the referrer with it
// passes restrict.
TEST_F(WriteBatchTest, RefsAreCheckedAfterTheBatchsOwnDeletes) {
  ASSERT_TRUE(
      l_->SetSchema(
            R"({"version": 1, "fields": {"account": {"type": "ref", "collection": "accounts"}}})")
          .ok());
  DocId acct = *a_->Insert(Doc(R"({"balance":1})"));
  DocId entry = *l_->Insert(Doc(R"({"account":")" + acct.ToString() + R"("})"));
  DocId unused = *a_->Insert(Doc(R"({"balance":2})"));
  WriteBatch both;
  both.Delete(a_, unused);
  both.Insert(l_, Doc(R"({"account":")" + unused.ToString() + R"("})"));
  Status s = db_->Write(both, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kSchemaViolation) << s.ToString();
  EXPECT_NE(s.message().find("account: validation_ref"), std::string_view::npos) << s.ToString();
  EXPECT_EQ(GetJson(a_, unused), R"({"balance":2})");
  // Deleting a referenced document alone is refused (restrict) ...
  s = a_->Delete(acct);
  EXPECT_NE(s.message().find("(account, onDelete: restrict)"), std::string_view::npos)
      << s.ToString();
  // ... and allowed together with the document pointing at it.
  WriteBatch together;
  together.Delete(l_, entry);
  together.Delete(a_, acct);
  ASSERT_TRUE(db_->Write(together, nullptr).ok());
  EXPECT_EQ(*a_->Count(), 1u);
  EXPECT_EQ(*l_->Count(), 0u);
}

}  // namespace
}  // namespace daas
