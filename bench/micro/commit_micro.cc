// Google Benchmark micro benchmarks of the commit path with schema enforcement, with SQLite as the
// peer in the same run: inserting documents one commit each and 1,000 per commit, into a
// schemaless collection (SQLite: typed columns, no constraints), into one with the 10-field schema
// of schema_micro.cc (SQLite: a STRICT table with the equivalent NOT NULL and CHECK constraints),
// and into the same plus a unique email (SQLite: UNIQUE); and a write that breaks the check
// `balance >= 0`, rejected one by one.
//
// Durability is off on both sides: DaaS opens a temp dir with SyncMode::kOff (the log is handed to
// the OS every sync_interval_ms and never fdatasync'ed), SQLite a file in a temp dir with
// journal_mode=WAL and synchronous=OFF. Every benchmark starts from an empty database, inserts
// kDocs distinct documents built before the timer starts (MessagePack for DaaS, column values bound
// with SQLITE_STATIC for SQLite), and is timed in wall-clock time. For each case SQLite runs first;
// the DaaS row's `daas_over_sqlite` counter is its docs/s over the median docs/s of SQLite's
// repetitions of the same case (`daas_over_sqlite_enum_as_or`: of SQLite with the role's enum
// written with OR, see EnumSql). Results and their reading: docs/BENCHMARKS.md, "Commit path with
// a schema".
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sqlite3.h>

#include "daas/daas.hpp"
#include "doc/json.h"
#include "sqlite_exec.h"
#include "temp_dir.h"
#include "users_schema.h"

