// The child of the migration crash test (crash_test.cc): opens the database in argv[1], and moves
// collection "m" from its schema version k to k + 1, where version k has the int field "n<k>" and
// version k + 1 renames it to "n<k+1>" with the conversion "n<k> + 1", so a document migrated
// twice shows. Says, one line each, unbuffered, on stdout (a pipe):
//   OPEN <k>                 (the database is open; the collection is at version k)
//   SET <k+1>                (SetSchema is called)
//   DONE <k+1> <ms>          (SetSchema returned: every document migrated, in ms)
// then waits to be killed.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "crash_common.h"
#include "daas/daas.hpp"

namespace {

using daas::crash::Fail;
using daas::crash::Say;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 64;
  }
  auto db = daas::crash::OpenOrFail(argv[1]);
  auto m = db->GetCollection("m");
  if (!m.ok()) Fail("collection m", m.status());
  const int64_t k = daas::crash::SchemaVersion(**m);
  if (k < 1)
    Fail("schema", daas::Status::Internal("no version in " + daas::crash::SchemaJson(**m)));
  const std::string from = "n" + std::to_string(k), to = "n" + std::to_string(k + 1);
  Say("OPEN " + std::to_string(k));
  Say("SET " + std::to_string(k + 1));
  const auto start = std::chrono::steady_clock::now();
  daas::Status s =
      (*m)->SetSchema(R"({"version": )" + std::to_string(k + 1) + R"(, "fields": {"i": "int", ")" +
                      to + R"(": {"type": "int", "renamedFrom": ")" + from + R"(", "convert": ")" +
                      from + R"( + 1"}}})");
  if (!s.ok()) Fail("set schema", s);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  Say("DONE " + std::to_string(k + 1) + " " + std::to_string(ms));
  for (;;) pause();
}
