// Crash test with real processes (issue: durability). A child (crash_writer.cc) commits random
// atomic batches with SyncMode::kFull and reports each acknowledgement through a pipe; this test
// kills it with SIGKILL at a random moment, reopens the database and checks:
//   1. every acknowledged batch is present in full (its inserts, its deletions, its balance move);
//   2. no batch is partly visible: every group of inserted documents is whole, and the two account
//      balances always sum to the initial total;
//   3. the one batch in flight at the kill is either wholly applied or wholly absent;
//   4. the files the kill left pass `daas check` (engine::CheckDatabase) before recovery.
// Together these exercise crash invariants W1 to W3 of docs/format/wal.md.
// DAAS_CRASH_CYCLES (default 200) and DAAS_CRASH_SEED (default: random, printed) control the run;
// e.g. DAAS_CRASH_CYCLES=5000 for a long run.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "crash_common.h"
#include "daas/daas.hpp"
#include "doc/msgpack_reader.h"
#include "engine/backup.h"
#include "env/env.h"

namespace daas {
namespace {

constexpr int64_t kTotal = 1000000;

struct Begin {
  int64_t k, n, g, bal0_after;
};

int64_t IntField(std::string_view doc, std::string_view key) {
  auto v = doc::FindField(doc, key);
  return v && v->type == doc::Type::kInt ? v->int_value : -1;
}

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

// One crash test's parameters: a seed (DAAS_CRASH_SEED, else random) and a cycle count (the
// variable `cycles_var`, else `default_cycles`), printed so that a failure can be replayed, and a
// fresh temporary directory `root` (empty if it could not be made), which the test removes.
struct CrashRun {
  uint64_t seed;
  uint64_t cycles;
  std::string root;
};

CrashRun BeginCrashRun(const char* name, const char* cycles_var, uint64_t default_cycles) {
  CrashRun run{EnvOr("DAAS_CRASH_SEED", std::random_device{}()), EnvOr(cycles_var, default_cycles),
               ""};
  std::printf("%s: seed %llu, %llu cycles (DAAS_CRASH_SEED, %s)\n", name,
              static_cast<unsigned long long>(run.seed),
              static_cast<unsigned long long>(run.cycles), cycles_var);
  char tmpl[] = "/tmp/daas_crash_XXXXXX";
  if (mkdtemp(tmpl) != nullptr) run.root = tmpl;
  return run;
}

// Runs the child and kills it `run_ms` after it said OPEN, or, when `during_open`, `run_ms` after
// it started (often while it opens and recovers), or as soon as it wrote `kill_at` when not
// empty. Returns every complete line it wrote.
std::vector<std::string> RunAndKill(const char* binary, const std::vector<std::string>& args,
                                    int run_ms, bool during_open, const std::string& kill_at = "") {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv{const_cast<char*>(binary)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary, argv.data());
    _exit(127);
  }
  close(fds[1]);
  using Clock = std::chrono::steady_clock;
  std::string out;
  // Until OPEN arrives the deadline is far away (a slow sanitizer build may take seconds to open).
  auto deadline = Clock::now() + std::chrono::milliseconds(during_open ? run_ms : 60000);
  bool opened = during_open;
  char buf[4096];
  bool killed = false;
  for (;;) {
    const auto now = Clock::now();
    if (!killed && now >= deadline) {
      kill(pid, SIGKILL);
      killed = true;
    }
    const int wait_ms =
        killed ? 1000
               : static_cast<int>(
                     std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() +
                     1);
    pollfd p{fds[0], POLLIN, 0};
    const int r = poll(&p, 1, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      if (killed) break;  // the pipe must reach EOF soon after the kill
      continue;
    }
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;  // EOF: the child is gone
    out.append(buf, static_cast<size_t>(n));
    if (!killed && !kill_at.empty() && out.find(kill_at) != std::string::npos) {
      kill(pid, SIGKILL);
      killed = true;
    }
    if (!opened && out.find("OPEN") != std::string::npos) {
      opened = true;
      deadline = Clock::now() + std::chrono::milliseconds(run_ms);
    }
  }
  if (!killed) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the writer exited on its own: " << out.substr(0, 2000);
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  // A line cut by the kill is not a statement.
  if (!out.empty() && out.back() != '\n' && !lines.empty()) lines.pop_back();
  return lines;
}

// What a kill left in `dir` passes `daas check` (engine::CheckDatabase) before recovery touches
// it; a torn log tail is not a problem.
void ExpectCheckPasses(const std::string& dir) {
  auto report = engine::CheckDatabase(env::Env::Default(), dir);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->ok()) << report->problems.front();
}

