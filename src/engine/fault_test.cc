// Durability under I/O faults, end to end. A short write (a prefix of the bytes reaches the file,
// then the call fails, as a write that hits EIO or ENOSPC part way does) into a log record, a new
// log segment's header, a shard file or the manifest fails the operation with a sticky error
// (crash invariant W5), and reopening recovers exactly the acknowledged writes: a partial log
// record is a torn tail (W1, W3), a failed checkpoint leaves the old manifest and the log (W4,
// docs/format/checkpoint.md), and CheckDatabase passes before and after.
//
// Also: opening agrees with the log reader on damage to each field of each log record. The sweep
// over every byte is storage/wal/wal_damage_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/coding.h"
#include "engine/backup.h"
#include "engine/database_impl.h"
#include "engine/engine_test_util.h"
#include "env/fault_injection_env.h"
#include "storage/manifest.h"
#include "storage/shard_file.h"
#include "storage/wal/wal_format.h"

namespace daas {
namespace {

using env::FaultInjectionEnv;
using testing::Doc;
using testing::GetJson;
namespace fs = std::filesystem;

constexpr size_t kNpos = std::string_view::npos;

class FaultTest : public ::testing::Test {
 protected:
  Options opts() const {
    Options o;
    o.dir = dir_.path() + "/db";
    // No background checkpoint: each test decides when one runs.
    o.checkpoint_wal_bytes = 0;
    o.checkpoint_interval_ms = 0;
    return o;
  }
  std::unique_ptr<engine::DatabaseImpl> Open(const Options& o, env::Env* env) {
    auto db = engine::DatabaseImpl::Open(o, env);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  // Opens with the plain file system, as a restarted process would.
  std::unique_ptr<engine::DatabaseImpl> Reopen() { return Open(opts(), env::Env::Default()); }

  // Writes that must succeed, recorded in acked_, the model of what was acknowledged.
  DocId Insert(Collection* c, const std::string& json) {
    auto id = c->Insert(Doc(json));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (!id.ok()) return DocId();
    acked_[c->name()][*id] = json;
    return *id;
  }
  void Replace(Collection* c, DocId id, const std::string& json) {
    ASSERT_TRUE(c->Replace(id, Doc(json)).ok());
    acked_[c->name()][id] = json;
  }
  void Delete(Collection* c, DocId id) {
    ASSERT_TRUE(c->Delete(id).ok());
    acked_[c->name()].erase(id);
  }
  // Every acknowledged document is in `db`, as acknowledged, and no other document is.
  void ExpectAcked(Database* db) {
    ASSERT_NE(db, nullptr);
    for (const auto& [name, docs] : acked_) {
      auto c = db->GetCollection(name);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      EXPECT_EQ(*(*c)->Count(), docs.size()) << name;
      for (const auto& [id, json] : docs) EXPECT_EQ(GetJson(*c, id), json) << name;
    }
  }

  // CheckDatabase on the (closed) database: no problem found.
  storage::CheckReport Check(const std::string& dir) {
    auto r = engine::CheckDatabase(env::Env::Default(), dir);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    EXPECT_TRUE(r->ok()) << r->problems[0];
    return *r;
  }
  storage::CheckReport Check() { return Check(opts().dir); }

  // Paths of the files in the database directory whose names start with `prefix` and end with
  // `suffix`, sorted.
  std::vector<std::string> Files(std::string_view prefix, std::string_view suffix = "") const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(opts().dir)) {
      const std::string name = e.path().filename().string();
      if (name.starts_with(prefix) && name.ends_with(suffix)) out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::string Name(const std::string& path) { return fs::path(path).filename().string(); }

  testing::TempDir dir_;
  FaultInjectionEnv fenv_{env::Env::Default()};
  std::map<std::string, std::map<DocId, std::string>> acked_;  // collection -> id -> JSON
};

// ---- a short write into a log record ----

struct LogFault {
  uint64_t keep_bytes;
  bool no_space;
  const char* name;
};

class ShortLogWriteTest : public FaultTest, public ::testing::WithParamInterface<LogFault> {};

TEST_P(ShortLogWriteTest, FailsTheCommitStickilyAndReopenCutsTheTornRecord) {
  const LogFault fault = GetParam();
  const StatusCode code = fault.no_space ? StatusCode::kResourceExhausted : StatusCode::kIOError;
  std::string segment;
  uint64_t good_size = 0, torn_bytes = 0;
  DocId target;
  {
    auto db = Open(opts(), &fenv_);  // SyncMode::kFull
    Collection* c = *db->CreateCollection("c");
    for (int i = 0; i < 5; ++i) Insert(c, "{\"i\":" + std::to_string(i) + "}");
    target = acked_["c"].begin()->first;
    segment = Files("wal-").back();
    good_size = fs::file_size(segment);

    fenv_.FaultOnlyPathsContaining("wal-");
    fenv_.ShortWriteAfter(0, fault.keep_bytes, fault.no_space);
    Status s = c->Replace(target, Doc(R"({"replaced":"by a commit whose record is torn"})"));
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_NE(s.message().find("write-ahead log failed"), kNpos) << s.message();
    EXPECT_NE(s.message().find("read-only until reopened"), kNpos) << s.message();
    EXPECT_NE(s.message().find(Name(segment)), kNpos) << s.message();
    ASSERT_EQ(fenv_.short_write_count(), 1u);
    torn_bytes = fs::file_size(segment) - good_size;
    EXPECT_GT(torn_bytes, 0u);
    // W5: the record was in the log's buffer before its write failed, so the commit stays visible
    // in this process, and its caller is told it may not be durable.
    EXPECT_NE(s.message().find("may not be durable"), kNpos) << s.message();
    EXPECT_EQ(GetJson(c, target), R"({"replaced":"by a commit whose record is torn"})");

    // Sticky: with the disk healthy again, every write, sync, checkpoint and Close still fails.
    fenv_.ClearFaults();
    EXPECT_EQ(c->Insert(Doc("{}")).status().code(), code);
    EXPECT_EQ(c->Delete(target).code(), code);
    EXPECT_EQ(db->Sync().code(), code);
    EXPECT_EQ(db->Checkpoint().code(), code);
    EXPECT_EQ(db->Close().code(), code);
    EXPECT_EQ(fs::file_size(segment), good_size + torn_bytes) << "nothing written after the fault";
  }
  // The partial record is a torn tail, not damage.
  storage::CheckReport before = Check();
  EXPECT_EQ(before.last_lsn, 5u);
  EXPECT_EQ(before.torn_tail.find(Name(segment) + ": " + std::to_string(torn_bytes) +
                                  " bytes after byte " + std::to_string(good_size)),
            0u)
      << before.torn_tail;

  auto db = Reopen();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(fs::file_size(segment), good_size) << "the torn tail is cut at open";
  ExpectAcked(db.get());  // the failed replace is gone, everything acknowledged is there
  Insert(*db->GetCollection("c"), R"({"after":"reopen"})");
  ASSERT_TRUE(db->Close().ok());
  EXPECT_EQ(Check().torn_tail, "");
  ExpectAcked(Reopen().get());
}

INSTANTIATE_TEST_SUITE_P(
    , ShortLogWriteTest,
    ::testing::Values(LogFault{1, false, "OneByteOfTheChecksum"},
                      LogFault{8, false, "TheChecksumOnly"}, LogFault{12, false, "PartOfTheLength"},
                      LogFault{20, false, "TheRecordHeaderWithoutPayload"},
                      LogFault{FaultInjectionEnv::kHalf, false, "HalfTheRecord"},
                      LogFault{1 << 20, false, "AllButTheLastByte"},
                      LogFault{FaultInjectionEnv::kHalf, true, "OutOfSpaceMidRecord"},
                      LogFault{20, true, "OutOfSpaceAfterTheRecordHeader"}),
    [](const ::testing::TestParamInfo<LogFault>& info) { return std::string(info.param.name); });

TEST_F(FaultTest, ShortWriteOfAGroupOfRecordsKeepsAPrefixOfTheGroup) {
  // Commits buffered together share one write (W3). Cut in the middle of it, the records wholly
  // before the cut come back and the rest do not: never a later one without an earlier one.
  Options o = opts();
  o.sync = SyncMode::kOff;
  o.sync_interval_ms = 60000;  // the background flusher stays out of the way
  std::vector<DocId> group;
  {
    auto db = Open(o, &fenv_);
    Collection* c = *db->CreateCollection("c");
    for (int i = 0; i < 3; ++i) Insert(c, "{\"durable\":" + std::to_string(i) + "}");
    ASSERT_TRUE(db->Sync().ok());
    for (int i = 0; i < 5; ++i)
      group.push_back(*c->Insert(Doc("{\"g\":" + std::to_string(i) + "}")));
    fenv_.FaultOnlyPathsContaining("wal-");
    fenv_.ShortWriteAfter(0);  // half of five records of the same size: inside the third
    EXPECT_EQ(db->Sync().code(), StatusCode::kIOError);
    ASSERT_EQ(fenv_.short_write_count(), 1u);
    fenv_.ClearFaults();
    EXPECT_EQ(db->Close().code(), StatusCode::kIOError);
  }
  EXPECT_FALSE(Check().torn_tail.empty());
  auto db = Reopen();
  ASSERT_NE(db, nullptr);
  Collection* c = *db->GetCollection("c");
  size_t present = 0;
  while (present < group.size() && GetJson(c, group[present])[0] != '<') ++present;
  EXPECT_EQ(present, 2u);
  for (size_t i = present; i < group.size(); ++i) {
    std::string out;
    EXPECT_EQ(c->Get(group[i], &out).code(), StatusCode::kNotFound) << "group record " << i;
  }
  EXPECT_EQ(*c->Count(), 3u + present);
  for (const auto& [id, json] : acked_["c"]) EXPECT_EQ(GetJson(c, id), json);
}

// ---- a short write into a log segment's header ----

TEST_F(FaultTest, ShortWriteOfANewSegmentHeaderIsATornCreation) {
  // W1: a new segment's header is durable before any record in it is acknowledged; cut short, the
  // segment holds no record and is removed at open.
  Options o = opts();
  o.wal_segment_bytes = 512;
  std::string fresh;
  {
    auto db = Open(o, &fenv_);
    Collection* c = *db->CreateCollection("c");
    // Fill the segment: the next commit starts a new one.
    while (fs::file_size(Files("wal-").back()) < o.wal_segment_bytes) {
      Insert(c, R"({"fill":"0123456789"})");
      ASSERT_FALSE(HasFailure());
    }
    const size_t segments = Files("wal-").size();
    fenv_.FaultOnlyPathsContaining("wal-");
    fenv_.ShortWriteAfter(1);  // the new segment is created; its header's write is short
    EXPECT_EQ(c->Insert(Doc(R"({"lost":1})")).status().code(), StatusCode::kIOError);
    ASSERT_EQ(fenv_.short_write_count(), 1u);
    ASSERT_EQ(Files("wal-").size(), segments + 1);
    fresh = Files("wal-").back();
    EXPECT_EQ(fs::file_size(fresh), storage::wal::kSegmentHeaderBytes / 2);
    fenv_.ClearFaults();
    EXPECT_EQ(c->Insert(Doc("{}")).status().code(), StatusCode::kIOError);
    EXPECT_EQ(db->Close().code(), StatusCode::kIOError);
  }
  EXPECT_EQ(Check().torn_tail.find(Name(fresh) + ": 16 bytes after byte 0"), 0u);
  auto db = Open(o, env::Env::Default());
  ASSERT_NE(db, nullptr);
  ExpectAcked(db.get());
  Insert(*db->GetCollection("c"), R"({"after":"reopen"})");
  ASSERT_TRUE(db->Close().ok());
  Check();
  ExpectAcked(Reopen().get());
}

TEST_F(FaultTest, ShortWriteOfTheSegmentHeaderAtOpenFailsOpenAndTheNextOpenRecovers) {
  {
    auto db = Reopen();
    Collection* c = *db->CreateCollection("c");
    for (int i = 0; i < 5; ++i) Insert(c, "{\"i\":" + std::to_string(i) + "}");
    db->AbandonForTesting();  // everything is in the log
  }
  fenv_.FaultOnlyPathsContaining("wal-");
  fenv_.ShortWriteAfter(1);
  auto failed = engine::DatabaseImpl::Open(opts(), &fenv_);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kIOError) << failed.status().ToString();
  ASSERT_EQ(fenv_.short_write_count(), 1u);
  EXPECT_NE(Check().torn_tail.find("16 bytes after byte 0"), std::string::npos);
  auto db = Reopen();
  ExpectAcked(db.get());
  ASSERT_TRUE(db->Close().ok());
  Check();
}

// ---- a short write into a checkpoint ----

enum class CheckpointTarget { kShardFileOfA, kShardFileOfB, kManifest };

struct CheckpointFault {
  CheckpointTarget target;
  bool no_space;
  const char* name;
};

class ShortCheckpointWriteTest : public FaultTest,
                                 public ::testing::WithParamInterface<CheckpointFault> {};

TEST_P(ShortCheckpointWriteTest, FailsStickilyAndReopenRecoversFromTheOldManifestAndTheLog) {
  const CheckpointFault fault = GetParam();
  const StatusCode code = fault.no_space ? StatusCode::kResourceExhausted : StatusCode::kIOError;
  const std::string manifest = opts().dir + "/" + storage::kManifestFileName;
  std::string old_manifest;
  std::vector<std::string> old_shard_files;
  {
    auto db = Open(opts(), &fenv_);
    Collection* a = *db->CreateCollection("a");
    Collection* b = *db->CreateCollection("b");
    for (int i = 0; i < 20; ++i) {
      Insert(a, "{\"a\":" + std::to_string(i) + "}");
      Insert(b, "{\"b\":" + std::to_string(i) + "}");
    }
    ASSERT_TRUE(db->Checkpoint().ok());
    // Both shards change again; these commits are only in the log.
    const DocId a0 = acked_["a"].begin()->first, b0 = acked_["b"].begin()->first;
    Replace(a, a0, R"({"a":"replaced"})");
    Delete(b, b0);
    Insert(a, R"({"a":"new"})");
    Insert(b, R"({"b":"new"})");
    old_manifest = testing::ReadWholeFile(manifest);
    old_shard_files = Files("s", ".shard");
    ASSERT_EQ(old_shard_files.size(), 2u);

    // The file whose write is cut: one shard's new file (created, then its first write is short),
    // or MANIFEST.tmp.
    std::string part = "MANIFEST";
    if (fault.target != CheckpointTarget::kManifest) {
      const ShardId shard = (fault.target == CheckpointTarget::kShardFileOfA ? a0 : b0).shard();
      part = storage::ShardFileName(shard, 0);
      part = part.substr(0, part.find('-') + 1);  // "s<shard>-", any file number
    }
    fenv_.FaultOnlyPathsContaining(part);
    fenv_.ShortWriteAfter(1, FaultInjectionEnv::kHalf, fault.no_space);
    Status s = db->Checkpoint();
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_NE(s.message().find(part), kNpos) << s.message();
    ASSERT_EQ(fenv_.short_write_count(), 1u);
    fenv_.ClearFaults();
    EXPECT_EQ(testing::ReadWholeFile(manifest), old_manifest) << "the commit point was not reached";

    // Sticky (W5).
    EXPECT_EQ(a->Insert(Doc("{}")).status().code(), code);
    EXPECT_EQ(db->Checkpoint().code(), code);
    EXPECT_EQ(db->Close().code(), code);
  }
  EXPECT_EQ(Check().torn_tail, "");  // the log is whole
  auto db = Reopen();
  ASSERT_NE(db, nullptr);
  ExpectAcked(db.get());
  // What the failed checkpoint left (new shard files, MANIFEST.tmp) is removed at open.
  EXPECT_EQ(Files("s", ".shard"), old_shard_files);
  EXPECT_FALSE(fs::exists(manifest + ".tmp"));
  ASSERT_TRUE(db->Checkpoint().ok());
  ASSERT_TRUE(db->Close().ok());
  Check();
  ExpectAcked(Reopen().get());
}

INSTANTIATE_TEST_SUITE_P(
    , ShortCheckpointWriteTest,
    ::testing::Values(CheckpointFault{CheckpointTarget::kShardFileOfA, false, "ShardFileOfA"},
                      CheckpointFault{CheckpointTarget::kShardFileOfB, false, "ShardFileOfB"},
                      CheckpointFault{CheckpointTarget::kShardFileOfB, true, "ShardFileOutOfSpace"},
                      CheckpointFault{CheckpointTarget::kManifest, false, "Manifest"},
                      CheckpointFault{CheckpointTarget::kManifest, true, "ManifestOutOfSpace"}),
    [](const ::testing::TestParamInfo<CheckpointFault>& info) {
      return std::string(info.param.name);
    });

// ---- catalog changes (they write the manifest at once) ----

// A failed manifest write takes the new collection back out and makes the error sticky, so no
// insert into a collection the manifest lacks is ever acknowledged (replay skips records of
// collections the manifest does not have).
TEST_F(FaultTest, AcknowledgedInsertsSurviveACrashAfterAFailedCreateCollection) {
  {
    auto db = Open(opts(), &fenv_);
    Insert(*db->CreateCollection("a"), R"({"a":1})");
    fenv_.FaultOnlyPathsContaining(storage::kManifestFileName);
    fenv_.ShortWriteAfter(1);  // MANIFEST.tmp is created; its write is short
    EXPECT_EQ(db->CreateCollection("b").status().code(), StatusCode::kIOError);
    ASSERT_EQ(fenv_.short_write_count(), 1u);
    fenv_.ClearFaults();
    // Whatever the engine makes of the failure (undo the creation, or go read-only), what it
    // acknowledges afterwards must survive a crash.
    if (auto b = db->GetCollection("b"); b.ok()) {
      if (auto id = (*b)->Insert(Doc(R"({"b":1})")); id.ok()) acked_["b"][*id] = R"({"b":1})";
    }
    if (auto id = (*db->GetCollection("a"))->Insert(Doc(R"({"a":2})")); id.ok()) {
      acked_["a"][*id] = R"({"a":2})";
    }
    db->AbandonForTesting();
  }
  ExpectAcked(Reopen().get());
}

// W5: every write fails once an error is sticky, catalog changes too; the manifest stays as it is.
// Only damage is kept for a shard: a load the OS failed (here its file could not be mapped)
// fails that use, and the next use loads the shard.
TEST_F(FaultTest, ALoadTheOsFailedIsTriedAgainByTheNextUse) {
  {
    auto db = Reopen();
    ASSERT_NE(db, nullptr);
    Result<Collection*> c = db->CreateCollection("c");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    for (int i = 0; i < 100; ++i) Insert(*c, "{\"i\":" + std::to_string(i) + "}");
    ASSERT_TRUE(db->Close().ok());
  }
  env::FaultInjectionEnv env(env::Env::Default());
  Options o = opts();
  o.load_in_background = false;
  auto db = Open(o, &env);
  ASSERT_NE(db, nullptr);
  Result<Collection*> c = db->GetCollection("c");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  env.FailMaps(1, ".shard");
  uint64_t seen = 0;
  const Status first = (*c)->Scan([&](DocId, std::string_view) { return ++seen, true; });
  EXPECT_EQ(first.code(), StatusCode::kIOError) << first.ToString();
  seen = 0;
  const Status second = (*c)->Scan([&](DocId, std::string_view) { return ++seen, true; });
  ASSERT_TRUE(second.ok()) << second.ToString();
  EXPECT_EQ(seen, 100u);
  ExpectAcked(db.get());
}

TEST_F(FaultTest, CatalogChangesFailWhileAnErrorIsSticky) {
  auto db = Open(opts(), &fenv_);
  Collection* a = *db->CreateCollection("a");
  Insert(a, R"({"a":1})");
  fenv_.FaultOnlyPathsContaining("wal-");
  fenv_.ShortWriteAfter(0);
  EXPECT_EQ(a->Insert(Doc("{}")).status().code(), StatusCode::kIOError);
  fenv_.ClearFaults();
  const std::string manifest = opts().dir + "/" + storage::kManifestFileName;
  const std::string before = testing::ReadWholeFile(manifest);
  EXPECT_EQ(db->CreateCollection("x").status().code(), StatusCode::kIOError);
  EXPECT_EQ(db->RenameCollection("a", "y").code(), StatusCode::kIOError);
  EXPECT_EQ(db->DropCollection("a").code(), StatusCode::kIOError);
  EXPECT_EQ(db->ListCollections(), std::vector<std::string>{"a"});
  EXPECT_EQ(testing::ReadWholeFile(manifest), before);
}

// ---- damage to each field of each log record, through open ----

TEST_F(FaultTest, OpenAgreesWithTheLogReaderOnDamageToEachFieldOfEachRecord) {
  Options o = opts();
  o.wal_segment_bytes = 200;
  std::vector<DocId> ids;  // ids[lsn - 1]
  {
    auto db = Open(o, env::Env::Default());
    Collection* c = *db->CreateCollection("c");
    for (int i = 0; i < 10; ++i) ids.push_back(Insert(c, "{\"i\":" + std::to_string(i) + "}"));
    db->AbandonForTesting();
  }
  struct Record {
    size_t segment;
    uint64_t start, end;
  };
  const std::vector<std::string> segments = Files("wal-");
  ASSERT_GE(segments.size(), 3u);
  std::vector<Record> records;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string bytes = testing::ReadWholeFile(segments[i]);
    for (uint64_t at = storage::wal::kSegmentHeaderBytes; at < bytes.size();) {
      const uint64_t end =
          at + storage::wal::kRecordHeaderBytes + core::GetLittle<uint32_t>(bytes.data() + at + 8);
      records.push_back({i, at, end});
      at = end;
    }
  }
  ASSERT_EQ(records.size(), ids.size());
  ASSERT_EQ(records.back().segment, segments.size() - 1);

