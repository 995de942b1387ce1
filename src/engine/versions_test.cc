// Document versions and times (DocumentMeta) and the conditional writes built on them.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>
#include <vector>

#include "doc/msgpack_reader.h"
#include "engine/database_impl.h"
#include "engine/engine_test_util.h"

namespace daas {
namespace {

using testing::Doc;
using testing::GetJson;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

DocumentMeta MetaOf(const Collection* c, DocId id) {
  std::string bytes;
  DocumentMeta meta;
  Status s = c->Get(id, &bytes, &meta);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return meta;
}

TEST(Versions, EveryCommitGetsAnLsnInMemoryToo) {
  auto db = testing::OpenOrDie({});
  Collection* c = *db->CreateCollection("c");
  EXPECT_EQ(db->visible_lsn(), 0u);
  const int64_t before = NowMs();
  DocId a = *c->Insert(Doc(R"({"n":1})"));
  EXPECT_EQ(db->visible_lsn(), 1u);
  const std::string two = Doc(R"({"n":2})"), three = Doc(R"({"n":3})");
  const std::string_view docs[] = {two, three};
  std::vector<DocId> many = *c->InsertMany(docs);
  EXPECT_EQ(db->visible_lsn(), 2u);  // one commit, one LSN
  const int64_t after = NowMs();

  const DocumentMeta ma = MetaOf(c, a);
  EXPECT_EQ(ma.version, 1u);
  EXPECT_GE(ma.created_ms, before);
  EXPECT_LE(ma.created_ms, after);
  EXPECT_EQ(ma.updated_ms, ma.created_ms);
  for (DocId id : many) EXPECT_EQ(MetaOf(c, id).version, 2u);
  EXPECT_EQ(db->durable_lsn(), 0u);  // nothing is durable in memory
  EXPECT_EQ(db->Stats()->visible_lsn, 2u);
  EXPECT_EQ(db->Stats()->durable_lsn, 0u);
}

TEST(Versions, AWriteMovesVersionAndUpdatedButKeepsCreated) {
  auto db = testing::OpenOrDie({});
  Collection* c = *db->CreateCollection("c");
  DocId id = *c->Insert(Doc(R"({"n":1})"));
  const DocumentMeta first = MetaOf(c, id);
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  ASSERT_TRUE(c->Replace(id, Doc(R"({"n":2})")).ok());
  const DocumentMeta second = MetaOf(c, id);
  EXPECT_GT(second.version, first.version);
  EXPECT_EQ(second.created_ms, first.created_ms);
  EXPECT_GT(second.updated_ms, first.updated_ms);
  ASSERT_TRUE(c->Patch(id, Doc(R"({"m":1})")).ok());
  const DocumentMeta third = MetaOf(c, id);
  EXPECT_EQ(third.version, db->visible_lsn());
  EXPECT_EQ(third.created_ms, first.created_ms);
  // A write that fails changes nothing: not the bytes, not the meta, not the LSN.
  const uint64_t lsn = db->visible_lsn();
  ASSERT_TRUE(
      c->SetSchema(R"({"version":1,"fields":{"n":{"type":"int"},"m":{"type":"int"}}})").ok());
  EXPECT_EQ(c->Patch(id, Doc(R"({"n":"text"})")).code(), StatusCode::kSchemaViolation);
  EXPECT_EQ(db->visible_lsn(), lsn);
  const DocumentMeta unchanged = MetaOf(c, id);
  EXPECT_EQ(unchanged.version, third.version);
  EXPECT_EQ(unchanged.updated_ms, third.updated_ms);
}

TEST(Versions, DerivedWritesOfADeleteGetItsVersion) {
  auto db = testing::OpenOrDie({});
  Collection* users = *db->CreateCollection("users");
  Collection* posts = *db->CreateCollection("posts");
  ASSERT_TRUE(posts
                  ->SetSchema(R"({"version":1,"fields":{"author":{"type":"ref",
                     "collection":"users","onDelete":"setNull","nullable":true},"t":{"type":"string"}}})")
                  .ok());
  DocId u = *users->Insert(Doc("{}"));
  DocId p = *posts->Insert(Doc(R"({"author":")" + u.ToString() + R"(","t":"x"})"));
  const DocumentMeta before = MetaOf(posts, p);
  ASSERT_TRUE(users->Delete(u).ok());
  const DocumentMeta after = MetaOf(posts, p);
  EXPECT_EQ(after.version, db->visible_lsn());  // the delete's commit cleared the ref
  EXPECT_GT(after.version, before.version);
  EXPECT_EQ(after.created_ms, before.created_ms);
}

class PersistentVersions : public ::testing::TestWithParam<bool> {
 protected:
  Options opts() const {
    Options o;
    o.dir = dir_.path() + "/db";
    return o;
  }
  ::daas::testing::TempDir dir_;
};

