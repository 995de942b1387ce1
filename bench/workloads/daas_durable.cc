// daas_durable: durable writes on DaaS, SQLite, LMDB and RocksDB in one run, plus DaaS's recovery
// time and disk use (docs/BENCHMARKS.md, "Durability").
//
//   daas_durable [--docs N] [--threads N] [--seconds S] [--seconds-many S] [--json FILE]
//                [--label TEXT] [--tmp DIR]
//
// Every engine writes under one temp directory on the same disk. Each engine and mode runs alone:
// a fresh directory for the batched load (closed and measured with du afterwards), then a fresh
// one for single-document commits on 1 thread and, for durable modes, on --threads threads.
// The recovery phase runs first, in a forked child, before any engine has started a thread.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <span>
#include <thread>

#include "cli_flags.h"
#include "daas/daas.hpp"
#include "dataset.h"
#include "durable_common.h"
#include "durable_engine.h"
#include "engine.h"
#include "machine_info.h"
#include "report.h"
#include "temp_dir.h"

namespace daas::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr size_t kBatch = 1000;

constexpr Cli kCli = {"daas_durable",
                      "[--docs N] [--threads N] [--seconds S] [--seconds-many S] [--json FILE] "
                      "[--label TEXT] [--tmp DIR]"};

struct Args : CommonFlags {
  size_t docs = 1'000'000;
  unsigned threads = 32;
  double seconds = 3;       // single-document commits on 1 thread, per engine and mode
  double seconds_many = 5;  // on --threads threads
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  kCli.Parse(argc, argv, &a, [&](const std::string& flag, const std::string& value) {
    if (flag == "--docs") {
      a.docs = static_cast<size_t>(kCli.Positive(flag, value));
    } else if (flag == "--threads") {
      a.threads = static_cast<unsigned>(kCli.Positive(flag, value));
    } else if (flag == "--seconds") {
      a.seconds = kCli.Positive(flag, value);
    } else if (flag == "--seconds-many") {
      a.seconds_many = kCli.Positive(flag, value);
    } else {
      return false;
    }
    return true;
  });
  return a;
}

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string("daas: ") + what + ": " + s.ToString());
}

// ---------------------------------------------------------------------------------------------
// DaaS on disk through the public API.

class DurableDaas final : public DurableEngine {
 public:
  DurableDaas(const std::string& dir, SyncMode sync) : sync_(sync) {
    Options o;
    o.dir = dir;
    o.sync = sync;
    auto db = Database::Open(o);
    Check(db.status(), "open");
    db_ = std::move(*db);
    auto coll = db_->CreateCollection("bench");
    Check(coll.status(), "create collection");
    coll_ = *coll;
  }

  std::string name() const override { return "DaaS"; }
  std::string durability() const override { return std::string("SyncMode::") + SyncName(sync_); }
  std::string mode() const override {
    return "Options{dir, sync=" + std::string(SyncName(sync_)) +
           ", sync_interval_ms=100, default checkpoint triggers}";
  }
  bool durable() const override { return sync_ == SyncMode::kFull; }

  void Load(const Dataset& data, size_t batch) override {
    const std::span<const std::string_view> all(data.views);
    for (size_t i = 0; i < all.size(); i += batch) {
      Check(coll_->InsertMany(all.subspan(i, std::min(batch, all.size() - i))).status(),
            "InsertMany");
    }
  }
  void InsertOne(unsigned, uint64_t, std::string_view document) override {
    Check(coll_->Insert(document).status(), "Insert");
  }
  uint64_t Count() override {
    auto n = coll_->Count();
    Check(n.status(), "Count");
    return *n;
  }
  void Close() override {
    if (db_) Check(db_->Close(), "Close");
    db_.reset();
  }

