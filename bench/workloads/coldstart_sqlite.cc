// coldstart_sqlite FILE ROWID SIZE HASH: one lookup in a SQLite database, as a process
// (coldstart_child.h). Opens FILE with sqlite3_open (read-write, default settings: the journal
// mode is the one stored in the file), runs the prepared SELECT body FROM docs WHERE id = ROWID
// once, finalizes the statement and closes the connection with sqlite3_close. SQLite reads the
// file only when the statement is prepared, so "open done" is early and the lookup reads the
// schema.
#include <sqlite3.h>

#include "coldstart_child.h"

namespace daas::bench {
namespace {

int Fail(sqlite3* db, const char* what) {
  fprintf(stderr, "coldstart_sqlite: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
  return 1;
}

int Main(int argc, char** argv) {
  ChildTimes times;
  times.main = MonotonicNs();
  const ChildArgs args = ParseChildArgs(argc, argv);
  sqlite3* db = nullptr;
  const int opened = sqlite3_open(args.target, &db);
  times.open = MonotonicNs();
  if (opened != SQLITE_OK) return Fail(db, "open");
  sqlite3_stmt* select = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT body FROM docs WHERE id = ?", -1, &select, nullptr) !=
      SQLITE_OK) {
    return Fail(db, "prepare");
  }
  sqlite3_bind_int64(select, 1, static_cast<sqlite3_int64>(strtoll(args.key, nullptr, 10)));
  const int rc = sqlite3_step(select);
  times.lookup = MonotonicNs();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(db, "step");
  const bool found = rc == SQLITE_ROW;
  const void* body = found ? sqlite3_column_blob(select, 0) : nullptr;
  const size_t size = found ? static_cast<size_t>(sqlite3_column_bytes(select, 0)) : 0;
  if (!ReportLookup(times, found, body, size, args)) return 3;
  sqlite3_finalize(select);
  if (sqlite3_close(db) != SQLITE_OK) return Fail(db, "close");
  ReportClosed();
  return 0;
}

}  // namespace
}  // namespace daas::bench

int main(int argc, char** argv) { return daas::bench::Main(argc, argv); }
