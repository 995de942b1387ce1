// The child of the crash test (crash_test.cc): writes random atomic batches with SyncMode::kFull to
// the database in argv[1] until it is killed, announcing each batch before it commits ("BEGIN")
// and after the commit returned ("ACK"), one line each, unbuffered, on stdout (a pipe).
//
// Each batch k: inserts n (1..4) documents {"b":k,"j":j,"n":n} into "items", moves x (1..10) from
// account 0 to account 1 in "accounts" (two patches), and with probability 1/3 deletes every
// document of an earlier group g.
//   OPEN                      (the database is open and recovered)
//   BEGIN <k> <n> <g or -1> <account 0 balance after>
//   ACK <k>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "crash_common.h"
#include "daas/daas.hpp"
#include "doc/msgpack_reader.h"

namespace {

using daas::crash::Fail;
using daas::crash::Say;

int64_t IntField(std::string_view doc, std::string_view key) {
  auto v = daas::doc::FindField(doc, key);
  return v && v->type == daas::doc::Type::kInt ? v->int_value : -1;
}

std::string Json(const std::string& text) {
  auto d = daas::JsonToDocument(text);
  if (!d.ok()) Fail("json", d.status());
  return *d;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIR SEED\n", argv[0]);
    return 64;
  }
  auto db = daas::crash::OpenOrFail(argv[1]);
  auto get_or_create = [&](const char* name) {
    auto c = db->GetCollection(name);
    if (!c.ok()) c = db->CreateCollection(name);
    if (!c.ok()) Fail(std::string("collection ") + name, c.status());
    return *c;
  };
  daas::Collection* items = get_or_create("items");
  daas::Collection* accounts = get_or_create("accounts");

  // Start from what the database holds.
  std::vector<std::pair<daas::DocId, int64_t>> acct;
  daas::Status scan = accounts->Scan([&](daas::DocId id, std::string_view d) {
    acct.emplace_back(id, IntField(d, "bal"));
    return true;
  });
  if (!scan.ok()) Fail("scan accounts", scan);
  if (acct.empty()) {
    daas::WriteBatch init;
    init.Insert(accounts, Json(R"({"bal":1000000})"));
    init.Insert(accounts, Json(R"({"bal":0})"));
    std::vector<daas::DocId> ids;
    daas::Status s = db->Write(init, &ids);
    if (!s.ok()) Fail("init", s);
    acct = {{ids[0], 1000000}, {ids[1], 0}};
  }
  std::map<int64_t, std::vector<daas::DocId>> groups;
  int64_t next = 1;
  scan = items->Scan([&](daas::DocId id, std::string_view d) {
    const int64_t b = IntField(d, "b");
    groups[b].push_back(id);
    next = std::max(next, b + 1);
    return true;
  });
  if (!scan.ok()) Fail("scan items", scan);

  Say("OPEN");
  std::mt19937_64 rng(std::strtoull(argv[2], nullptr, 10));
  for (;;) {
    const int64_t k = next++;
    const int n = 1 + static_cast<int>(rng() % 4);
    const int64_t x = 1 + static_cast<int64_t>(rng() % 10);
    int64_t g = -1;
    if (!groups.empty() && rng() % 3 == 0) {
      auto it = groups.begin();
      std::advance(it, static_cast<long>(rng() % groups.size()));
      g = it->first;
    }
    daas::WriteBatch b;
    for (int j = 0; j < n; ++j) {
      b.Insert(items, Json("{\"b\":" + std::to_string(k) + ",\"j\":" + std::to_string(j) +
                           ",\"n\":" + std::to_string(n) + "}"));
    }
    b.Patch(accounts, acct[0].first, Json("{\"bal\":" + std::to_string(acct[0].second - x) + "}"));
    b.Patch(accounts, acct[1].first, Json("{\"bal\":" + std::to_string(acct[1].second + x) + "}"));
    if (g >= 0) {
      for (const daas::DocId& id : groups[g]) b.Delete(items, id);
    }
    Say("BEGIN " + std::to_string(k) + " " + std::to_string(n) + " " + std::to_string(g) + " " +
        std::to_string(acct[0].second - x));
    std::vector<daas::DocId> ids;
    daas::Status s = db->Write(b, &ids);
    if (!s.ok()) Fail("write", s);
    Say("ACK " + std::to_string(k));
    groups[k] = ids;
    if (g >= 0) groups.erase(g);
    acct[0].second -= x;
    acct[1].second += x;
  }
}
