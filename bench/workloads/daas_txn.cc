// daas_txn: interactive transactions on DaaS beside SQLite, LMDB and RocksDB
// (OptimisticTransactionDB) in one run (docs/BENCHMARKS.md, "Transactions").
//
//   daas_txn [--accounts N] [--threads N] [--durable-threads N] [--seconds S]
//            [--seconds-durable S] [--docs N] [--gets N] [--get-passes N] [--max-attempts N]
//            [--engines daas,sqlite,lmdb,rocksdb] [--cases rmw,bank,durable,get,feed,scan]
//            [--json FILE] [--label TEXT] [--tmp DIR]
//
// Cases:
//   rmw      one counter document read, incremented and written back in one transaction, 1 thread,
//            syncing off;
//   bank     transfers between --accounts accounts (read both balances, write both, commit) on
//            --threads threads, syncing off;
//   durable  the same transfers with every commit durable, on 1 thread and --durable-threads;
//   get      DaaS alone: Collection::Get against Transaction::Get in read-only transactions of 100
//            gets, and Database::GetMany against Transaction::GetMany 100 at a time, over --docs
//            documents in memory;
//   feed     DaaS alone: the rmw counter without a subscriber, with a change feed subscriber on
//            another thread reading every 1 ms or as fast as it can, and, as a control, with
//            another thread only spinning; passes alternating (what publishing costs a commit);
//   scan     DaaS alone: a writer replacing random documents of --docs in memory, alone, while a
//            plain cursor walks them all, and while a read-only transaction's cursor does (one
//            snapshot, whose total size must be what was stored when it began).
//
// Every engine stores the same MessagePack documents ({"n": int}, {"balance": int}) and reads and
// builds them with the same code (doc::FindField, doc::Writer). Each engine and mode gets a fresh
// directory under one temp directory on the machine's disk.
//
// Invariant: every figure is checked against what the workers committed. The counter must equal
// the committed increments, and every account's balance must equal its start plus the amounts of
// the transfers that committed to and from it (each thread keeps its own tally), so an engine that
// lost or doubled a transfer, or let two transfers overwrite each other, is reported as MISMATCH.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <lmdb.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/optimistic_transaction_db.h>
#include <rocksdb/utilities/transaction.h>
#include <sqlite3.h>

#include "cli_flags.h"
#include "core/status_macros.h"
#include "daas/daas.hpp"
#include "dataset.h"
#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"
#include "durable_common.h"
#include "engine.h"
#include "machine_info.h"
#include "report.h"
#include "sqlite_exec.h"
#include "temp_dir.h"

namespace daas::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr Cli kCli = {
    "daas_txn",
    "[--accounts N] [--threads N] [--durable-threads N] [--seconds S] [--seconds-durable S] "
    "[--docs N] [--gets N] [--get-passes N] [--max-attempts N] "
    "[--engines daas,sqlite,lmdb,rocksdb] [--cases rmw,bank,durable,get,feed,scan] [--json FILE] "
    "[--label TEXT] [--tmp DIR]"};

// Every account starts with this balance and transfers move 1..kMaxAmount, so no transfer of a
// run of a few million is declined: every transaction has the same shape on every engine.
constexpr int64_t kStartBalance = 1'000'000;
constexpr int64_t kMaxAmount = 100;
constexpr uint64_t kBankSeed = 0x5eed'0010;
// DaaS gets inside read-only transactions commit every this many gets.
constexpr size_t kGetsPerTransaction = 100;
// The account collection's schema on DaaS, checked at every commit (the peers check nothing).
constexpr std::string_view kAccountSchema =
    R"({"version":1,"fields":{"balance":{"type":"int","required":true}},)"
    R"("checks":["balance >= 0"]})";

std::set<std::string> SplitList(const std::string& text) {
  std::set<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.insert(item);
  }
  return out;
}

struct Args : CommonFlags {
  uint32_t accounts = 10'000;
  unsigned threads = 2;            // bank, syncing off
  unsigned durable_threads = 32;   // bank, durable (also run on 1 thread)
  double seconds = 3;              // rmw and bank, per engine
  double seconds_durable = 5;      // durable, per engine and thread count
  size_t docs = 1'000'000;         // get
  size_t gets = 2'000'000;         // get, per pass
  unsigned get_passes = 3;         // get: passes of each way, alternating
  uint32_t max_attempts = 10'000;  // DaaS RunTransaction runs before giving up
  std::set<std::string> engines = {"daas", "sqlite", "lmdb", "rocksdb"};
  std::set<std::string> cases = {"rmw", "bank", "durable", "get", "feed", "scan"};
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  kCli.Parse(argc, argv, &a, [&](const std::string& flag, const std::string& value) {
    if (flag == "--accounts") {
      a.accounts = static_cast<uint32_t>(kCli.Positive(flag, value));
      if (a.accounts < 2) kCli.Usage("--accounts wants at least 2");
    } else if (flag == "--threads") {
      a.threads = static_cast<unsigned>(kCli.Positive(flag, value));
    } else if (flag == "--durable-threads") {
      a.durable_threads = static_cast<unsigned>(kCli.Positive(flag, value));
    } else if (flag == "--seconds") {
      a.seconds = kCli.Positive(flag, value);
    } else if (flag == "--seconds-durable") {
      a.seconds_durable = kCli.Positive(flag, value);
    } else if (flag == "--docs") {
      a.docs = static_cast<size_t>(kCli.Positive(flag, value));
    } else if (flag == "--gets") {
      a.gets = static_cast<size_t>(kCli.Positive(flag, value));
    } else if (flag == "--get-passes") {
      a.get_passes = static_cast<unsigned>(kCli.Positive(flag, value));
    } else if (flag == "--max-attempts") {
      a.max_attempts = static_cast<uint32_t>(kCli.Positive(flag, value));
    } else if (flag == "--engines") {
      a.engines = SplitList(value);
      for (const std::string& e : a.engines) {
        if (e != "daas" && e != "sqlite" && e != "lmdb" && e != "rocksdb") {
          kCli.Usage("unknown engine " + e);
        }
      }
    } else if (flag == "--cases") {
      a.cases = SplitList(value);
      for (const std::string& c : a.cases) {
        if (c != "rmw" && c != "bank" && c != "durable" && c != "get" && c != "feed" &&
            c != "scan") {
          kCli.Usage("unknown case " + c);
        }
      }
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

// CPU time of the whole machine and of this process, in clock ticks, to tell how much of the
// machine other processes used while a case ran (this VM is shared with builds and tests).
struct CpuTicks {
  uint64_t busy = 0, total = 0;  // /proc/stat "cpu" line: all but idle and iowait; all
  uint64_t self = 0;             // /proc/self/stat utime + stime
};

CpuTicks ReadCpuTicks() {
  CpuTicks t;
  if (std::FILE* f = std::fopen("/proc/stat", "r")) {
    unsigned long long v[8] = {};
    if (std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                    &v[4], &v[5], &v[6], &v[7]) == 8) {
      for (unsigned long long x : v) t.total += x;
      t.busy = t.total - v[3] - v[4];
    }
    std::fclose(f);
  }
  if (std::FILE* f = std::fopen("/proc/self/stat", "r")) {
    // Fields 14 and 15 (utime, stime) follow the command, which is in parentheses.
    char buf[1024];
    const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    if (const char* p = std::strrchr(buf, ')')) {
      unsigned long long utime = 0, stime = 0;
      if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                      &stime) == 2) {
        t.self = utime + stime;
      }
    }
    std::fclose(f);
  }
  return t;
}

// Cores' worth of CPU that other processes used between `a` and `b`.
double OtherCores(const CpuTicks& a, const CpuTicks& b, unsigned cores) {
  const double total = static_cast<double>(b.total - a.total);
  if (total <= 0 || cores == 0) return 0;
  const double other = static_cast<double>(b.busy - a.busy) - static_cast<double>(b.self - a.self);
  return std::max(0.0, other) / (total / cores);
}

// AnonHugePages of /proc/self/smaps_rollup in bytes; 0 when unknown.
uint64_t AnonHugePageBytes() {
  uint64_t kib = 0;
  if (std::FILE* f = std::fopen("/proc/self/smaps_rollup", "r")) {
    char line[256];
    while (std::fgets(line, sizeof(line), f) != nullptr) {
      unsigned long long v = 0;
      if (std::sscanf(line, "AnonHugePages: %llu kB", &v) == 1) kib = v;
    }
    std::fclose(f);
  }
  return kib * 1024;
}

// ---------------------------------------------------------------------------------------------
// Documents, the same bytes on every engine.

// {key: value} into *out (cleared first).
void IntDocument(std::string_view key, int64_t value, std::string* out) {
  out->clear();
  doc::Writer w(out);
  w.MapHeader(1);
  w.String(key);
  w.Int(value);
}

std::string IntDocument(std::string_view key, int64_t value) {
  std::string out;
  IntDocument(key, value, &out);
  return out;
}

// The integer field `key` of a document this benchmark stored; Die()s when it is not there.
int64_t ReadInt(std::string_view document, std::string_view key) {
  const std::optional<doc::Value> v = doc::FindField(document, key);
  if (!v || v->type != doc::Type::kInt) Die("a stored document lost its field " + std::string(key));
  return v->int_value;
}

constexpr std::string_view kCounterField = "n";
constexpr std::string_view kBalanceField = "balance";

// Per-thread buffers, one cache line apart so two threads never write the same line.
struct alignas(64) Scratch {
  std::string a, b, new_a, new_b;
};

// ---------------------------------------------------------------------------------------------
// The engines.

struct TransferOutcome {
  uint64_t retries = 0;   // runs beyond the first (conflicts, Busy)
  bool declined = false;  // `from` had less than `amount`: nothing written
};

// One engine in one durability mode, holding a counter document and the bank's accounts.
// Increment and Transfer are thread-safe for distinct `thread` values below PrepareThreads' count.
class TxnEngine {
 public:
  virtual ~TxnEngine() = default;

