// Isolation under concurrency: a bank whose money is conserved, and a history checker that
// builds the dependency graph of every committed transaction (Adya's write-read, write-write and
// read-write edges, as Elle does for registers) and finds no cycle: serializable. Seeded; the
// seed is printed. Run under TSan by the tsan preset.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "core/status_macros.h"
#include "doc/msgpack_reader.h"
#include "engine/engine_test_util.h"

namespace daas {
namespace {

using testing::Doc;
using testing::IntField;

uint32_t Seed() {
  const uint32_t seed = std::random_device{}();
  std::printf("seed %u\n", seed);
  return seed;
}

// Transfers between accounts, in transactions run by RunTransaction on several threads, while
// read-only transactions add up every balance: each audit, one snapshot, sees the total, no
// balance ever goes below zero (the schema's check refuses the transfer), and the total is the
// same at the end.
TEST(Isolation, BankTransfersConserveMoneyAndNeverGoNegative) {
  const uint32_t seed = Seed();
  auto db = testing::OpenOrDie({});
  Collection* accounts = *db->CreateCollection("accounts");
  ASSERT_TRUE(accounts
                  ->SetSchema(R"({"version":1,"fields":{"balance":{"type":"int","required":true}},
                                  "checks":["balance >= 0"]})")
                  .ok());
  constexpr int kAccounts = 50;
  constexpr int64_t kInitial = 100;
  std::vector<DocId> ids;
  for (int i = 0; i < kAccounts; ++i) {
    ids.push_back(*accounts->Insert(Doc(R"({"balance":)" + std::to_string(kInitial) + "}")));
  }
  constexpr int kThreads = 3;
  constexpr int kTransfers = 3000;
  std::atomic<int> refused{0};
  std::atomic<bool> done{false};
  std::atomic<int> audits{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(seed + t);
      TransactionOptions o;
      o.max_attempts = 10'000;
      for (int k = 0; k < kTransfers; ++k) {
        const DocId from = ids[rng() % kAccounts];
        const DocId to = ids[rng() % kAccounts];
        const int64_t amount = 1 + rng() % 60;
        Status s = db->RunTransaction(
            [&](Transaction& txn) -> Status {
              std::string bytes;
              DAAS_RETURN_IF_ERROR(txn.Get(accounts, from, &bytes));
              const int64_t a = IntField(bytes, "balance");
              DAAS_RETURN_IF_ERROR(txn.Replace(
                  accounts, from, Doc(R"({"balance":)" + std::to_string(a - amount) + "}")));
              DAAS_RETURN_IF_ERROR(txn.Get(accounts, to, &bytes));
              const int64_t b = IntField(bytes, "balance");
              return txn.Replace(accounts, to,
                                 Doc(R"({"balance":)" + std::to_string(b + amount) + "}"));
            },
            o);
        if (s.code() == StatusCode::kSchemaViolation) {
          ++refused;  // the balance would have gone below zero
        } else {
          ASSERT_TRUE(s.ok()) << s.ToString();
        }
      }
    });
  }
  std::thread auditor([&] {
    TransactionOptions o;
    o.read_only = true;
    o.max_attempts = 1;  // a snapshot never conflicts
    while (!done.load()) {
      int64_t total = 0;
      Status s = db->RunTransaction(
          [&](Transaction& txn) -> Status {
            total = 0;
            return txn.Find(accounts, "balance >= 0 || balance < 0",
                            [&](DocId, std::string_view d) {
                              const int64_t b = IntField(d, "balance");
                              EXPECT_GE(b, 0);
                              total += b;
                              return true;
                            });
          },
          o);
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(total, kAccounts * kInitial);
      ++audits;
    }
  });
  for (auto& t : threads) t.join();
  done = true;
  auditor.join();
  int64_t total = 0;
  ASSERT_TRUE(accounts
                  ->Scan([&](DocId, std::string_view d) {
                    EXPECT_GE(IntField(d, "balance"), 0);
                    total += IntField(d, "balance");
                    return true;
                  })
                  .ok());
  EXPECT_EQ(total, kAccounts * kInitial);
  EXPECT_GT(audits.load(), 0);
  std::printf("%d transfers refused by balance >= 0, %d audits\n", refused.load(), audits.load());
}

