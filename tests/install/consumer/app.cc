// An application of the installed DaaS, through include/daas/daas.hpp alone: opens a database in
// the directory argv[1], inserts a document in a transaction (the 0.3 API), reads it back, closes,
// reopens and reads it again.
// Prints "c++: ok" and exits 0 only when every step did what it should.
#include <daas/daas.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace {

constexpr char kDoc[] = R"({"name":"Ada","age":36})";

int Fail(const char* what, const daas::Status& status) {
  std::fprintf(stderr, "c++: %s: %s\n", what, status.ToString().c_str());
  return 1;
}

// Reads document `id` of collection "users" and checks that it is kDoc.
int CheckDocument(const daas::Database& db, daas::DocId id) {
  daas::Result<daas::Collection*> users = db.GetCollection("users");
  if (!users.ok()) return Fail("get collection", users.status());
  std::string bytes;
  daas::Status s = (*users)->Get(id, &bytes);
  if (!s.ok()) return Fail("get", s);
  daas::Result<std::string> json = daas::DocumentToJson(bytes);
  if (!json.ok()) return Fail("to json", json.status());
  if (*json != kDoc) {
    std::fprintf(stderr, "c++: read back %s, want %s\n", json->c_str(), kDoc);
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  // A designated initializer that leaves fields out, as the README shows.
  daas::Result<std::unique_ptr<daas::Database>> db = daas::Database::Open({.dir = argv[1]});
  if (!db.ok()) return Fail("open", db.status());
  daas::Result<daas::Collection*> users = (*db)->CreateCollection("users");
  if (!users.ok()) return Fail("create", users.status());
  daas::Result<std::string> doc = daas::JsonToDocument(kDoc);
  if (!doc.ok()) return Fail("from json", doc.status());
  daas::Result<daas::DocId> id = daas::DocId();
  daas::Status committed = (*db)->RunTransaction([&](daas::Transaction& txn) {
    id = txn.Insert(*users, *doc);
    return id.status();
  });
  if (!committed.ok()) return Fail("insert in a transaction", committed);
  if (CheckDocument(**db, *id) != 0) return 1;
  daas::Status s = (*db)->Close();
  if (!s.ok()) return Fail("close", s);

  db = daas::Database::Open({.dir = argv[1]});
  if (!db.ok()) return Fail("reopen", db.status());
  if (CheckDocument(**db, *id) != 0) return 1;
  s = (*db)->Close();
  if (!s.ok()) return Fail("close after reopen", s);
  std::printf("c++: ok\n");
  return 0;
}