  virtual std::string name() const = 0;
  // The durability setting alone, for the row's "how" column.
  virtual std::string durability() const = 0;
  // The whole configuration, printed in the header.
  virtual std::string mode() const = 0;

  // Stores the counter ({"n": 0}) and `accounts` accounts ({"balance": kStartBalance}).
  virtual void Setup(uint32_t accounts) = 0;
  // Before Increment or Transfer run on `threads` threads (indexes 0 .. threads-1).
  virtual void PrepareThreads(unsigned threads) = 0;
  // One transaction: reads the counter, writes it back with n + 1, commits. Returns the retries.
  virtual uint64_t Increment(unsigned thread) = 0;
  // One transaction moving `amount` from account `from` to account `to` (distinct): reads both
  // balances, writes both, commits; writes nothing when `from` has less than `amount`.
  virtual TransferOutcome Transfer(unsigned thread, uint32_t from, uint32_t to, int64_t amount) = 0;
  // The committed counter and balances, read after the workers have stopped.
  virtual int64_t Counter() = 0;
  virtual std::vector<int64_t> Balances() = 0;
  virtual void Close() = 0;
};

// DaaS: a collection "counters" without schema and a collection "accounts" with kAccountSchema.
class TxnDaas final : public TxnEngine {
 public:
  TxnDaas(const std::string& dir, SyncMode sync, uint32_t max_attempts) : sync_(sync) {
    auto db = Database::Open(Options{.dir = dir, .sync = sync});
    Check(db.status(), "open");
    db_ = std::move(*db);
    txn_options_.sync = sync;
    txn_options_.max_attempts = max_attempts;
  }

  std::string name() const override { return "DaaS"; }
  std::string durability() const override { return std::string("SyncMode::") + SyncName(sync_); }
  std::string mode() const override {
    return "Options{dir, sync=" + std::string(SyncName(sync_)) +
           "}, TransactionOptions{.sync=" + SyncName(sync_) +
           ", .max_attempts=" + std::to_string(txn_options_.max_attempts) +
           "}; counter: BeginTransaction, Get, Replace, Commit; transfers: RunTransaction "
           "(re-runs on Conflict with backoff), accounts schema " +
           std::string(kAccountSchema);
  }

  void Setup(uint32_t accounts) override {
    auto counters = db_->CreateCollection("counters");
    Check(counters.status(), "create counters");
    counters_ = *counters;
    auto coll = db_->CreateCollection("accounts");
    Check(coll.status(), "create accounts");
    accounts_ = *coll;
    Check(accounts_->SetSchema(kAccountSchema), "SetSchema");
    auto id = counters_->Insert(IntDocument(kCounterField, 0));
    Check(id.status(), "insert counter");
    counter_id_ = *id;
    const std::string account = IntDocument(kBalanceField, kStartBalance);
    const std::vector<std::string_view> docs(accounts, account);
    auto ids = accounts_->InsertMany(docs);
    Check(ids.status(), "insert accounts");
    ids_ = std::move(*ids);
  }
  void PrepareThreads(unsigned threads) override {
    if (scratch_.size() < threads) scratch_.resize(threads);
  }

  uint64_t Increment(unsigned thread) override {
    Scratch& s = scratch_[thread];
    for (uint64_t retries = 0;; ++retries) {
      auto txn = db_->BeginTransaction(txn_options_);
      Check(txn.status(), "BeginTransaction");
      Transaction& t = **txn;
      Check(t.Get(counters_, counter_id_, &s.a), "transaction Get");
      IntDocument(kCounterField, ReadInt(s.a, kCounterField) + 1, &s.new_a);
      Check(t.Replace(counters_, counter_id_, s.new_a), "transaction Replace");
      const Status st = t.Commit();
      if (st.ok()) return retries;
      if (st.code() != StatusCode::kConflict) Check(st, "Commit");
    }
  }

  TransferOutcome Transfer(unsigned thread, uint32_t from, uint32_t to, int64_t amount) override {
    Scratch& s = scratch_[thread];
    TransferOutcome out;
    uint64_t runs = 0;
    const Status st = db_->RunTransaction(
        [&](Transaction& t) -> Status {
          ++runs;
          out.declined = false;
          DAAS_RETURN_IF_ERROR(t.Get(accounts_, ids_[from], &s.a));
          DAAS_RETURN_IF_ERROR(t.Get(accounts_, ids_[to], &s.b));
          const int64_t from_balance = ReadInt(s.a, kBalanceField);
          if (from_balance < amount) {
            out.declined = true;
            return Status::OK();
          }
          IntDocument(kBalanceField, from_balance - amount, &s.new_a);
          IntDocument(kBalanceField, ReadInt(s.b, kBalanceField) + amount, &s.new_b);
          DAAS_RETURN_IF_ERROR(t.Replace(accounts_, ids_[from], s.new_a));
          return t.Replace(accounts_, ids_[to], s.new_b);
        },
        txn_options_);
    Check(st, "RunTransaction (transfer)");
    out.retries = runs - 1;
    return out;
  }

  int64_t Counter() override {
    std::string bytes;
    Check(counters_->Get(counter_id_, &bytes), "Get counter");
    return ReadInt(bytes, kCounterField);
  }
  std::vector<int64_t> Balances() override {
    std::vector<int64_t> out;
    std::string bytes;
    for (DocId id : ids_) {
      Check(accounts_->Get(id, &bytes), "Get account");
      out.push_back(ReadInt(bytes, kBalanceField));
    }
    return out;
  }
  void Close() override {
    if (db_) Check(db_->Close(), "Close");
    db_.reset();
  }