// Random read/write transactions on a few registers. Every write stores a value no other write
// stores, so each read names the transaction whose write it saw. Then, over the committed
// transactions: no read saw a value of a transaction that did not commit (G1a), and the graph of
// write-read, write-write (commit order per register) and read-write edges has no cycle (G0, G1c,
// G2): the history is serializable, read-only transactions (snapshots) included.
TEST(Isolation, HistoryOfRandomTransactionsIsSerializable) {
  const uint32_t seed = Seed();
  auto db = testing::OpenOrDie({});
  Collection* regs = *db->CreateCollection("regs");
  constexpr int kKeys = 6;
  std::vector<DocId> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back(*regs->Insert(Doc(R"({"v":0})")));

  struct Op {
    bool write;
    int key;
    int64_t value;
  };
  struct Txn {
    std::vector<Op> ops;
    bool committed = false;
    uint64_t lsn = 0;
  };
  constexpr int kThreads = 4;
  constexpr int kTxnsPerThread = 3000;
  std::vector<std::vector<Txn>> per_thread(kThreads);
  std::atomic<int64_t> next_value{1};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(seed * 31 + t);
      for (int n = 0; n < kTxnsPerThread; ++n) {
        Txn rec;
        // One in four reads a snapshot: it must see a state of the serial order, and commit.
        TransactionOptions options;
        options.read_only = rng() % 4 == 0;
        auto begun = db->BeginTransaction(options);
        ASSERT_TRUE(begun.ok()) << begun.status().ToString();
        std::unique_ptr<Transaction> txn = std::move(*begun);
        const int count = 1 + rng() % 4;
        bool failed = false;
        for (int i = 0; i < count && !failed; ++i) {
          const int key = rng() % kKeys;
          if (options.read_only || rng() % 2 == 0) {
            std::string bytes;
            Status s = txn->Get(regs, keys[key], &bytes);
            if (!s.ok()) {
              ASSERT_FALSE(options.read_only) << s.ToString();
              ASSERT_EQ(s.code(), StatusCode::kConflict) << s.ToString();
              failed = true;
              break;
            }
            rec.ops.push_back(Op{false, key, IntField(bytes, "v")});
          } else {
            const int64_t value = next_value++;
            Status s = txn->Replace(regs, keys[key], Doc(R"({"v":)" + std::to_string(value) + "}"));
            if (!s.ok()) {
              ASSERT_EQ(s.code(), StatusCode::kConflict) << s.ToString();
              failed = true;
              break;
            }
            rec.ops.push_back(Op{true, key, value});
          }
        }
        if (!failed) {
          Status s = txn->Commit();
          if (s.ok()) {
            rec.committed = true;
            rec.lsn = txn->commit_lsn();
          } else if (options.read_only) {
            FAIL() << "a read-only transaction failed: " << s.ToString();
          } else {
            ASSERT_EQ(s.code(), StatusCode::kConflict) << s.ToString();
          }
        }
        per_thread[t].push_back(std::move(rec));
      }
    });
  }
  for (auto& t : threads) t.join();

  // Transaction 0 wrote every register's initial value 0.
  std::vector<const Txn*> txns;
  Txn initial;
  initial.committed = true;
  for (int k = 0; k < kKeys; ++k) initial.ops.push_back(Op{true, k, 0});
  txns.push_back(&initial);
  for (const auto& list : per_thread) {
    for (const Txn& t : list) txns.push_back(&t);
  }
  // The writer of each value (its final write of the register, which is what others can read).
  std::map<int64_t, size_t> writer_of;
  std::map<int64_t, bool> final_write;
  for (size_t i = 0; i < txns.size(); ++i) {
    std::map<int, int64_t> last;
    for (const Op& op : txns[i]->ops) {
      if (op.write) {
        writer_of[op.value] = i;
        last[op.key] = op.value;
      }
    }
    for (const auto& [key, value] : last) final_write[value] = true;
  }
  // Committed writers of each register in commit (LSN) order: the version order.
  std::vector<std::vector<std::pair<uint64_t, size_t>>> order(kKeys);
  for (size_t i = 0; i < txns.size(); ++i) {
    if (!txns[i]->committed) continue;
    std::map<int, bool> wrote;
    for (const Op& op : txns[i]->ops) {
      if (op.write) wrote[op.key] = true;
    }
    for (const auto& [key, unused] : wrote) order[key].push_back({txns[i]->lsn, i});
  }
  std::vector<std::map<size_t, size_t>> next_writer(kKeys);  // writer -> the next one
  for (int k = 0; k < kKeys; ++k) {
    std::sort(order[k].begin(), order[k].end());
    for (size_t j = 0; j + 1 < order[k].size(); ++j) {
      ASSERT_NE(order[k][j].first, order[k][j + 1].first) << "two commits share an LSN";
      next_writer[k][order[k][j].second] = order[k][j + 1].second;
    }
  }
  std::vector<std::vector<size_t>> edges(txns.size());
  size_t committed = 0, reads_checked = 0;
  for (size_t i = 0; i < txns.size(); ++i) {
    if (!txns[i]->committed) continue;
    ++committed;
    std::map<int, bool> wrote_before;
    for (const Op& op : txns[i]->ops) {
      if (op.write) {
        wrote_before[op.key] = true;
        continue;
      }
      if (wrote_before[op.key]) continue;  // it read its own write
      ++reads_checked;
      auto w = writer_of.find(op.value);
      ASSERT_NE(w, writer_of.end()) << "read a value nobody wrote";
      const size_t writer = w->second;
      ASSERT_TRUE(txns[writer]->committed) << "G1a: read a value of a transaction that aborted";
      ASSERT_TRUE(final_write[op.value]) << "G1b: read an intermediate value";
      edges[writer].push_back(i);  // write-read
      if (auto nw = next_writer[op.key].find(writer); nw != next_writer[op.key].end()) {
        if (nw->second != i) edges[i].push_back(nw->second);  // read-write (anti-dependency)
      }
    }
  }
  for (int k = 0; k < kKeys; ++k) {
    for (const auto& [from, to] : next_writer[k]) edges[from].push_back(to);  // write-write
  }
  // Cycle search: iterative DFS with colors.
  std::vector<int> color(txns.size(), 0);
  for (size_t root = 0; root < txns.size(); ++root) {
    if (color[root] != 0) continue;
    std::vector<std::pair<size_t, size_t>> stack = {{root, 0}};
    color[root] = 1;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < edges[node].size()) {
        const size_t to = edges[node][next++];
        ASSERT_NE(color[to], 1) << "dependency cycle through transactions " << node << " and " << to
                                << " (seed " << seed << ")";
        if (color[to] == 0) {
          color[to] = 1;
          stack.push_back({to, 0});
        }
      } else {
        color[node] = 2;
        stack.pop_back();
      }
    }
  }
  std::printf("%zu of %zu transactions committed, %zu reads checked\n", committed - 1,
              txns.size() - 1, reads_checked);
  EXPECT_GT(committed, txns.size() / 4);
  EXPECT_GT(reads_checked, 100u);
}

}  // namespace
}  // namespace daas
