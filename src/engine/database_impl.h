// DatabaseImpl: the catalog of collections, the shard table, the commit path and checkpoints.
//
// Lock order (outermost first): checkpoint_mu_ -> catalog_mu_ -> CollectionImpl::alloc_mu_ ->
// ShardTable::mu_; shard locks -> alloc_mu_ (a load hands its shard's free slots to the allocator);
// load_mu_ is a leaf; shard locks -> the WalWriter's buffer mutex (a commit appends its record
// while holding its shard locks, so LSN order is apply order; the fdatasync happens after they are
// released). Shard locks are never held while taking any of these, and are taken several at a
// time only in ascending ShardId order (ShardLockSet). No file I/O happens under a shard lock.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "daas/daas.hpp"
#include "engine/change_feed.h"
#include "engine/collection_impl.h"
#include "engine/shard_table.h"
#include "engine/snapshot_registry.h"
#include "engine/transaction.h"
#include "env/env.h"
#include "storage/manifest.h"
#include "storage/wal/wal_writer.h"

namespace daas::engine {

class DatabaseImpl final : public Database {
 public:
  // `env` performs every file operation (tests pass a fault-injecting one); it must outlive the
  // database.
  static Result<std::unique_ptr<DatabaseImpl>> Open(const Options& options,
                                                    env::Env* env = env::Env::Default());
  ~DatabaseImpl() override;

  // Database API (daas.hpp).
  Status Close() override;
  Result<Collection*> CreateCollection(std::string_view name) override;
  Result<Collection*> GetCollection(std::string_view name) const override;
  Status DropCollection(std::string_view name) override;
  Status RenameCollection(std::string_view from, std::string_view to) override;
  std::vector<std::string> ListCollections() const override;
  using Database::Write;
  Status Write(const WriteBatch& batch, std::vector<DocId>* inserted,
               const WriteOptions& options) override;
  using Database::BeginTransaction;
  Result<std::unique_ptr<daas::Transaction>> BeginTransaction(
      const TransactionOptions& options) override;
  Result<std::unique_ptr<ChangeFeed>> SubscribeChanges(const FeedOptions& options) override;
  Status ApplySchemaFile(std::string_view schema_file, std::vector<std::string>* changed) override;
  Result<std::string> GetSchemaFile() const override;
  Result<std::string> TypeScript() const override;
  Status Sync() override;
  uint64_t visible_lsn() const override;
  uint64_t durable_lsn() const override;
  Status GetMany(std::span<const DocRef> refs,
                 std::vector<std::optional<std::string>>* out) const override;
  Status Checkpoint() override;
  Status Compact() override;
  Status Backup(const std::string& dir) override;
  Result<DatabaseStats> Stats() const override;
  unsigned concurrency() const override;

  // A collection's schema as the manifest records it, parsed: what it is, and, while it migrates,
  // the migration from the one before.
  struct CatalogSchema {
    std::shared_ptr<const schema::CollectionSchema> schema;
    std::shared_ptr<const CollectionImpl::Migration> migration;
  };
  // What open requires of a manifest's catalog beyond storage::DecodeManifest: valid, distinct
  // collection names, and schemas and migration sources that parse and diff. The parsed schemas by
  // collection name (collections without one are left out); Corruption naming the collection.
  static Result<std::unordered_map<std::string, CatalogSchema>> ParseCatalog(
      const storage::Manifest& m);
  // ParseCatalog's verdict alone: the CatalogCheck of CheckDatabase (backup.h).
  static Status CheckCatalog(const storage::Manifest& m) { return ParseCatalog(m).status(); }

  // Applies `ops` atomically (see Database::Write), durable as `sync` says: a Transaction, run
  // again when a schema change came in between. Thread-safe.
  // `reads` (null: none) is an interactive transaction's read set, validated at commit (a failed
  // validation is Conflict); *lsn, when not null, receives the commit's LSN: 0 when nothing was
  // applied, nonzero once it was, also when the wait for durability then failed.
  Status Commit(std::span<const PendingOp> ops, std::vector<DocId>* inserted, SyncMode sync,
                const ReadSet* reads = nullptr, uint64_t* lsn = nullptr);

  // --- services of the commit path (Transaction) ---

