// daas_coldstart: a whole process, from its start to its first point lookup and to its exit, on an
// existing database of 1,000,000 documents: DaaS beside SQLite and LMDB in one run, with the page
// cache warm and dropped (docs/BENCHMARKS.md, "Cold start").
//
//   daas_coldstart [--docs N] [--runs N] [--engines LIST] [--states warm,cold] [--db DIR]
//                  [--show-commands 1] [--json FILE] [--label TEXT] [--tmp DIR]
//
// Setup builds the same generated documents (dataset.h) into each engine once per run, in a temp
// directory (or in --db DIR, kept and reused by later runs). Then each engine's child program
// (coldstart_child.h: coldstart_daas, coldstart_sqlite, coldstart_lmdb, and coldstart_none, a
// process with no engine) is run --runs times per cache state, engines interleaved. Each run is
// timed from just before posix_spawn: to the child's clock reading right after its lookup, and to
// wait4's return after the child closed its engine and exited (the headline figures); the child's
// readings in main, after its open and after its close split that into steps. --show-commands 1
// prints each child's command line for one key and exits (to run a child under strace or perf).
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <span>
#include <sstream>
#include <tuple>

#include "cli_flags.h"
#include "coldstart_child.h"
#include "daas/daas.hpp"
#include "dataset.h"
#include "durable_engine.h"
#include "engine.h"
#include "machine_info.h"
#include "report.h"
#include "sqlite_exec.h"
#include "temp_dir.h"

extern char** environ;

namespace daas::bench {
namespace {

namespace fs = std::filesystem;

constexpr size_t kBatch = 1000;
// The documents a child may be asked for: drawn once at setup, never the first or the last.
constexpr size_t kKeys = 1000;
constexpr uint64_t kKeySeed = 0x5eed'0004;  // which documents are keys
constexpr uint64_t kRunSeed = 0x5eed'0005;  // which key each round asks for
constexpr const char* kKeysFile = "coldstart-keys.txt";
constexpr const char* kKeysHeader = "daas_coldstart keys 1";
constexpr const char* kDropCaches = "/proc/sys/vm/drop_caches";
constexpr const char* kNoEngine = "(no engine)";  // the floor's row

// The unique key of the "DaaS unique" database. Over email alone the generated documents are not
// unique (two pairs of the 1,000,000 share an email), so the key is (email, age), which they are.
constexpr const char* kUniqueSchema = R"({"version": 1, "fields": {
  "name": "string", "email": {"type": "string", "required": true}, "age": "int",
  "country": "string", "balance": "float", "tags": {"type": "array", "items": {"type": "string"}},
  "active": "bool"}, "unique": [["email", "age"]]})";

constexpr Cli kCli = {"daas_coldstart",
                      "[--docs N] [--runs N] [--engines LIST] [--states warm,cold] [--db DIR] "
                      "[--show-commands 1] [--json FILE] [--label TEXT] [--tmp DIR]"};

// One program under test: an engine on one database of the setup, or no engine at all.
struct Subject {
  const char* id;      // for --engines
  const char* engine;  // report row
  const char* how;
  const char* child;   // the program, beside this one
  const char* target;  // its first argument, under the setup directory
  const char* mode;    // how it is configured, for the report header
};

