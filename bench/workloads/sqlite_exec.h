// Runs SQL that returns no rows on a SQLite connection, ending the benchmark on error. Shared by
// the SQLite peers of the workloads and of the micro benchmarks.
#pragma once

#include <sqlite3.h>

#include <string>

#include "engine.h"

namespace daas::bench {

inline void SqliteExec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "?";
    sqlite3_free(err);
    Die("sqlite: " + sql + ": " + msg);
  }
}

}  // namespace daas::bench