 private:
  const SyncMode sync_;
  TransactionOptions txn_options_;
  std::unique_ptr<Database> db_;
  Collection* counters_ = nullptr;
  Collection* accounts_ = nullptr;
  DocId counter_id_;
  std::vector<DocId> ids_;  // account i
  std::vector<Scratch> scratch_;
};

// SQLite: table kv(id INTEGER PRIMARY KEY, body BLOB), the counter at id 0 and account i at i + 1;
// journal_mode=WAL; one connection per thread; BEGIN IMMEDIATE takes the write lock at the start,
// and a connection that finds it taken waits in SQLite's busy handler (sleeps of 1 to 100 ms).
constexpr int kSqliteBusyTimeoutMs = 60'000;

class SqliteTxnConnection {
 public:
  SqliteTxnConnection(const std::string& path, bool full) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) Die("sqlite: open " + path);
    sqlite3_busy_timeout(db_, kSqliteBusyTimeoutMs);
    SqliteExec(db_, "PRAGMA journal_mode=WAL");
    SqliteExec(db_, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF");
    SqliteExec(db_, "CREATE TABLE IF NOT EXISTS kv(id INTEGER PRIMARY KEY, body BLOB)");
    Prepare("BEGIN IMMEDIATE", &begin_);
    Prepare("COMMIT", &commit_);
    Prepare("ROLLBACK", &rollback_);
    Prepare("SELECT body FROM kv WHERE id = ?", &select_);
    Prepare("UPDATE kv SET body = ?2 WHERE id = ?1", &update_);
    Prepare("INSERT INTO kv(id, body) VALUES(?, ?)", &insert_);
  }
  ~SqliteTxnConnection() {
    for (sqlite3_stmt* s : {begin_, commit_, rollback_, select_, update_, insert_}) {
      sqlite3_finalize(s);
    }
    sqlite3_close(db_);
  }
  SqliteTxnConnection(const SqliteTxnConnection&) = delete;
  SqliteTxnConnection& operator=(const SqliteTxnConnection&) = delete;

  void Begin() { Run(begin_); }
  void Commit() { Run(commit_); }
  void Rollback() { Run(rollback_); }
  void Read(int64_t id, std::string* body) {
    sqlite3_bind_int64(select_, 1, id);
    if (sqlite3_step(select_) != SQLITE_ROW) {
      Die("sqlite: no row " + std::to_string(id) + ": " + sqlite3_errmsg(db_));
    }
    const void* p = sqlite3_column_blob(select_, 0);
    body->assign(static_cast<const char*>(p),
                 static_cast<size_t>(sqlite3_column_bytes(select_, 0)));
    sqlite3_reset(select_);
  }
  void Write(sqlite3_stmt* s, int64_t id, std::string_view body) {
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_blob(s, 2, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
    Run(s);
  }
  void Update(int64_t id, std::string_view body) { Write(update_, id, body); }
  void Insert(int64_t id, std::string_view body) { Write(insert_, id, body); }

 private:
  void Prepare(const char* sql, sqlite3_stmt** out) {
    if (sqlite3_prepare_v2(db_, sql, -1, out, nullptr) != SQLITE_OK) {
      Die(std::string("sqlite: prepare '") + sql + "': " + sqlite3_errmsg(db_));
    }
  }
  void Run(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) {
      Die(std::string("sqlite: ") + sqlite3_sql(s) + ": " + sqlite3_errmsg(db_));
    }
    sqlite3_reset(s);
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt *begin_ = nullptr, *commit_ = nullptr, *rollback_ = nullptr, *select_ = nullptr,
               *update_ = nullptr, *insert_ = nullptr;
};

class TxnSqlite final : public TxnEngine {
 public:
  TxnSqlite(const std::string& dir, bool full) : path_(dir + "/bench.sqlite"), full_(full) {
    conns_.push_back(std::make_unique<SqliteTxnConnection>(path_, full_));
  }

  std::string name() const override { return "SQLite"; }
  std::string durability() const override { return full_ ? "synchronous=FULL" : "synchronous=OFF"; }
  std::string mode() const override {
    return std::string("SQLite ") + sqlite3_libversion() + ", journal_mode=WAL, " + durability() +
           ", table kv(id INTEGER PRIMARY KEY, body BLOB), BEGIN IMMEDIATE; SELECT; UPDATE; "
           "COMMIT, one connection per thread with busy_timeout " +
           std::to_string(kSqliteBusyTimeoutMs) + " ms";
  }

  void Setup(uint32_t accounts) override {
    SqliteTxnConnection& c = *conns_[0];
    c.Begin();
    c.Insert(0, IntDocument(kCounterField, 0));
    const std::string account = IntDocument(kBalanceField, kStartBalance);
    for (uint32_t i = 0; i < accounts; ++i) c.Insert(int64_t{i} + 1, account);
    c.Commit();
    accounts_ = accounts;
  }
  void PrepareThreads(unsigned threads) override {
    while (conns_.size() < threads) {
      conns_.push_back(std::make_unique<SqliteTxnConnection>(path_, full_));
    }
    if (scratch_.size() < threads) scratch_.resize(threads);
  }

  uint64_t Increment(unsigned thread) override {
    SqliteTxnConnection& c = *conns_[thread];
    Scratch& s = scratch_[thread];
    c.Begin();
    c.Read(0, &s.a);
    IntDocument(kCounterField, ReadInt(s.a, kCounterField) + 1, &s.new_a);
    c.Update(0, s.new_a);
    c.Commit();
    return 0;
  }
  TransferOutcome Transfer(unsigned thread, uint32_t from, uint32_t to, int64_t amount) override {
    SqliteTxnConnection& c = *conns_[thread];
    Scratch& s = scratch_[thread];
    c.Begin();
    c.Read(int64_t{from} + 1, &s.a);
    c.Read(int64_t{to} + 1, &s.b);
    const int64_t from_balance = ReadInt(s.a, kBalanceField);
    if (from_balance < amount) {
      c.Rollback();
      return {0, true};
    }
    IntDocument(kBalanceField, from_balance - amount, &s.new_a);
    IntDocument(kBalanceField, ReadInt(s.b, kBalanceField) + amount, &s.new_b);
    c.Update(int64_t{from} + 1, s.new_a);
    c.Update(int64_t{to} + 1, s.new_b);
    c.Commit();
    return {};
  }

  int64_t Counter() override {
    std::string body;
    conns_[0]->Read(0, &body);
    return ReadInt(body, kCounterField);
  }
  std::vector<int64_t> Balances() override {
    std::vector<int64_t> out;
    std::string body;
    for (uint32_t i = 0; i < accounts_; ++i) {
      conns_[0]->Read(int64_t{i} + 1, &body);
      out.push_back(ReadInt(body, kBalanceField));
    }
    return out;
  }
  void Close() override { conns_.clear(); }

