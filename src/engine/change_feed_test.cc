// The change feed (Database::SubscribeChanges): every commit, in LSN order, with its changes;
// before-images; no gap under concurrent commits; a slow subscriber never blocks commits; resume
// after a restart from the log.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/status_macros.h"
#include "engine/database_impl.h"
#include "engine/engine_test_util.h"

namespace daas {
namespace {

using testing::Doc;
using testing::Json;

std::unique_ptr<ChangeFeed> Subscribe(Database& db, const FeedOptions& o = {}) {
  auto f = db.SubscribeChanges(o);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? std::move(*f) : nullptr;
}

// Every event until `n` arrived (or a second passed).
std::vector<ChangeEvent> Take(ChangeFeed& feed, size_t n) {
  std::vector<ChangeEvent> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
    Status s = feed.Next(&out, n - out.size(), 100);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) break;
  }
  return out;
}

TEST(ChangeFeed, DeliversEveryCommitInLsnOrderWithItsChanges) {
  auto db = testing::OpenOrDie({});
  Collection* a = *db->CreateCollection("a");
  Collection* b = *db->CreateCollection("b");
  DocId before = *a->Insert(Doc(R"({"old":1})"));  // before the subscription: not delivered
  auto feed = Subscribe(*db);
  const uint64_t start = db->visible_lsn();
  EXPECT_EQ(feed->position(), start);
  DocId x = *a->Insert(Doc(R"({"n":1})"));
  WriteBatch batch;
  batch.Replace(a, x, Doc(R"({"n":2})"));
  batch.Delete(a, before);
  batch.Insert(b, Doc(R"({"m":1})"));
  std::vector<DocId> ids;
  ASSERT_TRUE(db->Write(batch, &ids).ok());
  ASSERT_TRUE(db->RunTransaction([&](Transaction& t) {
                  return t.Patch(b, ids[0], Doc(R"({"p":1})"));
                }).ok());

  const std::vector<ChangeEvent> e = Take(*feed, 5);
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].lsn, start + 1);
  EXPECT_EQ(e[0].op, ChangeEvent::Op::kInsert);
  EXPECT_EQ(e[0].collection, "a");
  EXPECT_EQ(e[0].id, x);
  EXPECT_EQ(Json(e[0].document), R"({"n":1})");
  EXPECT_GT(e[0].time_ms, 0);
  // One commit's changes share its LSN, in the order it made them.
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(e[i].lsn, start + 2);
  EXPECT_EQ(e[1].op, ChangeEvent::Op::kUpdate);
  EXPECT_EQ(Json(e[1].document), R"({"n":2})");
  EXPECT_EQ(e[2].op, ChangeEvent::Op::kDelete);
  EXPECT_EQ(e[2].id, before);
  EXPECT_TRUE(e[2].document.empty());
  EXPECT_EQ(e[3].op, ChangeEvent::Op::kInsert);
  EXPECT_EQ(e[3].collection, "b");
  EXPECT_EQ(e[4].lsn, start + 3);
  EXPECT_EQ(Json(e[4].document), R"({"m":1,"p":1})");
  EXPECT_FALSE(e[4].before.has_value());  // not asked for
  // The version a reader sees is the event's LSN.
  std::string bytes;
  DocumentMeta meta;
  ASSERT_TRUE(b->Get(ids[0], &bytes, &meta).ok());
  EXPECT_EQ(meta.version, e[4].lsn);
  EXPECT_EQ(feed->position(), start + 3);
  // Nothing more: Next waits, then returns nothing.
  std::vector<ChangeEvent> none;
  ASSERT_TRUE(feed->Next(&none, 10, 20).ok());
  EXPECT_TRUE(none.empty());
}

