// Recovery through the write-ahead log: what a crash leaves behind opens to exactly the
// acknowledged writes. Crash invariant W1 and the torn-tail rule are in storage/wal/wal_format.h
// and wal_reader.h.
#include <gtest/gtest.h>

#include <algorithm>

#include <filesystem>
#include <fstream>

#include "engine/backup.h"
#include "engine/database_impl.h"
#include "engine/engine_test_util.h"
#include "env/fault_injection_env.h"

namespace daas {
namespace {

using testing::Doc;
using testing::GetJson;
namespace fs = std::filesystem;

class RecoveryTest : public ::testing::Test {
 protected:
  Options opts() const {
    Options o;
    o.dir = dir_.path() + "/db";
    return o;
  }
  std::unique_ptr<engine::DatabaseImpl> Open(const Options& o,
                                             env::Env* env = env::Env::Default()) {
    auto db = engine::DatabaseImpl::Open(o, env);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  std::vector<std::string> Files(std::string_view prefix) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(opts().dir)) {
      if (e.path().filename().string().starts_with(prefix)) out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  testing::TempDir dir_;
};

TEST_F(RecoveryTest, AbandonedDatabaseReopensWithEveryAcknowledgedWrite) {
  std::vector<std::pair<DocId, std::string>> expect;
  DocId deleted, patched;
  {
    auto db = Open(opts());
    Collection* c = *db->CreateCollection("c");
    for (int i = 0; i < 100; ++i) {
      std::string json = "{\"i\":" + std::to_string(i) + "}";
      expect.emplace_back(*c->Insert(Doc(json)), json);
    }
    deleted = expect[5].first;
    ASSERT_TRUE(c->Delete(deleted).ok());
    patched = expect[6].first;
    ASSERT_TRUE(c->Patch(patched, Doc(R"({"p":true})")).ok());
    db->AbandonForTesting();  // no checkpoint: everything comes back from the log
  }
  auto db = Open(opts());
  Collection* c = *db->GetCollection("c");
  EXPECT_EQ(*c->Count(), 99u);
  std::string out;
  EXPECT_EQ(c->Get(deleted, &out).code(), StatusCode::kNotFound);
  EXPECT_EQ(GetJson(c, patched), R"({"i":6,"p":true})");
  EXPECT_EQ(GetJson(c, expect[99].first), R"({"i":99})");
  // The allocator knows the replayed slots: a new insert does not overwrite one.
  DocId fresh = *c->Insert(Doc(R"({"new":1})"));
  for (const auto& [id, json] : expect) {
    if (id != deleted) {
      EXPECT_FALSE(id.shard() == fresh.shard() && id.slot() == fresh.slot());
    }
  }
}

// A batch that writes documents several times logs one op each (their final state): replay ends
// where the commit did.
TEST_F(RecoveryTest, ABatchWritingADocumentSeveralTimesReplaysToItsFinalState) {
  DocId x, y;
  uint64_t before = 0;
  {
    auto db = Open(opts());
    Collection* c = *db->CreateCollection("c");
    x = *c->Insert(Doc(R"({"v":1})"));
    y = *c->Insert(Doc(R"({"v":1})"));
    WriteBatch b;
    b.Replace(c, x, Doc(R"({"v":2})"));
    b.Patch(c, x, Doc(R"({"w":3})"));
    b.Patch(c, y, Doc(R"({"w":3})"));
    b.Delete(c, y);
    before = db->visible_lsn();
    ASSERT_TRUE(db->Write(b, nullptr).ok());
    db->AbandonForTesting();
  }
  auto db = Open(opts());
  Collection* c = *db->GetCollection("c");
  EXPECT_EQ(GetJson(c, x), R"({"v":2,"w":3})");
  std::string out;
  EXPECT_EQ(c->Get(y, &out).code(), StatusCode::kNotFound);
  EXPECT_EQ(*c->Count(), 1u);
  // The log record itself holds one op per document: read back through the change feed.
  auto feed = db->SubscribeChanges(FeedOptions{.after_lsn = before});
  ASSERT_TRUE(feed.ok()) << feed.status().ToString();
  std::vector<ChangeEvent> events;
  ASSERT_TRUE((*feed)->Next(&events, 100, 0).ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, x);
  EXPECT_EQ(events[0].op, ChangeEvent::Op::kUpdate);
  EXPECT_EQ(events[1].id, y);
  EXPECT_EQ(events[1].op, ChangeEvent::Op::kDelete);
}

// The manifest records the log position its shard files cover, so deleting the oldest log
// segments (which hold records no shard file has) is Corruption at open and in CheckDatabase, not
// a silently shorter database.
TEST_F(RecoveryTest, DeletedLogSegmentsAreCorruptionNotLoss) {
  Options o = opts();
  o.wal_segment_bytes = 256;  // a few records per segment
  {
    auto db = Open(o);
    Collection* c = *db->CreateCollection("c");
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(c->Insert(Doc(R"({"before":1})")).ok());
    ASSERT_TRUE(db->Checkpoint().ok());
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(c->Insert(Doc(R"({"after":1})")).ok());
    db->AbandonForTesting();
  }
  const std::vector<std::string> segments = Files("wal-");
  ASSERT_GE(segments.size(), 3u);
  for (bool all : {false, true}) {
    SCOPED_TRACE(all);
    const std::string saved = testing::ReadWholeFile(segments[0]);
    fs::remove(segments[0]);
    if (all) {
      for (const std::string& s : segments) fs::remove(s);
    }
    auto db = engine::DatabaseImpl::Open(o);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.status().code(), StatusCode::kCorruption);
    EXPECT_NE(db.status().message().find("are missing"), std::string_view::npos)
        << db.status().ToString();
    auto report = engine::CheckDatabase(env::Env::Default(), o.dir);
    ASSERT_TRUE(report.ok());
    EXPECT_FALSE(report->ok());
    if (!all) std::ofstream(segments[0], std::ios::binary) << saved;
  }
}

TEST_F(RecoveryTest, ReplayCreatesShardsTheManifestDoesNotKnow) {
  DocId last;
  {
    Options o = opts();
    o.sync = SyncMode::kOff;
    auto db = Open(o);
    Collection* c = *db->CreateCollection("big");
    std::string doc = Doc(R"({"x":1})");
    std::vector<std::string_view> docs(70000, doc);
    auto ids = c->InsertMany(docs);
    ASSERT_TRUE(ids.ok());
    last = ids->back();
    ASSERT_TRUE(db->Sync().ok());
    db->AbandonForTesting();
  }
  auto db = Open(opts());
  Collection* c = *db->GetCollection("big");
  EXPECT_EQ(*c->Count(), 70000u);
  EXPECT_EQ(GetJson(c, last), R"({"x":1})");
  EXPECT_EQ(c->Stats()->shards, 2u);
}

// A shard with a file, then inserts and a delete only in the log: replay loads the file and fills
// slots after the load listed them free; the next inserts must not be handed those slots.
TEST_F(RecoveryTest, InsertsAfterReplayIntoACheckpointedShardTakeFreeSlotsOnly) {
  std::vector<DocId> ids;
  {
    auto db = Open(opts());
    Collection* c = *db->CreateCollection("c");
    for (int i = 0; i < 3; ++i) ids.push_back(*c->Insert(Doc("{\"i\":" + std::to_string(i) + "}")));
    ASSERT_TRUE(db->Checkpoint().ok());
    for (int i = 3; i < 6; ++i) ids.push_back(*c->Insert(Doc("{\"i\":" + std::to_string(i) + "}")));
    ASSERT_TRUE(c->Delete(ids[1]).ok());
    db->AbandonForTesting();
  }
  auto db = Open(opts());
  Collection* c = *db->GetCollection("c");
  std::vector<DocId> more;
  for (int i = 6; i < 10; ++i) {
    auto id = c->Insert(Doc("{\"i\":" + std::to_string(i) + "}"));
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    more.push_back(*id);
  }
  EXPECT_EQ(*c->Count(), 9u);
  for (int i : {0, 2, 3, 4, 5}) EXPECT_EQ(GetJson(c, ids[i]), "{\"i\":" + std::to_string(i) + "}");
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(GetJson(c, more[i]), "{\"i\":" + std::to_string(i + 6) + "}");
  // The slot the replayed delete freed is reused.
  EXPECT_TRUE(
      std::any_of(more.begin(), more.end(), [&](DocId id) { return id.slot() == ids[1].slot(); }));
}

TEST_F(RecoveryTest, RecordsOfADroppedCollectionAreSkipped) {
  {
    auto db = Open(opts());
    ASSERT_TRUE((*db->CreateCollection("gone"))->Insert(Doc("{}")).ok());
    ASSERT_TRUE(db->DropCollection("gone").ok());
    ASSERT_TRUE((*db->CreateCollection("gone"))->Insert(Doc(R"({"second":1})")).ok());
    db->AbandonForTesting();
  }
  auto db = Open(opts());
  EXPECT_EQ(*(*db->GetCollection("gone"))->Count(), 1u);
}

TEST_F(RecoveryTest, TornLogTailIsCutAndOpenSucceeds) {
  DocId id;
  {
    auto db = Open(opts());
    id = *(*db->CreateCollection("c"))->Insert(Doc(R"({"k":1})"));
    db->AbandonForTesting();
  }
  const auto segs = Files("wal-");
  ASSERT_FALSE(segs.empty());
  const uint64_t good = fs::file_size(segs.back());
  std::ofstream(segs.back(), std::ios::app | std::ios::binary) << std::string(13, '\x7f');
  auto db = Open(opts());
  EXPECT_EQ(GetJson(*db->GetCollection("c"), id), R"({"k":1})");
  EXPECT_EQ(fs::file_size(segs.back()), good);  // cut at open, before anything is appended
}

TEST_F(RecoveryTest, DamagedLogRecordBeforeGoodOnesFailsOpenNamingFileAndOffset) {
  {
    auto db = Open(opts());
    Collection* c = *db->CreateCollection("c");
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(c->Insert(Doc(R"({"k":"value"})")).ok());
    db->AbandonForTesting();
  }
  const auto segs = Files("wal-");
  testing::FlipBits(segs.back(), 32 + 20 + 3, 0x01);  // inside the first record's payload
  auto db = engine::DatabaseImpl::Open(opts());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kCorruption);
  EXPECT_NE(db.status().message().find(fs::path(segs.back()).filename().string() + " at byte 32"),
            std::string_view::npos)
      << db.status().message();
}

TEST_F(RecoveryTest, CheckpointRemovesCoveredLogSegments) {
  // Crash invariant W4.
  Options o = opts();
  o.wal_segment_bytes = 4096;
  o.sync = SyncMode::kOff;
  auto db = Open(o);
  Collection* c = *db->CreateCollection("c");
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(c->Insert(Doc(R"({"payload":"0123456789"})")).ok());
  ASSERT_TRUE(db->Sync().ok());
  const size_t before = Files("wal-").size();
  ASSERT_GT(before, 5u);
  ASSERT_TRUE(db->Checkpoint().ok());
  EXPECT_LE(Files("wal-").size(), 2u);
  ASSERT_TRUE(db->Close().ok());
  auto again = Open(o);
  EXPECT_EQ(*(*again->GetCollection("c"))->Count(), 2000u);
}

TEST_F(RecoveryTest, PowerLossKeepsEveryFullySyncedCommit) {
  // Crash invariant W3.
  env::FaultInjectionEnv fenv(env::Env::Default());
  std::vector<DocId> acked;
  {
    auto db = Open(opts(), &fenv);
    Collection* c = *db->CreateCollection("c");
    for (int i = 0; i < 50; ++i)
      acked.push_back(*c->Insert(Doc("{\"i\":" + std::to_string(i) + "}")));
    // Written with kOff, never synced: may be lost, must not break anything.
    WriteBatch b;
    b.Insert(c, Doc(R"({"maybe":1})"));
    ASSERT_TRUE(db->Write(b, nullptr, WriteOptions{SyncMode::kOff}).ok());
    db->AbandonForTesting();
  }
  ASSERT_TRUE(fenv.DropUnsyncedData().ok());
  auto db = Open(opts());
  Collection* c = *db->GetCollection("c");
  for (size_t i = 0; i < acked.size(); ++i) {
    EXPECT_EQ(GetJson(c, acked[i]), "{\"i\":" + std::to_string(i) + "}");
  }
}

// A transaction whose commit applied its writes but could not make them durable reports the
// IOError and its LSN; its inserts stay where they are (their slots are not handed out again).
TEST_F(RecoveryTest, ATransactionAppliedButNotSyncedKeepsItsInsertsAndReportsItsLsn) {
  env::FaultInjectionEnv fenv(env::Env::Default());
  auto db = Open(opts(), &fenv);
  Collection* c = *db->CreateCollection("c");
  auto begun = db->BeginTransaction();
  ASSERT_TRUE(begun.ok());
  std::unique_ptr<Transaction> txn = std::move(*begun);
  DocId id = *txn->Insert(c, Doc(R"({"n":1})"));
  fenv.FailSyncsAfter(0);
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kIOError) << s.ToString();
  EXPECT_NE(s.message().find("applied but may not be durable"), std::string_view::npos);
  EXPECT_EQ(txn->commit_lsn(), db->visible_lsn());
  EXPECT_NE(txn->commit_lsn(), 0u);
  txn.reset();
  EXPECT_EQ(GetJson(c, id), R"({"n":1})");  // visible, and its slot still its own
  fenv.ClearFaults();
  db->AbandonForTesting();
}

