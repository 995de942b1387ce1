// DatabaseImpl: the catalog of collections, the shard table, the commit path and checkpoints.
//
// Lock order (outermost first): checkpoint_mu_ -> catalog_mu_ -> CollectionImpl::alloc_mu_ ->
// ShardTable::mu_. Shard locks are never held while taking any of these, and are taken several at a
// time only in ascending ShardId order (ShardLockSet). No file I/O happens under a shard lock.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "daas/daas.hpp"
#include "engine/collection_impl.h"
#include "engine/shard_table.h"
#include "env/env.h"
#include "storage/manifest.h"

namespace daas::engine {

// One operation of a commit, borrowing its document bytes from the caller.
struct PendingOp {
  WriteBatch::OpType type;
  CollectionImpl* collection;
  DocId id;  // null for inserts
  std::string_view document;
};

class DatabaseImpl final : public Database {
 public:
  static Result<std::unique_ptr<DatabaseImpl>> Open(const Options& options);
  ~DatabaseImpl() override;

  // Database API (daas.hpp).
  Status Close() override;
  Result<Collection*> CreateCollection(std::string_view name) override;
  Result<Collection*> GetCollection(std::string_view name) const override;
  Status DropCollection(std::string_view name) override;
  Status RenameCollection(std::string_view from, std::string_view to) override;
  std::vector<std::string> ListCollections() const override;
  Status Write(const WriteBatch& batch, std::vector<DocId>* inserted) override;
  Status GetMany(std::span<const DocRef> refs,
                 std::vector<std::optional<std::string>>* out) const override;
  Status Checkpoint() override;
  unsigned concurrency() const override;

  // Applies `ops` atomically (see Database::Write). Thread-safe.
  Status Commit(std::span<const PendingOp> ops, std::vector<DocId>* inserted);

  const Options& options() const { return options_; }
  const ShardTable& shard_table() const { return shards_; }
  // Creates and publishes an empty shard for the collection. ResourceExhausted when IDs run out.
  Result<storage::Shard*> NewShard(uint32_t collection_id);
  // Aborted after Close().
  Status CheckOpen() const;

 private:
  explicit DatabaseImpl(const Options& options);

  bool in_memory() const { return options_.dir.empty(); }
  Status Load() DAAS_EXCLUDES(checkpoint_mu_, catalog_mu_);
  Status RemoveUnreferencedFiles() DAAS_REQUIRES(checkpoint_mu_);
  Status CheckpointLocked() DAAS_REQUIRES(checkpoint_mu_);
  // Writes the manifest for the current catalog and checkpointed_ shard files.
  Status WriteManifest() DAAS_REQUIRES(checkpoint_mu_) DAAS_EXCLUDES(catalog_mu_);
  Result<CollectionImpl*> FindCollection(std::string_view name) const DAAS_REQUIRES(catalog_mu_);

  const Options options_;
  env::Env* const env_;
  std::unique_ptr<env::FileLock> dir_lock_;
  // Starts true: only a fully successful Open makes the database usable (and checkpointable), so a
  // failed Open never writes to a directory it did not load, or that another process holds.
  std::atomic<bool> closed_{true};

  ShardTable shards_;
  std::atomic<uint32_t> next_shard_id_{1};

  // Held for a whole checkpoint or manifest write, so they run one at a time.
  core::Mutex checkpoint_mu_ DAAS_ACQUIRED_BEFORE(catalog_mu_);
  uint64_t manifest_generation_ DAAS_GUARDED_BY(checkpoint_mu_) = 0;
  uint64_t next_file_number_ DAAS_GUARDED_BY(checkpoint_mu_) = 1;
  // The file holding each shard's last checkpoint (absent: never checkpointed).
  std::unordered_map<uint32_t, storage::ManifestShard> checkpointed_
      DAAS_GUARDED_BY(checkpoint_mu_);

  mutable core::Mutex catalog_mu_;
  std::map<std::string, CollectionImpl*, std::less<>> by_name_ DAAS_GUARDED_BY(catalog_mu_);
  // Every collection ever opened here, dropped ones too: Collection* handles stay valid.
  std::vector<std::unique_ptr<CollectionImpl>> collections_ DAAS_GUARDED_BY(catalog_mu_);
  uint32_t next_collection_id_ DAAS_GUARDED_BY(catalog_mu_) = 1;
};

}  // namespace daas::engine