 private:
  SyncMode sync_;
  std::unique_ptr<Database> db_;
  Collection* coll_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Files.

std::vector<std::string> WalFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.rfind("wal-", 0) == 0 && name.ends_with(".log")) {
      out.push_back(e.path().string());
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Recovery: a child writes the documents with kOff, Sync()s and exits without Close (so nothing is
// checkpointed); the parent times Database::Open, which replays the whole log.

struct RecoveryResult {
  double write_seconds = 0;  // in the child, InsertMany of every document + Sync
  uint64_t wal_bytes = 0;
  size_t wal_files = 0;
  uint64_t dir_bytes = 0;
  double open_seconds = 0, first_get_seconds = 0;            // WAL pages cached
  double cold_open_seconds = 0, cold_first_get_seconds = 0;  // evicted with POSIX_FADV_DONTNEED
  // The same database after a clean Close (checkpointed, empty log): lazy open.
  double clean_open_seconds = 0, clean_first_get_seconds = 0;
  double clean_cold_open_seconds = 0, clean_cold_first_get_seconds = 0;
  bool checked = false;
};

Options RecoveryOptions(const std::string& dir) {
  Options o;
  o.dir = dir;
  o.sync = SyncMode::kOff;
  o.checkpoint_wal_bytes = 0;
  o.checkpoint_interval_ms = 0;
  return o;
}

void WriteAll(int fd, const void* p, size_t n) {
  if (::write(fd, p, n) != static_cast<ssize_t>(n)) Die("recovery: pipe write");
}

// Opens `dir`, times Open and the first Get of `id` (which must return `expected`), and checks the
// count. Leaves the database open until after the timings, then Close()s it.
void TimedOpen(const std::string& dir, DocId id, const std::string& expected, uint64_t want_count,
               double* open_seconds, double* first_get_seconds, bool* ok) {
  const auto start = Clock::now();
  auto db = Database::Open(RecoveryOptions(dir));
  Check(db.status(), "recovery open");
  *open_seconds = Since(start);
  auto coll = (*db)->GetCollection("bench");
  Check(coll.status(), "recovery GetCollection");
  std::string bytes;
  Check((*coll)->Get(id, &bytes), "recovery Get");
  *first_get_seconds = Since(start);
  auto n = (*coll)->Count();
  Check(n.status(), "recovery Count");
  *ok = *ok && bytes == expected && *n == want_count;
  Check((*db)->Close(), "recovery Close");
}

// Writes back every file under `dir` and, with `evict`, then drops the page cache's copy of it
// (dirty pages are not dropped, hence the fdatasync first).
void SyncFiles(const std::string& dir, bool evict) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::fdatasync(fd);
    if (evict) ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

RecoveryResult Recovery(const Dataset& data, const std::string& tmp) {
  RecoveryResult r;
  const std::string dir = tmp + "/recovery", copy = tmp + "/recovery-cold";
  int pipefd[2];
  if (::pipe(pipefd) != 0) Die("pipe");
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) Die("fork");
  if (pid == 0) {
    ::close(pipefd[0]);
    const auto start = Clock::now();
    auto db = Database::Open(RecoveryOptions(dir));
    Check(db.status(), "recovery writer open");
    auto coll = (*db)->CreateCollection("bench");
    Check(coll.status(), "recovery writer create");
    const std::span<const std::string_view> all(data.views);
    DocId last;
    for (size_t i = 0; i < all.size(); i += kBatch) {
      auto ids = (*coll)->InsertMany(all.subspan(i, std::min(kBatch, all.size() - i)));
      Check(ids.status(), "recovery writer InsertMany");
      last = ids->back();
    }
    Check((*db)->Sync(), "recovery writer Sync");
    const double seconds = Since(start);
    const auto bin = last.ToBinary();
    WriteAll(pipefd[1], &seconds, sizeof seconds);
    WriteAll(pipefd[1], bin.data(), bin.size());
    ::_exit(0);  // no Close: no checkpoint, the log is all there is
  }
  ::close(pipefd[1]);
  std::array<uint8_t, DocId::kBinarySize> bin{};
  const bool got = ::read(pipefd[0], &r.write_seconds, sizeof r.write_seconds) ==
                       static_cast<ssize_t>(sizeof r.write_seconds) &&
                   ::read(pipefd[0], bin.data(), bin.size()) == static_cast<ssize_t>(bin.size());
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) Die("recovery writer failed");
  auto last = DocId::FromBinary(bin);
  Check(last.status(), "recovery id");

  for (const std::string& f : WalFiles(dir)) {
    r.wal_bytes += fs::file_size(f);
    ++r.wal_files;
  }
  r.dir_bytes = Du(dir).apparent;

  // A copy for the cold open, made before the warm open checkpoints the original on Close.
  fs::copy(dir, copy, fs::copy_options::recursive);
  // Written back now, so the copy's writeback does not compete with the timed opens.
  SyncFiles(copy, false);
  r.checked = true;
  TimedOpen(dir, *last, data.documents.back(), data.documents.size(), &r.open_seconds,
            &r.first_get_seconds, &r.checked);

  SyncFiles(copy, true);
  TimedOpen(copy, *last, data.documents.back(), data.documents.size(), &r.cold_open_seconds,
            &r.cold_first_get_seconds, &r.checked);
  // `dir` was closed cleanly by the first TimedOpen: every document is in shard files.
  TimedOpen(dir, *last, data.documents.back(), data.documents.size(), &r.clean_open_seconds,
            &r.clean_first_get_seconds, &r.checked);
  SyncFiles(dir, true);
  TimedOpen(dir, *last, data.documents.back(), data.documents.size(), &r.clean_cold_open_seconds,
            &r.clean_cold_first_get_seconds, &r.checked);
  fs::remove_all(dir);
  fs::remove_all(copy);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Commit loops.

// Runs InsertOne from `threads` threads until `seconds` have passed; returns {commits, seconds}.
// Thread t inserts keys key_base + t * 2^32 + k, with documents taken round-robin from the data.
std::pair<uint64_t, double> CommitLoop(DurableEngine& e, const Dataset& data, unsigned threads,
                                       double seconds, uint64_t key_base) {
  e.PrepareThreads(threads);
  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false};
  std::vector<uint64_t> counts(threads);
  std::vector<std::thread> pool;
  Clock::time_point start;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      const size_t n = data.documents.size();
      size_t doc = (size_t{t} * 7919) % n;
      uint64_t k = 0;
      while (Since(start) < seconds) {
        e.InsertOne(t, key_base + (uint64_t{t} << 32) + k, data.views[doc]);
        ++k;
        if (++doc == n) doc = 0;
      }
      counts[t] = k;
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  start = Clock::now();
  go.store(true, std::memory_order_release);
  for (std::thread& th : pool) th.join();
  const double elapsed = Since(start);
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  return {total, elapsed};
}