// Meta survives both ways back: a clean close (shard files) and a crash (log replay), and a lazy
// open's point read from the file gives the same meta as a loaded shard.
TEST_P(PersistentVersions, MetaSurvivesReopen) {
  const bool crash = GetParam();
  std::map<std::string, DocumentMeta> want;  // by ID text
  uint64_t lsn = 0;
  {
    auto db = engine::DatabaseImpl::Open(opts());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    Collection* c = *(*db)->CreateCollection("c");
    std::vector<DocId> ids;
    for (int i = 0; i < 20; ++i)
      ids.push_back(*c->Insert(Doc(R"({"i":)" + std::to_string(i) + "}")));
    ASSERT_TRUE((*db)->Checkpoint().ok());  // some meta comes back from the file, some from the log
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    for (int i = 0; i < 20; i += 3) ASSERT_TRUE(c->Patch(ids[i], Doc(R"({"p":1})")).ok());
    ASSERT_TRUE(c->Delete(ids[1]).ok());
    ids.erase(ids.begin() + 1);
    for (DocId id : ids) want[id.ToString()] = MetaOf(c, id);
    lsn = (*db)->visible_lsn();
    if (crash) {
      ASSERT_TRUE((*db)->Sync().ok());
      (*db)->AbandonForTesting();
    } else {
      ASSERT_TRUE((*db)->Close().ok());
    }
  }
  auto db = testing::OpenOrDie(opts());
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->visible_lsn(), lsn);
  Collection* c = *db->GetCollection("c");
  for (const auto& [text, meta] : want) {
    SCOPED_TRACE(text);
    const DocumentMeta got = MetaOf(c, *DocId::Parse(text));
    EXPECT_EQ(got.version, meta.version);
    EXPECT_EQ(got.created_ms, meta.created_ms);
    EXPECT_EQ(got.updated_ms, meta.updated_ms);
    EXPECT_GT(got.created_ms, 0);
  }
  // The next write's version is above every one stored.
  DocId fresh = *c->Insert(Doc("{}"));
  EXPECT_EQ(MetaOf(c, fresh).version, lsn + 1);
  ASSERT_TRUE(db->Close().ok());
}

INSTANTIATE_TEST_SUITE_P(CloseOrCrash, PersistentVersions, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Crash" : "Close";
                         });

TEST(ConditionalWrites, ApplyOnlyAtTheExpectedVersion) {
  auto db = testing::OpenOrDie({});
  Collection* c = *db->CreateCollection("c");
  DocId id = *c->Insert(Doc(R"({"n":1})"));
  const uint64_t v1 = MetaOf(c, id).version;
  ASSERT_TRUE(c->ReplaceIf(id, v1, Doc(R"({"n":2})")).ok());
  const uint64_t v2 = MetaOf(c, id).version;

  // Stale: Conflict naming the current version, and nothing changes.
  Status stale = c->ReplaceIf(id, v1, Doc(R"({"n":3})"));
  EXPECT_EQ(stale.code(), StatusCode::kConflict);
  EXPECT_NE(stale.message().find("version " + std::to_string(v2) + ", not " + std::to_string(v1)),
            std::string_view::npos)
      << stale.ToString();
  EXPECT_NE(stale.message().find(id.ToString()), std::string_view::npos);
  EXPECT_EQ(c->PatchIf(id, v1, Doc(R"({"m":1})")).code(), StatusCode::kConflict);
  EXPECT_EQ(c->DeleteIf(id, v1).code(), StatusCode::kConflict);
  EXPECT_EQ(c->DeleteIf(id, 0).code(), StatusCode::kConflict);  // no document has version 0
  EXPECT_EQ(GetJson(c, id), R"({"n":2})");
  EXPECT_EQ(MetaOf(c, id).version, v2);

  ASSERT_TRUE(c->PatchIf(id, v2, Doc(R"({"m":1})")).ok());
  EXPECT_EQ(GetJson(c, id), R"({"n":2,"m":1})");
  ASSERT_TRUE(c->DeleteIf(id, MetaOf(c, id).version).ok());
  // A missing document is NotFound, whatever the version.
  EXPECT_EQ(c->ReplaceIf(id, v2, Doc("{}")).code(), StatusCode::kNotFound);
}

TEST(ConditionalWrites, AFailedConditionInABatchAppliesNothing) {
  auto db = testing::OpenOrDie({});
  Collection* c = *db->CreateCollection("c");
  DocId a = *c->Insert(Doc(R"({"n":1})"));
  DocId b = *c->Insert(Doc(R"({"n":1})"));
  const uint64_t va = MetaOf(c, a).version;
  WriteBatch batch;
  batch.ReplaceIf(c, a, va, Doc(R"({"n":2})"));
  batch.Insert(c, Doc(R"({"n":9})"));
  batch.DeleteIf(c, b, va);  // b's version is va + 1
  Status s = db->Write(batch, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kConflict) << s.ToString();
  EXPECT_NE(s.message().find("operation 2 (delete)"), std::string_view::npos) << s.ToString();
  EXPECT_EQ(GetJson(c, a), R"({"n":1})");
  EXPECT_EQ(*c->Count(), 2u);
  // With the right versions the same batch applies whole.
  batch.Clear();
  batch.ReplaceIf(c, a, va, Doc(R"({"n":2})"));
  batch.DeleteIf(c, b, MetaOf(c, b).version);
  ASSERT_TRUE(db->Write(batch, nullptr).ok());
  EXPECT_EQ(GetJson(c, a), R"({"n":2})");
  EXPECT_EQ(*c->Count(), 1u);
}

// Compare-and-set by version makes read-modify-write safe without a lock: threads that increment
// one counter, retrying on Conflict, lose no increment.
TEST(ConditionalWrites, ConcurrentIncrementsLoseNoUpdate) {
  auto db = testing::OpenOrDie({});
  Collection* c = *db->CreateCollection("c");
  DocId id = *c->Insert(Doc(R"({"n":0})"));
  constexpr int kThreads = 4;
  constexpr int kEach = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        for (;;) {
          std::string bytes;
          DocumentMeta meta;
          ASSERT_TRUE(c->Get(id, &bytes, &meta).ok());
          const int64_t n = testing::IntField(bytes, "n");
          Status s = c->ReplaceIf(id, meta.version, Doc(R"({"n":)" + std::to_string(n + 1) + "}"));
          if (s.ok()) break;
          ASSERT_EQ(s.code(), StatusCode::kConflict) << s.ToString();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(GetJson(c, id), R"({"n":)" + std::to_string(kThreads * kEach) + "}");
}

}  // namespace
}  // namespace daas