 private:
  std::string path_;
  bool full_;
  uint32_t accounts_ = 0;
  std::vector<std::unique_ptr<SqliteTxnConnection>> conns_;
  std::vector<Scratch> scratch_;
};

// LMDB: the counter under key 0 and account i under i + 1 (8 big-endian bytes). Write
// transactions serialize on LMDB's writer lock, so threads take turns.
constexpr size_t kLmdbMapSizeBytes = size_t{16} << 30;

void CheckMdb(int rc, const char* what) {
  if (rc != MDB_SUCCESS) Die(std::string("lmdb: ") + what + ": " + mdb_strerror(rc));
}

class TxnLmdb final : public TxnEngine {
 public:
  TxnLmdb(const std::string& dir, bool sync) : sync_(sync) {
    CheckMdb(mdb_env_create(&env_), "env_create");
    CheckMdb(mdb_env_set_mapsize(env_, kLmdbMapSizeBytes), "set_mapsize");
    CheckMdb(mdb_env_open(env_, dir.c_str(), sync_ ? 0 : MDB_NOSYNC, 0644), "env_open");
    MDB_txn* txn;
    CheckMdb(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
    CheckMdb(mdb_dbi_open(txn, nullptr, 0, &dbi_), "dbi_open");
    CheckMdb(mdb_txn_commit(txn), "commit");
  }
  ~TxnLmdb() override { Close(); }

  std::string name() const override { return "LMDB"; }
  std::string durability() const override { return sync_ ? "default (durable)" : "MDB_NOSYNC"; }
  std::string mode() const override {
    int major, minor, patch;
    mdb_version(&major, &minor, &patch);
    return "LMDB " + std::to_string(major) + "." + std::to_string(minor) + "." +
           std::to_string(patch) + ", env flags " + (sync_ ? "0 (durable)" : "MDB_NOSYNC") +
           ", map size 16 GiB; write txn, mdb_get, mdb_put, commit; writers serialize on "
           "LMDB's lock";
  }

  void Setup(uint32_t accounts) override {
    MDB_txn* txn;
    CheckMdb(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
    Put(txn, 0, IntDocument(kCounterField, 0));
    const std::string account = IntDocument(kBalanceField, kStartBalance);
    for (uint32_t i = 0; i < accounts; ++i) Put(txn, uint64_t{i} + 1, account);
    CheckMdb(mdb_txn_commit(txn), "commit");
    accounts_ = accounts;
  }
  void PrepareThreads(unsigned threads) override {
    if (scratch_.size() < threads) scratch_.resize(threads);
  }

  uint64_t Increment(unsigned thread) override {
    Scratch& s = scratch_[thread];
    MDB_txn* txn;
    CheckMdb(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
    IntDocument(kCounterField, ReadInt(Get(txn, 0), kCounterField) + 1, &s.new_a);
    Put(txn, 0, s.new_a);
    CheckMdb(mdb_txn_commit(txn), "commit");
    return 0;
  }
  TransferOutcome Transfer(unsigned thread, uint32_t from, uint32_t to, int64_t amount) override {
    Scratch& s = scratch_[thread];
    MDB_txn* txn;
    CheckMdb(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
    // Both values are decoded before the first put, which may move the pages they point into.
    const int64_t from_balance = ReadInt(Get(txn, uint64_t{from} + 1), kBalanceField);
    const int64_t to_balance = ReadInt(Get(txn, uint64_t{to} + 1), kBalanceField);
    if (from_balance < amount) {
      mdb_txn_abort(txn);
      return {0, true};
    }
    IntDocument(kBalanceField, from_balance - amount, &s.new_a);
    IntDocument(kBalanceField, to_balance + amount, &s.new_b);
    Put(txn, uint64_t{from} + 1, s.new_a);
    Put(txn, uint64_t{to} + 1, s.new_b);
    CheckMdb(mdb_txn_commit(txn), "commit");
    return {};
  }

  int64_t Counter() override {
    MDB_txn* txn;
    CheckMdb(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "txn_begin");
    const int64_t n = ReadInt(Get(txn, 0), kCounterField);
    mdb_txn_abort(txn);
    return n;
  }
  std::vector<int64_t> Balances() override {
    MDB_txn* txn;
    CheckMdb(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "txn_begin");
    std::vector<int64_t> out;
    for (uint32_t i = 0; i < accounts_; ++i) {
      out.push_back(ReadInt(Get(txn, uint64_t{i} + 1), kBalanceField));
    }
    mdb_txn_abort(txn);
    return out;
  }
  void Close() override {
    if (env_ == nullptr) return;
    CheckMdb(mdb_env_sync(env_, 1), "env_sync");
    mdb_env_close(env_);
    env_ = nullptr;
  }

 private:
  // The value under `key`, valid until the transaction writes or ends.
  std::string_view Get(MDB_txn* txn, uint64_t key) {
    BigEndianKey k(key);
    MDB_val kv{sizeof(k.bytes), k.bytes};
    MDB_val v;
    CheckMdb(mdb_get(txn, dbi_, &kv, &v), "get");
    return {static_cast<const char*>(v.mv_data), v.mv_size};
  }
  void Put(MDB_txn* txn, uint64_t key, std::string_view value) {
    BigEndianKey k(key);
    MDB_val kv{sizeof(k.bytes), k.bytes};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    CheckMdb(mdb_put(txn, dbi_, &kv, &v, 0), "put");
  }

  bool sync_;
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  uint32_t accounts_ = 0;
  std::vector<Scratch> scratch_;
};

// RocksDB: an OptimisticTransactionDB (default Options, WAL on), keys as LMDB's. A transaction
// reads with GetForUpdate, which Commit validates; Commit fails with Busy (or TryAgain) when a
// key read changed, and the transaction runs again at once. Each thread reuses its Transaction.
void CheckRocks(const rocksdb::Status& s, const char* what) {
  if (!s.ok()) Die(std::string("rocksdb: ") + what + ": " + s.ToString());
}

class TxnRocksdb final : public TxnEngine {
 public:
  TxnRocksdb(const std::string& dir, bool sync) : sync_(sync) {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::OptimisticTransactionDB* db = nullptr;
    CheckRocks(rocksdb::OptimisticTransactionDB::Open(options, dir, &db), "open");
    db_.reset(db);
    write_.sync = sync_;
    write_.disableWAL = false;
  }
  ~TxnRocksdb() override { Close(); }

  std::string name() const override { return "RocksDB"; }
  std::string durability() const override {
    return sync_ ? "WriteOptions.sync=true" : "WriteOptions.sync=false";
  }
  std::string mode() const override {
    return "RocksDB " + std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." +
           std::to_string(ROCKSDB_PATCH) +
           " OptimisticTransactionDB, default Options and OptimisticTransactionDBOptions "
           "(kValidateParallel), " +
           durability() +
           ", disableWAL=false; GetForUpdate, Put, Commit, run again on Busy/TryAgain";
  }

  void Setup(uint32_t accounts) override {
    rocksdb::WriteBatch batch;
    BigEndianKey k0(0);
    CheckRocks(batch.Put(rocksdb::Slice(k0.bytes, 8), IntDocument(kCounterField, 0)), "put");
    const std::string account = IntDocument(kBalanceField, kStartBalance);
    for (uint32_t i = 0; i < accounts; ++i) {
      BigEndianKey k(uint64_t{i} + 1);
      CheckRocks(batch.Put(rocksdb::Slice(k.bytes, 8), account), "put");
    }
    CheckRocks(db_->Write(write_, &batch), "write");
    accounts_ = accounts;
  }
  void PrepareThreads(unsigned threads) override {
    if (scratch_.size() < threads) scratch_.resize(threads);
    while (txns_.size() < threads) txns_.emplace_back();
  }

  uint64_t Increment(unsigned thread) override {
    Scratch& s = scratch_[thread];
    const BigEndianKey key(0);
    for (uint64_t retries = 0;; ++retries) {
      rocksdb::Transaction* txn = Begin(thread);
      CheckRocks(txn->GetForUpdate(read_, rocksdb::Slice(key.bytes, 8), &s.a), "GetForUpdate");
      IntDocument(kCounterField, ReadInt(s.a, kCounterField) + 1, &s.new_a);
      CheckRocks(txn->Put(rocksdb::Slice(key.bytes, 8), s.new_a), "Put");
      if (Committed(txn->Commit())) return retries;
    }
  }
  TransferOutcome Transfer(unsigned thread, uint32_t from, uint32_t to, int64_t amount) override {
    Scratch& s = scratch_[thread];
    const BigEndianKey from_key(uint64_t{from} + 1), to_key(uint64_t{to} + 1);
    const rocksdb::Slice fk(from_key.bytes, 8), tk(to_key.bytes, 8);
    for (uint64_t retries = 0;; ++retries) {
      rocksdb::Transaction* txn = Begin(thread);
      CheckRocks(txn->GetForUpdate(read_, fk, &s.a), "GetForUpdate");
      CheckRocks(txn->GetForUpdate(read_, tk, &s.b), "GetForUpdate");
      const int64_t from_balance = ReadInt(s.a, kBalanceField);
      if (from_balance < amount) {
        CheckRocks(txn->Rollback(), "Rollback");
        return {retries, true};
      }
      IntDocument(kBalanceField, from_balance - amount, &s.new_a);
      IntDocument(kBalanceField, ReadInt(s.b, kBalanceField) + amount, &s.new_b);
      CheckRocks(txn->Put(fk, s.new_a), "Put");
      CheckRocks(txn->Put(tk, s.new_b), "Put");
      if (Committed(txn->Commit())) return {retries, false};
    }
  }

  int64_t Counter() override { return ReadInt(GetCommitted(0), kCounterField); }
  std::vector<int64_t> Balances() override {
    std::vector<int64_t> out;
    for (uint32_t i = 0; i < accounts_; ++i) {
      out.push_back(ReadInt(GetCommitted(uint64_t{i} + 1), kBalanceField));
    }
    return out;
  }
  void Close() override {
    if (!db_) return;
    txns_.clear();  // before the database they belong to
    CheckRocks(db_->Close(), "close");
    db_.reset();
  }

 private:
  // The thread's transaction, begun again (reusing the object).
  rocksdb::Transaction* Begin(unsigned thread) {
    std::unique_ptr<rocksdb::Transaction>& t = txns_[thread];
    rocksdb::Transaction* txn = db_->BeginTransaction(write_, txn_options_, t.get());
    if (txn != t.get()) t.reset(txn);
    return txn;
  }
  // True on success, false when the commit must run again; Die()s on anything else.
  static bool Committed(const rocksdb::Status& s) {
    if (s.ok()) return true;
    if (s.IsBusy() || s.IsTryAgain()) return false;
    CheckRocks(s, "Commit");
    return false;
  }
  std::string GetCommitted(uint64_t key) {
    const BigEndianKey k(key);
    std::string value;
    CheckRocks(db_->Get(read_, rocksdb::Slice(k.bytes, 8), &value), "Get");
    return value;
  }

  bool sync_;
  rocksdb::WriteOptions write_;
  rocksdb::ReadOptions read_;
  rocksdb::OptimisticTransactionOptions txn_options_;
  std::unique_ptr<rocksdb::OptimisticTransactionDB> db_;
  uint32_t accounts_ = 0;
  std::vector<std::unique_ptr<rocksdb::Transaction>> txns_;
  std::vector<Scratch> scratch_;
};

// ---------------------------------------------------------------------------------------------
// Running workers.

struct Tally {
  uint64_t txns = 0;      // committed transactions (declined transfers included)
  uint64_t retries = 0;   // runs beyond the first
  uint64_t declined = 0;  // transfers that wrote nothing
};

struct LoopResult {
  Tally tally;
  double seconds = 0;
  CpuTicks cpu_start, cpu_end;
};

// Runs body(thread, stop) on `threads` threads, all started together, sets `stop` after
// `seconds`, and waits for every body to return its Tally. The time counts until the last one
// returned, so a transaction still running at the stop is counted in both.
LoopResult RunThreads(unsigned threads, double seconds,
                      const std::function<Tally(unsigned, const std::atomic<bool>&)>& body) {
  // ready/go/stop are plain flags between this thread and the workers; acquire/release orders
  // the start time before any work, and a relaxed stop is enough (it only ends loops).
  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false}, stop{false};
  std::vector<Tally> tallies(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1, std::memory_order_relaxed);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      tallies[t] = body(t, stop);
    });
  }
  while (ready.load(std::memory_order_relaxed) < threads) std::this_thread::yield();
  LoopResult r;
  r.cpu_start = ReadCpuTicks();
  const auto start = Clock::now();
  go.store(true, std::memory_order_release);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop.store(true, std::memory_order_relaxed);
  for (std::thread& th : pool) th.join();
  r.seconds = Since(start);
  r.cpu_end = ReadCpuTicks();
  for (const Tally& t : tallies) {
    r.tally.txns += t.txns;
    r.tally.retries += t.retries;
    r.tally.declined += t.declined;
  }
  return r;
}

LoopResult IncrementLoop(TxnEngine& e, double seconds) {
  e.PrepareThreads(1);
  return RunThreads(1, seconds, [&](unsigned t, const std::atomic<bool>& stop) {
    Tally tally;
    while (!stop.load(std::memory_order_relaxed)) {
      tally.retries += e.Increment(t);
      ++tally.txns;
    }
    return tally;
  });
}

// Transfers on `threads` threads; adds each committed transfer's amounts to *expected (the
// balances the engine must hold afterwards).
LoopResult BankLoop(TxnEngine& e, unsigned threads, double seconds, uint32_t accounts,
                    uint64_t seed, std::vector<int64_t>* expected) {
  e.PrepareThreads(threads);
  std::vector<std::vector<int64_t>> deltas(threads, std::vector<int64_t>(accounts, 0));
  LoopResult r = RunThreads(threads, seconds, [&](unsigned t, const std::atomic<bool>& stop) {
    Rng rng(seed + t);
    std::vector<int64_t>& delta = deltas[t];
    Tally tally;
    while (!stop.load(std::memory_order_relaxed)) {
      const uint32_t from = static_cast<uint32_t>(rng.Uniform(accounts));
      uint32_t to = static_cast<uint32_t>(rng.Uniform(accounts - 1));
      if (to >= from) ++to;
      const int64_t amount = 1 + static_cast<int64_t>(rng.Uniform(kMaxAmount));
      const TransferOutcome o = e.Transfer(t, from, to, amount);
      tally.retries += o.retries;
      if (o.declined) {
        ++tally.declined;
      } else {
        delta[from] -= amount;
        delta[to] += amount;
      }
      ++tally.txns;
    }
    return tally;
  });
  for (const std::vector<int64_t>& delta : deltas) {
    for (uint32_t i = 0; i < accounts; ++i) (*expected)[i] += delta[i];
  }
  return r;
}

// ---------------------------------------------------------------------------------------------

struct Config {
  std::string engine;  // "daas", "sqlite", ... (--engines)
  bool durable;
  std::function<std::unique_ptr<TxnEngine>(const std::string& dir)> make;
};

// An in-memory DaaS database holding `data`'s documents in one collection, and their IDs in order.
struct Loaded {
  Result<std::unique_ptr<Database>> db;
  Collection* coll = nullptr;
  std::vector<DocId> ids;
};

Loaded LoadInMemory(const Dataset& data) {
  Loaded out{Database::Open(Options{}), nullptr, {}};
  Check(out.db.status(), "open in memory");
  auto coll = (*out.db)->CreateCollection("bench");
  Check(coll.status(), "create");
  out.coll = *coll;
  const std::span<const std::string_view> all(data.views);
  for (size_t i = 0; i < all.size(); i += 1000) {
    auto got = out.coll->InsertMany(all.subspan(i, std::min<size_t>(1000, all.size() - i)));
    Check(got.status(), "InsertMany");
    out.ids.insert(out.ids.end(), got->begin(), got->end());
  }
  return out;
}

const Measurement* FindRow(const Phase& p, const std::string& engine) {
  for (const Measurement& m : p.rows) {
    if (m.engine == engine) return &m;
  }
  return nullptr;
}

const Measurement* BestPeer(const Phase& p) {
  const Measurement* best = nullptr;
  for (const Measurement& m : p.rows) {
    if (m.engine == "DaaS") continue;
    if (!best || m.ops_per_second() > best->ops_per_second()) best = &m;
  }
  return best;
}

int Main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  Report report;
  report.tool = "daas_txn";
  report.machine = CollectMachineInfo();
  report.label = args.label;
  report.memory_latency_ns = RandomReadLatencyNs(size_t{256} << 20);

