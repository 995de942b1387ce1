// daas_workload: the same document workload on DaaS, SQLite and LMDB in one run
// (docs/BENCHMARKS.md).
//
//   daas_workload [--docs N] [--gets N] [--patches N] [--scan-passes N]
//                 [--engines daas,sqlite,lmdb] [--json FILE] [--label TEXT] [--tmp DIR]
//
// Engines run one after another, each through every phase, and each is closed (its files removed)
// before the next starts, so none competes with another for memory or page cache.
#include <chrono>
#include <filesystem>
#include <functional>
#include <sstream>

#include "cli_flags.h"
#include "dataset.h"
#include "engine.h"
#include "machine_info.h"
#include "report.h"
#include "temp_dir.h"

namespace daas::bench {
namespace {

constexpr size_t kBatch = 1000;

constexpr Cli kCli = {"daas_workload",
                      "[--docs N] [--gets N] [--patches N] [--scan-passes N] "
                      "[--engines daas,sqlite,lmdb] [--json FILE] [--label TEXT] [--tmp DIR]"};

struct Args : CommonFlags {
  size_t docs = 1'000'000;
  size_t gets = 2'000'000;
  size_t patches = 200'000;
  size_t scan_passes = 5;
  std::vector<std::string> engines = {"daas", "sqlite", "lmdb"};
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  kCli.Parse(argc, argv, &a, [&](const std::string& flag, const std::string& value) {
    if (flag == "--docs") {
      a.docs = kCli.Count(flag, value);
    } else if (flag == "--gets") {
      a.gets = kCli.Count(flag, value);
    } else if (flag == "--patches") {
      a.patches = kCli.Count(flag, value);
    } else if (flag == "--scan-passes") {
      a.scan_passes = kCli.Count(flag, value);
    } else if (flag == "--engines") {
      a.engines.clear();
      std::stringstream ss(value);
      std::string e;
      while (std::getline(ss, e, ',')) {
        if (e != "daas" && e != "sqlite" && e != "lmdb") kCli.Usage("unknown engine '" + e + "'");
        a.engines.push_back(e);
      }
    } else {
      return false;
    }
    return true;
  });
  if (a.docs == 0) kCli.Usage("--docs must be positive");
  if (a.scan_passes == 0) kCli.Usage("--scan-passes must be positive");
  return a;
}

// Runs fn and returns the seconds it took.
double Time(const std::function<void()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class Runner {
 public:
  Runner(const Args& args, const Dataset& data, Report* report)
      : args_(args), data_(data), report_(report) {
    report_->phases = {
        {"insert", "Phase 1: batched insert, 1,000 documents per batch", "docs/s", {}},
        {"get", "Phase 2: random point get by ID, copying the bytes out", "gets/s", {}},
        {"scan",
         "Phase 3: full scan summing `age` (doc::FindField on every document)",
         "docs/s",
         {}},
        {"patch",
         "Phase 4: random merge patch of `age` and `balance`, one transaction each",
         "patches/s",
         {}},
    };
  }

  void Run(Engine& e) {
    std::fprintf(stderr, "[%s] %s\n", e.name().c_str(), e.mode().c_str());
    report_->modes.emplace_back(e.name(), e.mode());

    double s = Time([&] { e.Load(data_, kBatch); });
    Add(0, e.name(), e.name() == "DaaS" ? "InsertMany" : "1 txn per batch", data_.documents.size(),
        s, true);

    e.PrepareGets(data_);
    const std::vector<std::string> ways = e.get_ways();
    for (size_t way = 0; way < ways.size(); ++way) {
      uint64_t checksum = 0;
      s = Time([&] { checksum = e.Get(data_, way); });
      Add(1, e.name(), ways[way], data_.get_order.size(), s,
          Expect(e.name(), "get checksum (" + ways[way] + ")", checksum,
                 data_.expected_get_checksum));
    }

    if (auto first = e.ParallelScanAgeSum()) {
      // The first call also starts the worker pool; it is the warm-up and is not timed.
      Expect(e.name(), "parallel scan age sum (warm-up)", first->first, data_.expected_age_sum);
      bool ok = true;
      unsigned threads = first->second;
      s = Time([&] {
        for (size_t p = 0; p < args_.scan_passes; ++p) {
          ok &= Expect(e.name(), "parallel scan age sum", e.ParallelScanAgeSum()->first,
                       data_.expected_age_sum);
        }
      });
      Add(2, e.name(), "ParallelScan, " + std::to_string(threads) + " threads",
          data_.documents.size() * args_.scan_passes, s, ok);
    }
    bool ok = true;
    s = Time([&] {
      for (size_t p = 0; p < args_.scan_passes; ++p) {
        ok &= Expect(e.name(), "scan age sum", e.ScanAgeSum(), data_.expected_age_sum);
      }
    });
    const std::string how = e.name() == "DaaS"     ? "Scan, 1 thread"
                            : e.name() == "SQLite" ? "SELECT body FROM docs, 1 thread"
                                                   : "cursor walk, 1 thread";
    Add(2, e.name(), how, data_.documents.size() * args_.scan_passes, s, ok);

    s = Time([&] { e.Patch(data_); });
    // Every patched document must carry its last patch's age: the scan after sees them all.
    ok = Expect(e.name(), "age sum after patches", e.ScanAgeSum(), data_.expected_patched_age_sum);
    Add(3, e.name(), "read + MergePatch + write", data_.patch_order.size(), s, ok);

    if (auto mem = e.Memory()) {
      report_->have_memory = true;
      report_->memory_bytes = mem->memory_bytes;
      report_->stats_document_bytes = mem->document_bytes;
      report_->rss_growth_bytes = mem->rss_growth_bytes;
      Expect(e.name(), "CollectionStats.document_bytes", mem->document_bytes, data_.document_bytes);
    }
  }

 private:
  void Add(size_t phase, const std::string& engine, const std::string& how, uint64_t ops,
           double seconds, bool checked) {
    report_->phases[phase].rows.push_back({engine, how, ops, seconds, checked});
    std::fprintf(stderr, "[%s] %-8s %-28s %12.0f ops/s%s\n", engine.c_str(),
                 report_->phases[phase].key.c_str(), how.c_str(),
                 seconds > 0 ? static_cast<double>(ops) / seconds : 0.0,
                 checked ? "" : "  (CHECK FAILED)");
  }

  bool Expect(const std::string& engine, const std::string& what, uint64_t got, uint64_t want) {
    if (got == want) return true;
    report_->failures.push_back(engine + ": " + what + " is " + std::to_string(got) +
                                ", expected " + std::to_string(want));
    return false;
  }

  const Args& args_;
  const Dataset& data_;
  Report* report_;
};

const Measurement* Find(const Report& r, const std::string& phase, const std::string& engine,
                        const std::string& how_prefix = "") {
  for (const Phase& p : r.phases) {
    if (p.key != phase) continue;
    for (const Measurement& m : p.rows) {
      if (m.engine == engine && m.how.rfind(how_prefix, 0) == 0) return &m;
    }
  }
  return nullptr;
}

void AddTargets(Report* r) {
  if (const Measurement* insert = Find(*r, "insert", "DaaS")) {
    r->targets.push_back(
        {"DaaS insert docs/s >= 2,000,000 (one thread)", 2e6, insert->ops_per_second(), false});
  }
  if (const Measurement* get = Find(*r, "get", "DaaS")) {
    r->targets.push_back({"DaaS point gets/s >= 5,000,000", 5e6, get->ops_per_second(), false});
    if (const Measurement* lmdb = Find(*r, "get", "LMDB")) {
      r->targets.push_back(
          {"DaaS gets/s >= 3x LMDB", 3.0, get->ops_per_second() / lmdb->ops_per_second(), false});
    }
  }
  if (const Measurement* scan = Find(*r, "scan", "DaaS", "ParallelScan")) {
    r->targets.push_back({"DaaS ParallelScan docs/s >= 20,000,000 (" +
                              std::to_string(r->machine.cores) + " hardware threads)",
                          2e7, scan->ops_per_second(), false});
  }
  if (r->have_memory && r->document_bytes > 0) {
    r->targets.push_back(
        {"DaaS memory_bytes / raw MessagePack bytes <= 1.3", 1.3,
         static_cast<double>(r->memory_bytes) / static_cast<double>(r->document_bytes), true});
  }
}

int Main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  Report report;
  report.machine = CollectMachineInfo();
  report.label = args.label;
  report.documents = args.docs;
  report.gets = args.gets;
  report.patches = args.patches;
  report.batch = kBatch;
  report.scan_passes = args.scan_passes;

  std::fprintf(stderr, "generating %zu documents (seeds %#llx %#llx %#llx)...\n", args.docs,
               static_cast<unsigned long long>(kDocumentSeed),
               static_cast<unsigned long long>(kGetSeed),
               static_cast<unsigned long long>(kPatchSeed));
  report.memory_latency_ns = RandomReadLatencyNs(size_t{256} << 20);
  const Dataset data = MakeDataset(args.docs, args.gets, args.patches);
  report.document_bytes = data.document_bytes;

  const std::string tmp = MakeTempDir(TempParent(args.tmp), "daas_workload");

  Runner runner(args, data, &report);
  for (const std::string& name : args.engines) {
    const std::string dir = tmp + "/" + name;
    std::filesystem::create_directories(dir);
    std::unique_ptr<Engine> engine;
    if (name == "daas") engine = MakeDaasEngine();
    if (name == "sqlite") engine = MakeSqliteEngine(dir);
    if (name == "lmdb") engine = MakeLmdbEngine(dir);
    runner.Run(*engine);
    engine.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::remove_all(tmp);

  AddTargets(&report);
  return FinishReport(report, args.json);
}

}  // namespace
}  // namespace daas::bench

int main(int argc, char** argv) { return daas::bench::Main(argc, argv); }