  // The first durability error (log or checkpoint): once set, every write and checkpoint fails
  // with it until the database is reopened.
  Status StickyError() const DAAS_EXCLUDES(error_mu_);
  void SetStickyError(const Status& s) DAAS_EXCLUDES(error_mu_);
  // Whether commits are logged (the database has a directory); in memory they are only sequenced.
  bool logged() const { return wal_ != nullptr; }
  // The commit's LSN: its record (`payload`) appended to the log, or in memory the next number
  // of the sequencer (the payload is then unused and may be empty). Requires the exclusive locks of
  // every shard the commit changed (W2). Errors: the log's (a sticky error, a record too large);
  // the commit must then roll back.
  Result<uint64_t> Sequence(std::string_view payload);
  // The commits, for the change feed's subscribers.
  ChangeFeedHub& feed() { return feed_; }
  // The open snapshots (read-only transactions), for the commits that keep old versions for them.
  SnapshotRegistry& snapshots() { return snapshots_; }
  // A snapshot as of the last LSN handed out, expiring at `deadline`; close it with
  // snapshots().Close.
  std::shared_ptr<SnapshotRegistry::State> OpenSnapshot(
      SnapshotRegistry::Clock::time_point deadline);
  // Drops, in every live shard, the old versions no open snapshot reads any more (Shard, "old
  // versions"), taking the lock of each shard that keeps some, one at a time, if it is free at
  // once; a busy shard is pruned by its next write. Does nothing when the calling thread holds a
  // shard lock. Waits for no shard lock.
  void PruneHistory() DAAS_EXCLUDES(prune_mu_);
  // Writes the log out (no fdatasync) up to `lsn`, so that reading the files back sees it. OK in
  // memory.
  Status FlushLog(uint64_t lsn);
  env::Env* env() const { return env_; }
  // The collection with catalog ID `id`, dropped ones included; null when there is none.
  CollectionImpl* CollectionById(uint32_t id) const DAAS_EXCLUDES(catalog_mu_);
  // Returns once the log is fdatasync'ed up to `lsn`; OK at once in memory. A failure is made
  // sticky and returned. Requires: no shard lock held.
  Status AwaitDurable(uint64_t lsn);
  // The collections not dropped, by name.
  std::vector<CollectionImpl*> LiveCollections() const DAAS_EXCLUDES(catalog_mu_);
  // The live collection named `name`, or null.
  CollectionImpl* LiveCollection(std::string_view name) const DAAS_EXCLUDES(catalog_mu_);

  const Options& options() const { return options_; }
  const ShardTable& shard_table() const { return shards_; }
  // Makes sure `shard`, one of `coll`'s, is loaded (Shard: lazy loading): returns at once when it
  // is, else loads its file, or waits for the thread that is loading it. Corruption naming the
  // file and byte offset when the file is damaged; the shard then fails every later load the same
  // way, and the rest of the database works on. Takes no lock the caller may hold. Thread-safe.
  // `cancel` (background loads only): when it reads true the load stops, the shard stays cold, and
  // the result is Aborted.
  Status LoadShard(const CollectionImpl* coll, storage::Shard* shard,
                   const std::atomic<bool>* cancel = nullptr) const DAAS_EXCLUDES(load_mu_);
  // Collection::SetSchema for `coll`.
  Status SetSchema(CollectionImpl* coll, std::string_view schema_json)
      DAAS_EXCLUDES(checkpoint_mu_, catalog_mu_);
  // Creates and publishes an empty shard for the collection. ResourceExhausted when IDs run out.
  Result<storage::Shard*> NewShard(uint32_t collection_id);
  // Aborted after Close().
  Status CheckOpen() const;
  // Counts schema installs (CollectionImpl::InstallSchema calls SchemaInstalled after setting
  // has_refs): a commit with deletes reads it before choosing which collections may point at what
  // it deletes, and starts over if it moved before the commit's shard locks were held.
  void SchemaInstalled() { schema_epoch_.fetch_add(1, std::memory_order_release); }
  uint64_t schema_epoch() const { return schema_epoch_.load(std::memory_order_acquire); }

  // Rewrites the documents of `coll`'s running migration, shard by shard, then ends it
  // (migration.cc). OK at once when none runs. Errors: the database's sticky error, Aborted when
  // it closes, NotFound when the collection is dropped; the migration then stays recorded and the
  // next open resumes it.
  Status RunMigration(CollectionImpl* coll) DAAS_EXCLUDES(checkpoint_mu_, catalog_mu_);
  // Waits until `coll` takes writes (CollectionImpl::SchemaSnapshot::paused: no migration runs and
  // its indexes are built). Errors: Aborted (closed), the sticky error, NotFound (dropped), which
  // a failed migration or index build, or a close, give waiters.
  Status AwaitWritable(CollectionImpl* coll) const;
  // Those errors, now: Aborted (closed), the sticky error, NotFound (dropped); else OK.
  Status CheckWritable(const CollectionImpl* coll) const;
  // Called after each shard a migration commits; returning false stops the migration there, as a
  // crash would (tests then call AbandonForTesting). Set before the migration starts.
  void SetMigrationHookForTesting(std::function<bool(ShardId)> hook) {
    migration_hook_ = std::move(hook);
  }

