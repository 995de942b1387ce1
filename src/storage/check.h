// CheckDirectory: what `daas check` does. Reads every file of a database and verifies every
// checksum and grammar rule, without changing anything (it takes no lock, runs no recovery and
// cuts no torn tail): run it on a database no process has open, or it may see a write in progress.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "daas/status.h"
#include "env/env.h"

namespace daas::storage {

struct CheckReport {
  uint64_t collections = 0;
  uint64_t shards = 0;
  uint64_t shard_files = 0;
  uint64_t checkpoint_documents = 0;  // in shard files
  uint64_t log_segments = 0;
  uint64_t log_records = 0;
  uint64_t log_bytes = 0;
  uint64_t last_lsn = 0;
  // A torn log tail is not damage (that commit was never acknowledged) and is described here;
  // opening the database cuts it.
  std::string torn_tail;
  // Each problem found, as its Corruption message (file and byte offset). Empty: all is well.
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

// Errors: only when the directory cannot be read at all (NotFound, IOError); damage is reported in
// CheckReport::problems.
Result<CheckReport> CheckDirectory(env::Env* env, const std::string& dir);

// For a directory without a MANIFEST: Corruption naming what is there when it still holds shard
// files or log segments (the manifest was lost, and a new database started there would discard
// them), OK when it holds none.
Status CheckNoDataWithoutManifest(env::Env* env, const std::string& dir);

}  // namespace daas::storage
