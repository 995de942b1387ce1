// coldstart_daas DIR ID SIZE HASH: one lookup in a DaaS database, as a process (coldstart_child.h).
// Opens DIR with default Options (as an application would: read-write, SyncMode::kFull, loading in
// the background), Gets the document of ID (its text form) from the collection "bench", and closes
// the database with Database::Close, then returns from main (the destructors run).
#include <string>

#include "coldstart_child.h"
#include "daas/daas.hpp"

namespace daas::bench {
namespace {

int Fail(const char* what, const Status& s) {
  fprintf(stderr, "coldstart_daas: %s: %s\n", what, s.ToString().c_str());
  return 1;
}

int Main(int argc, char** argv) {
  ChildTimes times;
  times.main = MonotonicNs();
  const ChildArgs args = ParseChildArgs(argc, argv);
  Options options;
  options.dir = args.target;
  Result<std::unique_ptr<Database>> db = Database::Open(options);
  times.open = MonotonicNs();
  if (!db.ok()) return Fail("Open", db.status());
  Result<Collection*> coll = (*db)->GetCollection("bench");
  if (!coll.ok()) return Fail("GetCollection", coll.status());
  Result<DocId> id = DocId::Parse(args.key);
  if (!id.ok()) return Fail("DocId::Parse", id.status());
  std::string document;
  const Status got = (*coll)->Get(*id, &document);
  times.lookup = MonotonicNs();
  if (!got.ok() && got.code() != StatusCode::kNotFound) return Fail("Get", got);
  if (!ReportLookup(times, got.ok(), document.data(), document.size(), args)) return 3;
  const Status closed = (*db)->Close();
  if (!closed.ok()) return Fail("Close", closed);
  ReportClosed();
  return 0;
}

}  // namespace
}  // namespace daas::bench

int main(int argc, char** argv) { return daas::bench::Main(argc, argv); }
