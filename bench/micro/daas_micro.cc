// Google Benchmark micro benchmarks of the hot paths under the workload (docs/BENCHMARKS.md): ID
// encoding, document validation and field lookup, JSON conversion and a point get. Every document
// is the workload's own ~150-byte document (bench/workloads/dataset.h).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "daas/daas.hpp"
#include "dataset.h"
#include "doc/msgpack_reader.h"

namespace daas::bench {
namespace {

template <typename T>
T Must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "daas_micro: %s: %s\n", what, r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

std::string SampleDocument() {
  Rng rng(kDocumentSeed);
  int age = 0;
  return MakeDocument(rng, &age);
}

void BM_DocIdToString(benchmark::State& state) {
  const DocId id(0x0123456789abcdefULL, ShardId{42}, 1234);
  for (auto _ : state) benchmark::DoNotOptimize(id.ToString());
}
BENCHMARK(BM_DocIdToString);

void BM_DocIdParse(benchmark::State& state) {
  const std::string text = DocId(0x0123456789abcdefULL, ShardId{42}, 1234).ToString();
  for (auto _ : state) {
    auto id = DocId::Parse(text);
    benchmark::DoNotOptimize(id);
  }
}
BENCHMARK(BM_DocIdParse);

void BM_ValidateDocument(benchmark::State& state) {
  const std::string doc = SampleDocument();
  const DocumentLimits limits;
  for (auto _ : state) {
    Status s = doc::ValidateDocument(doc, limits);
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * doc.size()));
  state.SetLabel(std::to_string(doc.size()) + "-byte document");
}
BENCHMARK(BM_ValidateDocument);

void BM_FindFieldAge(benchmark::State& state) {
  const std::string doc = SampleDocument();
  for (auto _ : state) {
    auto v = doc::FindField(doc, "age");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_FindFieldAge);

void BM_JsonToDocument(benchmark::State& state) {
  const std::string json = Must(DocumentToJson(SampleDocument()), "DocumentToJson");
  for (auto _ : state) {
    auto doc = JsonToDocument(json);
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
  state.SetLabel(std::to_string(json.size()) + "-byte JSON object");
}
BENCHMARK(BM_JsonToDocument);

// A hit on a collection of state.range(0) documents, cycling through 4,096 of its IDs drawn at
// random: at 1,000,000 documents those 4,096 mostly miss the CPU caches; bench/workloads measures
// fully random gets.
// A collection of n generated documents and 4096 random picks among them.
struct GetFixture {
  std::unique_ptr<Database> db;
  Collection* coll = nullptr;
  std::vector<DocId> order;
};

GetFixture MakeGetFixture(size_t n) {
  GetFixture f;
  f.db = Must(Database::Open(Options{}), "open");
  f.coll = Must(f.db->CreateCollection("micro"), "create collection");
  Rng rng(kDocumentSeed);
  std::vector<std::string> docs;
  std::vector<std::string_view> views;
  docs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    int age = 0;
    docs.push_back(MakeDocument(rng, &age));
  }
  for (const std::string& d : docs) views.push_back(d);
  std::vector<DocId> ids;
  for (size_t i = 0; i < n; i += 1000) {
    const size_t count = std::min<size_t>(1000, n - i);
    auto batch =
        Must(f.coll->InsertMany(std::span<const std::string_view>(views).subspan(i, count)),
             "InsertMany");
    ids.insert(ids.end(), batch.begin(), batch.end());
  }
  f.order.resize(4096);
  Rng pick(kGetSeed);
  for (DocId& id : f.order) id = ids[pick.Uniform(n)];
  return f;
}

void BM_CollectionGetHit(benchmark::State& state) {
  GetFixture f = MakeGetFixture(static_cast<size_t>(state.range(0)));
  state.SetLabel("cycling through 4096 random picks");
  std::string buf;
  size_t k = 0;
  for (auto _ : state) {
    if (!f.coll->Get(f.order[k++ & (f.order.size() - 1)], &buf).ok()) {
      state.SkipWithError("Get failed");
    }
    benchmark::DoNotOptimize(buf.data());
  }
}
BENCHMARK(BM_CollectionGetHit)->Arg(1000)->Arg(1'000'000);

// Random gets over all `range(0)` documents (a fresh pick each time, not a cached few): one by one,
// or `range(1)` at a time through Database::GetMany, which overlaps their cache misses. Time is
// per document.
void BM_RandomGets(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const auto batch = static_cast<size_t>(state.range(1));
  GetFixture f = MakeGetFixture(n);
  Rng pick(kGetSeed + 1);
  // MakeGetFixture keeps 4096 picks; draw the batches from all documents instead.
  std::vector<DocId> all;
  const Status scanned = f.coll->Scan([&](DocId id, std::string_view) {
    all.push_back(id);
    return true;
  });
  if (!scanned.ok() || all.empty()) {
    state.SkipWithError("Scan failed");
    return;
  }
  std::vector<DocRef> refs(batch);
  std::vector<std::optional<std::string>> out;
  std::string buf;
  for (auto _ : state) {
    for (DocRef& r : refs) r = DocRef{f.coll, all[pick.Uniform(all.size())]};
    if (batch == 1) {
      if (!f.coll->Get(refs[0].id, &buf).ok()) state.SkipWithError("Get failed");
    } else if (!f.db->GetMany(refs, &out).ok()) {
      state.SkipWithError("GetMany failed");
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
  state.SetLabel(batch == 1 ? "Collection::Get" : "Database::GetMany");
}
BENCHMARK(BM_RandomGets)->Args({1'000'000, 1})->Args({1'000'000, 100});

// The same gets in read-only transactions (snapshots), each begun and committed around
// range(1) gets: 1 shows what a transaction costs, many what a get in one costs.
void BM_SnapshotGetHit(benchmark::State& state) {
  const size_t kPer = static_cast<size_t>(state.range(1));
  GetFixture f = MakeGetFixture(static_cast<size_t>(state.range(0)));
  state.SetLabel("cycling through 4096 random picks, a transaction per " + std::to_string(kPer));
  TransactionOptions read_only;
  read_only.read_only = true;
  std::string buf;
  size_t k = 0;
  std::unique_ptr<Transaction> txn;
  for (auto _ : state) {
    if (k % kPer == 0) {
      if (txn != nullptr && !txn->Commit().ok()) state.SkipWithError("Commit failed");
      txn = Must(f.db->BeginTransaction(read_only), "BeginTransaction");
    }
    if (!txn->Get(f.coll, f.order[k++ & (f.order.size() - 1)], &buf).ok()) {
      state.SkipWithError("Get failed");
    }
    benchmark::DoNotOptimize(buf.data());
  }
}
BENCHMARK(BM_SnapshotGetHit)
    ->Args({1000, 1})
    ->Args({1000, 100})
    ->Args({1000, 1'000'000})
    ->Args({1'000'000, 100});

}  // namespace
}  // namespace daas::bench
