// What the crash test (crash_test.cc) and its children share: how a child reports (one line per
// statement, written unbuffered to stdout, a pipe, so a line the kill cuts is visibly incomplete),
// how it opens the database, and reading a collection's schema version.
#pragma once

#include <unistd.h>

#include <memory>
#include <string>

#include "daas/daas.hpp"
#include "doc/msgpack_reader.h"

namespace daas::crash {

inline void Say(const std::string& line) {
  std::string out = line + "\n";
  const char* p = out.data();
  size_t left = out.size();
  while (left > 0) {
    ssize_t n = write(STDOUT_FILENO, p, left);
    if (n <= 0) _exit(3);
    p += n;
    left -= static_cast<size_t>(n);
  }
}

[[noreturn]] inline void Fail(const std::string& what, const Status& s) {
  Say("ERR " + what + ": " + s.ToString());
  _exit(2);
}

// The database in `dir`, opened with SyncMode::kFull (every acknowledged write is durable), or
// the child reports ERR and exits.
inline std::unique_ptr<Database> OpenOrFail(const char* dir) {
  Options options;
  options.dir = dir;
  options.sync = SyncMode::kFull;
  auto db = Database::Open(options);
  if (!db.ok()) Fail("open", db.status());
  return std::move(*db);
}

// `coll`'s schema JSON; "" when it has none or GetSchema fails.
inline std::string SchemaJson(const Collection& coll) {
  std::string json;
  return coll.GetSchema(&json).ok() ? json : "";
}

// The "version" of `coll`'s schema; -1 when it has none.
inline int64_t SchemaVersion(const Collection& coll) {
  auto schema = JsonToDocument(SchemaJson(coll));
  if (!schema.ok()) return -1;
  std::optional<doc::Value> v = doc::FindField(*schema, "version");
  return v && v->type == doc::Type::kInt ? v->int_value : -1;
}

}  // namespace daas::crash