  // Stops like a killed process would: no flush, no checkpoint; the directory lock is released.
  // What was durable stays, the rest is lost. Afterwards every call fails with Aborted.
  void AbandonForTesting();

 private:
  DatabaseImpl(const Options& options, env::Env* env);

  bool in_memory() const { return options_.dir.empty(); }
  // The last LSN handed out, read in the order SnapshotRegistry and ChangeFeedHub rely on: under
  // the log's mutex, or seq-cst from the in-memory sequencer.
  uint64_t LastLsn() const;
  Status Load() DAAS_EXCLUDES(checkpoint_mu_, catalog_mu_);
  // Replays the log over the loaded shards and opens it for appending.
  Status RecoverLog(const std::unordered_map<uint32_t, CollectionImpl*>& by_id,
                    std::vector<std::unique_ptr<storage::Shard>>* created)
      DAAS_REQUIRES(checkpoint_mu_);
  // Flushes the log for kNormal/kOff and starts checkpoints when their triggers fire.
  void BackgroundLoop() DAAS_EXCLUDES(bg_mu_);
  void StopBackground() DAAS_EXCLUDES(bg_mu_);
  // At open: Corruption when a shard file the manifest names is missing; else removes the files
  // of ours the manifest does not name (leftovers of interrupted checkpoints).
  Status ReconcileFiles() DAAS_REQUIRES(checkpoint_mu_);
  // Reads and loads the file of a shard this thread moved to kLoading.
  Status LoadShardFile(const CollectionImpl* coll, storage::Shard* shard,
                       const std::atomic<bool>* cancel) const DAAS_EXCLUDES(load_mu_);
  // The pause before background work after open: a process that opens the database for a few
  // reads is done before the work would compete with it for the disk and the CPU. False when the
  // database started closing meanwhile. With `for_writers`, a writer waiting (prepare_now_) ends
  // the pause.
  bool PauseAfterOpen(bool for_writers) DAAS_EXCLUDES(bg_mu_);
  // Loads, one by one, the shards no one has touched since open (Options::load_in_background).
  void LoadInBackground() DAAS_EXCLUDES(bg_mu_);
  // After open and its pause (cut short by the first writer that waits for it): resumes the
  // migrations the manifest records, and builds the indexes schemas ask for; writes to each
  // collection wait until its part is done.
  void PrepareInBackground() DAAS_EXCLUDES(bg_mu_);
  // Builds `coll`'s pending indexes from its stored documents (migration.cc).
  Status BuildIndexes(CollectionImpl* coll) DAAS_EXCLUDES(checkpoint_mu_, catalog_mu_);
  // "collection 'users' is referenced by posts.author": the live schemas with a ref to `name`
  // (other than `except`'s), empty when none.
  std::string ReferencedBy(std::string_view name, const CollectionImpl* except) const;
  // SetSchema's checks and install, under the checkpoint lock; sets *migrate when the new schema
  // needs the stored documents rewritten (the caller then runs RunMigration). With `commit`
  // false the manifest is not written: the caller writes it once for several changes
  // (ApplySchemaFile), or puts the old schema back.
  Status SetSchemaLocked(CollectionImpl* coll,
                         std::shared_ptr<const schema::CollectionSchema> parsed,
                         std::string canonical, bool* migrate, bool commit = true)
      DAAS_REQUIRES(checkpoint_mu_) DAAS_EXCLUDES(catalog_mu_);
  // Every live collection's schema as one parsed schema file (collections without one left out).
  Result<schema::Schema> CurrentSchemas() const;
  Status CheckpointLocked() DAAS_REQUIRES(checkpoint_mu_);
  // After a checkpoint: writes out the log, starts an empty segment and deletes the segments the
  // checkpoint covered, the one that was being written too. Best effort: a failure loses nothing.
  void DropCoveredLog() DAAS_REQUIRES(checkpoint_mu_);
  // WriteManifest for a catalog change (create, rename, drop); a failure is sticky. OK in memory.
  Status CommitCatalogChange() DAAS_REQUIRES(checkpoint_mu_) DAAS_EXCLUDES(catalog_mu_);
  // Writes the manifest for the current catalog and checkpointed_ shard files, saying that every
  // log record up to `covered_lsn` is in those files.
  Status WriteManifest(uint64_t covered_lsn) DAAS_REQUIRES(checkpoint_mu_)
      DAAS_EXCLUDES(catalog_mu_);
  Result<CollectionImpl*> FindCollection(std::string_view name) const DAAS_REQUIRES(catalog_mu_);