const Subject kSubjects[] = {
    {"daas", "DaaS", "no schema", "coldstart_daas", "daas",
     "child: Database::Open with default Options but dir (sync=kFull, load_in_background=true), "
     "GetCollection, Get, Close. Built with sync=kOff, InsertMany of 1,000 documents per commit, "
     "then Close (checkpointed; the log is empty)"},
    {"daas-unique", "DaaS", "unique (email, age)", "coldstart_daas", "daas-unique",
     "as DaaS no schema, in a collection whose schema declares the 7 fields and the compound "
     "unique key (email, age), set before the load: its index is rebuilt after every open"},
    {"sqlite-wal", "SQLite", "journal_mode=WAL", "coldstart_sqlite", "sqlite-wal/bench.sqlite",
     "child: sqlite3_open with default settings (synchronous=FULL), a prepared SELECT body FROM "
     "docs WHERE id = ?, sqlite3_close. Table docs(id INTEGER PRIMARY KEY, body BLOB) of "
     "MessagePack blobs in WAL mode (stored in the file), built with synchronous=NORMAL, 1,000 "
     "rows per transaction; the child's open creates the -wal and -shm files and its close "
     "removes them"},
    {"sqlite-rollback", "SQLite", "journal_mode=DELETE", "coldstart_sqlite",
     "sqlite-rollback/bench.sqlite",
     "as SQLite WAL, on a copy of the file switched to the rollback journal "
     "(PRAGMA journal_mode=DELETE): a read takes a shared lock and creates no file"},
    {"lmdb", "LMDB", "env flags 0", "coldstart_lmdb", "lmdb",
     "child: mdb_env_open with flags 0 (read-write, durable), map size from the environment "
     "(16 GiB), a read transaction, mdb_get, mdb_env_close. Keys are the document number as 8 "
     "big-endian bytes; built with MDB_NOSYNC, MDB_APPEND puts of 1,000 per transaction, then "
     "mdb_env_sync"},
    {"none", kNoEngine, "process floor", "coldstart_none", ".",
     "coldstart_none: starts, reads the clock, prints it and exits; links only the C library"},
};

struct Args : CommonFlags {
  size_t docs = 1'000'000;
  size_t runs = 30;
  std::vector<const Subject*> subjects;
  bool warm = true, cold = true;
  std::string db;  // --db: where the setup is built and kept
  bool show_commands = false;
};

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (const Subject& s : kSubjects) a.subjects.push_back(&s);
  kCli.Parse(argc, argv, &a, [&](const std::string& flag, const std::string& value) {
    if (flag == "--docs") {
      a.docs = kCli.Count(flag, value);
    } else if (flag == "--runs") {
      a.runs = kCli.Count(flag, value);
    } else if (flag == "--engines") {
      a.subjects.clear();
      for (const std::string& id : Split(value)) {
        const Subject* found = nullptr;
        for (const Subject& s : kSubjects) {
          if (id == s.id) found = &s;
        }
        if (found == nullptr) {
          kCli.Usage("unknown engine '" + id +
                     "' (daas, daas-unique, sqlite-wal, sqlite-rollback, lmdb, none)");
        }
        a.subjects.push_back(found);
      }
    } else if (flag == "--states") {
      a.warm = a.cold = false;
      for (const std::string& s : Split(value)) {
        if (s == "warm") {
          a.warm = true;
        } else if (s == "cold") {
          a.cold = true;
        } else {
          kCli.Usage("unknown cache state '" + s + "' (warm, cold)");
        }
      }
    } else if (flag == "--db") {
      a.db = value;
    } else if (flag == "--show-commands") {
      a.show_commands = kCli.Count(flag, value) != 0;
    } else {
      return false;
    }
    return true;
  });
  if (a.docs < 3) kCli.Usage("--docs must be at least 3 (keys are neither first nor last)");
  if (a.runs == 0) kCli.Usage("--runs must be positive");
  if (a.subjects.empty()) kCli.Usage("--engines names no engine");
  if (!a.warm && !a.cold) kCli.Usage("--states names no state");
  return a;
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string("daas: ") + what + ": " + s.ToString());
}

// ---------------------------------------------------------------------------------------------
// Setup.

// A document a child may look up, with its key in every database.
struct Key {
  uint32_t index = 0;  // document number: SQLite's rowid is index + 1, LMDB's key is index
  uint64_t size = 0, hash = 0;
  std::string daas_id, daas_unique_id;  // DocId text in each DaaS database

  std::string For(const Subject& s) const {
    const std::string id = s.id;
    if (id == "daas") return daas_id;
    if (id == "daas-unique") return daas_unique_id;
    if (id.starts_with("sqlite")) return std::to_string(uint64_t{index} + 1);
    return std::to_string(index);
  }
};

struct Setup {
  std::vector<Key> keys;
  size_t docs = 0;
  uint64_t document_bytes = 0;
  // What was built ("daas", "DaaS"), in seconds.
  std::vector<std::tuple<std::string, std::string, double>> seconds;
  bool reused = false;
};