TEST_F(RecoveryTest, FailedLogSyncMakesDatabaseReadOnlyUntilReopen) {
  // Crash invariant W5: sticky, never retried.
  env::FaultInjectionEnv fenv(env::Env::Default());
  DocId before;
  {
    auto db = Open(opts(), &fenv);
    Collection* c = *db->CreateCollection("c");
    before = *c->Insert(Doc(R"({"ok":1})"));
    fenv.FailSyncsAfter(0);
    auto failed = c->Insert(Doc(R"({"ok":2})"));
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.status().code(), StatusCode::kIOError);
    fenv.ClearFaults();
    // Sticky: the disk works again, the database still refuses writes and checkpoints.
    EXPECT_EQ(c->Insert(Doc(R"({"ok":3})")).status().code(), StatusCode::kIOError);
    EXPECT_EQ(db->Checkpoint().code(), StatusCode::kIOError);
    EXPECT_FALSE(db->Close().ok());
  }
  auto db = Open(opts());
  Collection* c = *db->GetCollection("c");
  EXPECT_EQ(GetJson(c, before), R"({"ok":1})");
  EXPECT_TRUE(c->Insert(Doc(R"({"ok":4})")).ok());
}

TEST_F(RecoveryTest, FailedLogWriteRollsTheCommitBack) {
  // Crash invariant W5: a record that could not be appended never becomes visible.
  env::FaultInjectionEnv fenv(env::Env::Default());
  auto db = Open(opts(), &fenv);
  Collection* c = *db->CreateCollection("c");
  DocId id = *c->Insert(Doc(R"({"v":1})"));
  fenv.FailWritesAfter(0, /*no_space=*/true);
  Status s = c->Replace(id, Doc(R"({"v":2})"));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  fenv.ClearFaults();
  // The write reached the log's buffer but not the disk; the error is sticky from then on.
  EXPECT_FALSE(c->Insert(Doc("{}")).ok());
  db->AbandonForTesting();
  auto again = Open(opts());
  EXPECT_EQ(GetJson(*again->GetCollection("c"), id), R"({"v":1})");
}