  // (segment, offset, record or -1 for the header) of each field's first and last byte.
  struct Spot {
    size_t segment;
    uint64_t offset;
    int record;
  };
  std::vector<Spot> spots;
  for (size_t i = 0; i < segments.size(); ++i) {
    for (uint64_t off : {0, 7, 8, 12, 16, 24, 31}) spots.push_back({i, off, -1});  // header fields
  }
  for (size_t r = 0; r < records.size(); ++r) {
    const Record& rec = records[r];
    for (uint64_t off : {0, 7, 8, 11, 12, 19, 20, 24}) {  // checksum, length, lsn, payload
      spots.push_back({rec.segment, rec.start + off, static_cast<int>(r)});
    }
    spots.push_back({rec.segment, rec.end - 1, static_cast<int>(r)});
  }

  testing::TempDir scratch;
  for (const Spot& spot : spots) {
    const std::string name = Name(segments[spot.segment]);
    SCOPED_TRACE(name + " byte " + std::to_string(spot.offset));
    Options copy = o;
    copy.dir = scratch.path() + "/db";
    fs::remove_all(copy.dir);
    fs::copy(o.dir, copy.dir);
    testing::FlipBits(env::JoinPath(copy.dir, name), spot.offset, 0x10);
    const bool torn = spot.record == static_cast<int>(records.size()) - 1;
    auto db = engine::DatabaseImpl::Open(copy, env::Env::Default());
    if (!torn) {
      ASSERT_FALSE(db.ok()) << "damage accepted";
      EXPECT_EQ(db.status().code(), StatusCode::kCorruption);
      const uint64_t at = spot.record < 0 ? 0 : records[spot.record].start;
      const std::string where = name + " at byte " + std::to_string(at) + ":";
      EXPECT_NE(db.status().message().find(where), kNpos) << db.status().message();
      auto check = engine::CheckDatabase(env::Env::Default(), copy.dir);
      ASSERT_TRUE(check.ok());
      ASSERT_EQ(check->problems.size(), 1u);
      EXPECT_NE(check->problems[0].find(where), std::string::npos) << check->problems[0];
    } else {
      // The last commit's record is a torn tail: cut, and every earlier commit is there.
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      EXPECT_EQ(fs::file_size(env::JoinPath(copy.dir, name)), records.back().start);
      Collection* c = *(*db)->GetCollection("c");
      EXPECT_EQ(*c->Count(), ids.size() - 1);
      for (size_t i = 0; i + 1 < ids.size(); ++i) {
        EXPECT_EQ(GetJson(c, ids[i]), "{\"i\":" + std::to_string(i) + "}");
      }
      (*db)->AbandonForTesting();
      EXPECT_EQ(Check(copy.dir).torn_tail, "");
    }
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace daas