namespace daas::bench {
namespace {

// Documents inserted per benchmark repetition (fresh database each time), and per batch.
constexpr size_t kDocs = 100'000;
constexpr size_t kBatch = 1000;
// Writes attempted per repetition of the rejected-write benchmark.
constexpr size_t kRejected = 100'000;
constexpr int kRepetitions = 3;
// SQLite's page cache, as in bench/workloads: large enough that the table never leaves it.
constexpr int kSqliteCacheKib = 1'000'000;

enum class Variant { kNoSchema, kSchema, kSchemaUnique };

const char* VariantName(Variant v) {
  switch (v) {
    case Variant::kNoSchema:
      return "no_schema";
    case Variant::kSchema:
      return "schema";
    case Variant::kSchemaUnique:
      return "schema_unique";
  }
  return "?";
}

std::string SchemaJson(Variant v) {
  return UsersCollectionJson(v == Variant::kSchemaUnique ? R"(, "unique": true)" : "");
}

// The same rules as SQL. A CHECK passes on NULL, so optional columns accept a missing value as
// the schema accepts a missing field. Differences: the email test is GLOB patterns (one '@', a
// dot after it, no spaces, at most 254 bytes) rather than DaaS's label-by-label check; `joined`
// is checked by julianday(), which parses the same text formats used here; and the tags' element
// type and maxLength 16 are not checked (a CHECK cannot run a subquery over json_each).
constexpr const char* kSqliteNoSchema =
    "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT, email TEXT, age INTEGER, balance REAL,"
    " role TEXT, active INTEGER, joined TEXT, tags TEXT, address_city TEXT, address_zip TEXT,"
    " country TEXT)";
constexpr const char* kSqliteSchemaFormat =
    "CREATE TABLE users(id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),"
    " email TEXT NOT NULL%s CHECK (length(email) <= 254 AND email GLOB '?*@?*.?*'"
    "   AND email NOT GLOB '*@*@*' AND email NOT GLOB '*[ ]*'),"
    " age INTEGER CHECK (age BETWEEN 0 AND 150),"
    " balance REAL CHECK (balance >= 0),"
    " role TEXT NOT NULL DEFAULT 'user' CHECK (%s),"
    " active INTEGER CHECK (active IN (0, 1)),"
    " joined TEXT NOT NULL DEFAULT (strftime('%%Y-%%m-%%d %%H:%%M:%%fZ', 'now'))"
    "   CHECK (julianday(joined) IS NOT NULL),"
    " tags TEXT CHECK (tags IS NULL OR (json_valid(tags) AND json_type(tags) = 'array'"
    "   AND json_array_length(tags) <= 8)),"
    " address_city TEXT CHECK (address_city IS NOT NULL OR address_zip IS NULL),"
    " address_zip TEXT,"
    " country TEXT CHECK (country GLOB '[A-Z][A-Z]')) STRICT";

// How the SQL schema writes the role's enum. Each time the INSERT runs, SQLite builds an
// ephemeral b-tree for an IN list of more than two constants, so the OR form is measured beside it.
enum class EnumSql { kIn, kOr };

std::string SqliteCreateTable(Variant v, EnumSql e) {
  if (v == Variant::kNoSchema) return kSqliteNoSchema;
  const char* role = e == EnumSql::kIn ? "role IN ('admin', 'user', 'guest')"
                                       : "role = 'admin' OR role = 'user' OR role = 'guest'";
  char buf[2048];
  std::snprintf(buf, sizeof(buf), kSqliteSchemaFormat, v == Variant::kSchemaUnique ? " UNIQUE" : "",
                role);
  return buf;
}

constexpr const char* kSqliteInsert =
    "INSERT INTO users(name, email, age, balance, role, active, joined, tags, address_city,"
    " address_zip, country) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

// One document: its MessagePack bytes for DaaS and its column values for SQLite.
struct Row {
  std::string msgpack;
  std::string name, email, role, joined, tags_json, city, zip, country;
  int64_t age = 0;
  double balance = 0;
  bool active = false;
};

struct Rows {
  std::vector<Row> rows;
  std::vector<std::string_view> views;  // rows[i].msgpack
};

constexpr const char* kRoles[] = {"admin", "user", "guest"};
constexpr const char* kCities[] = {"London", "Paris", "Berlin", "Madrid", "Rome", "Lisbon"};
constexpr const char* kCountries[] = {"GB", "FR", "DE", "ES", "IT", "PT", "US", "JP"};
constexpr const char* kTags[] = {"math", "poetry", "engines", "vip", "beta", "europe", "new"};

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Document i: every one distinct (name, email, balance, joined), all valid against the schema
// unless `bad`, which makes the balance negative so that only the check `balance >= 0` fails.
// A non-empty `email` replaces the generated one.
Row MakeRow(size_t i, bool bad, std::string_view email = {}) {
  Row r;
  r.name = std::string(bad ? "Rejected " : "User ") + std::to_string(i);
  r.email = !email.empty() ? std::string(email)
                           : std::string(bad ? "bad" : "user") + std::to_string(i) + "@example.com";
  r.age = static_cast<int64_t>(i % 151);
  r.balance = bad ? -1.0 - static_cast<double>(i % 1000) : static_cast<double>(i % 100'000) * 0.25;
  r.role = kRoles[i % 3];
  r.active = i % 2 == 0;
  char joined[40];
  std::snprintf(joined, sizeof(joined), "2024-%02zu-%02zu %02zu:%02zu:%02zu.000Z", 1 + i % 12,
                1 + i % 28, i % 24, (i / 24) % 60, (i / 1440) % 60);
  r.joined = joined;
  r.tags_json = "[";
  for (size_t t = 0; t < 1 + i % 3; ++t) {
    if (t > 0) r.tags_json += ",";
    r.tags_json += Quoted(kTags[(i + t) % 7]);
  }
  r.tags_json += "]";
  r.city = kCities[i % 6];
  r.zip = "Z" + std::to_string(i % 10'000);
  r.country = kCountries[i % 8];

  char balance[32];
  std::snprintf(balance, sizeof(balance), "%.2f", r.balance);
  const std::string json = "{\"name\":" + Quoted(r.name) + ",\"email\":" + Quoted(r.email) +
                           ",\"age\":" + std::to_string(r.age) + ",\"balance\":" + balance +
                           ",\"role\":" + Quoted(r.role) +
                           ",\"active\":" + (r.active ? "true" : "false") +
                           ",\"joined\":" + Quoted(r.joined) + ",\"tags\":" + r.tags_json +
                           ",\"address\":{\"city\":" + Quoted(r.city) +
                           ",\"zip\":" + Quoted(r.zip) + "},\"country\":" + Quoted(r.country) + "}";
  Result<std::string> packed = doc::JsonToMsgpack(json, DocumentLimits());
  if (!packed.ok()) Die("document " + std::to_string(i) + ": " + packed.status().ToString());
  r.msgpack = std::move(*packed);
  return r;
}

Rows MakeRows(size_t n, bool bad) {
  Rows out;
  out.rows.reserve(n);
  for (size_t i = 0; i < n; ++i) out.rows.push_back(MakeRow(i, bad));
  for (const Row& r : out.rows) out.views.push_back(r.msgpack);
  return out;
}

// Built on first use, before any timer starts; shared by every benchmark (each starts from an
// empty database, so reusing the documents keeps them distinct within one database).
const Rows& ValidRows() {
  static const Rows* rows = new Rows(MakeRows(kDocs, false));
  return *rows;
}
const Rows& BadRows() {
  static const Rows* rows = new Rows(MakeRows(kRejected, true));
  return *rows;
}

// Two documents sharing an email that no generated document has, for the unique check at setup.
const Row& ProbeRow(int k) {
  static const Row* rows = new Row[2]{MakeRow(9'000'000, false, "probe@example.com"),
                                      MakeRow(9'000'001, false, "probe@example.com")};
  return rows[k];
}

// docs/s of every SQLite repetition, by case name ("single/schema"), for the DaaS ratio.
std::map<std::string, std::vector<double>>& SqliteRates() {
  static auto* rates = new std::map<std::string, std::vector<double>>;
  return *rates;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void Report(benchmark::State& state, const std::string& case_name, bool is_sqlite, size_t docs,
            double seconds) {
  const double rate = static_cast<double>(docs) / seconds;
  state.counters["docs_per_s"] = rate;
  state.SetItemsProcessed(static_cast<int64_t>(docs));
  if (is_sqlite) {
    SqliteRates()[case_name].push_back(rate);
  } else {
    if (auto it = SqliteRates().find(case_name); it != SqliteRates().end()) {
      state.counters["daas_over_sqlite"] = rate / Median(it->second);
    }
    if (auto it = SqliteRates().find(case_name + "_enum_as_or"); it != SqliteRates().end()) {
      state.counters["daas_over_sqlite_enum_as_or"] = rate / Median(it->second);
    }
  }
}

// The timed loop of every benchmark here. Each iteration calls `step(i)`, where i is the number of
// documents the loop has handled so far, and counts `per_step` more; `step` returns false after
// SkipWithError, which ends the loop. Reports the rate under `case_name` and returns the number of
// documents handled.
template <typename Step>
size_t TimedLoop(benchmark::State& state, const std::string& case_name, bool is_sqlite,
                 size_t per_step, Step step) {
  size_t i = 0;
  const Clock::time_point start = Clock::now();
  for (auto _ : state) {
    const bool ok = step(i);
    i += per_step;
    if (!ok) break;
  }
  const double seconds = Seconds(start);
  Report(state, case_name, is_sqlite, i, seconds);
  return i;
}

// ---- DaaS ----

struct DaasDb {
  TempDir dir{"daas_commit"};
  std::unique_ptr<Database> db;
  Collection* users = nullptr;
  uint64_t probe_docs = 0;  // documents the unique probe left in `users`
};

// Prints the outcome of the first unique probe once, to stderr.
void ReportUniqueOnce(const Result<DocId>& dup) {
  static bool reported = false;
  if (reported) return;
  reported = true;
  if (dup.ok()) {
    std::fprintf(stderr,
                 "commit_micro: WARNING: DaaS accepted a duplicate value of a \"unique\": true "
                 "field; the schema_unique figures do not include a unique check\n");
  } else {
    std::fprintf(stderr, "commit_micro: DaaS rejected a duplicate email: %s\n",
                 dup.status().ToString().c_str());
  }
}

// Opens a database in a fresh temp dir with SyncMode::kOff, creates `users` with the variant's
// schema. For the unique variant, inserts two documents sharing an email and reports whether the
// second was rejected (the two stay in the collection, apart from the timed documents' emails).
std::unique_ptr<DaasDb> OpenDaas(benchmark::State& state, Variant v, std::string* label) {
  auto d = std::make_unique<DaasDb>();
  Options options;
  options.dir = d->dir.path() + "/db";
  options.sync = SyncMode::kOff;
  auto db = Database::Open(options);
  if (!db.ok()) {
    state.SkipWithError(("open: " + db.status().ToString()).c_str());
    return nullptr;
  }
  d->db = std::move(*db);
  auto users = d->db->CreateCollection("users");
  if (!users.ok()) {
    state.SkipWithError(("create: " + users.status().ToString()).c_str());
    return nullptr;
  }
  d->users = *users;
  *label = "DaaS, temp dir, sync=kOff";
  if (v == Variant::kNoSchema) {
    *label += ", schemaless";
    return d;
  }
  if (Status s = d->users->SetSchema(SchemaJson(v)); !s.ok()) {
    state.SkipWithError(("SetSchema: " + s.ToString()).c_str());
    return nullptr;
  }
  *label += v == Variant::kSchema ? ", 10-field schema" : ", 10-field schema + unique email";
  if (v == Variant::kSchemaUnique) {
    if (Status s = d->users->Insert(ProbeRow(0).msgpack).status(); !s.ok()) {
      state.SkipWithError(("probe insert: " + s.ToString()).c_str());
      return nullptr;
    }
    const Result<DocId> dup = d->users->Insert(ProbeRow(1).msgpack);
    ReportUniqueOnce(dup);
    // docs/schema.md: a taken unique key is a schema_violation (validation_unique).
    if (!dup.ok() && dup.status().code() != StatusCode::kSchemaViolation &&
        dup.status().code() != StatusCode::kAlreadyExists) {
      state.SkipWithError(("duplicate email: unexpected error " + dup.status().ToString()).c_str());
      return nullptr;
    }
    d->probe_docs = dup.ok() ? 2 : 1;
    state.counters["unique_enforced"] = dup.ok() ? 0 : 1;
    if (dup.ok()) *label += " (WARNING: duplicate email NOT rejected)";
  }
  return d;
}

// Closes the database (a checkpoint, untimed) and checks that it holds `expected` documents.
void CloseDaas(benchmark::State& state, DaasDb* d, uint64_t expected) {
  const Result<uint64_t> count = d->users->Count();
  if (!count.ok() || *count != expected) {
    state.SkipWithError(("document count " + (count.ok() ? std::to_string(*count) : "error") +
                         ", expected " + std::to_string(expected))
                            .c_str());
  }
  if (Status s = d->db->Close(); !s.ok()) state.SkipWithError(("close: " + s.ToString()).c_str());
}

void BM_DaasSingle(benchmark::State& state, Variant v) {
  const Rows& rows = ValidRows();
  std::string label;
  auto d = OpenDaas(state, v, &label);
  if (d == nullptr) return;
  const size_t n =
      TimedLoop(state, std::string("single/") + VariantName(v), false, 1, [&](size_t i) {
        const Result<DocId> id = d->users->Insert(rows.views[i]);
        if (!id.ok()) state.SkipWithError(("Insert: " + id.status().ToString()).c_str());
        return id.ok();
      });
  state.SetLabel(label + ", Collection::Insert, 1 document per commit");
  CloseDaas(state, d.get(), n + d->probe_docs);
}

void BM_DaasBatch(benchmark::State& state, Variant v) {
  const Rows& rows = ValidRows();
  const std::span<const std::string_view> all(rows.views);
  std::string label;
  auto d = OpenDaas(state, v, &label);
  if (d == nullptr) return;
  const size_t n =
      TimedLoop(state, std::string("batch/") + VariantName(v), false, kBatch, [&](size_t i) {
        const auto ids = d->users->InsertMany(all.subspan(i, kBatch));
        if (!ids.ok()) state.SkipWithError(("InsertMany: " + ids.status().ToString()).c_str());
        return ids.ok();
      });
  state.SetLabel(label + ", Collection::InsertMany, 1000 documents per commit");
  CloseDaas(state, d.get(), n + d->probe_docs);
}

void BM_DaasRejected(benchmark::State& state) {
  const Rows& rows = BadRows();
  std::string label;
  auto d = OpenDaas(state, Variant::kSchema, &label);
  if (d == nullptr) return;
  TimedLoop(state, "rejected/schema", false, 1, [&](size_t i) {
    const Result<DocId> id = d->users->Insert(rows.views[i]);
    const bool rejected = !id.ok() && id.status().code() == StatusCode::kSchemaViolation;
    if (!rejected) {
      state.SkipWithError(("expected schema_violation, got " +
                           (id.ok() ? std::string("OK") : id.status().ToString()))
                              .c_str());
    }
    return rejected;
  });
  state.SetLabel(label + ", Collection::Insert breaking `balance >= 0`: schema_violation");
  CloseDaas(state, d.get(), 0);
}

// ---- SQLite ----

class SqliteDb {
 public:
  // A file in a fresh temp dir, journal_mode=WAL, synchronous=OFF, table `users` of the variant.
  SqliteDb(Variant v, EnumSql e) {
    const std::string path = dir_.path() + "/bench.sqlite";
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) Fail("open " + path);
    Exec("PRAGMA journal_mode=WAL");
    Exec("PRAGMA synchronous=OFF");
    Exec("PRAGMA cache_size=-" + std::to_string(kSqliteCacheKib));
    Exec(SqliteCreateTable(v, e));
    insert_ = Prepare(kSqliteInsert);
    begin_ = Prepare("BEGIN");
    commit_ = Prepare("COMMIT");
  }
  ~SqliteDb() {
    sqlite3_finalize(insert_);
    sqlite3_finalize(begin_);
    sqlite3_finalize(commit_);
    sqlite3_close(db_);
  }
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Binds the row and steps the INSERT; returns sqlite3_step's result (the extended code on error).
  int Insert(const Row& r) {
    sqlite3_stmt* s = insert_;
    sqlite3_bind_text(s, 1, r.name.data(), static_cast<int>(r.name.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 2, r.email.data(), static_cast<int>(r.email.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, r.age);
    sqlite3_bind_double(s, 4, r.balance);
    sqlite3_bind_text(s, 5, r.role.data(), static_cast<int>(r.role.size()), SQLITE_STATIC);
    sqlite3_bind_int(s, 6, r.active ? 1 : 0);
    sqlite3_bind_text(s, 7, r.joined.data(), static_cast<int>(r.joined.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 8, r.tags_json.data(), static_cast<int>(r.tags_json.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(s, 9, r.city.data(), static_cast<int>(r.city.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 10, r.zip.data(), static_cast<int>(r.zip.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 11, r.country.data(), static_cast<int>(r.country.size()), SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) rc = sqlite3_extended_errcode(db_);
    sqlite3_reset(s);
    return rc;
  }
  void Begin() { Run(begin_); }
  void Commit() { Run(commit_); }
  uint64_t Count() {
    sqlite3_stmt* s = Prepare("SELECT count(*) FROM users");
    const uint64_t n =
        sqlite3_step(s) == SQLITE_ROW ? static_cast<uint64_t>(sqlite3_column_int64(s, 0)) : 0;
    sqlite3_finalize(s);
    return n;
  }
  const char* errmsg() const { return sqlite3_errmsg(db_); }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    Die("sqlite: " + what + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : "?"));
  }
  void Exec(const std::string& sql) { SqliteExec(db_, sql); }
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) Fail(sql);
    return s;
  }
  void Run(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) Fail(sqlite3_sql(s));
    sqlite3_reset(s);
  }

  TempDir dir_{"daas_commit"};
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
};

std::string SqliteLabel(Variant v, EnumSql e) {
  std::string label = std::string("SQLite ") + sqlite3_libversion() +
                      ", temp file, journal_mode=WAL, synchronous=OFF";
  const char* role = e == EnumSql::kIn ? " (role IN (...))" : " (role = ... OR ...)";
  switch (v) {
    case Variant::kNoSchema:
      return label + ", typed columns, no constraints";
    case Variant::kSchema:
      return label + ", STRICT + NOT NULL + CHECK" + role;
    case Variant::kSchemaUnique:
      return label + ", STRICT + NOT NULL + CHECK" + role + " + UNIQUE(email)";
  }
  return label;
}

// The name of a SQLite case: the OR form of the enum is a case of its own.
std::string SqliteCase(const char* mode, Variant v, EnumSql e) {
  return std::string(mode) + "/" + VariantName(v) + (e == EnumSql::kOr ? "_enum_as_or" : "");
}

// For the unique variant: a duplicate email must fail with SQLITE_CONSTRAINT_UNIQUE.
bool SqliteProbeUnique(benchmark::State& state, SqliteDb* db, Variant v) {
  if (v != Variant::kSchemaUnique) return true;
  const int first = db->Insert(ProbeRow(0));
  const int dup = db->Insert(ProbeRow(1));
  if (first != SQLITE_DONE || dup != SQLITE_CONSTRAINT_UNIQUE) {
    state.SkipWithError("SQLite accepted a duplicate email");
    return false;
  }
  return true;
}

void CheckSqliteCount(benchmark::State& state, SqliteDb* db, uint64_t expected) {
  const uint64_t n = db->Count();
  if (n != expected) {
    state.SkipWithError(
        ("row count " + std::to_string(n) + ", expected " + std::to_string(expected)).c_str());
  }
}

void BM_SqliteSingle(benchmark::State& state, Variant v, EnumSql e) {
  const Rows& rows = ValidRows();
  SqliteDb db(v, e);
  if (!SqliteProbeUnique(state, &db, v)) return;
  const size_t n = TimedLoop(state, SqliteCase("single", v, e), true, 1, [&](size_t i) {
    // Autocommit: the INSERT is its own transaction.
    const bool ok = db.Insert(rows.rows[i]) == SQLITE_DONE;
    if (!ok) state.SkipWithError((std::string("INSERT: ") + db.errmsg()).c_str());
    return ok;
  });
  state.SetLabel(SqliteLabel(v, e) + ", prepared INSERT, 1 row per transaction (autocommit)");
  CheckSqliteCount(state, &db, n + (v == Variant::kSchemaUnique ? 1 : 0));
}

void BM_SqliteBatch(benchmark::State& state, Variant v, EnumSql e) {
  const Rows& rows = ValidRows();
  SqliteDb db(v, e);
  if (!SqliteProbeUnique(state, &db, v)) return;
  const size_t n = TimedLoop(state, SqliteCase("batch", v, e), true, kBatch, [&](size_t i) {
    db.Begin();
    bool ok = true;
    for (size_t k = 0; k < kBatch; ++k) ok &= db.Insert(rows.rows[i + k]) == SQLITE_DONE;
    db.Commit();
    if (!ok) state.SkipWithError((std::string("INSERT: ") + db.errmsg()).c_str());
    return ok;
  });
  state.SetLabel(SqliteLabel(v, e) + ", prepared INSERT, BEGIN + 1000 rows + COMMIT");
  CheckSqliteCount(state, &db, n + (v == Variant::kSchemaUnique ? 1 : 0));
}

void BM_SqliteRejected(benchmark::State& state) {
  const Rows& rows = BadRows();
  SqliteDb db(Variant::kSchema, EnumSql::kIn);
  TimedLoop(state, "rejected/schema", true, 1, [&](size_t i) {
    const int rc = db.Insert(rows.rows[i]);
    if (rc != SQLITE_CONSTRAINT_CHECK) {
      state.SkipWithError(("expected SQLITE_CONSTRAINT_CHECK, got " + std::to_string(rc)).c_str());
    }
    return rc == SQLITE_CONSTRAINT_CHECK;
  });
  state.SetLabel(SqliteLabel(Variant::kSchema, EnumSql::kIn) +
                 ", prepared INSERT (autocommit) breaking CHECK (balance >= 0)");
  CheckSqliteCount(state, &db, 0);
}

// Registration order is run order: within each case SQLite runs first, so its repetitions are
// there when the DaaS rows compute their ratio. The OR form of SQLite's enum check runs in batches
// only, to keep the binary under two minutes (single-row SQLite commits take most of it).
[[maybe_unused]] const bool kRegistered = [] {
  auto add = [](const std::string& name, auto fn, size_t iterations, auto... args) {
    benchmark::RegisterBenchmark(name.c_str(), fn, args...)
        ->Iterations(static_cast<benchmark::IterationCount>(iterations))
        ->Repetitions(kRepetitions)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  };
  for (Variant v : {Variant::kNoSchema, Variant::kSchema, Variant::kSchemaUnique}) {
    add(std::string("commit_single/") + VariantName(v) + "/sqlite", BM_SqliteSingle, kDocs, v,
        EnumSql::kIn);
    add(std::string("commit_single/") + VariantName(v) + "/daas", BM_DaasSingle, kDocs, v);
  }
  for (Variant v : {Variant::kNoSchema, Variant::kSchema, Variant::kSchemaUnique}) {
    add(std::string("commit_batch1000/") + VariantName(v) + "/sqlite", BM_SqliteBatch,
        kDocs / kBatch, v, EnumSql::kIn);
    if (v == Variant::kSchema) {
      add(std::string("commit_batch1000/") + VariantName(v) + "_enum_as_or/sqlite", BM_SqliteBatch,
          kDocs / kBatch, v, EnumSql::kOr);
    }
    add(std::string("commit_batch1000/") + VariantName(v) + "/daas", BM_DaasBatch, kDocs / kBatch,
        v);
  }
  add("rejected_check/schema/sqlite", BM_SqliteRejected, kRejected);
  add("rejected_check/schema/daas", BM_DaasRejected, kRejected);
  return true;
}();

}  // namespace
}  // namespace daas::bench