TEST_F(RecoveryTest, StatsReportLogAndCheckpoint) {
  Options o = opts();
  o.sync = SyncMode::kOff;
  auto db = Open(o);
  Collection* c = *db->CreateCollection("c");
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(c->Insert(Doc(R"({"k":"v"})")).ok());
  ASSERT_TRUE(db->Sync().ok());
  auto before = db->Stats();
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->visible_lsn, 100u);
  EXPECT_EQ(before->durable_lsn, 100u);
  EXPECT_EQ(before->checkpoint_lsn, 0u);
  EXPECT_GE(before->log_segments, 1u);
  EXPECT_GT(before->log_bytes, 100u * 20);
  EXPECT_EQ(before->checkpoint_files, 0u);
  ASSERT_TRUE(db->Checkpoint().ok());
  auto after = db->Stats();
  EXPECT_EQ(after->checkpoint_lsn, 100u);
  EXPECT_EQ(after->checkpoint_files, 1u);
  EXPECT_GT(after->checkpoint_bytes, 100u * 8);
  ASSERT_TRUE(db->Close().ok());
  // Reopened: the checkpoint covers all 100 writes.
  auto again = Open(o);
  EXPECT_EQ(again->Stats()->checkpoint_lsn, 100u);
}

TEST_F(RecoveryTest, CloseWithoutChangesDoesNotRewriteTheManifest) {
  {
    auto db = Open(opts());
    ASSERT_TRUE((*db->CreateCollection("c"))->Insert(Doc("{}")).ok());
  }
  auto read = [&] { return testing::ReadWholeFile(opts().dir + "/MANIFEST"); };
  const std::string before = read();
  { auto db = Open(opts()); }  // open and close, changing nothing
  EXPECT_EQ(read(), before);   // same generation number: not rewritten
}

TEST_F(RecoveryTest, VisibleAndDurableAreObservableSeparately) {
  Options o = opts();
  o.sync = SyncMode::kOff;
  o.sync_interval_ms = 60000;  // the background flusher stays out of the way
  auto db = Open(o);
  Collection* c = *db->CreateCollection("c");
  ASSERT_TRUE(c->Insert(Doc("{}")).ok());
  EXPECT_GT(db->visible_lsn(), db->durable_lsn());
  ASSERT_TRUE(db->Sync().ok());
  EXPECT_EQ(db->visible_lsn(), db->durable_lsn());
}

}  // namespace
}  // namespace daas