TEST(Crash, KillNineNeverLosesOrSplitsAcknowledgedBatches) {
  const CrashRun run = BeginCrashRun("crash test", "DAAS_CRASH_CYCLES", 200);
  ASSERT_FALSE(run.root.empty());
  const uint64_t cycles = run.cycles;
  std::mt19937_64 rng(run.seed);
  const std::string dir = run.root + "/db";

  std::map<int64_t, int64_t> groups;  // model: group -> size, of every batch known applied
  int64_t bal0 = kTotal;
  uint64_t acked_total = 0, inflight_applied = 0, inflight_lost = 0;
  for (uint64_t cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle) + ", seed " + std::to_string(run.seed));
    // One kill in eight lands while the writer opens and replays the log.
    const bool during_open = rng() % 8 == 0;
    const auto lines =
        RunAndKill(DAAS_CRASH_WRITER, {dir, std::to_string(rng())},
                   static_cast<int>(during_open ? rng() % 40 : 1 + rng() % 40), during_open);
    std::vector<Begin> begun;
    size_t acked = 0;
    for (const std::string& line : lines) {
      std::istringstream in(line);
      std::string word;
      in >> word;
      if (word == "OPEN") continue;
      if (word == "BEGIN") {
        Begin b{};
        in >> b.k >> b.n >> b.g >> b.bal0_after;
        ASSERT_EQ(acked, begun.size()) << "a BEGIN before the previous ACK";
        begun.push_back(b);
      } else if (word == "ACK") {
        int64_t k;
        in >> k;
        ASSERT_LT(acked, begun.size());
        ASSERT_EQ(k, begun[acked].k);
        ++acked;
      } else {
        FAIL() << "writer said: " << line;
      }
    }
    // Acknowledged batches are facts.
    for (size_t i = 0; i < acked; ++i) {
      groups[begun[i].k] = begun[i].n;
      if (begun[i].g >= 0) groups.erase(begun[i].g);
      bal0 = begun[i].bal0_after;
    }
    acked_total += acked;
    const bool has_inflight = begun.size() > acked;

    // What the kill left must pass `daas check` before recovery touches it (a torn tail is fine).
    if (std::filesystem::exists(dir + "/MANIFEST")) ASSERT_NO_FATAL_FAILURE(ExpectCheckPasses(dir));
    auto opened = Database::Open(Options{.dir = dir});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    Database& db = **opened;
    std::map<int64_t, std::pair<int64_t, int64_t>> found;  // group -> (documents, n field)
    if (auto items = db.GetCollection("items"); items.ok()) {
      ASSERT_TRUE((*items)
                      ->Scan([&](DocId, std::string_view d) {
                        auto& f = found[IntField(d, "b")];
                        ++f.first;
                        f.second = IntField(d, "n");
                        return true;
                      })
                      .ok());
    }
    std::vector<int64_t> balances;
    if (auto accounts = db.GetCollection("accounts"); accounts.ok()) {
      ASSERT_TRUE((*accounts)
                      ->Scan([&](DocId, std::string_view d) {
                        balances.push_back(IntField(d, "bal"));
                        return true;
                      })
                      .ok());
    }
    // 2. No partial batch anywhere.
    for (const auto& [g, f] : found) ASSERT_EQ(f.first, f.second) << "group " << g << " is split";
    if (!balances.empty()) {
      ASSERT_EQ(balances.size(), 2u);
      ASSERT_EQ(balances[0] + balances[1], kTotal);
    }
    // 3. The batch in flight: applied whole or not at all; the balance tells which.
    const int64_t db_bal0 = balances.empty() ? kTotal : balances[0];
    if (has_inflight && db_bal0 == begun.back().bal0_after && db_bal0 != bal0) {
      const Begin& b = begun.back();
      groups[b.k] = b.n;
      if (b.g >= 0) groups.erase(b.g);
      bal0 = b.bal0_after;
      ++inflight_applied;
    } else if (has_inflight) {
      ++inflight_lost;
    }
    // 1. Exactly the model: every applied batch in full, nothing else.
    ASSERT_EQ(db_bal0, bal0);
    ASSERT_EQ(found.size(), groups.size());
    for (const auto& [g, n] : groups) {
      auto it = found.find(g);
      ASSERT_NE(it, found.end()) << "acknowledged group " << g << " is missing";
      ASSERT_EQ(it->second.first, n);
    }
    ASSERT_TRUE(db.Close().ok());
  }
  std::printf(
      "crash test: %llu batches acknowledged; in flight at the kill: %llu applied, %llu "
      "lost\n",
      static_cast<unsigned long long>(acked_total),
      static_cast<unsigned long long>(inflight_applied),
      static_cast<unsigned long long>(inflight_lost));
  EXPECT_GT(acked_total, cycles / 2);  // the test really exercised commits
  std::filesystem::remove_all(run.root);
}