  const std::string tmp_parent = TempParent(args.tmp);
  const std::string tmp = MakeTempDir(tmp_parent, "daas_txn");
  const std::string threads = std::to_string(args.threads);
  const std::string durable_threads = std::to_string(args.durable_threads);
  report.workload =
      "counter {\"n\": int} and " + Grouped(args.accounts) + " accounts {\"balance\": int} (" +
      Grouped(kStartBalance) + " each; transfers of 1.." + std::to_string(kMaxAmount) +
      " between two distinct random accounts, seed " + std::to_string(kBankSeed) + " + thread); " +
      Fixed(args.seconds, 1) + " s per engine for rmw and bank (" + threads + " threads), " +
      Fixed(args.seconds_durable, 1) + " s for durable on 1 and " + durable_threads +
      " threads; get: " + Grouped(static_cast<double>(args.docs)) + " documents, " +
      std::to_string(args.get_passes) + " passes of " + Grouped(static_cast<double>(args.gets)) +
      " random gets per way, alternating; temp dir " + tmp;
  // The JSON file has no workload text, only the numbers below and the notes: say it there too.
  report.notes.push_back("Workload: " + report.workload);
  if (args.cases.count("get")) {
    report.documents = args.docs;
    report.gets = args.gets * args.get_passes;
  }

