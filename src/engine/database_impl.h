// DatabaseImpl: the Database of the API, composed of units that each own their state and lock
// (docs/architecture.md draws them): the Catalog of collections, the ShardTable, the ShardLoader
// of cold shards, the CommitLog (sequencer, write-ahead log, sticky error), the Checkpointer
// (manifest and checkpoints), the ChangeFeedHub and the SnapshotRegistry; Recovery fills them at
// open. What is left here is what spans them: the commit entry point, catalog and schema changes,
// reads across collections, and the background threads.
//
// Lock order (outermost first): Checkpointer::mu_ -> Catalog::mu_ -> CollectionImpl::alloc_mu_ ->
// ShardTable::mu_; shard locks -> alloc_mu_ (a load hands its shard's free slots to the allocator);
// ShardLoader::mu_ is a leaf; shard locks -> the WalWriter's buffer mutex (a commit appends its
// record while holding its shard locks, so LSN order is apply order; the fdatasync happens after
// they are released). Shard locks are never held while taking any of these, and are taken several
// at a time only in ascending ShardId order (ShardLockSet). No file I/O happens under a shard lock.
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
#include "engine/catalog.h"
#include "engine/change_feed.h"
#include "engine/checkpointer.h"
#include "engine/collection_impl.h"
#include "engine/commit_log.h"
#include "engine/shard_loader.h"
#include "engine/shard_table.h"
#include "engine/snapshot_registry.h"
#include "engine/transaction.h"
#include "env/env.h"

namespace daas::engine {

class DatabaseImpl final : public Database, public CollectionHost {
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
  uint64_t visible_lsn() const override { return log_.LastLsn(); }
  uint64_t durable_lsn() const override { return log_.durable_lsn(); }
  Status GetMany(std::span<const DocRef> refs,
                 std::vector<std::optional<std::string>>* out) const override {
    return ReadMany(refs, CollectionImpl::kLatest, out, nullptr);
  }
  Status Checkpoint() override;
  Status Compact() override;
  Status Backup(const std::string& dir) override;
  Result<DatabaseStats> Stats() const override;
  unsigned concurrency() const override;

  // CollectionHost.
  Status CommitOps(std::span<const PendingOp> ops, std::vector<DocId>* inserted) override {
    return Commit(ops, inserted, options_.sync);
  }
  Status SetSchema(CollectionImpl* coll, std::string_view schema_json) override;

  // Applies `ops` atomically (see Database::Write), durable as `sync` says: a Transaction, run
  // again when a schema change came in between. Thread-safe.
  // `reads` (null: none) is an interactive transaction's read set, validated at commit (a failed
  // validation is Conflict); *lsn, when not null, receives the commit's LSN: 0 when nothing was
  // applied, nonzero once it was, also when the wait for durability then failed.
  Status Commit(std::span<const PendingOp> ops, std::vector<DocId>* inserted, SyncMode sync,
                const ReadSet* reads = nullptr, uint64_t* lsn = nullptr);

  // GetMany as of LSN `at`: CollectionImpl::kLatest (now), or an open snapshot's. When `versions`
  // is not null, (*versions)[i] receives the version of refs[i]'s document, 0 when it is absent.
  Status ReadMany(std::span<const DocRef> refs, uint64_t at,
                  std::vector<std::optional<std::string>>* out,
                  std::vector<uint64_t>* versions) const;

  // --- the units, for the commit path (Transaction), transactions, cursors and the feed ---
  CommitLog& log() { return log_; }
  const Catalog& catalog() const { return catalog_; }
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
  env::Env* env() const { return env_; }
  const Options& options() const { return options_; }

  // Rewrites the documents of `coll`'s running migration, shard by shard, then ends it
  // (migration.cc). OK at once when none runs. Errors: the database's sticky error, Aborted when
  // it closes, NotFound when the collection is dropped; the migration then stays recorded and the
  // next open resumes it.
  Status RunMigration(CollectionImpl* coll) DAAS_EXCLUDES(checkpointer_.mu());
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
  // Flushes the log for kNormal/kOff and starts checkpoints when their triggers fire.
  void BackgroundLoop() DAAS_EXCLUDES(bg_mu_);
  void StopBackground() DAAS_EXCLUDES(bg_mu_);
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
  Status BuildIndexes(CollectionImpl* coll) DAAS_EXCLUDES(checkpointer_.mu());
  // SetSchema's checks and install (schema_change.cc); sets *migrate when the new schema needs
  // the stored documents rewritten (the caller then runs RunMigration). With `commit` false the
  // manifest is not written: the caller writes it once for several changes (ApplySchemaFile), or
  // puts the old schema back.
  Status SetSchemaLocked(CollectionImpl* coll,
                         std::shared_ptr<const schema::CollectionSchema> parsed,
                         std::string canonical, bool* migrate, bool commit = true)
      DAAS_REQUIRES(checkpointer_.mu());
  // Every live collection's schema as one parsed schema file (collections without one left out).
  Result<schema::Schema> CurrentSchemas() const;

  const Options options_;
  env::Env* const env_;
  // Held while open: the directory's lock, and the LOCK file's (Open says why both).
  std::unique_ptr<env::FileLock> dir_lock_;
  std::unique_ptr<env::FileLock> lock_file_lock_;

  CommitLog log_;
  ShardTable shards_;
  ShardLoader loader_;
  Catalog catalog_;
  Checkpointer checkpointer_;
  ChangeFeedHub feed_;
  SnapshotRegistry snapshots_;
  core::Mutex prune_mu_;  // one PruneHistory pass at a time

  mutable core::Mutex bg_mu_;
  mutable core::CondVar bg_cv_;
  bool bg_stop_ DAAS_GUARDED_BY(bg_mu_) = false;
  // Set by a writer that waits for the preparer: it starts at once instead of after its pause.
  mutable bool prepare_now_ DAAS_GUARDED_BY(bg_mu_) = false;
  std::thread background_;
  std::thread loader_thread_;  // LoadInBackground
  std::thread preparer_;       // PrepareInBackground
  std::function<bool(ShardId)> migration_hook_;
  // Set when closing starts; background loads and index builds poll it. Relaxed: it only makes
  // them stop early, and StopBackground's join orders everything they did.
  std::atomic<bool> stopping_{false};
};

}  // namespace daas::engine