// Loads every document into a new DaaS database in `dir` (with `schema`, when not null) and closes
// it; returns the IDs, in document order.
std::vector<DocId> BuildDaas(const std::string& dir, const Dataset& data, const char* schema) {
  Options o;
  o.dir = dir;
  o.sync = SyncMode::kOff;  // Close makes it all durable, in shard files
  auto db = Database::Open(o);
  Check(db.status(), "open");
  auto coll = (*db)->CreateCollection("bench");
  Check(coll.status(), "CreateCollection");
  if (schema != nullptr) Check((*coll)->SetSchema(schema), "SetSchema");
  std::vector<DocId> ids;
  ids.reserve(data.views.size());
  const std::span<const std::string_view> all(data.views);
  for (size_t i = 0; i < all.size(); i += kBatch) {
    auto batch = (*coll)->InsertMany(all.subspan(i, std::min(kBatch, all.size() - i)));
    Check(batch.status(), "InsertMany");
    ids.insert(ids.end(), batch->begin(), batch->end());
  }
  auto n = (*coll)->Count();
  Check(n.status(), "Count");
  if (*n != data.documents.size()) Die(dir + ": holds " + std::to_string(*n) + " documents");
  Check((*db)->Close(), "Close");
  return ids;
}

// Loads every document into a peer and closes it.
void BuildPeer(std::unique_ptr<DurableEngine> e, const Dataset& data, const std::string& dir) {
  e->Load(data, kBatch);
  const uint64_t n = e->Count();
  if (n != data.documents.size()) Die(dir + ": holds " + std::to_string(n) + " documents");
  e->Close();
}

void WriteKeys(const std::string& dir, const Setup& s) {
  const std::string path = dir + "/" + kKeysFile;
  {
    std::ofstream f(path + ".tmp");
    f << kKeysHeader << "\n" << s.docs << " " << s.document_bytes << "\n";
    for (const Key& k : s.keys) {
      f << k.index << " " << k.size << " " << k.hash << " " << k.daas_id << " " << k.daas_unique_id
        << "\n";
    }
    f.close();
    if (!f) Die("cannot write " + path + ".tmp");
  }
  fs::rename(path + ".tmp", path);
}

// The setup in `dir` when it finished (its keys file is written last), else nullopt.
std::optional<Setup> ReadKeys(const std::string& dir) {
  std::ifstream f(dir + "/" + kKeysFile);
  std::string header;
  if (!f || !std::getline(f, header)) return std::nullopt;
  if (header != kKeysHeader) Die(dir + "/" + kKeysFile + ": not a keys file of this version");
  Setup s;
  s.reused = true;
  f >> s.docs >> s.document_bytes;
  Key k;
  while (f >> k.index >> k.size >> k.hash >> k.daas_id >> k.daas_unique_id) s.keys.push_back(k);
  if (s.keys.empty()) Die(dir + "/" + kKeysFile + ": no keys");
  return s;
}

