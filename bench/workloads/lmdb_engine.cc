// LMDB with documents under 8-byte big-endian keys, in an environment in the run's temp directory.
#include <lmdb.h>

#include "doc/merge_patch.h"
#include "engine.h"

namespace daas::bench {
namespace {

constexpr size_t kMapSizeBytes = size_t{16} << 30;  // sparse; far above the ~250 MB used
// Gets share one read transaction, reset and renewed every this many lookups, so a reader never
// pins an old snapshot for long (what a long-running LMDB reader is told to do).
constexpr size_t kGetsPerReadTxn = 1000;
constexpr unsigned kEnvFlags = MDB_NOSYNC | MDB_NOMETASYNC | MDB_WRITEMAP;

void Check(int rc, const char* what) {
  if (rc != MDB_SUCCESS) Die(std::string("lmdb: ") + what + ": " + mdb_strerror(rc));
}

MDB_val Val(BigEndianKey& key) { return MDB_val{sizeof(key.bytes), key.bytes}; }

std::string_view View(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

class LmdbEngine final : public Engine {
 public:
  explicit LmdbEngine(const std::string& dir) {
    Check(mdb_env_create(&env_), "env_create");
    Check(mdb_env_set_mapsize(env_, kMapSizeBytes), "set_mapsize");
    Check(mdb_env_open(env_, dir.c_str(), kEnvFlags, 0644), "env_open");
    MDB_txn* txn;
    Check(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
    Check(mdb_dbi_open(txn, nullptr, 0, &dbi_), "dbi_open");
    Check(mdb_txn_commit(txn), "commit");
  }

  ~LmdbEngine() override { mdb_env_close(env_); }

  std::string name() const override { return "LMDB"; }
  std::string mode() const override {
    int major, minor, patch;
    mdb_version(&major, &minor, &patch);
    return "LMDB " + std::to_string(major) + "." + std::to_string(minor) + "." +
           std::to_string(patch) +
           ", env in a temp dir, MDB_NOSYNC|MDB_NOMETASYNC|MDB_WRITEMAP, map size " +
           std::to_string(kMapSizeBytes >> 30) + " GiB, puts with MDB_APPEND (keys ascend), " +
           "gets in one read txn reset+renewed every " + std::to_string(kGetsPerReadTxn) +
           " lookups";
  }

  void Load(const Dataset& data, size_t batch) override {
    for (size_t i = 0; i < data.documents.size(); i += batch) {
      MDB_txn* txn;
      Check(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
      const size_t end = std::min(data.documents.size(), i + batch);
      for (size_t k = i; k < end; ++k) {
        BigEndianKey key(k);
        MDB_val kv = Val(key);
        MDB_val v{data.documents[k].size(), const_cast<char*>(data.documents[k].data())};
        Check(mdb_put(txn, dbi_, &kv, &v, MDB_APPEND), "put");
      }
      Check(mdb_txn_commit(txn), "commit");
    }
  }

  uint64_t Get(const Dataset& data, size_t) override {
    MDB_txn* txn;
    Check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "txn_begin");
    std::string buf;
    uint64_t sum = 0;
    size_t in_txn = 0;
    for (uint32_t k : data.get_order) {
      if (in_txn == kGetsPerReadTxn) {
        mdb_txn_reset(txn);
        Check(mdb_txn_renew(txn), "txn_renew");
        in_txn = 0;
      }
      ++in_txn;
      BigEndianKey key(k);
      MDB_val kv = Val(key);
      MDB_val v;
      Check(mdb_get(txn, dbi_, &kv, &v), "get");
      buf.assign(View(v));
      sum += GetChecksum(buf);
    }
    mdb_txn_abort(txn);
    return sum;
  }

  uint64_t ScanAgeSum() override {
    MDB_txn* txn;
    Check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "txn_begin");
    MDB_cursor* cursor;
    Check(mdb_cursor_open(txn, dbi_, &cursor), "cursor_open");
    uint64_t sum = 0;
    MDB_val k, v;
    int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
    while (rc == MDB_SUCCESS) {
      sum += ReadAge(View(v));
      rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
    }
    if (rc != MDB_NOTFOUND) Check(rc, "cursor_get");
    mdb_cursor_close(cursor);
    mdb_txn_abort(txn);
    return sum;
  }

  void Patch(const Dataset& data) override {
    for (size_t k = 0; k < data.patch_order.size(); ++k) {
      MDB_txn* txn;
      Check(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
      BigEndianKey key(data.patch_order[k]);
      MDB_val kv = Val(key);
      MDB_val v;
      Check(mdb_get(txn, dbi_, &kv, &v), "get");
      // The merge reads the mapped bytes in place; they stay valid until the put below.
      auto merged = doc::MergePatch(View(v), data.patches[k], DocumentLimits{});
      if (!merged.ok()) Die("lmdb: MergePatch: " + merged.status().ToString());
      MDB_val nv{merged->size(), merged->data()};
      Check(mdb_put(txn, dbi_, &kv, &nv, 0), "put");
      Check(mdb_txn_commit(txn), "commit");
    }
  }

 private:
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

}  // namespace

std::unique_ptr<Engine> MakeLmdbEngine(const std::string& dir) {
  return std::make_unique<LmdbEngine>(dir);
}

}  // namespace daas::bench