// Bank transfers in transactions on several threads (bank_writer.cc), killed at random moments,
// at SyncMode::kFull. After each kill: `daas check` passes before recovery; every acknowledged
// transfer's record is there; each account's balance is its initial balance plus exactly the
// transfers whose records are there (a transaction's three writes are applied together or not
// at all); no balance is negative; and the total is conserved.
TEST(Crash, KillNineKeepsEveryAcknowledgedTransferAndConservesMoney) {
  const CrashRun run = BeginCrashRun("bank crash test", "DAAS_BANK_CRASH_CYCLES", 200);
  ASSERT_FALSE(run.root.empty());
  std::mt19937_64 rng(run.seed);
  const std::string dir = run.root + "/db";
  constexpr int kAccounts = 20;
  constexpr int64_t kInitial = 1000;
  std::map<int64_t, std::vector<int64_t>> acked;  // k -> from, to, amount
  uint64_t unacked_present = 0;
  for (uint64_t cycle = 0; cycle < run.cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle) + ", seed " + std::to_string(run.seed));
    const bool during_open = rng() % 8 == 0;
    const auto lines = RunAndKill(
        DAAS_BANK_WRITER, {dir, std::to_string(rng()), std::to_string(cycle * 10'000'000)},
        static_cast<int>(during_open ? rng() % 40 : 1 + rng() % 40), during_open);
    for (const std::string& line : lines) {
      std::istringstream in(line);
      std::string word;
      in >> word;
      if (word == "OPEN") continue;
      ASSERT_EQ(word, "ACK") << "writer said: " << line;
      int64_t k, from, to, amount;
      in >> k >> from >> to >> amount;
      acked[k] = {from, to, amount};
    }
    if (std::filesystem::exists(dir + "/MANIFEST")) ASSERT_NO_FATAL_FAILURE(ExpectCheckPasses(dir));
    auto opened = Database::Open(Options{.dir = dir});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    Database& db = **opened;
    auto accounts = db.GetCollection("accounts");
    if (!accounts.ok()) {  // killed before the bank was created
      ASSERT_TRUE(acked.empty());
      ASSERT_TRUE(db.Close().ok());
      continue;
    }
    std::vector<int64_t> balance(kAccounts, INT64_MIN);
    ASSERT_TRUE((*accounts)
                    ->Scan([&](DocId, std::string_view d) {
                      balance.at(static_cast<size_t>(IntField(d, "n"))) = IntField(d, "balance");
                      return true;
                    })
                    .ok());
    std::vector<int64_t> expected(kAccounts, kInitial);
    std::map<int64_t, bool> present;
    ASSERT_TRUE((*db.GetCollection("transfers"))
                    ->Scan([&](DocId, std::string_view d) {
                      const int64_t k = IntField(d, "k");
                      EXPECT_FALSE(present[k]) << "transfer " << k << " is there twice";
                      present[k] = true;
                      expected.at(static_cast<size_t>(IntField(d, "from"))) -=
                          IntField(d, "amount");
                      expected.at(static_cast<size_t>(IntField(d, "to"))) += IntField(d, "amount");
                      if (!acked.count(k)) ++unacked_present;
                      return true;
                    })
                    .ok());
    for (const auto& [k, t] : acked) {
      ASSERT_TRUE(present.count(k)) << "acknowledged transfer " << k << " is missing";
    }
    int64_t total = 0;
    for (int i = 0; i < kAccounts; ++i) {
      ASSERT_EQ(balance[i], expected[i]) << "account " << i << " disagrees with its transfers";
      ASSERT_GE(balance[i], 0) << "account " << i;
      total += balance[i];
    }
    ASSERT_EQ(total, kAccounts * kInitial);
    // Transfers the kill caught committed but unacknowledged are facts from now on.
    ASSERT_TRUE(db.Close().ok());
    for (const auto& [k, unused] : present) acked.try_emplace(k);
  }
  std::printf(
      "bank crash test: %zu transfers committed, %llu of them not acknowledged before "
      "the kill\n",
      acked.size(), static_cast<unsigned long long>(unacked_present));
  EXPECT_GT(acked.size(), run.cycles);  // the test really exercised transactions
  std::filesystem::remove_all(run.root);
}