Setup Build(const std::string& dir, size_t docs) {
  Setup s;
  s.docs = docs;
  std::fprintf(stderr, "setup: generating %zu documents...\n", docs);
  const Dataset data = MakeDataset(docs, 0, 0);
  s.document_bytes = data.document_bytes;
  Rng rng(kKeySeed);
  for (size_t i = 0; i < kKeys; ++i) {
    Key k;
    k.index = static_cast<uint32_t>(1 + rng.Uniform(docs - 2));
    k.size = data.documents[k.index].size();
    k.hash = Fnv1a(data.documents[k.index].data(), k.size);
    s.keys.push_back(k);
  }
  auto step = [&](const char* id, const char* what, const std::function<void()>& fn) {
    std::fprintf(stderr, "setup: %s...\n", what);
    const auto start = std::chrono::steady_clock::now();
    fn();
    s.seconds.emplace_back(id, what, Since(start));
  };
  step("daas", "DaaS", [&] {
    const std::vector<DocId> ids = BuildDaas(dir + "/daas", data, nullptr);
    for (Key& k : s.keys) k.daas_id = ids[k.index].ToString();
  });
  step("daas_unique", "DaaS unique", [&] {
    const std::vector<DocId> ids = BuildDaas(dir + "/daas-unique", data, kUniqueSchema);
    for (Key& k : s.keys) k.daas_unique_id = ids[k.index].ToString();
  });
  step("sqlite", "SQLite (WAL, then the rollback copy)", [&] {
    fs::create_directories(dir + "/sqlite-wal");
    BuildPeer(MakeDurableSqlite(dir + "/sqlite-wal", false), data, dir + "/sqlite-wal");
    fs::create_directories(dir + "/sqlite-rollback");
    const std::string copy = dir + "/sqlite-rollback/bench.sqlite";
    fs::copy_file(dir + "/sqlite-wal/bench.sqlite", copy);
    sqlite3* db = nullptr;
    if (sqlite3_open(copy.c_str(), &db) != SQLITE_OK) Die("sqlite: open " + copy);
    SqliteExec(db, "PRAGMA journal_mode=DELETE");
    sqlite3_close(db);
  });
  step("lmdb", "LMDB", [&] {
    fs::create_directories(dir + "/lmdb");
    BuildPeer(MakeDurableLmdb(dir + "/lmdb", false), data, dir + "/lmdb");
  });
  ::sync();
  WriteKeys(dir, s);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Runs.

// What one run of a child measured. Times are in ms from just before posix_spawn.
struct Run {
  bool ok = false;
  std::string error;  // when not ok
  double main_ms = 0, open_ms = 0, lookup_ms = 0, close_ms = 0, exit_ms = 0;
  double cpu_ms = 0;                     // user + system time of the child and its threads
  double read_kib = 0, written_kib = 0;  // block I/O the child caused (ru_inblock, ru_oublock)
};

// Runs `program` with `args` and times it (see the top of the file and coldstart_child.h). With
// `check`, the document's size must be the expected one's (the child checked its bytes).
Run RunChild(const std::string& program, const std::vector<std::string>& args, const Key& expected,
             bool check) {
  Run r;
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) Die(std::string("pipe2: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const uint64_t start = MonotonicNs();
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) Die("posix_spawn " + program + ": " + std::strerror(rc));
  int status = 0;
  rusage usage{};
  if (::wait4(pid, &status, 0, &usage) != pid) Die(std::string("wait4: ") + std::strerror(errno));
  const uint64_t exited = MonotonicNs();
  std::string text;
  char buf[256];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(out[0]);

  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    r.error = program + " " + args[0] + ": " +
              (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                 : "killed by signal " + std::to_string(WTERMSIG(status)));
    return r;
  }
  unsigned long long main = 0, open = 0, lookup = 0, closed = 0;
  size_t size = 0;
  const bool parsed = std::sscanf(text.c_str(), "%llu %llu %llu %zu %llu", &main, &open, &lookup,
                                  &size, &closed) == 5 &&
                      start <= main && main <= open && open <= lookup && lookup <= closed &&
                      closed <= exited;
  if (!parsed || (check && size != expected.size)) {
    r.error = program + " " + args[0] + ": unexpected output '" + text + "'";
    return r;
  }
  auto ms = [start](uint64_t ns) { return static_cast<double>(ns - start) / 1e6; };
  auto tv_ms = [](const timeval& tv) { return tv.tv_sec * 1e3 + tv.tv_usec / 1e3; };
  r.ok = true;
  r.main_ms = ms(main);
  r.open_ms = ms(open);
  r.lookup_ms = ms(lookup);
  r.close_ms = ms(closed);
  r.exit_ms = ms(exited);
  r.cpu_ms = tv_ms(usage.ru_utime) + tv_ms(usage.ru_stime);
  r.read_kib = static_cast<double>(usage.ru_inblock) * 512 / 1024;
  r.written_kib = static_cast<double>(usage.ru_oublock) * 512 / 1024;
  return r;
}

// Empty when the page cache can be dropped here, else why not.
std::string CannotDropCaches() {
  const int fd = ::open(kDropCaches, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return std::string("cannot open ") + kDropCaches + " for writing: " + std::strerror(errno);
  ::close(fd);
  return "";
}

// sync; echo 3 > /proc/sys/vm/drop_caches: clean page cache, dentries and inodes are dropped.
void DropCaches() {
  ::sync();
  const int fd = ::open(kDropCaches, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ::write(fd, "3\n", 2) != 2) {
    Die(std::string("drop_caches: ") + std::strerror(errno));
  }
  ::close(fd);
}

// Reads every file under `dir` once, so the page cache holds all of it.
void ReadAll(const std::string& dir) {
  std::vector<char> buf(1 << 20);
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    while (::read(fd, buf.data(), buf.size()) > 0) {
    }
    ::close(fd);
  }
}