TEST(ChangeFeed, BeforeImagesOnRequest) {
  auto db = testing::OpenOrDie({});
  Collection* a = *db->CreateCollection("a");
  DocId x = *a->Insert(Doc(R"({"v":1})"));
  auto feed = Subscribe(*db, FeedOptions{.before_images = true});
  ASSERT_TRUE(a->Replace(x, Doc(R"({"v":2})")).ok());
  ASSERT_TRUE(a->Delete(x).ok());
  DocId y = *a->Insert(Doc(R"({"v":3})"));
  const std::vector<ChangeEvent> e = Take(*feed, 3);
  ASSERT_EQ(e.size(), 3u);
  ASSERT_TRUE(e[0].before.has_value());
  EXPECT_EQ(Json(*e[0].before), R"({"v":1})");
  ASSERT_TRUE(e[1].before.has_value());
  EXPECT_EQ(Json(*e[1].before), R"({"v":2})");
  EXPECT_EQ(e[2].id, y);
  EXPECT_FALSE(e[2].before.has_value());
}

// A commit that writes a document several times reports what it did to it, once.
TEST(ChangeFeed, ADocumentWrittenSeveralTimesInACommitIsOneEvent) {
  auto db = testing::OpenOrDie({});
  Collection* a = *db->CreateCollection("a");
  DocId x = *a->Insert(Doc(R"({"v":1})"));
  DocId y = *a->Insert(Doc(R"({"v":1})"));
  auto feed = Subscribe(*db, FeedOptions{.before_images = true});
  WriteBatch twice;
  twice.Replace(a, x, Doc(R"({"v":2})"));
  twice.Patch(a, x, Doc(R"({"w":3})"));
  twice.Replace(a, y, Doc(R"({"v":2})"));
  twice.Delete(a, y);
  ASSERT_TRUE(db->Write(twice, nullptr).ok());
  const std::vector<ChangeEvent> e = Take(*feed, 2);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].id, x);
  EXPECT_EQ(e[0].op, ChangeEvent::Op::kUpdate);
  EXPECT_EQ(Json(e[0].document), R"({"v":2,"w":3})");
  ASSERT_TRUE(e[0].before.has_value());
  EXPECT_EQ(Json(*e[0].before), R"({"v":1})");
  EXPECT_EQ(e[1].id, y);
  EXPECT_EQ(e[1].op, ChangeEvent::Op::kDelete);
  ASSERT_TRUE(e[1].before.has_value());
  EXPECT_EQ(Json(*e[1].before), R"({"v":1})");
  std::vector<ChangeEvent> more;
  ASSERT_TRUE(feed->Next(&more, 10, 0).ok());
  EXPECT_TRUE(more.empty());
}

// Commits on different shards publish in any order; subscribers see LSNs one by one.
// A document a transaction inserted and deleted never existed for anyone else: no event.
TEST(ChangeFeed, ADocumentInsertedAndDeletedInOneCommitIsNoEvent) {
  auto db = testing::OpenOrDie({});
  Collection* a = *db->CreateCollection("a");
  auto feed = Subscribe(*db);
  DocId kept;
  ASSERT_TRUE(db->RunTransaction([&](Transaction& t) -> Status {
                  DAAS_ASSIGN_OR_RETURN(DocId gone, t.Insert(a, Doc(R"({"v":1})")));
                  DAAS_RETURN_IF_ERROR(t.Delete(a, gone));
                  DAAS_ASSIGN_OR_RETURN(kept, t.Insert(a, Doc(R"({"v":2})")));
                  return Status::OK();
                }).ok());
  const std::vector<ChangeEvent> e = Take(*feed, 1);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].id, kept);
  EXPECT_EQ(e[0].op, ChangeEvent::Op::kInsert);
  std::vector<ChangeEvent> more;
  ASSERT_TRUE(feed->Next(&more, 10, 20).ok());
  EXPECT_TRUE(more.empty());
}

TEST(ChangeFeed, ConcurrentCommitsArriveInOrderWithNoGap) {
  auto db = testing::OpenOrDie({});
  constexpr int kThreads = 4;
  constexpr int kEach = 500;
  std::vector<Collection*> colls;
  for (int t = 0; t < kThreads; ++t) {
    colls.push_back(*db->CreateCollection("c" + std::to_string(t)));
  }
  auto feed = Subscribe(*db);
  const uint64_t start = db->visible_lsn();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) ASSERT_TRUE(colls[t]->Insert(Doc(R"({"i":1})")).ok());
    });
  }
  std::vector<ChangeEvent> e = Take(*feed, kThreads * kEach);
  for (auto& t : threads) t.join();
  ASSERT_EQ(e.size(), static_cast<size_t>(kThreads * kEach));
  for (size_t i = 0; i < e.size(); ++i) ASSERT_EQ(e[i].lsn, start + 1 + i);
}

