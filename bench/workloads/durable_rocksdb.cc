// The durable workload's RocksDB peer: default options, WriteOptions.sync true or false.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <string>

#include "durable_engine.h"
#include "engine.h"

namespace daas::bench {
namespace {

void CheckRocks(const rocksdb::Status& s, const char* what) {
  if (!s.ok()) Die(std::string("rocksdb: ") + what + ": " + s.ToString());
}

class DurableRocksdb final : public DurableEngine {
 public:
  DurableRocksdb(const std::string& dir, bool sync) : sync_(sync) {
    rocksdb::Options options;
    options.create_if_missing = true;
    compression_ = options.compression;
    rocksdb::DB* db = nullptr;
    CheckRocks(rocksdb::DB::Open(options, dir, &db), "open");
    db_.reset(db);
    write_.sync = sync_;
  }

  std::string name() const override { return "RocksDB"; }
  std::string durability() const override {
    return sync_ ? "WriteOptions.sync=true" : "WriteOptions.sync=false";
  }
  std::string mode() const override {
    return "RocksDB " + std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." +
           std::to_string(ROCKSDB_PATCH) + ", default Options (compression " +
           (compression_ == rocksdb::kSnappyCompression ? std::string("snappy")
            : compression_ == rocksdb::kNoCompression
                ? std::string("none")
                : "type " + std::to_string(static_cast<int>(compression_))) +
           ", 64 MiB memtable), " + durability() +
           ", WAL on, concurrent writers (RocksDB groups them)";
  }
  bool durable() const override { return sync_; }

  void Load(const Dataset& data, size_t batch) override {
    rocksdb::WriteBatch wb;
    for (size_t i = 0; i < data.documents.size(); i += batch) {
      wb.Clear();
      const size_t end = std::min(data.documents.size(), i + batch);
      for (size_t k = i; k < end; ++k) {
        BigEndianKey key(k);
        CheckRocks(wb.Put(rocksdb::Slice(key.bytes, sizeof(key.bytes)), data.documents[k]),
                   "batch put");
      }
      CheckRocks(db_->Write(write_, &wb), "write");
    }
  }
  void InsertOne(unsigned, uint64_t key, std::string_view document) override {
    BigEndianKey k(key);
    CheckRocks(db_->Put(write_, rocksdb::Slice(k.bytes, sizeof(k.bytes)),
                        rocksdb::Slice(document.data(), document.size())),
               "put");
  }
  uint64_t Count() override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    uint64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    CheckRocks(it->status(), "iterate");
    return n;
  }
  void Close() override {
    if (!db_) return;
    // Flush the memtable into SST files, so the disk figure is the data's and not the log's.
    CheckRocks(db_->Flush(rocksdb::FlushOptions()), "flush");
    CheckRocks(db_->Close(), "close");
    db_.reset();
  }

 private:
  bool sync_;
  rocksdb::CompressionType compression_ = rocksdb::kNoCompression;
  rocksdb::WriteOptions write_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

std::unique_ptr<DurableEngine> MakeDurableRocksdb(const std::string& dir, bool sync) {
  return std::make_unique<DurableRocksdb>(dir, sync);
}

}  // namespace daas::bench