// The scheduling policy of this process, which the children inherit.
std::string SchedulingPolicy() {
  const int policy = ::sched_getscheduler(0);
  sched_param param{};
  ::sched_getparam(0, &param);
  switch (policy) {
    case SCHED_OTHER:
      return "SCHED_OTHER (the default)";
    case SCHED_FIFO:
      return "SCHED_FIFO priority " + std::to_string(param.sched_priority);
    case SCHED_RR:
      return "SCHED_RR priority " + std::to_string(param.sched_priority);
    default:
      return "policy " + std::to_string(policy);
  }
}

// The first field of /proc/loadavg.
std::string LoadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string load;
  f >> load;
  return load.empty() ? "unknown" : load;
}

// The figures a run records. Each cache state gets a sample phase (median, p90, DaaS ratios) per
// headline figure and two median tables, the steps of the process's life and what it used.
struct Figure {
  const char* key;
  const char* name;
  const char* unit;
  double (*of)(const Run&);
};

const Figure kHeadline[] = {
    {"lookup_ms", "process start to first lookup done", "ms",
     [](const Run& r) { return r.lookup_ms; }},
    {"exit_ms", "process start to exit (engine closed)", "ms",
     [](const Run& r) { return r.exit_ms; }},
};

const Figure kSteps[] = {
    {"start_ms", "start to main", "ms", [](const Run& r) { return r.main_ms; }},
    {"open_ms", "open", "ms", [](const Run& r) { return r.open_ms - r.main_ms; }},
    {"lookup_ms", "lookup", "ms", [](const Run& r) { return r.lookup_ms - r.open_ms; }},
    {"close_ms", "close", "ms", [](const Run& r) { return r.close_ms - r.lookup_ms; }},
    {"exit_ms", "close to exit", "ms", [](const Run& r) { return r.exit_ms - r.close_ms; }},
};

const Figure kResources[] = {
    {"cpu_ms", "CPU, user + system", "ms", [](const Run& r) { return r.cpu_ms; }},
    {"read_kib", "read from disk", "KiB", [](const Run& r) { return r.read_kib; }},
    {"written_kib", "written to disk", "KiB", [](const Run& r) { return r.written_kib; }},
};

// Where one cache state's figures go in the report.
struct StateReport {
  std::string name;                 // "warm", "cold"
  bool drop = false;                // drop the page cache before each run
  size_t headline = 0;              // index of its first sample phase
  size_t steps = 0, resources = 0;  // indexes of its median tables

  void Add(Report* report, size_t row, const Run& r) const {
    for (size_t m = 0; m < std::size(kHeadline); ++m) {
      report->sample_phases[headline + m].rows[row].samples.push_back(kHeadline[m].of(r));
    }
    for (size_t m = 0; m < std::size(kSteps); ++m) {
      report->median_tables[steps].rows[row].samples[m].push_back(kSteps[m].of(r));
    }
    for (size_t m = 0; m < std::size(kResources); ++m) {
      report->median_tables[resources].rows[row].samples[m].push_back(kResources[m].of(r));
    }
  }
  void Fail(Report* report, size_t row) const {
    for (size_t m = 0; m < std::size(kHeadline); ++m) {
      report->sample_phases[headline + m].rows[row].checked = false;
    }
  }
};

// Adds the sample phases and median tables of one cache state, with a row per subject.
StateReport AddState(Report* report, const std::string& name, bool drop,
                     const std::vector<const Subject*>& subjects) {
  StateReport s{name, drop, report->sample_phases.size(), report->median_tables.size(),
                report->median_tables.size() + 1};
  const std::string title = std::string(drop ? "Cold" : "Warm") + ": ";
  for (const Figure& f : kHeadline) {
    SamplePhase p{name + "_" + f.key, title + f.name, f.unit, {}};
    for (const Subject* subject : subjects) {
      p.rows.push_back({subject->engine, subject->how, {}, true});
    }
    report->sample_phases.push_back(std::move(p));
  }
  auto table = [&](const char* key, const char* what, std::span<const Figure> figures) {
    MedianTable t{name + "_" + key, title + what, {}, {}};
    for (const Figure& f : figures) t.columns.push_back({f.key, f.name, f.unit});
    for (const Subject* subject : subjects) {
      t.rows.push_back(
          {subject->engine, subject->how, std::vector<std::vector<double>>(figures.size())});
    }
    report->median_tables.push_back(std::move(t));
  };
  table("steps", "where the time goes, median of each step", kSteps);
  table("resources", "what the process used, medians", kResources);
  return s;
}

