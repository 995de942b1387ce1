// Snapshots: a read-only transaction reads the whole database as of one LSN, while commits go on
// without waiting for it; the old versions kept for it are bounded and freed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "core/status_macros.h"
#include "engine/engine_test_util.h"

namespace daas {
namespace {

using testing::Doc;
using testing::IntField;
using testing::Json;

TransactionOptions ReadOnly() {
  TransactionOptions o;
  o.read_only = true;
  return o;
}

std::unique_ptr<Transaction> Begin(Database* db, const TransactionOptions& o) {
  auto t = db->BeginTransaction(o);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(*t) : nullptr;
}

std::string GetIn(Transaction* t, const Collection* c, DocId id) {
  std::string bytes;
  Status s = t->Get(c, id, &bytes);
  return s.ok() ? Json(bytes) : std::string("<") + StatusCodeName(s.code()) + ">";
}

// "id=json,..." of everything a cursor returns.
std::string Walk(Cursor* cursor) {
  std::string out;
  DocId id;
  std::string_view doc;
  for (;;) {
    Result<bool> more = cursor->Next(&id, &doc);
    if (!more.ok()) return out + "<" + more.status().ToString() + ">";
    if (!*more) return out;
    out += Json(doc) + ";";
  }
}

uint64_t HistoryBytes(Database* db) { return db->Stats()->snapshot_history_bytes; }

TEST(Snapshot, SeesTheDatabaseAsOfItsBeginningWhateverCommitsLater) {
  auto db = testing::OpenOrDie({});
  Collection* c = *db->CreateCollection("c");
  Collection* other = *db->CreateCollection("other");
  const DocId a = *c->Insert(Doc(R"({"n":1})"));
  const DocId b = *c->Insert(Doc(R"({"n":2})"));
  const DocId o = *other->Insert(Doc(R"({"n":9})"));
  auto snap = Begin(db.get(), ReadOnly());
  EXPECT_EQ(snap->snapshot_lsn(), db->visible_lsn());
  EXPECT_EQ(db->Stats()->snapshots_open, 1u);

  ASSERT_TRUE(c->Replace(a, Doc(R"({"n":10})")).ok());
  ASSERT_TRUE(c->Patch(a, Doc(R"({"m":1})")).ok());
  ASSERT_TRUE(c->Delete(b).ok());
  const DocId inserted = *c->Insert(Doc(R"({"n":3})"));  // may take b's slot, with a new salt
  ASSERT_TRUE(other->Delete(o).ok());
  // One batch writing the same document twice: the snapshot sees neither write.
  WriteBatch batch;
  batch.Replace(c, a, Doc(R"({"n":20})"));
  batch.Replace(c, a, Doc(R"({"n":30})"));
  ASSERT_TRUE(db->Write(batch, nullptr).ok());

  EXPECT_EQ(GetIn(snap.get(), c, a), R"({"n":1})");
  EXPECT_EQ(GetIn(snap.get(), c, b), R"({"n":2})");
  EXPECT_EQ(GetIn(snap.get(), c, inserted), "<not_found>");
  EXPECT_EQ(GetIn(snap.get(), other, o), R"({"n":9})");
  // GetMany reads the same instant, across collections.
  std::vector<std::optional<std::string>> many;
  ASSERT_TRUE(
      snap->GetMany(std::vector<DocRef>{{c, a}, {c, b}, {c, inserted}, {other, o}}, &many).ok());
  ASSERT_EQ(many.size(), 4u);
  EXPECT_EQ(Json(*many[0]), R"({"n":1})");
  EXPECT_EQ(Json(*many[1]), R"({"n":2})");
  EXPECT_FALSE(many[2].has_value());
  EXPECT_EQ(Json(*many[3]), R"({"n":9})");
  DocumentMeta meta;
  std::string bytes;
  ASSERT_TRUE(snap->Get(c, a, &bytes, &meta).ok());
  EXPECT_LE(meta.version, snap->snapshot_lsn());
  std::string found;
  ASSERT_TRUE(snap->Find(c, "n > 0",
                         [&](DocId, std::string_view d) {
                           found += Json(d) + ";";
                           return true;
                         })
                  .ok());
  EXPECT_EQ(found, R"({"n":1};{"n":2};)");
  auto cursor = snap->OpenCursor(c, "", std::nullopt);
  ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
  EXPECT_EQ(Walk(cursor->get()), R"({"n":1};{"n":2};)");
  // The present is unchanged by all this.
  EXPECT_EQ(testing::GetJson(c, a), R"({"n":30})");
  EXPECT_GT(HistoryBytes(db.get()), 0u);

  auto unread = snap->OpenCursor(c, "", std::nullopt);
  ASSERT_TRUE(unread.ok());
  EXPECT_TRUE(snap->Commit().ok());
  // Its cursors end with it; the old versions are freed.
  auto late = snap->OpenCursor(c, "", std::nullopt);
  EXPECT_EQ(late.status().code(), StatusCode::kAborted);
  EXPECT_NE(Walk(unread->get()).find("snapshot is closed"), std::string::npos);
  EXPECT_EQ(HistoryBytes(db.get()), 0u);
  EXPECT_EQ(db->Stats()->snapshots_open, 0u);
}

TEST(Snapshot, EachSnapshotSeesItsOwnInstant) {
  auto db = testing::OpenOrDie({});
  Collection* c = *db->CreateCollection("c");
  const DocId x = *c->Insert(Doc(R"({"n":0})"));
  std::vector<std::unique_ptr<Transaction>> snaps;
  for (int i = 1; i <= 20; ++i) {
    snaps.push_back(Begin(db.get(), ReadOnly()));
    ASSERT_TRUE(c->Replace(x, Doc(R"({"n":)" + std::to_string(i) + "}")).ok());
  }
  for (int i = 0; i < 20; ++i) {
    // Snapshot i began before the i+1-th replace.
    EXPECT_EQ(GetIn(snaps[i].get(), c, x), R"({"n":)" + std::to_string(i) + "}") << i;
  }
  // Closing them oldest first frees the old versions step by step.
  uint64_t before = HistoryBytes(db.get());
  for (auto& s : snaps) {
    s->Rollback();
    const uint64_t now = HistoryBytes(db.get());
    EXPECT_LE(now, before);
    before = now;
  }
  EXPECT_EQ(HistoryBytes(db.get()), 0u);
}

// The issue's promise: a snapshot scan of a big collection does not block writers, and sees one
// instant. Transfers between accounts go on while a cursor over the snapshot adds up every
// balance, slowly; the total is exact, and transfers committed during the scan.
TEST(Snapshot, ALongScanSeesOneInstantWhileTransfersCommit) {
  auto db = testing::OpenOrDie({});
  Collection* accounts = *db->CreateCollection("accounts");
  constexpr int kAccounts = 100'000;
  constexpr int64_t kInitial = 100;
  std::vector<DocId> ids;
  {
    std::vector<std::string> docs(1000, Doc(R"({"balance":100})"));
    std::vector<std::string_view> views(docs.begin(), docs.end());
    for (int i = 0; i < kAccounts / 1000; ++i) {
      auto got = accounts->InsertMany(views);
      ASSERT_TRUE(got.ok());
      ids.insert(ids.end(), got->begin(), got->end());
    }
  }
  std::atomic<bool> done{false};
  std::atomic<uint64_t> transfers{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937 rng(t);
      TransactionOptions o;
      o.max_attempts = 1000;
      while (!done.load()) {
        const DocId from = ids[rng() % kAccounts], to = ids[rng() % kAccounts];
        if (from == to) continue;
        Status s = db->RunTransaction(
            [&](Transaction& txn) -> Status {
              std::string a, b;
              DAAS_RETURN_IF_ERROR(txn.Get(accounts, from, &a));
              DAAS_RETURN_IF_ERROR(txn.Get(accounts, to, &b));
              DAAS_RETURN_IF_ERROR(txn.Replace(
                  accounts, from,
                  Doc(R"({"balance":)" + std::to_string(IntField(a, "balance") - 7) + "}")));
              return txn.Replace(
                  accounts, to,
                  Doc(R"({"balance":)" + std::to_string(IntField(b, "balance") + 7) + "}"));
            },
            o);
        ASSERT_TRUE(s.ok()) << s.ToString();
        transfers.fetch_add(1);
      }
    });
  }
  auto snap = Begin(db.get(), ReadOnly());
  const uint64_t transfers_before = transfers.load();
  auto cursor = snap->OpenCursor(accounts, "", std::nullopt);
  ASSERT_TRUE(cursor.ok());
  int64_t total = 0;
  int count = 0;
  DocId id;
  std::string_view doc;
  for (;;) {
    Result<bool> more = (*cursor)->Next(&id, &doc);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    total += IntField(doc, "balance");
    // Slow, so that the writers get far: one pause per cursor step.
    if (++count % 512 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const uint64_t transfers_during = transfers.load() - transfers_before;
  const uint64_t history = HistoryBytes(db.get());
  ASSERT_TRUE(snap->Commit().ok());
  done = true;
  for (auto& w : writers) w.join();
  EXPECT_EQ(count, kAccounts);
  EXPECT_EQ(total, kAccounts * kInitial);
  EXPECT_GT(transfers_during, 100u) << "writers waited for the scan";
  EXPECT_GT(history, 0u);
  EXPECT_EQ(HistoryBytes(db.get()), 0u);
  std::printf("%llu transfers committed during the scan; %llu bytes of old versions kept\n",
              static_cast<unsigned long long>(transfers_during),
              static_cast<unsigned long long>(history));
}

TEST(Snapshot, PastTheHistoryLimitSnapshotsExpireWithConflictAndRunTransactionRetries) {
  Options options;
  options.snapshot_history_bytes = 16 << 10;
  auto db = testing::OpenOrDie(options);
  Collection* c = *db->CreateCollection("c");
  const DocId x = *c->Insert(Doc(R"({"n":0})"));
  const std::string big = Doc(R"({"n":1,"pad":")" + std::string(1000, 'x') + "\"}");
  auto snap = Begin(db.get(), ReadOnly());
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(c->Replace(x, big).ok());
  std::string bytes;
  Status s = snap->Get(c, x, &bytes);
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_NE(s.message().find("snapshot_history_bytes"), std::string_view::npos) << s.ToString();
  // The commit that passed the limit freed what was kept; none is kept for an expired snapshot.
  EXPECT_EQ(HistoryBytes(db.get()), 0u);
  EXPECT_EQ(db->Stats()->snapshots_open, 0u);
  snap.reset();

  // RunTransaction runs a read-only fn again on a fresh snapshot.
  int runs = 0;
  TransactionOptions ro = ReadOnly();
  s = db->RunTransaction(
      [&](Transaction& txn) -> Status {
        ++runs;
        DAAS_RETURN_IF_ERROR(txn.Get(c, x, &bytes));
        if (runs == 1) {
          for (int i = 0; i < 40; ++i) DAAS_RETURN_IF_ERROR(c->Replace(x, big));
        }
        return txn.Get(c, x, &bytes);
      },
      ro);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(runs, 2);
}

TEST(Snapshot, AForgottenSnapshotExpiresAtItsDeadlineAndItsVersionsAreFreed) {
  auto db = testing::OpenOrDie({});
  Collection* c = *db->CreateCollection("c");
  const DocId x = *c->Insert(Doc(R"({"n":0})"));
  TransactionOptions ro = ReadOnly();
  // Long enough that the first commit lands before the deadline under the sanitizers too.
  ro.max_age_ms = 500;
  auto forgotten = Begin(db.get(), ro);
  ASSERT_TRUE(c->Replace(x, Doc(R"({"n":1})")).ok());
  EXPECT_GT(HistoryBytes(db.get()), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  // The next commit that keeps a version notices the deadline, and the versions go.
  ASSERT_TRUE(c->Replace(x, Doc(R"({"n":2})")).ok());
  EXPECT_EQ(HistoryBytes(db.get()), 0u);
  std::string bytes;
  EXPECT_EQ(forgotten->Get(c, x, &bytes).code(), StatusCode::kAborted);
}

TEST(Snapshot, ReadOnlyAndReadWriteTransactionsDifferWhereTheyMust) {
  auto db = testing::OpenOrDie({});
  Collection* c = *db->CreateCollection("c");
  const DocId x = *c->Insert(Doc(R"({"n":0})"));
  auto rw = Begin(db.get(), {});
  EXPECT_EQ(rw->snapshot_lsn(), 0u);
  EXPECT_EQ(rw->OpenCursor(c, "", std::nullopt).status().code(), StatusCode::kInvalidArgument);
  auto snap = Begin(db.get(), ReadOnly());
  EXPECT_EQ(snap->Replace(c, x, Doc("{}")).code(), StatusCode::kInvalidArgument);
  // A collection dropped after the snapshot began is gone for it too (drops are not versioned).
  ASSERT_TRUE(db->DropCollection("c").ok());
  std::string bytes;
  EXPECT_EQ(snap->Get(c, x, &bytes).code(), StatusCode::kNotFound);
  EXPECT_EQ(snap->OpenCursor(c, "", std::nullopt).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(HistoryBytes(db.get()), 0u);
}

// Ending a snapshot inside a Scan callback (a shard read lock held) neither deadlocks nor loses
// track of the versions it held: the next write to their shard frees them.
TEST(Snapshot, EndingOneInsideAScanCallbackDoesNotDeadlock) {
  auto db = testing::OpenOrDie({});
  Collection* c = *db->CreateCollection("c");
  const DocId x = *c->Insert(Doc(R"({"n":0})"));
  auto snap = Begin(db.get(), ReadOnly());
  ASSERT_TRUE(c->Replace(x, Doc(R"({"n":1})")).ok());
  ASSERT_GT(HistoryBytes(db.get()), 0u);
  ASSERT_TRUE(c->Scan([&](DocId, std::string_view) {
                 EXPECT_EQ(GetIn(snap.get(), c, x), R"({"n":0})");
                 EXPECT_TRUE(snap->Commit().ok());
                 return true;
               }).ok());
  EXPECT_GT(HistoryBytes(db.get()), 0u);
  ASSERT_TRUE(c->Replace(x, Doc(R"({"n":2})")).ok());
  EXPECT_EQ(HistoryBytes(db.get()), 0u);
}

// On disk, after a reopen: shards not loaded yet are read from their files, and loaded by the
// first write, which then keeps what it overwrote for the snapshot.
TEST(Snapshot, ColdShardsLoadedByAWriteKeepTheSnapshotsVersion) {
  testing::TempDir dir;
  Options options;
  options.dir = dir.path();
  options.load_in_background = false;
  DocId x;
  {
    auto db = testing::OpenOrDie(options);
    Collection* c = *db->CreateCollection("c");
    x = *c->Insert(Doc(R"({"n":1})"));
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = testing::OpenOrDie(options);
  Collection* c = *db->GetCollection("c");
  ASSERT_EQ(db->Stats()->cold_shards, 1u);
  auto snap = Begin(db.get(), ReadOnly());
  ASSERT_TRUE(c->Replace(x, Doc(R"({"n":2})")).ok());
  EXPECT_EQ(GetIn(snap.get(), c, x), R"({"n":1})");
  EXPECT_EQ(testing::GetJson(c, x), R"({"n":2})");
}

}  // namespace
}  // namespace daas