  const Options options_;
  env::Env* const env_;
  // Held while open: the directory's lock, and the LOCK file's (Open says why both).
  std::unique_ptr<env::FileLock> dir_lock_;
  std::unique_ptr<env::FileLock> lock_file_lock_;
  // Null in memory. Set during Open, before any other thread can see the database.
  std::unique_ptr<storage::wal::WalWriter> wal_;
  // The sequencer of an in-memory database: the last LSN handed out (the log's, otherwise).
  // Seq-cst: the change feed's subscribe and publish rely on it (ChangeFeedHub::active).
  std::atomic<uint64_t> memory_lsn_{0};
  ChangeFeedHub feed_;
  SnapshotRegistry snapshots_;
  core::Mutex prune_mu_;  // one PruneHistory pass at a time

  mutable core::Mutex error_mu_;
  Status sticky_error_ DAAS_GUARDED_BY(error_mu_);
  std::atomic<bool> has_error_{false};  // relaxed fast path for StickyError's common OK case

  mutable core::Mutex bg_mu_;
  mutable core::CondVar bg_cv_;
  bool bg_stop_ DAAS_GUARDED_BY(bg_mu_) = false;
  // Set by a writer that waits for the preparer: it starts at once instead of after its pause.
  mutable bool prepare_now_ DAAS_GUARDED_BY(bg_mu_) = false;
  std::thread background_;
  std::thread loader_;    // LoadInBackground
  std::thread preparer_;  // PrepareInBackground
  std::function<bool(ShardId)> migration_hook_;
  // Set when closing starts; background loads and index builds poll it. Relaxed: it only makes
  // them stop early, and StopBackground's join orders everything they did.
  std::atomic<bool> stopping_{false};
  // Starts true: only a fully successful Open makes the database usable (and checkpointable), so a
  // failed Open never writes to a directory it did not load, or that another process holds.
  std::atomic<bool> closed_{true};

  ShardTable shards_;
  std::atomic<uint32_t> next_shard_id_{1};
  std::atomic<uint64_t> schema_epoch_{0};

  // Held for a whole checkpoint or manifest write, so they run one at a time.
  mutable core::Mutex checkpoint_mu_ DAAS_ACQUIRED_BEFORE(catalog_mu_);
  uint64_t manifest_generation_ DAAS_GUARDED_BY(checkpoint_mu_) = 0;
  uint64_t next_file_number_ DAAS_GUARDED_BY(checkpoint_mu_) = 1;
  // Log bytes appended and time at the last checkpoint, for its triggers.
  uint64_t checkpoint_log_mark_ DAAS_GUARDED_BY(checkpoint_mu_) = 0;
  uint64_t checkpoint_lsn_ DAAS_GUARDED_BY(checkpoint_mu_) = 0;  // `covered` of the last one
  // covered_lsn of the manifest on disk: log segments are deleted only up to it, so the log always
  // reaches back to it (recovery checks that, to notice deleted segments).
  uint64_t manifest_covered_lsn_ DAAS_GUARDED_BY(checkpoint_mu_) = 0;
  std::chrono::steady_clock::time_point last_checkpoint_ DAAS_GUARDED_BY(checkpoint_mu_);
  // The file holding each shard's last checkpoint (absent: never checkpointed).
  std::unordered_map<uint32_t, storage::ManifestShard> checkpointed_
      DAAS_GUARDED_BY(checkpoint_mu_);

  // Shards not loaded yet: the manifest entry of each cold one, and the error of each that failed.
  mutable core::Mutex load_mu_;
  mutable core::CondVar load_cv_;  // signalled when a load ends
  mutable std::unordered_map<uint32_t, storage::ManifestShard> cold_ DAAS_GUARDED_BY(load_mu_);
  mutable std::unordered_map<uint32_t, Status> load_errors_ DAAS_GUARDED_BY(load_mu_);

  mutable core::Mutex catalog_mu_;
  std::map<std::string, CollectionImpl*, std::less<>> by_name_ DAAS_GUARDED_BY(catalog_mu_);
  // Every collection ever opened here, dropped ones too: Collection* handles stay valid.
  std::vector<std::unique_ptr<CollectionImpl>> collections_ DAAS_GUARDED_BY(catalog_mu_);
  uint32_t next_collection_id_ DAAS_GUARDED_BY(catalog_mu_) = 1;
};

}  // namespace daas::engine