// A schema migration killed at a random moment (docs/schema.md, "Migrations over live data"):
// each cycle the child moves collection "m" from version k to k + 1, renaming "n<k>" to "n<k+1>"
// with the conversion "n<k> + 1", and is killed. After reopening, the first write waits for any
// resumed migration; then the collection must be at k (killed before the change committed) or at
// k + 1, and every document must hold exactly {"i": i, "n<v>": i + v - 1}: migrated exactly once,
// whatever the kill interrupted.
TEST(Crash, KillNineDuringAMigrationMigratesEachDocumentOnce) {
  const CrashRun run = BeginCrashRun("migration crash test", "DAAS_MIGRATION_CRASH_CYCLES", 10);
  ASSERT_FALSE(run.root.empty());
  const uint64_t cycles = run.cycles;
  std::mt19937_64 rng(run.seed);
  const std::string dir = run.root + "/db";
  constexpr int64_t kDocs = 2 * 65536 + 1000;  // three shards
  {
    auto db = Database::Open(Options{.dir = dir});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    Collection* m = *(*db)->CreateCollection("m");
    ASSERT_TRUE(m->SetSchema(R"({"version": 1, "fields": {"i": "int", "n1": "int"}})").ok());
    std::vector<std::string> docs;
    for (int64_t i = 0; i < kDocs; ++i) {
      docs.push_back(
          *JsonToDocument(R"({"i":)" + std::to_string(i) + R"(,"n1":)" + std::to_string(i) + "}"));
    }
    std::vector<std::string_view> views(docs.begin(), docs.end());
    ASSERT_TRUE(m->InsertMany(views).ok());
    ASSERT_TRUE((*db)->Close().ok());
  }
  int64_t version = 1;
  // The first cycle runs a whole migration and times it; the others are killed at a random
  // moment of one.
  int64_t migrate_ms = 0;
  int before = 0, during = 0, after = 0;
  for (uint64_t cycle = 0; cycle <= cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle) + ", seed " + std::to_string(run.seed));
    const auto lines =
        cycle == 0 ? RunAndKill(DAAS_MIGRATION_WRITER, {dir}, 600000, false, "DONE")
                   : RunAndKill(DAAS_MIGRATION_WRITER, {dir},
                                static_cast<int>(rng() % (migrate_ms + migrate_ms / 8 + 1)), false);
    bool set = false, done = false;
    for (const std::string& line : lines) {
      std::istringstream in(line);
      std::string word;
      int64_t v;
      in >> word >> v;
      if (word == "OPEN") {
        ASSERT_EQ(v, version);
      } else if (word == "SET") {
        set = true;
      } else if (word == "DONE") {
        done = true;
        if (cycle == 0) in >> migrate_ms;
      } else {
        FAIL() << "writer said: " << line;
      }
    }
    ASSERT_NO_FATAL_FAILURE(ExpectCheckPasses(dir));
    auto opened = Database::Open(Options{.dir = dir});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    Collection* m = *(*opened)->GetCollection("m");
    DocId first;
    ASSERT_TRUE(m->Scan([&](DocId id, std::string_view) {
                   first = id;
                   return false;
                 }).ok());
    // An empty merge patch changes nothing, but as a write it waits for a resumed migration.
    ASSERT_TRUE(m->Patch(first, *JsonToDocument("{}")).ok());
    const std::string schema = crash::SchemaJson(*m);
    const int64_t now = crash::SchemaVersion(*m);
    if (done) {
      ASSERT_EQ(now, version + 1);
    }
    if (!set) {
      ASSERT_EQ(now, version);
    }
    ASSERT_TRUE(now == version || now == version + 1) << schema;
    if (cycle != 0) (now == version ? before : done ? after : during)++;
    version = now;
    const std::string field = "n" + std::to_string(version);
    int64_t seen = 0;
    ASSERT_TRUE(m->Scan([&](DocId, std::string_view d) {
                   ++seen;
                   const int64_t i = IntField(d, "i");
                   EXPECT_EQ(IntField(d, field), i + version - 1) << "document " << i;
                   EXPECT_EQ(doc::FindField(d, "n" + std::to_string(version - 1)), std::nullopt);
                   return true;
                 }).ok());
    ASSERT_EQ(seen, kDocs);
    ASSERT_TRUE((*opened)->Close().ok());
  }
  std::printf(
      "migration crash test: killed before the change %d times, during its migration %d, after "
      "it %d; a migration took %lld ms\n",
      before, during, after, static_cast<long long>(migrate_ms));
  std::filesystem::remove_all(run.root);
}

}  // namespace
}  // namespace daas