  report.phases = {
      {"rmw", "Read-modify-write of one counter document, 1 thread, syncing off", "txns/s", {}},
      {"bank",
       "Bank transfers, " + Grouped(args.accounts) + " accounts, " + threads +
           " threads, syncing off",
       "transfers/s",
       {}},
      {"bank_durable_1", "Bank transfers, durable, 1 thread", "transfers/s", {}},
      {"bank_durable_many",
       "Bank transfers, durable, " + durable_threads + " threads",
       "transfers/s",
       {}},
      {"point_get",
       "DaaS point get, " + Grouped(static_cast<double>(args.docs)) +
           " documents in memory, 1 thread: plain and in read-only transactions",
       "gets/s",
       {}},
      {"feed",
       "DaaS read-modify-write of one counter, 1 thread, syncing off, with and without a change "
       "feed subscriber on another thread",
       "txns/s",
       {}},
      {"scan_writers",
       "DaaS writes on 1 thread (random documents replaced, syncing off, in memory) alone and "
       "while a read-only transaction's cursor walks all " +
           Grouped(static_cast<double>(args.docs)) + " documents",
       "writes/s",
       {}},
      {"scan",
       "DaaS cursor over " + Grouped(static_cast<double>(args.docs)) +
           " documents while 1 thread writes: plain (per step) and in a read-only transaction "
           "(one snapshot)",
       "docs/s",
       {}},
  };

  const bool durable_case = args.cases.count("durable") != 0;
  SyncLoop disk_start;
  if (durable_case) {
    disk_start = FdatasyncLoop(tmp, 128, 2.0);
    std::fprintf(stderr, "fdatasync: %.0f/s appending 128 B\n", disk_start.rate());
  }

  const std::vector<Config> configs = {
      {"daas", false,
       [&](const std::string& d) {
         return std::make_unique<TxnDaas>(d, SyncMode::kOff, args.max_attempts);
       }},
      {"lmdb", false, [](const std::string& d) { return std::make_unique<TxnLmdb>(d, false); }},
      {"sqlite", false, [](const std::string& d) { return std::make_unique<TxnSqlite>(d, false); }},
      {"rocksdb", false,
       [](const std::string& d) { return std::make_unique<TxnRocksdb>(d, false); }},
      {"daas", true,
       [&](const std::string& d) {
         return std::make_unique<TxnDaas>(d, SyncMode::kFull, args.max_attempts);
       }},
      {"lmdb", true, [](const std::string& d) { return std::make_unique<TxnLmdb>(d, true); }},
      {"sqlite", true, [](const std::string& d) { return std::make_unique<TxnSqlite>(d, true); }},
      {"rocksdb", true, [](const std::string& d) { return std::make_unique<TxnRocksdb>(d, true); }},
  };

  auto add = [&](size_t phase, const TxnEngine& e, const LoopResult& r, bool ok) {
    Phase& p = report.phases[phase];
    p.rows.push_back({e.name(), e.durability(), r.tally.txns, r.seconds, ok});
    const double per_1000 =
        r.tally.txns ? 1000.0 * static_cast<double>(r.tally.retries) / r.tally.txns : 0;
    report.figures.push_back(
        {p.key + "_retries_" + e.name(),
         p.key + ", " + e.name() + " " + e.durability() +
             ": runs again (conflict, Busy) per 1,000 committed; declined",
         Fixed(per_1000, 2) + " (" + Grouped(r.tally.retries) + "); " + Grouped(r.tally.declined),
         per_1000});
    const double other = OtherCores(r.cpu_start, r.cpu_end, report.machine.cores);
    report.figures.push_back({p.key + "_other_cores_" + e.name(),
                              p.key + ", " + e.name() + ": CPU used by other processes meanwhile",
                              Fixed(other, 2) + " cores", other});
    std::fprintf(stderr, "[%s %s] %-18s %12.0f/s  retries %llu, others used %.2f cores%s\n",
                 e.name().c_str(), e.durability().c_str(), p.key.c_str(),
                 r.seconds > 0 ? static_cast<double>(r.tally.txns) / r.seconds : 0.0,
                 static_cast<unsigned long long>(r.tally.retries), other, ok ? "" : "  (MISMATCH)");
  };
  auto check_bank = [&](TxnEngine& e, const std::string& what,
                        const std::vector<int64_t>& expected) {
    const std::vector<int64_t> got = e.Balances();
    if (got == expected) return true;
    size_t wrong = 0;
    for (size_t i = 0; i < got.size() && i < expected.size(); ++i) wrong += got[i] != expected[i];
    report.failures.push_back(e.name() + " " + e.durability() + ": " + what + ": " +
                              std::to_string(wrong) +
                              " balances differ from the committed transfers");
    return false;
  };

  const bool relaxed_case = args.cases.count("rmw") != 0 || args.cases.count("bank") != 0;
  for (const Config& c : configs) {
    if (args.engines.count(c.engine) == 0) continue;
    if (c.durable ? !durable_case : !relaxed_case) continue;
    const std::string dir = tmp + "/" + c.engine + (c.durable ? "-durable" : "-relaxed");
    fs::create_directories(dir);
    if (c.durable) {
      // The disk's rate drifts on a shared VM (other writers, the host), so each durable engine's
      // figures come with the rate measured just before them.
      const SyncLoop disk = FdatasyncLoop(tmp, 128, 1.0);
      report.figures.push_back(
          {"disk_before_" + c.engine,
           "raw write 128 B + fdatasync loop just before " + c.engine + " durable, per second",
           Grouped(disk.rate()), disk.rate()});
      std::fprintf(stderr, "fdatasync before %s: %.0f/s\n", c.engine.c_str(), disk.rate());
    }
    std::unique_ptr<TxnEngine> e = c.make(dir);
    report.modes.emplace_back(e->name() + " " + e->durability(), e->mode());
    e->Setup(args.accounts);
    std::vector<int64_t> expected(args.accounts, kStartBalance);
    if (!c.durable) {
      if (args.cases.count("rmw")) {
        const LoopResult r = IncrementLoop(*e, args.seconds);
        const int64_t n = e->Counter();
        const bool ok = n == static_cast<int64_t>(r.tally.txns);
        if (!ok) {
          report.failures.push_back(e->name() + ": counter " + std::to_string(n) + " after " +
                                    std::to_string(r.tally.txns) + " increments");
        }
        add(0, *e, r, ok);
      }
      if (args.cases.count("bank")) {
        const LoopResult r =
            BankLoop(*e, args.threads, args.seconds, args.accounts, kBankSeed, &expected);
        add(1, *e, r, check_bank(*e, "bank", expected));
      }
    } else {
      LoopResult r = BankLoop(*e, 1, args.seconds_durable, args.accounts, kBankSeed, &expected);
      add(2, *e, r, check_bank(*e, "durable, 1 thread", expected));
      r = BankLoop(*e, args.durable_threads, args.seconds_durable, args.accounts, kBankSeed + 1000,
                   &expected);
      add(3, *e, r, check_bank(*e, "durable, many threads", expected));
    }
    e->Close();
    e.reset();
    fs::remove_all(dir);
  }
  if (durable_case) {
    const SyncLoop disk_end = FdatasyncLoop(tmp, 128, 2.0);
    report.notes.push_back("Disk: " + tmp_parent + " (" + fs::canonical(tmp_parent).string() +
                           "); raw write 128 B + fdatasync loop: " + Grouped(disk_start.rate()) +
                           "/s at the start of the durable case, " + Grouped(disk_end.rate()) +
                           "/s at the end of the run");
    report.phases[2].rows.insert(
        report.phases[2].rows.begin(),
        {"disk", "raw write 128 B + fdatasync loop", disk_start.syncs, disk_start.seconds, true});
  }
  fs::remove_all(tmp);