// ---------------------------------------------------------------------------------------------

struct Config {
  std::string id;  // directory name
  std::function<std::unique_ptr<DurableEngine>(const std::string& dir)> make;
};

// The fastest row of `p` that is not DaaS's (nor the raw disk loop's) and, when `durable_modes` is
// given, whose mode is one of them.
const Measurement* BestPeer(const Phase& p, const std::set<std::string>* durable_modes = nullptr) {
  const Measurement* best = nullptr;
  for (const Measurement& m : p.rows) {
    if (m.engine == "DaaS" || m.engine == "disk") continue;
    if (durable_modes != nullptr && durable_modes->count(m.engine + " " + m.how) == 0) continue;
    if (!best || m.ops_per_second() > best->ops_per_second()) best = &m;
  }
  return best;
}

const Measurement* FindRow(const Phase& p, const std::string& engine, const std::string& how) {
  for (const Measurement& m : p.rows) {
    if (m.engine == engine && m.how == how) return &m;
  }
  return nullptr;
}

int Main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  Report report;
  report.tool = "daas_durable";
  report.machine = CollectMachineInfo();
  report.label = args.label;
  report.documents = args.docs;
  report.batch = kBatch;

  const std::string tmp_parent = TempParent(args.tmp);
  const std::string tmp = MakeTempDir(tmp_parent, "daas_durable");

  std::fprintf(stderr, "generating %zu documents...\n", args.docs);
  report.memory_latency_ns = RandomReadLatencyNs(size_t{256} << 20);
  const Dataset data = MakeDataset(args.docs, 0, 0);
  report.document_bytes = data.document_bytes;
  report.workload = std::to_string(args.docs) + " documents (" +
                    Fixed(static_cast<double>(data.document_bytes) / (1 << 20), 1) +
                    " MiB of MessagePack, " +
                    Fixed(static_cast<double>(data.document_bytes) / args.docs, 1) +
                    " bytes avg); batches of " + Grouped(kBatch) + "; single commits for " +
                    Fixed(args.seconds, 1) + " s on 1 thread and " + Fixed(args.seconds_many, 1) +
                    " s on " + std::to_string(args.threads) + " threads; temp dir " + tmp;

  // 0. The disk.
  const SyncLoop append_loop = FdatasyncLoop(tmp, 128, 2.0);
  const double fsync_append = append_loop.rate();
  const double fsync_rewrite = FdatasyncLoop(tmp, 0, 2.0).rate();
  std::fprintf(stderr, "fdatasync: %.0f/s appending 128 B, %.0f/s rewriting 4 KiB\n", fsync_append,
               fsync_rewrite);
  report.notes.push_back("Disk: " + tmp_parent + " (" + fs::canonical(tmp_parent).string() +
                         "); raw write+fdatasync loop: " + Grouped(fsync_append) +
                         "/s appending 128-byte records, " + Grouped(fsync_rewrite) +
                         "/s rewriting one 4 KiB block");

  // 1. Recovery first, while this process has no threads (it forks).
  std::fprintf(stderr, "recovery: writing %zu documents in a child...\n", args.docs);
  const RecoveryResult rec = Recovery(data, tmp);
  if (!rec.checked) report.failures.push_back("recovery: document or count after Open differ");

  report.phases = {
      {"insert_batched", "Batched insert, 1,000 documents per commit", "docs/s", {}},
      {"commit_1", "Single-document commits, 1 thread, durable modes", "commits/s", {}},
      {"commit_many",
       "Single-document commits, " + std::to_string(args.threads) + " threads, durable modes",
       "commits/s",
       {}},
      {"commit_1_relaxed", "Single-document commits, 1 thread, relaxed modes", "commits/s", {}},
  };
  report.phases[1].rows.push_back(
      {"disk", "raw write 128 B + fdatasync loop", append_loop.syncs, append_loop.seconds, true});

  const std::vector<Config> configs = {
      {"daas-full",
       [](const std::string& d) { return std::make_unique<DurableDaas>(d, SyncMode::kFull); }},
      {"daas-normal",
       [](const std::string& d) { return std::make_unique<DurableDaas>(d, SyncMode::kNormal); }},
      {"daas-off",
       [](const std::string& d) { return std::make_unique<DurableDaas>(d, SyncMode::kOff); }},
      {"sqlite-full", [](const std::string& d) { return MakeDurableSqlite(d, true); }},
      {"sqlite-normal", [](const std::string& d) { return MakeDurableSqlite(d, false); }},
      {"lmdb-sync", [](const std::string& d) { return MakeDurableLmdb(d, true); }},
      {"lmdb-nosync", [](const std::string& d) { return MakeDurableLmdb(d, false); }},
      {"rocksdb-sync", [](const std::string& d) { return MakeDurableRocksdb(d, true); }},
      {"rocksdb-nosync", [](const std::string& d) { return MakeDurableRocksdb(d, false); }},
  };

  DiskUse daas_disk;
  double daas_close_seconds = 0;
  std::vector<std::pair<std::string, DiskUse>> disk;
  // "<engine> <durability>" of every mode that survives a power cut, for the durable-peer target.
  std::set<std::string> durable_modes;
  auto add = [&](size_t phase, const DurableEngine& e, uint64_t ops, double s, bool ok) {
    report.phases[phase].rows.push_back({e.name(), e.durability(), ops, s, ok});
    std::fprintf(stderr, "[%s %s] %-16s %12.0f/s%s\n", e.name().c_str(), e.durability().c_str(),
                 report.phases[phase].key.c_str(), s > 0 ? static_cast<double>(ops) / s : 0.0,
                 ok ? "" : "  (COUNT MISMATCH)");
  };
  auto expect = [&](const DurableEngine& e, const char* what, uint64_t got, uint64_t want) {
    if (got == want) return true;
    report.failures.push_back(e.name() + " " + e.durability() + ": " + what + " count " +
                              std::to_string(got) + ", expected " + std::to_string(want));
    return false;
  };

  for (const Config& c : configs) {
    // Batched load in a fresh directory, then Close and du.
    std::string dir = tmp + "/" + c.id + "-load";
    fs::create_directories(dir);
    auto e = c.make(dir);
    report.modes.emplace_back(e->name() + " " + e->durability(), e->mode());
    if (e->durable()) durable_modes.insert(e->name() + " " + e->durability());
    auto start = Clock::now();
    e->Load(data, kBatch);
    const double load_s = Since(start);
    add(0, *e, data.documents.size(), load_s,
        expect(*e, "after load", e->Count(), data.documents.size()));
    start = Clock::now();
    e->Close();
    const double close_s = Since(start);
    const DiskUse du = Du(dir);
    disk.emplace_back(e->name() + " " + e->durability(), du);
    if (c.id == "daas-full") {
      daas_disk = du;
      daas_close_seconds = close_s;
    }
    e.reset();
    fs::remove_all(dir);

    // Single-document commits in a fresh directory.
    dir = tmp + "/" + c.id + "-commits";
    fs::create_directories(dir);
    e = c.make(dir);
    auto [n1, s1] = CommitLoop(*e, data, 1, args.seconds, 0);
    add(e->durable() ? 1 : 3, *e, n1, s1, expect(*e, "after 1-thread commits", e->Count(), n1));
    if (e->durable()) {
      auto [nm, sm] = CommitLoop(*e, data, args.threads, args.seconds_many, uint64_t{1} << 40);
      add(2, *e, nm, sm, expect(*e, "after many-thread commits", e->Count(), n1 + nm));
    }
    e->Close();
    e.reset();
    fs::remove_all(dir);
  }
  // The disk again: its rate drifts on this VM, so the run reports the range.
  const double fsync_append_end = FdatasyncLoop(tmp, 128, 2.0).rate();
  std::fprintf(stderr, "fdatasync at the end: %.0f/s appending 128 B\n", fsync_append_end);
  report.notes.push_back("Raw write+fdatasync loop again at the end of the run: " +
                         Grouped(fsync_append_end) + "/s appending 128-byte records");
  fs::remove_all(tmp);

  // Figures.
  const double mb = 1e6;
  auto fig = [&](const std::string& key, const std::string& what, const std::string& value,
                 double number) {
    report.figures.push_back({key, what, value, number});
  };
  fig("fdatasync_append_per_s", "disk: write 128 B + fdatasync, per second", Grouped(fsync_append),
      fsync_append);
  fig("fdatasync_append_end_per_s", "disk: write 128 B + fdatasync, per second, end of run",
      Grouped(fsync_append_end), fsync_append_end);
  fig("fdatasync_rewrite_per_s", "disk: rewrite 4 KiB + fdatasync, per second",
      Grouped(fsync_rewrite), fsync_rewrite);
  fig("recovery_write_seconds", "recovery: child writes every document (kOff) and Sync()s",
      Fixed(rec.write_seconds, 3) + " s", rec.write_seconds);
  fig("recovery_wal_bytes",
      "recovery: WAL replayed (" + std::to_string(rec.wal_files) + " wal-*.log files)",
      Grouped(static_cast<double>(rec.wal_bytes)) + " B (" +
          Fixed(static_cast<double>(rec.wal_bytes) / data.document_bytes, 3) + "x raw)",
      static_cast<double>(rec.wal_bytes));
  fig("recovery_open_seconds", "recovery: Database::Open, log pages in the page cache",
      Fixed(rec.open_seconds * 1e3, 1) + " ms = " +
          Fixed(static_cast<double>(rec.wal_bytes) / mb / rec.open_seconds, 1) + " MB/s of WAL",
      rec.open_seconds);
  fig("recovery_first_get_seconds", "recovery: Open start to first Get, page cache",
      Fixed(rec.first_get_seconds * 1e3, 1) + " ms", rec.first_get_seconds);
  fig("recovery_cold_open_seconds",
      "recovery: Database::Open, log pages evicted (POSIX_FADV_DONTNEED)",
      Fixed(rec.cold_open_seconds * 1e3, 1) +
          " ms = " + Fixed(static_cast<double>(rec.wal_bytes) / mb / rec.cold_open_seconds, 1) +
          " MB/s of WAL",
      rec.cold_open_seconds);
  fig("recovery_cold_first_get_seconds", "recovery: Open start to first Get, evicted",
      Fixed(rec.cold_first_get_seconds * 1e3, 1) + " ms", rec.cold_first_get_seconds);
  fig("clean_open_seconds", "lazy open after a clean Close: Database::Open, page cache",
      Fixed(rec.clean_open_seconds * 1e3, 2) + " ms", rec.clean_open_seconds);
  fig("clean_first_get_seconds", "lazy open after a clean Close: Open start to first Get",
      Fixed(rec.clean_first_get_seconds * 1e3, 2) + " ms", rec.clean_first_get_seconds);
  fig("clean_cold_first_get_seconds",
      "lazy open after a clean Close: Open start to first Get, files evicted",
      Fixed(rec.clean_cold_first_get_seconds * 1e3, 2) + " ms", rec.clean_cold_first_get_seconds);
  fig("daas_close_seconds", "DaaS kFull: Close (checkpoint) after the batched load",
      Fixed(daas_close_seconds, 3) + " s", daas_close_seconds);
  for (const auto& [who, du] : disk) {
    fig("disk_" + who, "disk after load and close: " + who,
        Grouped(static_cast<double>(du.allocated)) + " B du (" +
            Fixed(static_cast<double>(du.allocated) / data.document_bytes, 3) + "x raw; " +
            Grouped(static_cast<double>(du.apparent)) + " B apparent)",
        static_cast<double>(du.allocated));
  }

  // Targets.
  const Phase& load = report.phases[0];
  const Phase& one = report.phases[1];
  const Phase& many = report.phases[2];
  const Phase& relaxed = report.phases[3];
  if (const Measurement* d = FindRow(load, "DaaS", "SyncMode::kFull")) {
    report.targets.push_back(
        {"batched insert, DaaS kFull >= 1,000,000 docs/s", 1e6, d->ops_per_second(), false});
    if (const Measurement* peer = BestPeer(load, &durable_modes)) {
      report.targets.push_back({"batched insert, DaaS kFull / best durable peer (" + peer->engine +
                                    " " + peer->how + ") >= 2x",
                                2.0, d->ops_per_second() / peer->ops_per_second(), false});
    }
    if (const Measurement* any = BestPeer(load)) {
      report.targets.push_back({"batched insert, DaaS kFull / best peer in any mode (" +
                                    any->engine + " " + any->how + ") >= 2x (for reference)",
                                2.0, d->ops_per_second() / any->ops_per_second(), false});
    }
  }
  const Measurement* d1 = FindRow(one, "DaaS", "SyncMode::kFull");
  if (d1) {
    report.targets.push_back({"1-thread kFull commits / disk fdatasync rate ~ 1 (met at >= 0.8)",
                              0.8, d1->ops_per_second() / fsync_append, false});
  }
  if (const Measurement* dm = FindRow(many, "DaaS", "SyncMode::kFull")) {
    if (d1) {
      report.targets.push_back(
          {std::to_string(args.threads) + "-thread kFull commits >= 10x DaaS 1-thread", 10.0,
           dm->ops_per_second() / d1->ops_per_second(), false});
    }
    if (const Measurement* peer = BestPeer(many)) {
      report.targets.push_back({std::to_string(args.threads) +
                                    "-thread kFull commits >= 5x best peer (" + peer->engine + " " +
                                    peer->how + ")",
                                5.0, dm->ops_per_second() / peer->ops_per_second(), false});
    }
  }
  for (const char* m : {"kNormal", "kOff"}) {
    if (const Measurement* r = FindRow(relaxed, "DaaS", std::string("SyncMode::") + m)) {
      report.targets.push_back({std::string("1-thread ") + m + " commits >= 500,000/s", 5e5,
                                r->ops_per_second(), false});
    }
  }
  report.targets.push_back({"recovery: WAL replay MB/s in Open (page cache) >= 500", 500,
                            static_cast<double>(rec.wal_bytes) / mb / rec.open_seconds, false});
  report.targets.push_back({"Open start to first Get after a clean Close (page cache), ms <= 20",
                            20, rec.clean_first_get_seconds * 1e3, true});
  report.targets.push_back(
      {"Open start to first Get after a crash, whole load in the log (page cache), ms <= 20", 20,
       rec.first_get_seconds * 1e3, true});
  report.targets.push_back({"disk use after batched load and Close / raw MessagePack <= 1.5", 1.5,
                            static_cast<double>(daas_disk.allocated) / data.document_bytes, true});

  return FinishReport(report, args.json);
}

}  // namespace
}  // namespace daas::bench

int main(int argc, char** argv) { return daas::bench::Main(argc, argv); }
