// CheckDirectory: what `daas check` does. Reads every file of a database and verifies everything
// opening it verifies (every checksum and grammar rule, every shard file against its manifest
// entry, the log against the manifest), without changing anything (it takes no lock, runs no
// recovery and cuts no torn tail): run it on a database no process has open, or it may see a
// write in progress.
//
// Invariant: a directory the check passes opens (with the CatalogCheck of the engine, which
// engine::CheckDatabase supplies).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daas/status.h"
#include "env/env.h"
#include "storage/manifest.h"

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

// What the layers above storage require of a manifest's catalog before they open it (collection
// names, schemas that parse), which storage cannot judge: Corruption naming what breaks it.
using CatalogCheck = std::function<Status(const Manifest&)>;

// Checks the database in `dir`. `catalog` may be empty (storage's rules only). Errors: only when
// the directory cannot be read at all (NotFound, IOError, and Corruption when it holds data but no
// MANIFEST); damage is reported in CheckReport::problems.
Result<CheckReport> CheckDirectory(env::Env* env, const std::string& dir,
                                   const CatalogCheck& catalog);

// CheckDirectory with `manifest_bytes` taken as the MANIFEST (read from `dir`, or about to be
// written there: a copy is checked before its manifest makes it a database).
CheckReport CheckFiles(env::Env* env, const std::string& dir, std::string_view manifest_bytes,
                       const CatalogCheck& catalog);

// For a directory without a MANIFEST: Corruption naming what is there when it still holds shard
// files or log segments (the manifest was lost, and a new database started there would discard
// them) or the INCOMPLETE marker of an interrupted backup or restore; OK when it holds none.
Status CheckNoDataWithoutManifest(env::Env* env, const std::string& dir);

}  // namespace daas::storage