  // Point gets: plain against read-only transactions, passes alternating so that drift of the
  // machine (memory latency moves from run to run here) hits both ways alike.
  if (args.cases.count("get") && args.engines.count("daas")) {
    std::fprintf(stderr, "generating %zu documents...\n", args.docs);
    const Dataset data = MakeDataset(args.docs, args.gets, 0);
    report.document_bytes = data.document_bytes;
    Loaded loaded = LoadInMemory(data);
    auto& db = loaded.db;
    Collection* coll = loaded.coll;
    const std::vector<DocId>& ids = loaded.ids;
    // Whether the collection's memory got transparent huge pages changes the cost of a random
    // get by a lot here (TLB misses), so the run says how much of the process had them.
    const uint64_t huge = AnonHugePageBytes();
    report.figures.push_back({"point_get_anon_huge_bytes",
                              "point_get: process memory in transparent huge pages after the load",
                              Fixed(static_cast<double>(huge) / (1 << 20), 0) + " MiB",
                              static_cast<double>(huge)});
    std::vector<DocId> order;
    order.reserve(data.get_order.size());
    for (uint32_t k : data.get_order) order.push_back(ids[k]);
    TransactionOptions read_only;
    read_only.read_only = true;

    Measurement plain{"DaaS", "Collection::Get", 0, 0, true};
    Measurement txn{"DaaS",
                    "Transaction::Get, read_only, Commit every " +
                        std::to_string(kGetsPerTransaction) + " gets",
                    0, 0, true};
    Measurement plain_many{
        "DaaS", "Database::GetMany, " + std::to_string(kGetsPerTransaction) + " at a time", 0, 0,
        true};
    Measurement txn_many{"DaaS",
                         "Transaction::GetMany, read_only, " + std::to_string(kGetsPerTransaction) +
                             " per transaction",
                         0, 0, true};
    std::vector<DocRef> refs(kGetsPerTransaction);
    std::vector<std::optional<std::string>> found;
    // Each batch of the order read at once; *m checked against the whole run's checksum.
    auto batched = [&](Measurement* m, auto&& read) {
      uint64_t sum = 0;
      const auto start = Clock::now();
      for (size_t i = 0; i < order.size(); i += kGetsPerTransaction) {
        const size_t n = std::min(order.size() - i, kGetsPerTransaction);
        for (size_t k = 0; k < n; ++k) refs[k] = DocRef{coll, order[i + k]};
        read(std::span<const DocRef>(refs.data(), n));
        for (const auto& d : found) {
          if (d) sum += GetChecksum(*d);
        }
      }
      m->seconds += Since(start);
      m->ops += order.size();
      m->checked = m->checked && sum == data.expected_get_checksum;
    };
    std::string bytes;
    const CpuTicks cpu_start = ReadCpuTicks();
    for (unsigned pass = 0; pass < args.get_passes; ++pass) {
      uint64_t sum = 0;
      auto start = Clock::now();
      for (DocId id : order) {
        Check(coll->Get(id, &bytes), "Get");
        sum += GetChecksum(bytes);
      }
      plain.seconds += Since(start);
      plain.ops += order.size();
      plain.checked = plain.checked && sum == data.expected_get_checksum;

      sum = 0;
      start = Clock::now();
      for (size_t i = 0; i < order.size(); i += kGetsPerTransaction) {
        auto t = (*db)->BeginTransaction(read_only);
        Check(t.status(), "BeginTransaction");
        const size_t end = std::min(order.size(), i + kGetsPerTransaction);
        for (size_t k = i; k < end; ++k) {
          Check((*t)->Get(coll, order[k], &bytes), "transaction Get");
          sum += GetChecksum(bytes);
        }
        Check((*t)->Commit(), "read-only Commit");
      }
      txn.seconds += Since(start);
      txn.ops += order.size();
      txn.checked = txn.checked && sum == data.expected_get_checksum;
      batched(&plain_many, [&](std::span<const DocRef> batch) {
        Check((*db)->GetMany(batch, &found), "GetMany");
      });
      batched(&txn_many, [&](std::span<const DocRef> batch) {
        auto t = (*db)->BeginTransaction(read_only);
        Check(t.status(), "BeginTransaction");
        Check((*t)->GetMany(batch, &found), "transaction GetMany");
        Check((*t)->Commit(), "read-only Commit");
      });
      std::fprintf(stderr,
                   "[DaaS] get pass %u: plain %.0f/s, transaction %.0f/s, GetMany %.0f/s, "
                   "transaction GetMany %.0f/s\n",
                   pass, plain.ops_per_second(), txn.ops_per_second(), plain_many.ops_per_second(),
                   txn_many.ops_per_second());
    }
    const double other = OtherCores(cpu_start, ReadCpuTicks(), report.machine.cores);
    report.figures.push_back({"point_get_other_cores",
                              "point_get: CPU used by other processes meanwhile",
                              Fixed(other, 2) + " cores", other});
    if (!plain.checked || !txn.checked || !plain_many.checked || !txn_many.checked) {
      report.failures.push_back("DaaS: get checksum differs");
    }
    report.phases[4].rows = {plain, txn, plain_many, txn_many};
    Check((*db)->Close(), "Close");
  }

