// The child of the bank crash test (crash_test.cc): transfers money between accounts in
// transactions, on several threads, with SyncMode::kFull, until it is killed. Each transfer moves
// `amount` from one account to another and inserts a record of itself into "transfers", all in
// one Database::RunTransaction; the schema's check "balance >= 0" refuses a transfer that would
// overdraw. After a commit returned it says so, one line, unbuffered:
//   OPEN                            (the database is open and recovered)
//   ACK <k> <from> <to> <amount>    (transfer k is committed and durable)
// argv: database directory, a seed, the first transfer number of this run.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crash_common.h"
#include "daas/daas.hpp"
#include "doc/msgpack_reader.h"

namespace {

using daas::crash::Fail;
using daas::crash::Say;

constexpr int kAccounts = 20;
constexpr int64_t kInitial = 1000;
constexpr int kThreads = 4;

std::string Json(const std::string& text) {
  auto d = daas::JsonToDocument(text);
  if (!d.ok()) Fail("json", d.status());
  return *d;
}

int64_t IntField(std::string_view doc, std::string_view key) {
  auto v = daas::doc::FindField(doc, key);
  if (!v) return INT64_MIN;
  return v->type == daas::doc::Type::kUint ? static_cast<int64_t>(v->uint_value) : v->int_value;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return 64;
  const uint64_t seed = std::strtoull(argv[2], nullptr, 10);
  std::atomic<int64_t> next(std::strtoll(argv[3], nullptr, 10));
  auto db = daas::crash::OpenOrFail(argv[1]);
  // The first run creates the bank: accounts 0..19 ({"n": i, "balance": 1000}) in one batch.
  daas::Collection* accounts = nullptr;
  daas::Collection* transfers = nullptr;
  if (auto c = db->GetCollection("accounts"); c.ok()) {
    accounts = *c;
    transfers = *db->GetCollection("transfers");
  } else {
    accounts = *db->CreateCollection("accounts");
    transfers = *db->CreateCollection("transfers");
    daas::Status s = accounts->SetSchema(
        R"({"version":1,"fields":{"n":{"type":"int","required":true},
            "balance":{"type":"int","required":true}},"checks":["balance >= 0"]})");
    if (!s.ok()) Fail("schema", s);
    daas::WriteBatch batch;
    for (int i = 0; i < kAccounts; ++i) {
      batch.Insert(accounts, Json(R"({"n":)" + std::to_string(i) + R"(,"balance":)" +
                                  std::to_string(kInitial) + "}"));
    }
    if (s = db->Write(batch, nullptr); !s.ok()) Fail("create accounts", s);
  }
  std::vector<daas::DocId> ids(kAccounts);
  daas::Status s = accounts->Scan([&](daas::DocId id, std::string_view d) {
    ids[static_cast<size_t>(IntField(d, "n"))] = id;
    return true;
  });
  if (!s.ok()) Fail("scan", s);
  Say("OPEN");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(seed * 8 + t);
      daas::TransactionOptions options;
      options.max_attempts = 1'000'000;  // contention must not end the run
      for (;;) {
        const int from = static_cast<int>(rng() % kAccounts);
        const int to = static_cast<int>((from + 1 + rng() % (kAccounts - 1)) % kAccounts);
        const int64_t amount = 1 + static_cast<int64_t>(rng() % 300);
        const int64_t k = next++;
        daas::Status st = db->RunTransaction(
            [&](daas::Transaction& txn) -> daas::Status {
              std::string bytes;
              if (auto e = txn.Get(accounts, ids[from], &bytes); !e.ok()) return e;
              const int64_t a = IntField(bytes, "balance");
              if (auto e = txn.Get(accounts, ids[to], &bytes); !e.ok()) return e;
              const int64_t b = IntField(bytes, "balance");
              if (auto e = txn.Patch(accounts, ids[from],
                                     Json(R"({"balance":)" + std::to_string(a - amount) + "}"));
                  !e.ok()) {
                return e;
              }
              if (auto e = txn.Patch(accounts, ids[to],
                                     Json(R"({"balance":)" + std::to_string(b + amount) + "}"));
                  !e.ok()) {
                return e;
              }
              return txn
                  .Insert(transfers, Json(R"({"k":)" + std::to_string(k) + R"(,"from":)" +
                                          std::to_string(from) + R"(,"to":)" + std::to_string(to) +
                                          R"(,"amount":)" + std::to_string(amount) + "}"))
                  .status();
            },
            options);
        if (st.code() == daas::StatusCode::kSchemaViolation) continue;  // would overdraw
        if (!st.ok()) Fail("transfer", st);
        Say("ACK " + std::to_string(k) + " " + std::to_string(from) + " " + std::to_string(to) +
            " " + std::to_string(amount));
      }
    });
  }
  for (auto& t : threads) t.join();
  return 0;
}
