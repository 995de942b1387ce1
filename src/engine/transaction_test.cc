// Interactive transactions (daas::Transaction): atomicity, reading one's own writes, rollback
// leaving no trace, serializable validation, limits, RunTransaction's retries.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/status_macros.h"
#include "doc/msgpack_reader.h"
#include "engine/engine_test_util.h"

namespace daas {
namespace {

using testing::Doc;
using testing::GetJson;
using testing::IntField;

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::OpenOrDie({});
    a_ = *db_->CreateCollection("a");
    b_ = *db_->CreateCollection("b");
  }
  std::unique_ptr<Transaction> Begin(const TransactionOptions& o = {}) {
    auto t = db_->BeginTransaction(o);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::move(*t) : nullptr;
  }
  std::unique_ptr<Database> db_;
  Collection* a_ = nullptr;
  Collection* b_ = nullptr;
};

TEST_F(TransactionTest, ReadsItsOwnWritesAndCommitsThemAtOnce) {
  DocId x = *a_->Insert(Doc(R"({"n":1})"));
  DocId y = *b_->Insert(Doc(R"({"n":2})"));
  auto t = Begin();
  DocId fresh = *t->Insert(a_, Doc(R"({"n":3})"));
  ASSERT_TRUE(t->Patch(a_, x, Doc(R"({"m":1})")).ok());
  ASSERT_TRUE(t->Delete(b_, y).ok());
  std::string bytes;
  ASSERT_TRUE(t->Get(a_, fresh, &bytes).ok());
  EXPECT_EQ(testing::Json(bytes), R"({"n":3})");
  ASSERT_TRUE(t->Get(a_, x, &bytes).ok());
  EXPECT_EQ(testing::Json(bytes), R"({"n":1,"m":1})");
  EXPECT_EQ(t->Get(b_, y, &bytes).code(), StatusCode::kNotFound);
  // Nobody else sees any of it yet.
  EXPECT_EQ(a_->Get(fresh, &bytes).code(), StatusCode::kNotFound);
  EXPECT_EQ(GetJson(a_, x), R"({"n":1})");
  EXPECT_EQ(GetJson(b_, y), R"({"n":2})");
  const uint64_t before = db_->visible_lsn();
  ASSERT_TRUE(t->Commit().ok());
  EXPECT_EQ(t->commit_lsn(), before + 1);  // one commit for all three writes
  EXPECT_EQ(db_->visible_lsn(), before + 1);
  EXPECT_EQ(GetJson(a_, fresh), R"({"n":3})");
  EXPECT_EQ(GetJson(a_, x), R"({"n":1,"m":1})");
  EXPECT_EQ(b_->Get(y, &bytes).code(), StatusCode::kNotFound);
  // Ended: every later call fails.
  EXPECT_EQ(t->Get(a_, x, &bytes).code(), StatusCode::kAborted);
  EXPECT_EQ(t->Commit().code(), StatusCode::kAborted);
}

TEST_F(TransactionTest, RollbackLeavesNoTrace) {
  ASSERT_TRUE(
      a_->SetSchema(R"({"version":1,"fields":{"email":{"type":"string","unique":true}}})").ok());
  ASSERT_TRUE(
      b_->SetSchema(R"({"version":1,"fields":{"to":{"type":"ref","collection":"a"}}})").ok());
  DocId kept = *a_->Insert(Doc(R"({"email":"kept@x"})"));
  const uint64_t lsn = db_->visible_lsn();
  const CollectionStats stats = *a_->Stats();
  DocId gone;
  {
    auto t = Begin();
    gone = *t->Insert(a_, Doc(R"({"email":"new@x"})"));
    ASSERT_TRUE(t->Insert(b_, Doc(R"({"to":")" + gone.ToString() + R"("})")).ok());
    ASSERT_TRUE(t->Replace(a_, kept, Doc(R"({"email":"changed@x"})")).ok());
    t->Rollback();
    std::string bytes;
    EXPECT_EQ(t->Get(a_, kept, &bytes).code(), StatusCode::kAborted);
  }
  {
    auto t = Begin();
    ASSERT_TRUE(t->Insert(a_, Doc(R"({"email":"other@x"})")).ok());
    // Destroyed without Commit: rolled back too.
  }
  EXPECT_EQ(db_->visible_lsn(), lsn);
  EXPECT_EQ(GetJson(a_, kept), R"({"email":"kept@x"})");
  EXPECT_EQ(*a_->Count(), 1u);
  EXPECT_EQ(*b_->Count(), 0u);
  EXPECT_EQ(a_->Stats()->documents, stats.documents);
  // No unique key was taken, no slot kept: the same email inserts, into the freed slot, and the
  // rolled-back ID finds nothing.
  DocId again = *a_->Insert(Doc(R"({"email":"new@x"})"));
  EXPECT_EQ(again.shard(), gone.shard());
  EXPECT_EQ(again.slot(), gone.slot());
  std::string bytes;
  EXPECT_EQ(a_->Get(gone, &bytes).code(), StatusCode::kNotFound);
  ASSERT_TRUE(a_->Insert(Doc(R"({"email":"other@x"})")).ok());
}

