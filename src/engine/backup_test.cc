#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "doc/msgpack_reader.h"
#include "engine/engine_test_util.h"

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

}  // namespace
}  // namespace daas
