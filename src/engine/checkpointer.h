// Checkpointer: the manifest and the checkpoints it commits.
//
// A checkpoint writes each shard changed since the last one to a new file (without the shard lock
// for the I/O), then commits them all by replacing the manifest, which also records the catalog
// (collections, schemas, migrations) and how far the log is covered; then it deletes the files and
// log segments nothing names any more. Catalog and schema changes write the manifest too.
//
// State, under mu_: the manifest's generation and covered LSN, the next file number, the file of
// each checkpointed shard, and the triggers' marks. mu_ is held for a whole checkpoint or manifest
// write, and by every catalog or schema change (which the manifest records), so all of them run
// one at a time; it is the outermost lock of the engine.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "daas/daas.hpp"
#include "engine/catalog.h"
#include "engine/commit_log.h"
#include "engine/shard_table.h"
#include "env/env.h"
#include "storage/manifest.h"

namespace daas::engine {

class Checkpointer {
 public:
  // For an in-memory database (`options.dir` empty) there is no manifest: manifest writes are OK
  // at once and mu_ only serializes catalog and schema changes.
  Checkpointer(env::Env* env, const Options& options, CommitLog* log, const Catalog* catalog,
               const ShardTable* shards)
      : env_(env), options_(options), log_(log), catalog_(catalog), shards_(shards) {}
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  core::Mutex* mu() const DAAS_RETURN_CAPABILITY(mu_) { return &mu_; }

  // --- open (Recovery) ---
  // Takes the state the manifest on disk records: its generation and covered LSN, the next file
  // number, and each shard's file.
  void Restore(const storage::Manifest& m) DAAS_REQUIRES(mu_);
  // covered_lsn of the manifest on disk: log segments are deleted only up to it, so the log always
  // reaches back to it (recovery checks that, to notice deleted segments).
  uint64_t manifest_covered_lsn() const DAAS_REQUIRES(mu_) { return manifest_covered_lsn_; }
  // The LSN after the newest any shard file holds.
  uint64_t LsnAfterFiles() const DAAS_REQUIRES(mu_);
  // Recovery is done: every log record up to `lsn` is in the shard files.
  void Recovered(uint64_t lsn) DAAS_REQUIRES(mu_);
  // Corruption when a shard file the manifest names is missing; else removes the files of ours
  // the manifest does not name (leftovers of interrupted checkpoints).
  Status ReconcileFiles() DAAS_REQUIRES(mu_);

  // Writes every shard changed since the last checkpoint and commits them with a new manifest;
  // then deletes the log segments and files it superseded. A failure is sticky.
  Status Checkpoint() DAAS_REQUIRES(mu_);
  // After a checkpoint: writes out the log, starts an empty segment and deletes the segments the
  // checkpoint covered, the one that was being written too. Best effort: a failure loses nothing.
  void DropCoveredLog() DAAS_REQUIRES(mu_);
  // Whether a checkpoint is due by the Options' triggers (log bytes, time).
  bool Due() const DAAS_REQUIRES(mu_);
  // WriteManifest for a catalog change (create, rename, drop, schema); a failure is sticky. OK in
  // memory.
  Status CommitCatalogChange() DAAS_REQUIRES(mu_);
  // Writes the manifest for the current catalog and checkpointed shard files, saying that every
  // log record up to `covered_lsn` is in those files.
  Status WriteManifest(uint64_t covered_lsn) DAAS_REQUIRES(mu_);
  // Forgets the files of `shards` (their collection was dropped): their names, to remove once a
  // manifest that no longer names them is written.
  std::vector<std::string> Forget(std::span<storage::Shard* const> shards) DAAS_REQUIRES(mu_);

  // Adds the checkpoint LSN and the files' count and bytes to *st.
  Status AddStats(DatabaseStats* st) const DAAS_REQUIRES(mu_);

 private:
  bool in_memory() const { return options_.dir.empty(); }

  env::Env* const env_;
  const Options& options_;
  CommitLog* const log_;
  const Catalog* const catalog_;
  const ShardTable* const shards_;

  mutable core::Mutex mu_;
  uint64_t manifest_generation_ DAAS_GUARDED_BY(mu_) = 0;
  uint64_t next_file_number_ DAAS_GUARDED_BY(mu_) = 1;
  // Log bytes appended and time at the last checkpoint, for its triggers.
  uint64_t log_mark_ DAAS_GUARDED_BY(mu_) = 0;
  std::chrono::steady_clock::time_point last_ DAAS_GUARDED_BY(mu_);
  uint64_t checkpoint_lsn_ DAAS_GUARDED_BY(mu_) = 0;  // `covered` of the last one
  uint64_t manifest_covered_lsn_ DAAS_GUARDED_BY(mu_) = 0;
  // The file holding each shard's last checkpoint (absent: never checkpointed).
  std::unordered_map<uint32_t, storage::ManifestShard> checkpointed_ DAAS_GUARDED_BY(mu_);
};

}  // namespace daas::engine