TEST_F(TransactionTest, AFailedCommitAppliesNothing) {
  ASSERT_TRUE(a_->SetSchema(R"({"version":1,"fields":{"balance":{"type":"int"}},
                              "checks":["balance >= 0"]})")
                  .ok());
  DocId from = *a_->Insert(Doc(R"({"balance":5})"));
  DocId to = *a_->Insert(Doc(R"({"balance":0})"));
  auto t = Begin();
  ASSERT_TRUE(t->Replace(a_, from, Doc(R"({"balance":-5})")).ok());
  ASSERT_TRUE(t->Replace(a_, to, Doc(R"({"balance":10})")).ok());
  DocId fresh = *t->Insert(b_, Doc("{}"));
  Status s = t->Commit();
  EXPECT_EQ(s.code(), StatusCode::kSchemaViolation) << s.ToString();
  EXPECT_NE(s.message().find("balance >= 0"), std::string_view::npos) << s.ToString();
  EXPECT_EQ(GetJson(a_, from), R"({"balance":5})");
  EXPECT_EQ(GetJson(a_, to), R"({"balance":0})");
  std::string bytes;
  EXPECT_EQ(b_->Get(fresh, &bytes).code(), StatusCode::kNotFound);
}

TEST_F(TransactionTest, ACommitFailsWhenWhatItReadChanged) {
  DocId x = *a_->Insert(Doc(R"({"n":1})"));
  DocId y = *a_->Insert(Doc(R"({"n":1})"));
  auto t = Begin();
  std::string bytes;
  ASSERT_TRUE(t->Get(a_, x, &bytes).ok());
  ASSERT_TRUE(a_->Replace(x, Doc(R"({"n":2})")).ok());  // another writer
  ASSERT_TRUE(t->Replace(a_, y, Doc(R"({"n":9})")).ok());
  Status s = t->Commit();
  EXPECT_EQ(s.code(), StatusCode::kConflict) << s.ToString();
  EXPECT_NE(s.message().find(x.ToString()), std::string_view::npos) << s.ToString();
  EXPECT_EQ(GetJson(a_, y), R"({"n":1})");
}

TEST_F(TransactionTest, ReadingTheSameDocumentTwiceNeverSeesTwoVersions) {
  DocId x = *a_->Insert(Doc(R"({"n":1})"));
  auto t = Begin();
  std::string bytes;
  ASSERT_TRUE(t->Get(a_, x, &bytes).ok());
  ASSERT_TRUE(a_->Replace(x, Doc(R"({"n":2})")).ok());
  EXPECT_EQ(t->Get(a_, x, &bytes).code(), StatusCode::kConflict);
}