TEST(ChangeFeed, ASlowSubscriberNeverBlocksCommitsAndIsToldToResync) {
  Options o;
  o.feed_retain_bytes = 4096;
  auto db = testing::OpenOrDie(o);
  Collection* a = *db->CreateCollection("a");
  auto feed = Subscribe(*db);
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(a->Insert(Doc(R"({"filler":"0123456789"})")).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5));
  std::vector<ChangeEvent> e;
  Status s = feed->Next(&e, 10, 0);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("too far behind"), std::string_view::npos);
  EXPECT_EQ(feed->Next(&e, 10, 0).code(), StatusCode::kResourceExhausted);
  // A fresh subscription after the current LSN works.
  auto again = Subscribe(*db, FeedOptions{.after_lsn = db->visible_lsn()});
  ASSERT_TRUE(a->Insert(Doc("{}")).ok());
  EXPECT_EQ(Take(*again, 1).size(), 1u);
  // In memory there is nothing to read back from.
  auto old = db->SubscribeChanges(FeedOptions{.after_lsn = 1});
  EXPECT_EQ(old.status().code(), StatusCode::kResourceExhausted);
}

TEST(ChangeFeed, ClosingWakesAWaitingSubscriber) {
  auto db = testing::OpenOrDie({});
  auto feed = Subscribe(*db);
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(db->Close().ok());
  });
  std::vector<ChangeEvent> e;
  EXPECT_EQ(feed->Next(&e, 1, 10'000).code(), StatusCode::kAborted);
  closer.join();
}

// A subscriber that remembers its position resumes after a crash from the log, in order.
TEST(ChangeFeed, ResumesFromTheLogAfterARestart) {
  ::daas::testing::TempDir dir;
  Options o;
  o.dir = dir.path() + "/db";
  uint64_t seen = 0;
  std::vector<DocId> later;
  {
    auto db = engine::DatabaseImpl::Open(o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    Collection* a = *(*db)->CreateCollection("a");
    ASSERT_TRUE(a->Insert(Doc(R"({"i":0})")).ok());
    ASSERT_TRUE((*db)->Checkpoint().ok());
    auto feed = Subscribe(**db);
    ASSERT_TRUE(a->Insert(Doc(R"({"i":1})")).ok());
    const std::vector<ChangeEvent> e = Take(*feed, 1);
    ASSERT_EQ(e.size(), 1u);
    seen = feed->position();
    for (int i = 2; i < 5; ++i)
      later.push_back(*a->Insert(Doc(R"({"i":)" + std::to_string(i) + "}")));
    feed.reset();
    (*db)->AbandonForTesting();  // a crash: the log holds everything after the checkpoint
  }
  auto db = testing::OpenOrDie(o);
  auto feed = Subscribe(*db, FeedOptions{.after_lsn = seen});
  Collection* a = *db->GetCollection("a");
  DocId newest = *a->Insert(Doc(R"({"i":5})"));  // after the subscription: from memory
  const std::vector<ChangeEvent> e = Take(*feed, 4);
  ASSERT_EQ(e.size(), 4u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(e[i].lsn, seen + 1 + i);
    EXPECT_EQ(e[i].id, later[i]);
    EXPECT_EQ(e[i].op, ChangeEvent::Op::kInsert);  // the log says insert, not just put
    EXPECT_GT(e[i].time_ms, 0);
  }
  EXPECT_EQ(e[3].id, newest);
  // Before the last checkpoint the log no longer reaches: too far back.
  ASSERT_TRUE(db->Checkpoint().ok());
  ASSERT_TRUE(db->Close().ok());
  auto reopened = testing::OpenOrDie(o);
  auto old = reopened->SubscribeChanges(FeedOptions{.after_lsn = seen});
  EXPECT_EQ(old.status().code(), StatusCode::kResourceExhausted) << old.status().ToString();
}

// The hub itself: commits of every size across its chunks, before-images, commits published out
// of LSN order, and a budget that keeps the newest commits and tells an older reader to resync.
TEST(ChangeFeedHub, KeepsTheNewestCommitsWithinItsBudgetAcrossChunks) {
  constexpr uint64_t kBudget = 3 << 20;
  engine::ChangeFeedHub hub(kBudget);
  uint64_t last = 100;
  ASSERT_EQ(hub.Subscribe(/*before=*/false, [&] { return last; }), 100u);
  // Commit i's payload: its size varies, one in 500 is bigger than a chunk; every third one has
  // before-images.
  auto payload = [](uint64_t lsn) {
    const size_t size = lsn % 500 == 0 ? (3 << 19) : lsn * 7919 % 3000;
    return std::string(size, static_cast<char>('a' + lsn % 26));
  };
  auto befores = [](uint64_t lsn) {
    std::vector<std::string> b;
    if (lsn % 3 == 0) b = {std::string(lsn % 40, 'x'), "", std::to_string(lsn)};
    return b;
  };
  auto publish = [&](uint64_t lsn) {
    const std::string p = payload(lsn);
    const std::vector<std::string> b = befores(lsn);
    const std::vector<std::string_view> views(b.begin(), b.end());
    hub.Publish(lsn, p, !b.empty(), views);
  };
  std::vector<engine::PublishedCommit> out;
  size_t n = 0;
  uint64_t position = 100;
  auto read_all = [&] {
    for (;;) {
      ASSERT_TRUE(hub.Read(position, 64, 0, &out, &n).ok());
      if (n == 0) return;
      for (size_t i = 0; i < n; ++i) {
        const engine::PublishedCommit& c = out[i];
        ASSERT_EQ(c.lsn, position + 1);
        ASSERT_EQ(c.payload, payload(c.lsn));
        ASSERT_EQ(c.has_before, !befores(c.lsn).empty());
        ASSERT_EQ(c.before, befores(c.lsn));
        position = c.lsn;
      }
    }
  };
  for (uint64_t lsn = 101; lsn <= 3000; lsn += 2) {
    // Out of order: lsn + 1 is published before lsn, and waits for it.
    publish(lsn + 1);
    if (lsn % 7 == 0) {
      ASSERT_TRUE(hub.Read(position, 64, 0, &out, &n).ok());
      // Nothing past the gap is delivered.
      for (size_t i = 0; i < n; ++i) ASSERT_LT(out[i].lsn, lsn);
    }
    publish(lsn);
    if (lsn % 5 == 0) read_all();
  }
  read_all();
  EXPECT_EQ(position, 3000u);
  // The newest commits are kept, within the budget; an older reader must resync.
  const uint64_t first = hub.first_kept();
  EXPECT_GT(first, 101u);
  uint64_t kept = 0;
  for (uint64_t lsn = first; lsn <= 3000; ++lsn) kept += payload(lsn).size();
  EXPECT_LE(kept, kBudget);
  EXPECT_EQ(hub.Read(first - 2, 1, 0, &out, &n).code(), StatusCode::kResourceExhausted);
  ASSERT_TRUE(hub.Read(first - 1, 1, 0, &out, &n).ok());
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(out[0].lsn, first);
  EXPECT_EQ(out[0].payload, payload(first));
  hub.Unsubscribe(false);

  // One read copies about kReadBytes, at least one commit: a commit waiting to publish waits for
  // no more than that copy.
  ASSERT_EQ(hub.Subscribe(false, [] { return uint64_t{5000}; }), 5000u);
  const std::string big(600 << 10, 'b');
  for (uint64_t lsn = 5001; lsn <= 5003; ++lsn) hub.Publish(lsn, big, false, {});
  ASSERT_TRUE(hub.Read(5000, 10, 0, &out, &n).ok());
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(out.size(), 2u);
  ASSERT_TRUE(hub.Read(5002, 10, 0, &out, &n).ok());
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(out[0].lsn, 5003u);
  EXPECT_EQ(out.size(), 1u);
  hub.Unsubscribe(false);
}

}  // namespace
}  // namespace daas