int Main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  const fs::path bin_dir = fs::read_symlink("/proc/self/exe").parent_path();
  Report report;
  report.tool = "daas_coldstart";
  report.machine = CollectMachineInfo();
  report.label = args.label;
  report.batch = kBatch;

  // The setup: reused from --db when it finished there, else built.
  const std::string tmp_parent = TempParent(args.tmp);
  const bool keep = !args.db.empty();
  const std::string dir = keep ? args.db : MakeTempDir(tmp_parent, "daas_coldstart");
  std::optional<Setup> setup = ReadKeys(dir);
  if (setup && setup->docs != args.docs) {
    Die(dir + " holds a setup of " + std::to_string(setup->docs) + " documents, not " +
        std::to_string(args.docs));
  }
  if (!setup) {
    if (fs::exists(dir) && !fs::is_empty(dir)) {
      Die(dir + " is not empty and holds no finished setup: give a new or empty directory");
    }
    fs::create_directories(dir);
    setup = Build(dir, args.docs);
  }
  report.documents = setup->docs;
  report.document_bytes = setup->document_bytes;

  if (args.show_commands) {  // the setup stays, even in a temp directory: the commands need it
    const Key& k = setup->keys[0];
    for (const Subject* s : args.subjects) {
      std::printf("%s %s/%s %s %llu %llu\n", (bin_dir / s->child).c_str(), dir.c_str(), s->target,
                  k.For(*s).c_str(), static_cast<unsigned long long>(k.size),
                  static_cast<unsigned long long>(k.hash));
    }
    return 0;
  }

  report.memory_latency_ns = RandomReadLatencyNs(size_t{256} << 20);
  const std::string no_drop = args.cold ? CannotDropCaches() : "";
  const bool cold = args.cold && no_drop.empty();

  report.workload =
      Grouped(static_cast<double>(setup->docs)) + " documents (" +
      Fixed(static_cast<double>(setup->document_bytes) / (1 << 20), 1) + " MiB of MessagePack, " +
      Fixed(static_cast<double>(setup->document_bytes) / static_cast<double>(setup->docs), 1) +
      " bytes avg) in each database; one process per run that opens the database, looks up one "
      "document (a random one of " +
      Grouped(static_cast<double>(setup->keys.size())) +
      " drawn at setup, never the first or last), checks it and closes; " +
      std::to_string(args.runs) + " runs per engine and cache state, engines interleaved";
  for (const Subject* s : args.subjects) {
    report.modes.emplace_back(std::string(s->engine) + " " + s->how, s->mode);
  }
  report.notes.push_back("Setup: " + dir + " (" + fs::canonical(dir).string() + ")" +
                         (setup->reused ? ", reused from an earlier run" : ", built by this run"));
  report.notes.push_back(
      "Times from just before posix_spawn (CLOCK_MONOTONIC) to the child's reading of the same "
      "clock right after its lookup, and to the return of wait4; CPU and block I/O from wait4's "
      "rusage. Each child is its own binary, so the dynamic linking it needs is its own");
  report.notes.push_back("Scheduling of the driver and the children: " + SchedulingPolicy());
  if (args.warm) {
    report.notes.push_back(
        "Warm: every file of every database read once, then each child run once untimed, before "
        "the runs");
  }
  if (cold) {
    report.notes.push_back(
        "Cold: sync; echo 3 > /proc/sys/vm/drop_caches before every run (the programs' and shared "
        "libraries' pages are dropped too; a hypervisor's cache of the disk is not)");
  } else if (args.cold) {
    report.notes.push_back("Cold state skipped: " + no_drop);
  }

  for (const auto& [id, what, seconds] : setup->seconds) {
    report.figures.push_back({"setup_seconds_" + id, "setup: load and close " + what,
                              Fixed(seconds, 2) + " s", seconds});
  }
  for (const Subject* s : args.subjects) {
    if (s->engine == std::string(kNoEngine)) continue;
    const fs::path p = fs::path(dir) / s->target;
    const DiskUse du = Du(fs::is_directory(p) ? p.string() : p.parent_path().string());
    report.figures.push_back(
        {std::string("disk_bytes_") + s->id, std::string("on disk: ") + s->engine + " " + s->how,
         Grouped(static_cast<double>(du.allocated)) + " B", static_cast<double>(du.allocated)});
  }

  std::vector<StateReport> states;
  if (args.warm) states.push_back(AddState(&report, "warm", false, args.subjects));
  if (cold) states.push_back(AddState(&report, "cold", true, args.subjects));

  auto run = [&](const Subject& s, const Key& key) {
    const std::vector<std::string> child_args = {(fs::path(dir) / s.target).string(), key.For(s),
                                                 std::to_string(key.size),
                                                 std::to_string(key.hash)};
    return RunChild((bin_dir / s.child).string(), child_args, key,
                    s.engine != std::string(kNoEngine));
  };
  const size_t n = args.subjects.size();
  const std::string load_before = LoadAverage();
  for (const StateReport& state : states) {
    if (!state.drop) {
      std::fprintf(stderr, "%s: reading every database file, one untimed run of each child\n",
                   state.name.c_str());
      ReadAll(dir);
      for (const Subject* s : args.subjects) {
        const Run r = run(*s, setup->keys.back());
        if (!r.ok) Die("warm-up: " + r.error);
      }
    }
    Rng rng(kRunSeed);  // the same keys, in the same order, in every state
    for (size_t round = 0; round < args.runs; ++round) {
      const Key& key = setup->keys[rng.Uniform(setup->keys.size())];
      for (size_t j = 0; j < n; ++j) {
        // Each round starts one engine later, so none always runs right after the same other.
        const size_t i = (round + j) % n;
        const Subject& s = *args.subjects[i];
        if (state.drop) DropCaches();
        const Run r = run(s, key);
        if (!r.ok) {
          report.failures.push_back(state.name + " " + s.engine + " " + s.how + ": " + r.error);
          state.Fail(&report, i);
          std::fprintf(stderr, "[%s %zu/%zu] %s %s: FAILED: %s\n", state.name.c_str(), round + 1,
                       args.runs, s.engine, s.how, r.error.c_str());
          continue;
        }
        state.Add(&report, i, r);
        std::fprintf(stderr, "[%s %zu/%zu] %-11s %-19s lookup %8.2f ms  exit %8.2f ms\n",
                     state.name.c_str(), round + 1, args.runs, s.engine, s.how, r.lookup_ms,
                     r.exit_ms);
      }
    }
  }
  report.notes.push_back("Load average (1 minute) before the runs: " + load_before +
                         "; after them: " + LoadAverage());

  // Targets: each DaaS database against the fastest peer, on the medians of the headline figures.
  for (const StateReport& state : states) {
    for (size_t m = 0; m < std::size(kHeadline); ++m) {
      const SamplePhase& p = report.sample_phases[state.headline + m];
      const SampleRow* best = nullptr;
      for (const SampleRow& row : p.rows) {
        if (row.engine == "DaaS" || row.engine == kNoEngine || row.samples.empty()) continue;
        if (!best || row.Quantile(0.5) < best->Quantile(0.5)) best = &row;
      }
      if (best == nullptr) continue;
      for (const SampleRow& row : p.rows) {
        if (row.engine != "DaaS" || row.samples.empty()) continue;
        report.targets.push_back({state.name + ", " + kHeadline[m].name + ": DaaS " + row.how +
                                      " median / fastest peer (" + best->engine + " " + best->how +
                                      ") <= 1",
                                  1.0, row.Quantile(0.5) / best->Quantile(0.5), true});
      }
    }
  }

  if (!keep) fs::remove_all(dir);
  return FinishReport(report, args.json);
}

}  // namespace
}  // namespace daas::bench

int main(int argc, char** argv) { return daas::bench::Main(argc, argv); }