// Write skew: each transaction reads both documents and writes the other one. Serializable
// isolation lets only one of them commit.
TEST_F(TransactionTest, WriteSkewIsPrevented) {
  DocId x = *a_->Insert(Doc(R"({"on":true})"));
  DocId y = *a_->Insert(Doc(R"({"on":true})"));
  auto t1 = Begin();
  auto t2 = Begin();
  std::string bytes;
  for (Transaction* t : {t1.get(), t2.get()}) {
    ASSERT_TRUE(t->Get(a_, x, &bytes).ok());
    ASSERT_TRUE(t->Get(a_, y, &bytes).ok());
  }
  ASSERT_TRUE(t1->Replace(a_, x, Doc(R"({"on":false})")).ok());
  ASSERT_TRUE(t2->Replace(a_, y, Doc(R"({"on":false})")).ok());
  ASSERT_TRUE(t1->Commit().ok());
  EXPECT_EQ(t2->Commit().code(), StatusCode::kConflict);
  EXPECT_EQ(GetJson(a_, y), R"({"on":true})");
}

// A document read as absent must stay absent: a transaction that decided on its absence fails
// when another commits it first (only possible for an ID given out before its insert committed).
// Checking that a document is missing before writing is the common case: it commits while the
// document is still missing.
TEST_F(TransactionTest, AnAbsenceReadCommitsWhileTheDocumentIsStillAbsent) {
  DocId gone = *a_->Insert(Doc("{}"));
  ASSERT_TRUE(a_->Delete(gone).ok());
  auto t = Begin();
  std::string bytes;
  EXPECT_EQ(t->Get(a_, gone, &bytes).code(), StatusCode::kNotFound);
  EXPECT_EQ(t->Get(b_, gone, &bytes).code(), StatusCode::kNotFound);  // another collection's ID
  ASSERT_TRUE(t->Insert(b_, Doc("{}")).ok());
  Status s = t->Commit();
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(TransactionTest, AnAbsenceReadIsValidatedToo) {
  auto inserter = Begin();
  DocId pending = *inserter->Insert(a_, Doc("{}"));
  auto reader = Begin();
  std::string bytes;
  EXPECT_EQ(reader->Get(a_, pending, &bytes).code(), StatusCode::kNotFound);
  ASSERT_TRUE(reader->Insert(b_, Doc("{}")).ok());
  ASSERT_TRUE(inserter->Commit().ok());
  EXPECT_EQ(reader->Commit().code(), StatusCode::kConflict);
}

TEST_F(TransactionTest, FindSeesOwnWritesAndFailsTheCommitWhenTheCollectionChanged) {
  DocId x = *a_->Insert(Doc(R"({"n":1})"));
  DocId y = *a_->Insert(Doc(R"({"n":5})"));
  auto t = Begin();
  DocId fresh = *t->Insert(a_, Doc(R"({"n":7})"));
  ASSERT_TRUE(t->Patch(a_, x, Doc(R"({"n":6})")).ok());
  ASSERT_TRUE(t->Delete(a_, y).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(t->Find(a_, "n > 4", [&](DocId id, std::string_view d) {
                 seen.push_back(id.ToString() + "=" + std::to_string(IntField(d, "n")));
                 return true;
               }).ok());
  std::vector<std::string> want = {x.ToString() + "=6", fresh.ToString() + "=7"};
  if (fresh < x) std::swap(want[0], want[1]);
  EXPECT_EQ(seen, want);
  // Another commit adds a matching document: the scan's answer is stale, so is the commit.
  ASSERT_TRUE(a_->Insert(Doc(R"({"n":9})")).ok());
  EXPECT_EQ(t->Commit().code(), StatusCode::kConflict);
  EXPECT_EQ(GetJson(a_, x), R"({"n":1})");
}

// Find's function runs with no lock held and may write through the same transaction.
TEST_F(TransactionTest, FindsFunctionMayWriteThroughTheTransaction) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(a_->Insert(Doc(R"({"n":1})")).ok());
  auto t = Begin();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(t->Insert(a_, Doc(R"({"n":2})")).ok());
  int seen = 0;
  ASSERT_TRUE(t->Find(a_, "n >= 1", [&](DocId id, std::string_view) {
                 ++seen;
                 EXPECT_TRUE(t->Patch(a_, id, Doc(R"({"touched":true})")).ok());
                 EXPECT_TRUE(t->Insert(b_, Doc("{}")).ok());  // grows the write set
                 return true;
               }).ok());
  EXPECT_EQ(seen, 43);
  ASSERT_TRUE(t->Commit().ok());
  EXPECT_EQ(*b_->Count(), 43u);
  int touched = 0;
  ASSERT_TRUE(a_->Find("touched = true", [&](DocId, std::string_view) {
                  ++touched;
                  return true;
                }).ok());
  EXPECT_EQ(touched, 43);
}

TEST_F(TransactionTest, LimitsAreEnforcedWithClearErrors) {
  TransactionOptions o;
  o.max_writes = 2;
  auto t = Begin(o);
  ASSERT_TRUE(t->Insert(a_, Doc("{}")).ok());
  ASSERT_TRUE(t->Insert(a_, Doc("{}")).ok());
  Result<DocId> third = t->Insert(a_, Doc("{}"));
  EXPECT_EQ(third.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(third.status().message().find("max_writes"), std::string_view::npos);
  ASSERT_TRUE(t->Commit().ok());  // still usable
  EXPECT_EQ(*a_->Count(), 2u);

  o = {};
  o.max_write_bytes = 10;
  t = Begin(o);
  EXPECT_EQ(t->Insert(a_, Doc(R"({"long":"0123456789"})")).status().code(),
            StatusCode::kResourceExhausted);

  o = {};
  o.max_age_ms = 1;
  t = Begin(o);
  ASSERT_TRUE(t->Insert(a_, Doc("{}")).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Status late = t->Commit();
  EXPECT_EQ(late.code(), StatusCode::kAborted);
  EXPECT_NE(late.message().find("max_age_ms"), std::string_view::npos);
  EXPECT_EQ(*a_->Count(), 2u);

  o = {};
  o.read_only = true;
  t = Begin(o);
  EXPECT_EQ(t->Insert(a_, Doc("{}")).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TransactionTest, AReadWriteTransactionThatOnlyReadCommitsOnlyIfWhatItReadHolds) {
  DocId x = *a_->Insert(Doc(R"({"n":1})"));
  auto t = Begin();
  std::string bytes;
  ASSERT_TRUE(t->Get(a_, x, &bytes).ok());
  EXPECT_TRUE(t->Commit().ok());
  t = Begin();
  ASSERT_TRUE(t->Get(a_, x, &bytes).ok());
  ASSERT_TRUE(a_->Replace(x, Doc(R"({"n":2})")).ok());
  EXPECT_EQ(t->Commit().code(), StatusCode::kConflict);
}

TEST_F(TransactionTest, AReadOnlyTransactionReadsItsSnapshotAndAlwaysCommits) {
  DocId x = *a_->Insert(Doc(R"({"n":1})"));
  TransactionOptions ro;
  ro.read_only = true;
  auto t = Begin(ro);
  EXPECT_EQ(t->snapshot_lsn(), db_->visible_lsn());
  std::string bytes;
  ASSERT_TRUE(t->Get(a_, x, &bytes).ok());
  ASSERT_TRUE(a_->Replace(x, Doc(R"({"n":2})")).ok());
  ASSERT_TRUE(t->Get(a_, x, &bytes).ok());
  EXPECT_EQ(IntField(bytes, "n"), 1);
  EXPECT_TRUE(t->Commit().ok());
  EXPECT_EQ(t->Get(a_, x, &bytes).code(), StatusCode::kAborted);
}

TEST_F(TransactionTest, ACollectionOfAnotherDatabaseIsRefused) {
  auto other = testing::OpenOrDie({});
  Collection* c = *other->CreateCollection("a");
  auto t = Begin();
  EXPECT_EQ(t->Insert(c, Doc("{}")).status().code(), StatusCode::kInvalidArgument);
}

// GetMany: own writes over the committed documents, each committed one remembered for the commit.
TEST_F(TransactionTest, GetManyReadsOwnWritesAndRemembersWhatItRead) {
  DocId x = *a_->Insert(Doc(R"({"n":1})"));
  DocId y = *a_->Insert(Doc(R"({"n":2})"));
  DocId z = *b_->Insert(Doc(R"({"n":3})"));
  DocId gone = *b_->Insert(Doc(R"({"n":4})"));
  ASSERT_TRUE(b_->Delete(gone).ok());
  auto t = Begin();
  DocId fresh = *t->Insert(a_, Doc(R"({"n":5})"));
  ASSERT_TRUE(t->Replace(a_, y, Doc(R"({"n":20})")).ok());
  ASSERT_TRUE(t->Delete(b_, z).ok());
  const std::vector<DocRef> refs = {{a_, x}, {a_, y}, {b_, z}, {a_, fresh}, {b_, gone}, {b_, x}};
  std::vector<std::optional<std::string>> out;
  ASSERT_TRUE(t->GetMany(refs, &out).ok());
  ASSERT_EQ(out.size(), refs.size());
  EXPECT_EQ(testing::Json(*out[0]), R"({"n":1})");
  EXPECT_EQ(testing::Json(*out[1]), R"({"n":20})");  // its own replace
  EXPECT_FALSE(out[2].has_value());                  // its own delete
  EXPECT_EQ(testing::Json(*out[3]), R"({"n":5})");   // its own insert
  EXPECT_FALSE(out[4].has_value());                  // deleted before it began
  EXPECT_FALSE(out[5].has_value());                  // x is not b's
  // What it read is checked at commit: x changed meanwhile.
  ASSERT_TRUE(a_->Replace(x, Doc(R"({"n":10})")).ok());
  EXPECT_EQ(t->GetMany(std::vector<DocRef>{{a_, x}}, &out).code(), StatusCode::kConflict);
  EXPECT_EQ(t->Commit().code(), StatusCode::kConflict);
  EXPECT_EQ(GetJson(a_, y), R"({"n":2})");  // nothing applied

  // An absence it read is checked too; a collection of another database is refused.
  auto u = Begin();
  ASSERT_TRUE(u->GetMany(std::vector<DocRef>{{b_, gone}, {a_, x}}, &out).ok());
  auto other = testing::OpenOrDie({});
  Collection* foreign = *other->CreateCollection("a");
  EXPECT_EQ(u->GetMany(std::vector<DocRef>{{foreign, x}}, &out).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(u->Replace(a_, x, Doc(R"({"n":11})")).ok());
  Status committed = u->Commit();
  ASSERT_TRUE(committed.ok()) << committed.ToString();
  EXPECT_EQ(GetJson(a_, x), R"({"n":11})");
}

TEST_F(TransactionTest, RunTransactionRetriesConflictsUntilItsAttemptsAreSpent) {
  DocId counter = *a_->Insert(Doc(R"({"n":0})"));
  constexpr int kThreads = 4;
  constexpr int kEach = 200;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < kEach; ++k) {
        TransactionOptions o;
        o.max_attempts = 1000;
        Status s = db_->RunTransaction(
            [&](Transaction& t) -> Status {
              std::string bytes;
              DAAS_RETURN_IF_ERROR(t.Get(a_, counter, &bytes));
              const int64_t n = IntField(bytes, "n");
              return t.Replace(a_, counter, Doc(R"({"n":)" + std::to_string(n + 1) + "}"));
            },
            o);
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(GetJson(a_, counter), R"({"n":)" + std::to_string(kThreads * kEach) + "}");

  // One attempt, and a conflict made inside it: Conflict reaches the caller, saying so.
  TransactionOptions once;
  once.max_attempts = 1;
  Status s = db_->RunTransaction(
      [&](Transaction& t) -> Status {
        std::string bytes;
        DAAS_RETURN_IF_ERROR(t.Get(a_, counter, &bytes));
        DAAS_RETURN_IF_ERROR(a_->Patch(counter, Doc(R"({"x":1})")));
        return t.Patch(a_, counter, Doc(R"({"y":1})"));
      },
      once);
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_NE(s.message().find("1 runs"), std::string_view::npos) << s.ToString();
  // An error of fn other than Conflict is returned at once, nothing applied.
  int runs = 0;
  s = db_->RunTransaction([&](Transaction& t) -> Status {
    ++runs;
    DAAS_RETURN_IF_ERROR(t.Insert(a_, Doc("{}")).status());
    return Status::InvalidArgument("changed my mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(*a_->Count(), 1u);
}

}  // namespace
}  // namespace daas
