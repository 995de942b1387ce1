// SQLite with documents as BLOBs in docs(id INTEGER PRIMARY KEY, body BLOB), prepared statements
// throughout, on a file in the run's temp directory.
#include <sqlite3.h>

#include "doc/merge_patch.h"
#include "engine.h"
#include "sqlite_exec.h"

namespace daas::bench {
namespace {

// 1,000,000 KiB (~977 MiB) of page cache: the ~200 MB database fits, so reads never go to the OS.
constexpr int kCacheSizeKib = 1'000'000;
// Gets per explicit read transaction in the batched way (the same count as the LMDB run's).
constexpr size_t kGetsPerReadTxn = 1000;

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      Die(std::string("sqlite: prepare '") + sql + "': " + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteEngine final : public Engine {
 public:
  explicit SqliteEngine(const std::string& dir) : path_(dir + "/bench.sqlite") {
    if (sqlite3_open(path_.c_str(), &db_) != SQLITE_OK) Die("sqlite: open " + path_);
    Exec("PRAGMA journal_mode=WAL");
    Exec("PRAGMA synchronous=OFF");
    Exec("PRAGMA cache_size=-" + std::to_string(kCacheSizeKib));
    Exec("CREATE TABLE docs(id INTEGER PRIMARY KEY, body BLOB)");
    begin_ = std::make_unique<Statement>(db_, "BEGIN");
    commit_ = std::make_unique<Statement>(db_, "COMMIT");
    insert_ = std::make_unique<Statement>(db_, "INSERT INTO docs(id, body) VALUES(?, ?)");
    select_ = std::make_unique<Statement>(db_, "SELECT body FROM docs WHERE id = ?");
    update_ = std::make_unique<Statement>(db_, "UPDATE docs SET body = ? WHERE id = ?");
    scan_ = std::make_unique<Statement>(db_, "SELECT body FROM docs");
  }

  ~SqliteEngine() override {
    begin_.reset();
    commit_.reset();
    insert_.reset();
    select_.reset();
    update_.reset();
    scan_.reset();
    sqlite3_close(db_);
  }

  std::string name() const override { return "SQLite"; }
  std::string mode() const override {
    return std::string("SQLite ") + sqlite3_libversion() +
           ", file in a temp dir, journal_mode=WAL, " + "synchronous=OFF, cache_size=-" +
           std::to_string(kCacheSizeKib) + " (KiB, holds the whole database), prepared statements";
  }

  void Load(const Dataset& data, size_t batch) override {
    for (size_t i = 0; i < data.documents.size(); i += batch) {
      Run(begin_.get());
      const size_t end = std::min(data.documents.size(), i + batch);
      for (size_t k = i; k < end; ++k) {
        sqlite3_stmt* s = insert_->get();
        sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(k + 1));
        sqlite3_bind_blob(s, 2, data.documents[k].data(),
                          static_cast<int>(data.documents[k].size()), SQLITE_STATIC);
        Run(insert_.get());
      }
      Run(commit_.get());
    }
  }

  std::vector<std::string> get_ways() const override {
    return {"autocommit (1 read txn per get)",
            "BEGIN/COMMIT every " + std::to_string(kGetsPerReadTxn) + " gets"};
  }

  uint64_t Get(const Dataset& data, size_t way) override {
    // Way 0 is the plain prepared SELECT: each statement is its own read transaction, which in WAL
    // mode takes and drops a read lock on the shared-memory index. Way 1 batches gets in explicit
    // read transactions, as the LMDB run renews its read transaction.
    const bool batched = way == 1;
    std::string buf;
    uint64_t sum = 0;
    size_t in_txn = 0;
    if (batched) Run(begin_.get());
    for (uint32_t k : data.get_order) {
      if (batched && in_txn == kGetsPerReadTxn) {
        Run(commit_.get());
        Run(begin_.get());
        in_txn = 0;
      }
      ++in_txn;
      Select(k, &buf);
      sum += GetChecksum(buf);
    }
    if (batched) Run(commit_.get());
    return sum;
  }

  uint64_t ScanAgeSum() override {
    sqlite3_stmt* s = scan_->get();
    uint64_t sum = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      const void* blob = sqlite3_column_blob(s, 0);
      const int size = sqlite3_column_bytes(s, 0);
      sum += ReadAge(std::string_view(static_cast<const char*>(blob), static_cast<size_t>(size)));
    }
    if (rc != SQLITE_DONE) Die(std::string("sqlite: scan: ") + sqlite3_errmsg(db_));
    sqlite3_reset(s);
    return sum;
  }

  void Patch(const Dataset& data) override {
    std::string current;
    for (size_t k = 0; k < data.patch_order.size(); ++k) {
      const uint32_t key = data.patch_order[k];
      Run(begin_.get());
      Select(key, &current);
      auto merged = doc::MergePatch(current, data.patches[k], DocumentLimits{});
      if (!merged.ok()) Die("sqlite: MergePatch: " + merged.status().ToString());
      sqlite3_stmt* s = update_->get();
      sqlite3_bind_blob(s, 1, merged->data(), static_cast<int>(merged->size()), SQLITE_STATIC);
      sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(key + 1));
      Run(update_.get());
      Run(commit_.get());
    }
  }

 private:
  void Exec(const std::string& sql) { SqliteExec(db_, sql); }

  // Steps a statement that returns no rows, then resets it for reuse.
  void Run(Statement* stmt) {
    if (sqlite3_step(stmt->get()) != SQLITE_DONE) {
      Die(std::string("sqlite: ") + sqlite3_sql(stmt->get()) + ": " + sqlite3_errmsg(db_));
    }
    sqlite3_reset(stmt->get());
  }

  // Copies the body of document `key` into *out.
  void Select(uint32_t key, std::string* out) {
    sqlite3_stmt* s = select_->get();
    sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(key) + 1);
    if (sqlite3_step(s) != SQLITE_ROW) Die("sqlite: no row " + std::to_string(key + 1));
    const void* blob = sqlite3_column_blob(s, 0);
    const int size = sqlite3_column_bytes(s, 0);
    out->assign(static_cast<const char*>(blob), static_cast<size_t>(size));
    sqlite3_reset(s);
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Statement> begin_, commit_, insert_, select_, update_, scan_;
};

}  // namespace

std::unique_ptr<Engine> MakeSqliteEngine(const std::string& dir) {
  return std::make_unique<SqliteEngine>(dir);
}

}  // namespace daas::bench