  // Feed: what publishing to the change feed costs a commit. The rmw counter of case 1, passes
  // alternating between no subscriber and one that drains the feed on another thread.
  if (args.cases.count("feed") && args.engines.count("daas")) {
    const std::string dir = MakeTempDir(tmp_parent, "daas_txn_feed");
    auto db = Database::Open(Options{.dir = dir, .sync = SyncMode::kOff});
    Check(db.status(), "open");
    auto coll = (*db)->CreateCollection("counters");
    Check(coll.status(), "create");
    auto id = (*coll)->Insert(IntDocument(kCounterField, 0));
    Check(id.status(), "insert counter");
    TransactionOptions o;
    o.sync = SyncMode::kOff;
    std::string bytes, next;
    int64_t expected = 0;
    auto run = [&](Measurement* m) {
      const auto start = Clock::now();
      const auto until = start + std::chrono::duration<double>(args.seconds);
      uint64_t n = 0;
      while ((n & 255) != 0 || Clock::now() < until) {
        auto t = (*db)->BeginTransaction(o);
        Check(t.status(), "BeginTransaction");
        Check((*t)->Get(*coll, *id, &bytes), "transaction Get");
        IntDocument(kCounterField, ReadInt(bytes, kCounterField) + 1, &next);
        Check((*t)->Replace(*coll, *id, next), "transaction Replace");
        Check((*t)->Commit(), "Commit");
        ++n;
      }
      m->seconds += Since(start);
      m->ops += n;
      expected += static_cast<int64_t>(n);
    };
    Measurement alone{"DaaS", "rmw, no subscriber", 0, 0, true};
    Measurement batched{"DaaS", "rmw, a subscriber reading every 1 ms", 0, 0, true};
    Measurement eager{"DaaS", "rmw, a subscriber reading as fast as it can", 0, 0, true};
    Measurement spinner{"DaaS", "rmw, no subscriber, another thread spinning (control)", 0, 0,
                        true};
    // A subscriber on its own thread; `pause_ms` between reads (0: it reads again at once, and
    // waits up to 10 ms for the next commit). Checks that every commit of the run reached it.
    auto watched = [&](Measurement* m, uint32_t pause_ms) {
      auto feed = (*db)->SubscribeChanges({});
      Check(feed.status(), "SubscribeChanges");
      std::atomic<bool> stop{false};
      uint64_t delivered = 0;
      // The feed is the reader thread's alone (ChangeFeed is not thread-safe): it says how far it
      // got through `position`.
      std::atomic<uint64_t> position{(*feed)->position()};
      std::thread reader([&] {
        std::vector<ChangeEvent> events;
        while (!stop.load(std::memory_order_relaxed)) {
          events.clear();
          Check((*feed)->Next(&events, 1u << 20, pause_ms == 0 ? 10 : 0), "ChangeFeed::Next");
          delivered += events.size();
          position.store((*feed)->position(), std::memory_order_release);
          if (pause_ms != 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
        }
      });
      const uint64_t before = m->ops;
      run(m);
      const uint64_t last = (*db)->visible_lsn();
      while (position.load(std::memory_order_acquire) < last) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      stop = true;
      reader.join();
      m->checked = m->checked && delivered == m->ops - before;
    };
    for (unsigned pass = 0; pass < 2; ++pass) {
      run(&alone);
      watched(&batched, 1);
      watched(&eager, 0);
      std::atomic<bool> stop{false};
      std::thread spin([&] {
        while (!stop.load(std::memory_order_relaxed)) __builtin_ia32_pause();
      });
      run(&spinner);
      stop = true;
      spin.join();
      std::fprintf(stderr,
                   "[DaaS] feed pass %u: alone %.0f/s, reader every 1 ms %.0f/s, eager reader "
                   "%.0f/s, spinning thread %.0f/s\n",
                   pass, alone.ops_per_second(), batched.ops_per_second(), eager.ops_per_second(),
                   spinner.ops_per_second());
    }
    Check((*coll)->Get(*id, &bytes), "Get counter");
    const bool counted = ReadInt(bytes, kCounterField) == expected;
    if (!counted || !batched.checked || !eager.checked) {
      report.failures.push_back("DaaS: feed case: a commit missing from the counter or the feed");
    }
    for (Measurement* m : {&alone, &batched, &eager, &spinner}) m->checked = m->checked && counted;
    report.phases[5].rows = {alone, batched, eager, spinner};
    Check((*db)->Close(), "Close");
    fs::remove_all(dir);
  }

  // Scan: a cursor walks every document while a writer replaces random ones. Passes: the writer
  // alone; with a plain cursor walking; with a read-only transaction's cursor (its snapshot)
  // walking. The snapshot walk must add up to what was stored when it began.
  if (args.cases.count("scan") && args.engines.count("daas")) {
    std::fprintf(stderr, "generating %zu documents...\n", args.docs);
    const Dataset data = MakeDataset(args.docs, 0, 0);
    Loaded loaded = LoadInMemory(data);
    auto& db = loaded.db;
    Collection* coll = loaded.coll;
    const std::vector<DocId>& ids = loaded.ids;
    // The writer replaces random documents with another generated document of the set, so the
    // sum of sizes moves; a snapshot walk's sum is checked against the sum when it began.
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> writes{0};
    std::atomic<int64_t> stored_bytes{0};
    for (std::string_view v : data.views) stored_bytes += static_cast<int64_t>(v.size());
    std::mutex write_mu;  // held around each write and its effect on stored_bytes
    std::thread writer([&] {
      std::mt19937_64 rng(kBankSeed);
      std::string old;
      while (!stop.load(std::memory_order_relaxed)) {
        const size_t k = rng() % ids.size();
        const std::string_view doc = data.views[rng() % data.views.size()];
        std::lock_guard<std::mutex> l(write_mu);
        Check(coll->Get(ids[k], &old), "Get");
        Check(coll->Replace(ids[k], doc), "Replace");
        stored_bytes += static_cast<int64_t>(doc.size()) - static_cast<int64_t>(old.size());
        writes.fetch_add(1, std::memory_order_relaxed);
      }
    });
    Measurement alone{"DaaS", "writer alone", 0, 0, true};
    Measurement with_plain{"DaaS", "writer, plain cursor walking", 0, 0, true};
    Measurement with_snapshot{"DaaS", "writer, snapshot cursor walking", 0, 0, true};
    Measurement plain_scan{"DaaS", "Collection::OpenCursor (consistent per step)", 0, 0, true};
    Measurement snapshot_scan{"DaaS", "Transaction::OpenCursor, read_only (one snapshot)", 0, 0,
                              true};
    uint64_t peak_history = 0;
    for (unsigned pass = 0; pass < 2; ++pass) {
      uint64_t w0 = writes.load();
      auto start = Clock::now();
      std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds / 2));
      alone.seconds += Since(start);
      alone.ops += writes.load() - w0;
      for (bool snapshot : {false, true}) {
        std::unique_ptr<Transaction> txn;
        std::unique_ptr<Cursor> cursor;
        int64_t want = 0;
        if (snapshot) {
          std::lock_guard<std::mutex> l(write_mu);
          TransactionOptions ro;
          ro.read_only = true;
          auto t = (*db)->BeginTransaction(ro);
          Check(t.status(), "BeginTransaction");
          txn = std::move(*t);
          want = stored_bytes.load();
          auto c = txn->OpenCursor(coll, "", std::nullopt);
          Check(c.status(), "Transaction::OpenCursor");
          cursor = std::move(*c);
        } else {
          auto c = coll->OpenCursor();
          Check(c.status(), "OpenCursor");
          cursor = std::move(*c);
        }
        w0 = writes.load();
        start = Clock::now();
        DocId id;
        std::string_view doc;
        uint64_t docs = 0;
        int64_t sum = 0;
        for (;;) {
          auto more = cursor->Next(&id, &doc);
          Check(more.status(), "Cursor::Next");
          if (!*more) break;
          ++docs;
          sum += static_cast<int64_t>(doc.size());
          if (snapshot && (docs & 0xffff) == 0) {
            peak_history = std::max(peak_history, (*db)->Stats()->snapshot_history_bytes);
          }
        }
        const double seconds = Since(start);
        Measurement& scan = snapshot ? snapshot_scan : plain_scan;
        Measurement& w = snapshot ? with_snapshot : with_plain;
        scan.seconds += seconds;
        scan.ops += docs;
        scan.checked = scan.checked && docs == ids.size() && (!snapshot || sum == want);
        w.seconds += seconds;
        w.ops += writes.load() - w0;
        if (txn != nullptr) Check(txn->Commit(), "read-only Commit");
      }
      std::fprintf(stderr,
                   "[DaaS] scan pass %u: writer alone %.0f/s, beside plain %.0f/s, beside "
                   "snapshot %.0f/s; scans %.0f / %.0f docs/s\n",
                   pass, alone.ops_per_second(), with_plain.ops_per_second(),
                   with_snapshot.ops_per_second(), plain_scan.ops_per_second(),
                   snapshot_scan.ops_per_second());
    }
    stop = true;
    writer.join();
    if (!plain_scan.checked || !snapshot_scan.checked) {
      report.failures.push_back("DaaS: a scan missed documents or a snapshot's sum differs");
    }
    report.phases[6].rows = {alone, with_plain, with_snapshot};
    report.phases[7].rows = {plain_scan, snapshot_scan};
    report.figures.push_back({"scan_peak_history_bytes",
                              "scan: old versions kept for the snapshot at most",
                              Fixed(static_cast<double>(peak_history) / (1 << 20), 1) + " MiB",
                              static_cast<double>(peak_history)});
    Check((*db)->Close(), "Close");
  }

  // Targets (issue: interactive transactions).
  const Phase& rmw = report.phases[0];
  const Phase& bank = report.phases[1];
  const Phase& one = report.phases[2];
  const Phase& many = report.phases[3];
  const Phase& get = report.phases[4];
  if (const Measurement* d = FindRow(rmw, "DaaS")) {
    report.targets.push_back(
        {"rmw, DaaS kOff, 1 thread >= 1,000,000 txns/s", 1e6, d->ops_per_second(), false});
  }
  if (const Measurement* d = FindRow(bank, "DaaS")) {
    report.targets.push_back({"bank, DaaS kOff, " + threads + " threads >= 500,000 transfers/s",
                              5e5, d->ops_per_second(), false});
  }
  if (const Measurement* dm = FindRow(many, "DaaS")) {
    if (const Measurement* d1 = FindRow(one, "DaaS")) {
      report.targets.push_back(
          {"bank durable, DaaS kFull " + durable_threads + " threads / DaaS 1 thread >= 10x", 10.0,
           dm->ops_per_second() / d1->ops_per_second(), false});
    }
    if (const Measurement* peer = BestPeer(many)) {
      report.targets.push_back({"bank durable, DaaS kFull " + durable_threads +
                                    " threads / best peer (" + peer->engine + " " + peer->how +
                                    ") >= 5x",
                                5.0, dm->ops_per_second() / peer->ops_per_second(), false});
    }
  }
  if (get.rows.size() == 4) {
    const double overhead_pct =
        100.0 * (get.rows[0].ops_per_second() / get.rows[1].ops_per_second() - 1.0);
    report.targets.push_back(
        {"point get in read-only transactions: time overhead over "
         "Collection::Get, % <= 10",
         10.0, overhead_pct, true});
    report.targets.push_back(
        {"batched gets in read-only transactions: time overhead over Database::GetMany, % <= 10",
         10.0, 100.0 * (get.rows[2].ops_per_second() / get.rows[3].ops_per_second() - 1.0), true});
  }
  if (const Phase& feed = report.phases[5]; feed.rows.size() == 4) {
    // Publishing is what the commit does for a subscriber; the reader every 1 ms isolates it from
    // the cost of a second thread busy on this machine (the control row shows that one).
    report.targets.push_back(
        {"rmw with a feed subscriber reading every 1 ms: throughput lost, % <= 5", 5.0,
         100.0 * (1.0 - feed.rows[1].ops_per_second() / feed.rows[0].ops_per_second()), true});
  }
  return FinishReport(report, args.json);
}

}  // namespace
}  // namespace daas::bench

int main(int argc, char** argv) { return daas::bench::Main(argc, argv); }
