// The durable workload's peers SQLite and LMDB, each in a durable and a relaxed mode (RocksDB is in
// durable_rocksdb.cc, so the drivers that do not run it do not link it).
#include <lmdb.h>
#include <sqlite3.h>

#include <vector>

#include "durable_engine.h"
#include "engine.h"
#include "sqlite_exec.h"

namespace daas::bench {
namespace {

// ---------------------------------------------------------------------------------------------
// SQLite: journal_mode=WAL, synchronous FULL or NORMAL, one connection per committer thread.

constexpr int kSqliteBusyTimeoutMs = 60'000;

class SqliteConnection {
 public:
  SqliteConnection(const std::string& path, bool full) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) Die("sqlite: open " + path);
    sqlite3_busy_timeout(db_, kSqliteBusyTimeoutMs);
    Exec("PRAGMA journal_mode=WAL");
    Exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    Exec("CREATE TABLE IF NOT EXISTS docs(id INTEGER PRIMARY KEY, body BLOB)");
    Prepare("INSERT INTO docs(id, body) VALUES(?, ?)", &insert_);
    Prepare("BEGIN", &begin_);
    Prepare("COMMIT", &commit_);
  }
  ~SqliteConnection() {
    sqlite3_finalize(insert_);
    sqlite3_finalize(begin_);
    sqlite3_finalize(commit_);
    sqlite3_close(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  void Exec(const std::string& sql) { SqliteExec(db_, sql); }
  void Begin() { Run(begin_); }
  void Commit() { Run(commit_); }
  // In autocommit mode this is one transaction.
  void Insert(uint64_t key, std::string_view doc) {
    sqlite3_bind_int64(insert_, 1, static_cast<sqlite3_int64>(key));
    sqlite3_bind_blob(insert_, 2, doc.data(), static_cast<int>(doc.size()), SQLITE_STATIC);
    Run(insert_);
  }
  uint64_t Count() {
    sqlite3_stmt* s = nullptr;
    Prepare("SELECT count(*) FROM docs", &s);
    if (sqlite3_step(s) != SQLITE_ROW) Die(std::string("sqlite: count: ") + sqlite3_errmsg(db_));
    const uint64_t n = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
    sqlite3_finalize(s);
    return n;
  }

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
  sqlite3_stmt *insert_ = nullptr, *begin_ = nullptr, *commit_ = nullptr;
};

class DurableSqlite final : public DurableEngine {
 public:
  DurableSqlite(const std::string& dir, bool full) : path_(dir + "/bench.sqlite"), full_(full) {
    conns_.push_back(std::make_unique<SqliteConnection>(path_, full_));
  }

  std::string name() const override { return "SQLite"; }
  std::string durability() const override {
    return full_ ? "synchronous=FULL" : "synchronous=NORMAL";
  }
  std::string mode() const override {
    return std::string("SQLite ") + sqlite3_libversion() + ", journal_mode=WAL, " + durability() +
           ", default cache, table docs(id INTEGER PRIMARY KEY, body BLOB), one connection per " +
           "thread with busy_timeout " + std::to_string(kSqliteBusyTimeoutMs) + " ms";
  }
  bool durable() const override { return full_; }

  void Load(const Dataset& data, size_t batch) override {
    SqliteConnection& c = *conns_[0];
    for (size_t i = 0; i < data.documents.size(); i += batch) {
      c.Begin();
      const size_t end = std::min(data.documents.size(), i + batch);
      for (size_t k = i; k < end; ++k) c.Insert(k + 1, data.documents[k]);
      c.Commit();
    }
  }
  void PrepareThreads(unsigned threads) override {
    while (conns_.size() < threads) {
      conns_.push_back(std::make_unique<SqliteConnection>(path_, full_));
    }
  }
  void InsertOne(unsigned thread, uint64_t key, std::string_view document) override {
    conns_[thread]->Insert(key + 1, document);
  }
  uint64_t Count() override { return conns_[0]->Count(); }
  void Close() override { conns_.clear(); }  // the last close checkpoints and removes the WAL

 private:
  std::string path_;
  bool full_;
  std::vector<std::unique_ptr<SqliteConnection>> conns_;
};

// ---------------------------------------------------------------------------------------------
// LMDB: default flags (each commit syncs the data and then the meta page), or MDB_NOSYNC.

constexpr size_t kLmdbMapSizeBytes = size_t{16} << 30;

void CheckMdb(int rc, const char* what) {
  if (rc != MDB_SUCCESS) Die(std::string("lmdb: ") + what + ": " + mdb_strerror(rc));
}

class DurableLmdb final : public DurableEngine {
 public:
  DurableLmdb(const std::string& dir, bool sync) : sync_(sync) {
    CheckMdb(mdb_env_create(&env_), "env_create");
    CheckMdb(mdb_env_set_mapsize(env_, kLmdbMapSizeBytes), "set_mapsize");
    CheckMdb(mdb_env_set_maxreaders(env_, 256), "set_maxreaders");
    CheckMdb(mdb_env_open(env_, dir.c_str(), sync_ ? 0 : MDB_NOSYNC, 0644), "env_open");
    MDB_txn* txn;
    CheckMdb(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
    CheckMdb(mdb_dbi_open(txn, nullptr, 0, &dbi_), "dbi_open");
    CheckMdb(mdb_txn_commit(txn), "commit");
  }
  ~DurableLmdb() override { Close(); }

  std::string name() const override { return "LMDB"; }
  std::string durability() const override { return sync_ ? "default (durable)" : "MDB_NOSYNC"; }
  std::string mode() const override {
    int major, minor, patch;
    mdb_version(&major, &minor, &patch);
    return "LMDB " + std::to_string(major) + "." + std::to_string(minor) + "." +
           std::to_string(patch) + ", env flags " + (sync_ ? "0 (durable)" : "MDB_NOSYNC") +
           ", map size 16 GiB, batched puts with MDB_APPEND; writers serialize on LMDB's lock";
  }
  bool durable() const override { return sync_; }

  void Load(const Dataset& data, size_t batch) override {
    for (size_t i = 0; i < data.documents.size(); i += batch) {
      MDB_txn* txn;
      CheckMdb(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
      const size_t end = std::min(data.documents.size(), i + batch);
      for (size_t k = i; k < end; ++k) Put(txn, k, data.documents[k], MDB_APPEND);
      CheckMdb(mdb_txn_commit(txn), "commit");
    }
  }
  void InsertOne(unsigned, uint64_t key, std::string_view document) override {
    MDB_txn* txn;
    CheckMdb(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
    Put(txn, key, document, 0);
    CheckMdb(mdb_txn_commit(txn), "commit");
  }
  uint64_t Count() override {
    MDB_txn* txn;
    CheckMdb(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "txn_begin");
    MDB_stat st;
    CheckMdb(mdb_stat(txn, dbi_, &st), "stat");
    mdb_txn_abort(txn);
    return st.ms_entries;
  }
  void Close() override {
    if (env_ == nullptr) return;
    CheckMdb(mdb_env_sync(env_, 1), "env_sync");
    mdb_env_close(env_);
    env_ = nullptr;
  }

 private:
  void Put(MDB_txn* txn, uint64_t key, std::string_view doc, unsigned flags) {
    BigEndianKey k(key);
    MDB_val kv{sizeof(k.bytes), k.bytes};
    MDB_val v{doc.size(), const_cast<char*>(doc.data())};
    CheckMdb(mdb_put(txn, dbi_, &kv, &v, flags), "put");
  }

  bool sync_;
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

}  // namespace

std::unique_ptr<DurableEngine> MakeDurableSqlite(const std::string& dir, bool full) {
  return std::make_unique<DurableSqlite>(dir, full);
}
std::unique_ptr<DurableEngine> MakeDurableLmdb(const std::string& dir, bool sync) {
  return std::make_unique<DurableLmdb>(dir, sync);
}

}  // namespace daas::bench
