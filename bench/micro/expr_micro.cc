// Google Benchmark micro benchmarks of the expression language (src/expr): parsing and compiling a
// filter, evaluating it on one document, and scanning 1,000,000 of the workload's ~150-byte
// documents (bench/workloads/dataset.h) on 1 and 2 threads of core::ThreadPool, the way a filtered
// collection scan runs. The documents are packed back to back in one buffer, as a shard's arena
// holds them.
#include <benchmark/benchmark.h>

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <sqlite3.h>

#include "core/thread_pool.h"
#include "dataset.h"
#include "doc/json.h"
#include "doc/msgpack_reader.h"
#include "expr/evaluator.h"
#include "expr/program.h"
#include "sqlite_exec.h"

namespace daas::bench {
namespace {

constexpr size_t kScanDocuments = 1'000'000;
// Work items per ParallelFor: enough for the two threads to balance, few enough to cost nothing.
constexpr size_t kScanChunks = 64;

// The filter of the report line: no generated document is from "FR", so after the age test
// (true for 40 of the 73 ages) every document also reads and compares `country`.
constexpr const char* kFilter = R"(age > 50 && country = "FR")";

expr::Program MustCompile(const char* text) {
  auto p = expr::CompileExpression(text);
  if (!p.ok()) {
    std::fprintf(stderr, "expr_micro: %s: %s\n", text, p.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*p);
}

struct Corpus {
  std::string bytes;
  std::vector<std::string_view> docs;
};

const Corpus& ScanCorpus() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus;
    Rng rng(kDocumentSeed);
    std::vector<std::string> docs;
    docs.reserve(kScanDocuments);
    size_t total = 0;
    for (size_t i = 0; i < kScanDocuments; ++i) {
      int age = 0;
      docs.push_back(MakeDocument(rng, &age));
      total += docs.back().size();
    }
    c->bytes.reserve(total);
    for (const std::string& d : docs) c->bytes.append(d);
    size_t at = 0;
    for (const std::string& d : docs) {
      c->docs.push_back(std::string_view(c->bytes).substr(at, d.size()));
      at += d.size();
    }
    return c;
  }();
  return *corpus;
}

void BM_ExprParseCompile(benchmark::State& state) {
  for (auto _ : state) {
    auto p = expr::CompileExpression(kFilter);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_ExprParseCompile);

void BM_ExprMatchOneDocument(benchmark::State& state) {
  const Corpus& c = ScanCorpus();
  const expr::Program program = MustCompile(kFilter);
  expr::Evaluator ev(program, {});
  size_t i = 0;
  for (auto _ : state) {
    auto m = ev.Matches(c.docs[i++ & 1023]);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_ExprMatchOneDocument);

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Scans all documents with `filter` on state.range(0) threads; reports documents per second of
// wall time (items_per_second) and per second of CPU time summed over the threads
// (docs_per_cpu_second: what one core does, whatever else the machine is running).
void Scan(benchmark::State& state, const char* filter) {
  const Corpus& c = ScanCorpus();
  const expr::Program program = MustCompile(filter);
  const auto threads = static_cast<unsigned>(state.range(0));
  core::ThreadPool pool(threads);
  std::vector<std::unique_ptr<expr::Evaluator>> evaluators;
  for (unsigned t = 0; t < pool.size(); ++t) {
    evaluators.push_back(std::make_unique<expr::Evaluator>(program, expr::EvalContext{}));
  }
  std::vector<uint64_t> matches(pool.size());
  std::vector<double> cpu_seconds(pool.size());
  const size_t n = c.docs.size();
  for (auto _ : state) {
    std::fill(matches.begin(), matches.end(), 0);
    pool.ParallelFor(kScanChunks, [&](size_t chunk, unsigned worker) {
      expr::Evaluator& ev = *evaluators[worker];
      const double cpu_start = ThreadCpuSeconds();
      uint64_t found = 0;
      const size_t begin = n * chunk / kScanChunks;
      const size_t end = n * (chunk + 1) / kScanChunks;
      for (size_t i = begin; i < end; ++i) {
        auto m = ev.Matches(c.docs[i]);
        found += m.ok() && *m;
      }
      matches[worker] += found;
      cpu_seconds[worker] += ThreadCpuSeconds() - cpu_start;
    });
    uint64_t total = 0;
    for (uint64_t m : matches) total += m;
    benchmark::DoNotOptimize(total);
    state.counters["matches"] = static_cast<double>(total);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  double cpu = 0;
  for (double s : cpu_seconds) cpu += s;
  state.counters["docs_per_cpu_second"] =
      static_cast<double>(state.iterations() * n) / (cpu > 0 ? cpu : 1);
  state.SetLabel(std::to_string(n) + " documents, " + std::to_string(threads) + " thread(s)");
}

void BM_ExprScanAgeCountry(benchmark::State& state) { Scan(state, kFilter); }
BENCHMARK(BM_ExprScanAgeCountry)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// The same shape with a country that exists (1 in 16 documents).
void BM_ExprScanAgeGermany(benchmark::State& state) {
  Scan(state, R"(age > 50 && country = "Germany")");
}
BENCHMARK(BM_ExprScanAgeGermany)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// A heavier filter: any-of on an array, a `~` substring and arithmetic.
void BM_ExprScanMixed(benchmark::State& state) {
  Scan(state, R"((tags ?= "vip" || email ~ "example-cloud") && balance * 2 > 50000 && active)");
}
BENCHMARK(BM_ExprScanMixed)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- Peers: SQLite 3 in memory, the same documents, one connection (SQLite runs a query on one
// thread). Two layouts: the documents as JSON text queried with json_extract (what a document
// store on SQLite does), and age and country as typed columns (SQLite with a schema, the fastest
// it gets; no index, so both scan).

struct SqlitePeer {
  sqlite3* db = nullptr;
};

const SqlitePeer& Peer() {
  static const SqlitePeer* peer = [] {
    auto* p = new SqlitePeer;
    if (sqlite3_open(":memory:", &p->db) != SQLITE_OK) std::exit(1);
    SqliteExec(p->db, "CREATE TABLE docs(id INTEGER PRIMARY KEY, doc TEXT)");
    SqliteExec(p->db, "CREATE TABLE typed(id INTEGER PRIMARY KEY, age INTEGER, country TEXT)");
    SqliteExec(p->db, "BEGIN");
    sqlite3_stmt* json_insert = nullptr;
    sqlite3_stmt* typed_insert = nullptr;
    sqlite3_prepare_v2(p->db, "INSERT INTO docs(doc) VALUES (?)", -1, &json_insert, nullptr);
    sqlite3_prepare_v2(p->db, "INSERT INTO typed(age, country) VALUES (?, ?)", -1, &typed_insert,
                       nullptr);
    std::string json;
    for (std::string_view d : ScanCorpus().docs) {
      json.clear();
      doc::MsgpackToJson(d, &json);
      sqlite3_bind_text(json_insert, 1, json.data(), static_cast<int>(json.size()),
                        SQLITE_TRANSIENT);
      sqlite3_step(json_insert);
      sqlite3_reset(json_insert);
      const auto age = doc::FindField(d, "age");
      const auto country = doc::FindField(d, "country");
      sqlite3_bind_int64(typed_insert, 1, age ? age->int_value : 0);
      sqlite3_bind_text(typed_insert, 2, country ? country->bytes.data() : "",
                        country ? static_cast<int>(country->bytes.size()) : 0, SQLITE_TRANSIENT);
      sqlite3_step(typed_insert);
      sqlite3_reset(typed_insert);
    }
    sqlite3_finalize(json_insert);
    sqlite3_finalize(typed_insert);
    SqliteExec(p->db, "COMMIT");
    return p;
  }();
  return *peer;
}

void SqliteCount(benchmark::State& state, const char* sql) {
  sqlite3* db = Peer().db;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) std::exit(1);
  for (auto _ : state) {
    if (sqlite3_step(stmt) != SQLITE_ROW) std::exit(1);
    state.counters["matches"] = static_cast<double>(sqlite3_column_int64(stmt, 0));
    sqlite3_reset(stmt);
  }
  sqlite3_finalize(stmt);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kScanDocuments));
  state.SetLabel("SQLite 3, in memory, 1 thread");
}

void BM_SqliteJsonExtractAgeCountry(benchmark::State& state) {
  SqliteCount(state,
              "SELECT count(*) FROM docs WHERE json_extract(doc, '$.age') > 50 AND "
              "json_extract(doc, '$.country') = 'FR'");
}
BENCHMARK(BM_SqliteJsonExtractAgeCountry)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_SqliteTypedColumnsAgeCountry(benchmark::State& state) {
  SqliteCount(state, "SELECT count(*) FROM typed WHERE age > 50 AND country = 'FR'");
}
BENCHMARK(BM_SqliteTypedColumnsAgeCountry)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace daas::bench
