// One storage engine under the workload (daas_workload.cc): DaaS, SQLite or LMDB, each driven the
// way its own users would drive it, through the same phases.
//
// Invariant: every phase hands back a value computed from the bytes the engine returned (a checksum
// or an age sum), which the driver compares with the Dataset's expected value, so no engine can
// skip work and the compiler cannot drop it.
#pragma once

#include <errno.h>  // program_invocation_short_name (glibc)

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dataset.h"

namespace daas::bench {

// Memory figures only DaaS reports (phase 5).
struct MemoryReport {
  uint64_t memory_bytes = 0;      // CollectionStats::memory_bytes
  uint64_t document_bytes = 0;    // CollectionStats::document_bytes
  uint64_t rss_growth_bytes = 0;  // /proc/self/statm resident, after minus before the load
};

class Engine {
 public:
  virtual ~Engine() = default;

  virtual std::string name() const = 0;
  // How the engine is configured (durability, caches), printed with the results.
  virtual std::string mode() const = 0;

  // Phase 1: stores every document, `batch` per transaction; document i under key i.
  virtual void Load(const Dataset& data, size_t batch) = 0;
  // Phase 2, untimed: turns data.get_order into the engine's keys, as an application would hold
  // them before it asks (DaaS IDs are opaque and must be stored; the peers' keys are the index).
  virtual void PrepareGets(const Dataset& data) { (void)data; }
  // Phase 2 can run in several ways (e.g. autocommit or batched read transactions); Get(data, i)
  // runs way i, named by get_ways()[i].
  virtual std::vector<std::string> get_ways() const { return {"1 thread"}; }
  // Copies each document of data.get_order into a reused string; returns the GetChecksum sum.
  virtual uint64_t Get(const Dataset& data, size_t way) = 0;
  // Phase 3: the sum of every document's age, on one thread.
  virtual uint64_t ScanAgeSum() = 0;
  // Phase 3 on all the engine's worker threads, with the thread count; nullopt if not supported.
  virtual std::optional<std::pair<uint64_t, unsigned>> ParallelScanAgeSum() { return std::nullopt; }
  // Phase 4: applies data.patches[k] to document data.patch_order[k], one transaction each.
  virtual void Patch(const Dataset& data) = 0;
  // Phase 5, for engines that report it.
  virtual std::optional<MemoryReport> Memory() const { return std::nullopt; }
};

std::unique_ptr<Engine> MakeDaasEngine();
// `dir` is an empty directory the engine owns for the run.
std::unique_ptr<Engine> MakeSqliteEngine(const std::string& dir);
std::unique_ptr<Engine> MakeLmdbEngine(const std::string& dir);

// Document key i as 8 big-endian bytes, so the key-value peers (LMDB, RocksDB) keep keys in
// numeric order.
struct BigEndianKey {
  explicit BigEndianKey(uint64_t k) {
    for (int i = 7; i >= 0; --i, k >>= 8) bytes[i] = static_cast<char>(k);
  }
  char bytes[8];
};

// Benchmark code has nowhere to send errors: it prints and exits, so a number is never reported for
// work that failed. The message starts with the binary's name (daas_workload, daas_durable, ...).
[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
  std::exit(1);
}

}  // namespace daas::bench
