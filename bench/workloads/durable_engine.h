// One storage engine in one durability mode under the durable workload (daas_durable.cc): DaaS,
// SQLite, LMDB or RocksDB, each writing to a directory on the machine's disk.
//
// Invariant: every commit the engine acknowledges is counted by Count() afterwards, which the
// driver compares with the number of commits it made, so no engine can skip writes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dataset.h"

namespace daas::bench {

class DurableEngine {
 public:
  virtual ~DurableEngine() = default;

  virtual std::string name() const = 0;
  // The durability setting alone, e.g. "synchronous=FULL", for the row's "how" column.
  virtual std::string durability() const = 0;
  // The whole configuration, printed in the header.
  virtual std::string mode() const = 0;
  // True when an acknowledged commit survives a power cut.
  virtual bool durable() const = 0;

  // Stores every document, `batch` per commit; document i under key i.
  virtual void Load(const Dataset& data, size_t batch) = 0;
  // Before InsertOne is called from `threads` threads (thread indexes 0 .. threads-1).
  virtual void PrepareThreads(unsigned threads) { (void)threads; }
  // One commit of one document under `key` (unique in the run), made by committer `thread`.
  // Thread-safe for distinct `thread` values.
  virtual void InsertOne(unsigned thread, uint64_t key, std::string_view document) = 0;
  // Documents stored.
  virtual uint64_t Count() = 0;
  // Makes everything durable and releases the files (the disk-use figure is taken after it).
  virtual void Close() = 0;
};

// `dir` is an empty directory the engine owns.
std::unique_ptr<DurableEngine> MakeDurableSqlite(const std::string& dir, bool full);
std::unique_ptr<DurableEngine> MakeDurableLmdb(const std::string& dir, bool sync);
std::unique_ptr<DurableEngine> MakeDurableRocksdb(const std::string& dir, bool sync);

}  // namespace daas::bench
