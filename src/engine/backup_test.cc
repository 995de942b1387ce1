#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "doc/msgpack_reader.h"
#include "engine/backup.h"
#include "engine/engine_test_util.h"
#include "env/env.h"
#include "storage/manifest.h"

namespace daas {
namespace {

using testing::Doc;
namespace fs = std::filesystem;

int64_t Balance(const Collection* c, DocId id) {
  std::string bytes;
  EXPECT_TRUE(c->Get(id, &bytes).ok());
  auto v = doc::FindField(bytes, "bal");
  return v ? v->int_value : -1;
}

TEST(Backup, OnlineBackupIsConsistentWhileWritesGoOn) {
  testing::TempDir dir;
  Options o;
  o.dir = dir.path() + "/db";
  o.sync = SyncMode::kNormal;
  auto db = testing::OpenOrDie(o);
  Collection* acct = *db->CreateCollection("accounts");
  Collection* items = *db->CreateCollection("items");
  DocId a = *acct->Insert(Doc(R"({"bal":1000})"));
  DocId b = *acct->Insert(Doc(R"({"bal":0})"));
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(items->Insert(Doc(R"({"before":true})")).ok());

  std::atomic<bool> stop{false};
  std::atomic<int> moves{0};
  std::thread writer([&] {
    int64_t x = 1000, y = 0;
    while (!stop.load()) {
      WriteBatch w;
      w.Patch(acct, a, Doc("{\"bal\":" + std::to_string(x - 1) + "}"));
      w.Patch(acct, b, Doc("{\"bal\":" + std::to_string(y + 1) + "}"));
      w.Insert(items, Doc(R"({"during":true})"));
      ASSERT_TRUE(db->Write(w, nullptr).ok());
      --x;
      ++y;
      moves.fetch_add(1);
    }
  });
  while (moves.load() < 50) std::this_thread::yield();
  ASSERT_TRUE(db->Backup(dir.path() + "/backup").ok());
  stop = true;
  writer.join();

  Options bo;
  bo.dir = dir.path() + "/backup";
  bo.create_if_missing = false;
  auto copy = testing::OpenOrDie(bo);
  Collection* ca = *copy->GetCollection("accounts");
  EXPECT_EQ(Balance(ca, a) + Balance(ca, b), 1000);  // no half-applied transfer
  const int64_t moved = Balance(ca, b);
  EXPECT_GE(moved, 50);  // everything acknowledged before the backup started is in it
  // Items written during the backup are in it exactly when their transfer is.
  EXPECT_EQ(*(*copy->GetCollection("items"))->Count(), 500u + static_cast<uint64_t>(moved));
  EXPECT_EQ(db->Backup(dir.path() + "/backup").code(), StatusCode::kAlreadyExists);
}

TEST(Backup, RestoreChecksThenCopies) {
  testing::TempDir dir;
  Options o;
  o.dir = dir.path() + "/db";
  DocId id;
  {
    auto db = testing::OpenOrDie(o);
    id = *(*db->CreateCollection("c"))->Insert(Doc(R"({"k":"v"})"));
    ASSERT_TRUE(db->Backup(dir.path() + "/bk").ok());
  }
  ASSERT_TRUE(RestoreBackup(dir.path() + "/bk", dir.path() + "/restored").ok());
  Options r;
  r.dir = dir.path() + "/restored";
  {
    auto db = testing::OpenOrDie(r);
    EXPECT_EQ(testing::GetJson(*db->GetCollection("c"), id), R"({"k":"v"})");
  }
  EXPECT_EQ(RestoreBackup(dir.path() + "/bk", dir.path() + "/restored").code(),
            StatusCode::kAlreadyExists);
  // A damaged backup is refused and nothing is restored.
  for (const auto& e : fs::directory_iterator(dir.path() + "/bk")) {
    if (e.path().extension() == ".shard") testing::FlipBits(e.path().string(), 60, 0x42);
  }
  Status s = RestoreBackup(dir.path() + "/bk", dir.path() + "/again");
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_FALSE(fs::exists(dir.path() + "/again/MANIFEST"));
  EXPECT_EQ(testing::OpenOrDie(Options{})->Backup(dir.path() + "/x").code(),
            StatusCode::kNotSupported);
}

// The names in `dir`, sorted.
std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void Touch(const std::string& path, std::string_view contents = "") {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
}

// A database in `dir` with collection "c" holding `n` documents, closed.
void MakeDatabase(const std::string& dir, int n) {
  Options o;
  o.dir = dir;
  auto db = testing::OpenOrDie(o);
  Collection* c =
      db->GetCollection("c").ok() ? *db->GetCollection("c") : *db->CreateCollection("c");
  for (int i = 0; i < n; ++i) ASSERT_TRUE(c->Insert(Doc(R"({"k":1})")).ok());
  ASSERT_TRUE(db->Close().ok());
}

// Opens `dir` (which must hold a database) and returns how many documents "c" holds, or -1.
int64_t CountIn(const std::string& dir) {
  Options o;
  o.dir = dir;
  o.create_if_missing = false;
  auto db = Database::Open(o);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return -1;
  auto c = (*db)->GetCollection("c");
  auto n = c.ok() ? (*c)->Count() : Result<uint64_t>(c.status());
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? static_cast<int64_t>(*n) : -1;
}

// Leaves `dir`, a finished backup or restore, as a copy interrupted before its manifest: its
// files, and the INCOMPLETE marker the copy writes first.
void Unfinish(const std::string& dir) {
  fs::remove(dir + "/MANIFEST");
  Touch(dir + "/" + storage::kIncompleteFileName);
  Touch(dir + "/MANIFEST.tmp", "half a manifest");
}

TEST(Backup, RefusesDaasFilesWithoutManifestOrMarkerAndDeletesNothing) {
  testing::TempDir dir;
  const std::string db_dir = dir.path() + "/db", bk = dir.path() + "/bk";
  MakeDatabase(db_dir, 1);
  {
    auto db = testing::OpenOrDie(Options{.dir = db_dir});
    ASSERT_TRUE(db->Backup(bk).ok());
  }
  // What is left may be a database that lost its manifest, not an unfinished backup. Without a
  // LOCK file too: refusing the directory creates none.
  fs::remove(bk + "/MANIFEST");
  fs::remove(bk + "/LOCK");
  const std::vector<std::string> before = Names(bk);
  MakeDatabase(db_dir, 1);
  auto db = testing::OpenOrDie(Options{.dir = db_dir});
  Status s = db->Backup(bk);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_NE(s.message().find("nothing was changed"), std::string::npos) << s.ToString();
  EXPECT_EQ(Names(bk), before);
  s = RestoreBackup(db_dir, bk);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_EQ(Names(bk), before);
}

TEST(Backup, StartsOverInTheDirectoryOfAnUnfinishedBackup) {
  testing::TempDir dir;
  const std::string db_dir = dir.path() + "/db", bk = dir.path() + "/bk";
  MakeDatabase(db_dir, 5);
  auto db = testing::OpenOrDie(Options{.dir = db_dir});
  ASSERT_TRUE(db->Backup(bk).ok());
  Unfinish(bk);
  Touch(bk + "/notes.txt", "mine");
  Touch(bk + "/notes.tmp", "mine too");
  // Later writes make the earlier copy's log segment a leftover that no longer fits.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*db->GetCollection("c"))->Insert(Doc("{}")).ok());
  ASSERT_TRUE(db->Checkpoint().ok());
  ASSERT_TRUE(db->Backup(bk).ok());
  EXPECT_EQ(CountIn(bk), 8);
  EXPECT_FALSE(fs::exists(bk + "/" + storage::kIncompleteFileName));
  EXPECT_FALSE(fs::exists(bk + "/MANIFEST.tmp"));
  EXPECT_EQ(testing::ReadWholeFile(bk + "/notes.txt"), "mine");  // not DaaS files: kept
  EXPECT_EQ(testing::ReadWholeFile(bk + "/notes.tmp"), "mine too");
}

TEST(Backup, StartsOverAfterACopyCutWhileWritingItsMarker) {
  testing::TempDir dir;
  const std::string db_dir = dir.path() + "/db", bk = dir.path() + "/bk";
  MakeDatabase(db_dir, 2);
  fs::create_directories(bk);
  Touch(bk + "/" + storage::kIncompleteFileName + ".tmp", "A backup");
  auto db = testing::OpenOrDie(Options{.dir = db_dir});
  ASSERT_TRUE(db->Backup(bk).ok());
  EXPECT_EQ(CountIn(bk), 2);
  EXPECT_FALSE(fs::exists(bk + "/" + storage::kIncompleteFileName + ".tmp"));
}

TEST(Backup, RestoreStartsOverInTheDirectoryOfAnUnfinishedRestore) {
  testing::TempDir dir;
  const std::string db_dir = dir.path() + "/db", bk1 = dir.path() + "/bk1",
                    bk2 = dir.path() + "/bk2", restored = dir.path() + "/restored";
  MakeDatabase(db_dir, 5);
  {
    auto db = testing::OpenOrDie(Options{.dir = db_dir});
    ASSERT_TRUE(db->Backup(bk1).ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*db->GetCollection("c"))->Insert(Doc("{}")).ok());
    ASSERT_TRUE(db->Checkpoint().ok());
    ASSERT_TRUE(db->Backup(bk2).ok());
  }
  ASSERT_TRUE(RestoreBackup(bk1, restored).ok());
  Unfinish(restored);
  ASSERT_TRUE(RestoreBackup(bk2, restored).ok());
  EXPECT_EQ(CountIn(restored), 8);
  EXPECT_FALSE(fs::exists(restored + "/" + storage::kIncompleteFileName));
}

TEST(Backup, OpenRefusesTheDirectoryOfAnUnfinishedCopy) {
  testing::TempDir dir;
  Touch(dir.path() + "/" + storage::kIncompleteFileName);
  auto db = Database::Open(Options{.dir = dir.path()});
  EXPECT_EQ(db.status().code(), StatusCode::kCorruption) << db.status().ToString();
  EXPECT_NE(db.status().message().find("unfinished backup or restore"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.path() + "/MANIFEST"));  // no new database started over it
  auto report = engine::CheckDatabase(env::Env::Default(), dir.path());
  EXPECT_EQ(report.status().code(), StatusCode::kCorruption);
}

TEST(Backup, ACopyThatFailsItsCheckIsNotMadeADatabase) {
  testing::TempDir dir;
  const std::string db_dir = dir.path() + "/db", target = dir.path() + "/target";
  MakeDatabase(db_dir, 5);
  env::Env* env = env::Env::Default();
  {
    auto copy = engine::DatabaseCopy::Begin(env, target);
    ASSERT_TRUE(copy.ok()) << copy.status().ToString();
    const std::string manifest = testing::ReadWholeFile(db_dir + "/MANIFEST");
    auto decoded = storage::DecodeManifest(manifest);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    ASSERT_TRUE((*copy)->CopyFiles(db_dir, *decoded).ok());
    std::string shard_file;
    for (const std::string& name : Names(target)) {
      if (name.ends_with(".shard")) shard_file = name;
    }
    // What reached the target is not what was read: the check of the copy must see it.
    ASSERT_FALSE(shard_file.empty());
    testing::FlipBits(target + "/" + shard_file, 60, 0x08);
    Status s = (*copy)->Finish(manifest);
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
    EXPECT_NE(s.message().find(shard_file), std::string::npos) << s.ToString();
  }
  EXPECT_FALSE(fs::exists(target + "/MANIFEST"));
  EXPECT_TRUE(fs::exists(target + "/" + storage::kIncompleteFileName));
  EXPECT_FALSE(Database::Open(Options{.dir = target, .create_if_missing = false}).ok());
  // The next run clears it and starts over.
  ASSERT_TRUE(RestoreBackup(db_dir, target).ok());
  EXPECT_EQ(CountIn(target), 5);
}

TEST(Backup, ATargetBeingCopiedIntoIsLocked) {
  testing::TempDir dir;
  auto copy = engine::DatabaseCopy::Begin(env::Env::Default(), dir.path() + "/t");
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(engine::DatabaseCopy::Begin(env::Env::Default(), dir.path() + "/t").status().code(),
            StatusCode::kBusy);
  EXPECT_EQ(Database::Open(Options{.dir = dir.path() + "/t"}).status().code(), StatusCode::kBusy);
}

}  // namespace
}  // namespace daas
