// Readers and writers on many threads. Run under TSan by the tsan preset: besides the invariants
// checked here, any data race fails the build's test run.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "doc/msgpack_reader.h"
#include "engine/engine_test_util.h"

namespace daas {
namespace {

using testing::Doc;

// Writers set every one of 8 documents, spread over 4 collections (4 shards), to the same value in
// one batch; readers fetch all 8 with GetMany and must never see two different values.
TEST(Concurrency, ReadersNeverSeeHalfAppliedBatch) {
  auto db = testing::OpenOrDie(Options{});
  std::vector<DocRef> refs;
  for (int c = 0; c < 4; ++c) {
    Collection* coll = *db->CreateCollection("c" + std::to_string(c));
    for (int d = 0; d < 2; ++d) refs.push_back({coll, *coll->Insert(Doc(R"({"v":0,"w":0})"))});
  }
  constexpr int kWriters = 3;
  constexpr int kReaders = 3;
  constexpr int kBatchesPerWriter = 1500;
  std::atomic<int64_t> version{0};
  std::atomic<bool> done{false};
  std::atomic<int64_t> torn{0}, reads{0};

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kBatchesPerWriter; ++i) {
        const int64_t v = version.fetch_add(1) + 1;
        const std::string doc =
            Doc("{\"v\":" + std::to_string(v) + ",\"w\":" + std::to_string(w) + "}");
        WriteBatch b;
        for (const DocRef& r : refs) {
          if (i % 2) {
            b.Replace(const_cast<Collection*>(r.collection), r.id, doc);
          } else {
            b.Patch(const_cast<Collection*>(r.collection), r.id, doc);
          }
        }
        Status s = db->Write(b, nullptr);
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      std::vector<std::optional<std::string>> out;
      while (!done.load()) {
        ASSERT_TRUE(db->GetMany(refs, &out).ok());
        for (const auto& o : out) {
          ASSERT_TRUE(o.has_value());
          if (*o != *out[0]) torn.fetch_add(1);
        }
        reads.fetch_add(1);
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  done = true;
  for (size_t t = kWriters; t < threads.size(); ++t) threads[t].join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
  // Every document ends with the value of the last batch applied to it: the same for all.
  std::vector<std::optional<std::string>> out;
  ASSERT_TRUE(db->GetMany(refs, &out).ok());
  for (const auto& o : out) EXPECT_EQ(*o, *out[0]);
}

// A collection spanning two shards; each batch deletes one document from each shard, or inserts
// two. Count is always even: it never sees one half of a batch.
TEST(Concurrency, CountSeesWholeBatchesAcrossShards) {
  auto db = testing::OpenOrDie(Options{});
  Collection* c = *db->CreateCollection("items");
  const std::string doc = Doc(R"({"x":1})");
  std::vector<std::string_view> docs(70000, doc);
  auto ids = c->InsertMany(docs);
  ASSERT_TRUE(ids.ok());
  std::vector<DocId> first, second;
  for (const DocId& id : *ids) (id.shard() == ids->front().shard() ? first : second).push_back(id);
  ASSERT_FALSE(second.empty());

  std::atomic<bool> done{false};
  std::atomic<int64_t> odd{0};
  std::thread writer([&] {
    const unsigned seed = std::random_device{}();
    std::mt19937 rng(seed);
    SCOPED_TRACE("seed " + std::to_string(seed));
    for (int i = 0; i < 1000; ++i) {
      WriteBatch b;
      if (i % 2 == 0) {
        b.Delete(c, first.back());
        b.Delete(c, second.back());
        first.pop_back();
        second.pop_back();
      } else {
        b.Insert(c, doc);
        b.Insert(c, doc);
      }
      ASSERT_TRUE(db->Write(b, nullptr).ok());
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        auto n = c->Count();
        ASSERT_TRUE(n.ok());
        if (*n % 2) odd.fetch_add(1);
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(odd.load(), 0);
  EXPECT_EQ(*c->Count(), 70000u);
}

// Inserts, deletes, gets and scans from many threads on one collection; afterwards the count equals
// what the threads say they left.
TEST(Concurrency, MixedWorkloadKeepsCountsExact) {
  auto db = testing::OpenOrDie(Options{});
  Collection* c = *db->CreateCollection("mixed");
  constexpr int kThreads = 4;
  std::atomic<int64_t> kept{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<DocId> mine;
      const std::string doc = Doc("{\"t\":" + std::to_string(t) + "}");
      for (int i = 0; i < 3000; ++i) {
        const int op = static_cast<int>(rng() % 4);
        if (op <= 1 || mine.empty()) {
          auto id = c->Insert(doc);
          ASSERT_TRUE(id.ok());
          mine.push_back(*id);
        } else if (op == 2) {
          ASSERT_TRUE(c->Delete(mine.back()).ok());
          mine.pop_back();
        } else {
          std::string out;
          ASSERT_TRUE(c->Get(mine[rng() % mine.size()], &out).ok());
          ASSERT_EQ(out, doc);
          if (i % 500 == 0) {
            ASSERT_TRUE(c->Scan([](DocId, std::string_view) { return true; }).ok());
          }
        }
      }
      kept.fetch_add(static_cast<int64_t>(mine.size()));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(static_cast<int64_t>(*c->Count()), kept.load());
}

}  // namespace
}  // namespace daas

namespace daas {
namespace {

// Schemas change while writers insert into the collection, across new shards: every insert either
// commits (and then satisfies the schema current when it committed) or fails with Conflict (a
// schema was installed while it was in flight); nothing is lost or counted twice.
TEST(Concurrency, SchemaChangesWhileWritersInsert) {
  auto db = testing::OpenOrDie(Options{});
  Collection* c = *db->CreateCollection("c");
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 20000;  // 80,000 documents: a new shard appears during the changes
  std::atomic<uint64_t> committed{0}, conflicts{0}, other{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerWriter; ++i) {
        auto id = c->Insert(testing::Doc("{\"n\":" + std::to_string(t * kPerWriter + i) + "}"));
        if (id.ok()) {
          ++committed;
        } else if (id.status().code() == StatusCode::kConflict) {
          ++conflicts;
        } else {
          ++other;
        }
      }
    });
  }
  for (int version = 1; version <= 20; ++version) {
    const std::string schema = "{\"version\":" + std::to_string(version) +
                               ",\"fields\":{\"n\":{\"type\":\"int\",\"min\":0,\"max\":" +
                               std::to_string(1000000 + version) + "}}}";
    Status s = c->SetSchema(schema);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(other.load(), 0u);
  EXPECT_EQ(committed.load() + conflicts.load(), static_cast<uint64_t>(kWriters) * kPerWriter);
  EXPECT_EQ(*c->Count(), committed.load());
  // The last schema holds for every stored document: setting a stricter one over them passes.
  EXPECT_TRUE(
      c->SetSchema(R"({"version":21,"fields":{"n":{"type":"int","min":0,"max":80000}}})").ok());
}

// Two schema changes at once: the one with the lower version either goes first or fails, so the
// collection never ends on an older version than one that was accepted.
TEST(Concurrency, ConcurrentSchemaChangesNeverGoBackAVersion) {
  auto db = testing::OpenOrDie(Options{});
  Collection* c = *db->CreateCollection("c");
  ASSERT_TRUE(c->Insert(testing::Doc(R"({"n":1})")).ok());
  auto schema = [](int version) {
    return "{\"version\":" + std::to_string(version) + ",\"fields\":{\"n\":\"int\"}}";
  };
  for (int round = 0; round < 50; ++round) {
    const int low = 2 * round + 1, high = 2 * round + 2;
    Status low_status, high_status;
    std::thread a([&] { low_status = c->SetSchema(schema(low)); });
    std::thread b([&] { high_status = c->SetSchema(schema(high)); });
    a.join();
    b.join();
    ASSERT_TRUE(high_status.ok()) << high_status.ToString();
    if (!low_status.ok()) {
      ASSERT_EQ(low_status.code(), StatusCode::kInvalidArgument);
    }
    ASSERT_NE(testing::SchemaOf(c).find("\"version\":" + std::to_string(high) + ","),
              std::string::npos)
        << testing::SchemaOf(c);
  }
}

// Threads on different shards race to claim the same unique keys, and to delete and point at the
// same targets: each key ends with exactly one document, and no ref is left dangling.
TEST(Concurrency, UniqueClaimsAndRefsRaceSafely) {
  auto db = testing::OpenOrDie(Options{});
  Collection* users = *db->CreateCollection("users");
  Collection* posts = *db->CreateCollection("posts");
  ASSERT_TRUE(
      users->SetSchema(R"({"version": 1, "fields": {"email": {"type": "string", "unique": true}}})")
          .ok());
  ASSERT_TRUE(posts
                  ->SetSchema(R"({"version": 1, "fields": {"author": {"type": "ref", "collection":
                      "users", "onDelete": "cascade"}}})")
                  .ok());
  // Enough users that inserts spread over two shards.
  std::vector<std::string> docs;
  for (int i = 0; i < 70000; ++i) docs.push_back(Doc("{\"email\":\"u" + std::to_string(i) + "\"}"));
  std::vector<std::string_view> views(docs.begin(), docs.end());
  const std::vector<DocId> seeded = *users->InsertMany(views);
  constexpr int kThreads = 4;
  constexpr int kKeys = 300;
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kKeys; ++k) {
        if (users->Insert(Doc("{\"email\":\"k" + std::to_string(k) + "\"}")).ok()) ++won;
        // Half the threads delete seeded users, the other half point posts at them.
        const DocId target = seeded[static_cast<size_t>(k)];
        if (t % 2 == 0) {
          users->Delete(target).IgnoreError();
        } else {
          posts->Insert(Doc("{\"author\":\"" + target.ToString() + "\"}")).status().IgnoreError();
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(won.load(), kKeys);
  // Every post's author exists: a post inserted after its author's delete was refused, one before
  // was deleted with it (cascade).
  size_t dangling = 0;
  ASSERT_TRUE(posts
                  ->Scan([&](DocId, std::string_view d) {
                    std::optional<doc::Value> v = doc::FindField(d, "author");
                    auto author = DocId::Parse(v ? v->bytes : std::string_view());
                    std::string unused;
                    if (!author.ok() || !users->Get(*author, &unused).ok()) ++dangling;
                    return true;
                  })
                  .ok());
  EXPECT_EQ(dangling, 0u);
}

}  // namespace
}  // namespace daas
