// coldstart_lmdb DIR KEY SIZE HASH: one lookup in an LMDB environment, as a process
// (coldstart_child.h). Opens DIR with mdb_env_open and flags 0 (read-write, durable defaults; the
// map size is the one stored in the environment), gets KEY (the document number, as 8 big-endian
// bytes) in a read transaction, aborts it and closes the environment with mdb_env_close.
#include <lmdb.h>

#include "coldstart_child.h"
#include "engine.h"  // BigEndianKey

namespace daas::bench {
namespace {

int Fail(const char* what, int rc) {
  fprintf(stderr, "coldstart_lmdb: %s: %s\n", what, mdb_strerror(rc));
  return 1;
}

int Main(int argc, char** argv) {
  ChildTimes times;
  times.main = MonotonicNs();
  const ChildArgs args = ParseChildArgs(argc, argv);
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != MDB_SUCCESS) return Fail("env_create", rc);
  rc = mdb_env_open(env, args.target, 0, 0644);
  times.open = MonotonicNs();
  if (rc != MDB_SUCCESS) return Fail("env_open", rc);
  MDB_txn* txn = nullptr;
  if ((rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn)) != MDB_SUCCESS) {
    return Fail("txn_begin", rc);
  }
  MDB_dbi dbi;
  if ((rc = mdb_dbi_open(txn, nullptr, 0, &dbi)) != MDB_SUCCESS) return Fail("dbi_open", rc);
  BigEndianKey key(strtoull(args.key, nullptr, 10));
  MDB_val k{sizeof(key.bytes), key.bytes};
  MDB_val v;
  rc = mdb_get(txn, dbi, &k, &v);
  times.lookup = MonotonicNs();
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return Fail("get", rc);
  const bool found = rc == MDB_SUCCESS;
  if (!ReportLookup(times, found, found ? v.mv_data : nullptr, found ? v.mv_size : 0, args)) {
    return 3;
  }
  mdb_txn_abort(txn);
  mdb_env_close(env);
  ReportClosed();
  return 0;
}

}  // namespace
}  // namespace daas::bench

int main(int argc, char** argv) { return daas::bench::Main(argc, argv); }
