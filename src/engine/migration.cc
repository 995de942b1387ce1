// Schema migrations over live data (docs/schema.md, "Migrations over live data").
//
// A schema change that rewrites stored documents is installed at once (version, enforcement and
// the manifest's `migrating_from`), then the documents are rewritten one shard at a time in
// ascending shard ID. Each shard's new documents are computed under its shared lock (readers go
// on), swapped in under its exclusive lock in short batches, and made durable by a checkpoint
// that records, in the same manifest, that the shard is migrated (`migrated_below`). Readers see
// the new shape from the install on: they migrate their own copy of a document not swapped in
// yet (CollectionImpl::NeedsMigrationOnRead). Swap, progress and checkpoint happen under the
// Checkpointer's lock, so no manifest ever names a migrated shard file without the progress that
// says so, or the reverse. The swaps are not logged: until its checkpoint, a crash leaves the shard
// as it was, and the next open migrates it again from there. Writes to the collection wait for the
// migration to end (CollectionImpl::Migration), so nothing else changes its documents meanwhile.
#include <string>
#include <vector>

#include "core/status_macros.h"
#include "engine/database_impl.h"
#include "engine/shard_lock_set.h"
#include "expr/evaluator.h"
#include "schema/migrate.h"

namespace daas::engine {
namespace {

// Documents swapped per exclusive lock hold: readers of the shard wait at most this many copies.
constexpr size_t kSwapBatch = 256;

struct Rewrite {
  uint16_t slot;
  uint64_t salt;
  const char* old_data;  // the bytes it was computed from, to notice a change before the swap
  size_t old_size;
  std::string document;
};

}  // namespace

Status DatabaseImpl::CheckWritable(const CollectionImpl* coll) const {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DAAS_RETURN_IF_ERROR(log_.StickyError());
  if (coll->dropped()) return Status::NotFound(coll->Describe() + " was dropped");
  return Status::OK();
}

Status DatabaseImpl::AwaitWritable(CollectionImpl* coll) const {
  if (coll->AwaitWritable(std::chrono::milliseconds(0))) return Status::OK();
  {
    // A writer is waiting: the preparer ends its pause after open now.
    core::MutexLock l(&bg_mu_);
    prepare_now_ = true;
  }
  bg_cv_.SignalAll();
  while (!coll->AwaitWritable(std::chrono::milliseconds(50))) {
    DAAS_RETURN_IF_ERROR(CheckWritable(coll));
  }
  return Status::OK();
}

Status DatabaseImpl::RunMigration(CollectionImpl* coll) {
  const CollectionImpl::SchemaSnapshot snap = coll->schema();
  if (snap.migration == nullptr) return Status::OK();
  const CollectionImpl::Migration& m = *snap.migration;
  const schema::CollectionSchema& to = *snap.schema;
  auto stopped = [&]() -> Status {
    DAAS_RETURN_IF_ERROR(CheckWritable(coll));
    core::MutexLock l(&bg_mu_);
    if (bg_stop_) return Status::Aborted("the database is closing");
    return Status::OK();
  };
  // A document the migration cannot rewrite (an expression over its budget) stops every write to
  // the collection: the error is made sticky so that waiting writers fail instead of hanging.
  auto fail = [&](const Status& s) {
    Status e = s.WithContext("migrating " + coll->Describe() + " to version " +
                             std::to_string(to.version));
    log_.SetStickyError(e);
    return e;
  };
  // Shards are never added while the migration runs (inserts wait), so this list is final.
  for (storage::Shard* shard : coll->Shards()) {
    if (shard->id().value < coll->migrated_below()) continue;
    DAAS_RETURN_IF_ERROR(stopped());
    DAAS_RETURN_IF_ERROR(coll->LoadShard(shard));
    const schema::ValidationContext context{expr::SystemNowMicros()};
    std::vector<Rewrite> rewrites;
    Status error;
    {
      core::ReaderLock l(shard->mu());
      shard->ForEach([&](DocId id, std::string_view document) {
        Result<std::string> migrated =
            schema::MigrateDocument(m.diff, *m.from, to, document, context);
        if (!migrated.ok()) {
          error = migrated.status().WithContext("document '" + id.ToString() + "'");
          return false;
        }
        if (*migrated != document) {
          rewrites.push_back(Rewrite{id.slot(), id.salt(), document.data(), document.size(),
                                     std::move(*migrated)});
        }
        return true;
      });
    }
    if (!error.ok()) return fail(error);
    core::MutexLock cp(checkpointer_.mu());
    DAAS_RETURN_IF_ERROR(stopped());
    // Rewrites are in slot order (ForEach's). At least one round, so that readers stop
    // migrating the documents of a shard with nothing to rewrite.
    size_t i = 0;
    do {
      const size_t end = std::min(rewrites.size(), i + kSwapBatch);
      core::WriterLock l(shard->mu());
      for (size_t k = i; k < end; ++k) {
        Rewrite& r = rewrites[k];
        std::string_view current;
        storage::RecordMeta meta;  // kept: a migration changes a document's shape, not its version
        if (!shard->Get(r.slot, r.salt, &current, &meta)) continue;
        if (current.data() != r.old_data || current.size() != r.old_size) {
          // Moved by a compaction since it was read: migrate what is there now.
          Result<std::string> again =
              schema::MigrateDocument(m.diff, *m.from, to, current, context);
          if (!again.ok()) return fail(again.status());
          r.document = std::move(*again);
        }
        shard->Retire(shard->Put(r.slot, r.salt, r.document, meta));
      }
      coll->set_migrated_until(
          end < rewrites.size()
              ? CollectionImpl::MigrationPosition(shard->id(), rewrites[end].slot)
              : CollectionImpl::MigrationPosition(ShardId{shard->id().value + 1}, 0));
      shard->MaybeCompact();
      i = end;
    } while (i < rewrites.size());
    coll->set_migrated_below(shard->id().value + 1);
    DAAS_RETURN_IF_ERROR(checkpointer_.Checkpoint());
    if (migration_hook_ && !migration_hook_(shard->id())) {
      return Status::Aborted("migration stopped by a test hook");
    }
  }
  // Every shard is migrated: the collection takes writes again once the manifest says so.
  core::MutexLock cp(checkpointer_.mu());
  DAAS_RETURN_IF_ERROR(stopped());
  const CollectionImpl::SchemaSnapshot now = coll->schema();
  coll->InstallSchema(now.schema, coll->schema_json(), nullptr, 0, now.indexes,
                      now.indexes_pending);
  // A failure here is sticky; the next open finds every shard migrated and ends the migration.
  return checkpointer_.CommitCatalogChange();
}

Status DatabaseImpl::BuildIndexes(CollectionImpl* coll) {
  core::MutexLock cp(checkpointer_.mu());
  const CollectionImpl::SchemaSnapshot snap = coll->schema();
  if (!snap.indexes_pending || snap.migration != nullptr) return Status::OK();
  std::shared_ptr<index::IndexSet> set = index::IndexSet::For(snap.schema);
  // Writes wait while the indexes are pending, so no shard is added meanwhile. Building runs in
  // the background after open, and stops (Aborted) as soon as the database starts closing.
  std::vector<storage::Shard*> shards = coll->Shards();
  for (storage::Shard* shard : shards) DAAS_RETURN_IF_ERROR(coll->LoadShard(shard, &stopping_));
  ShardLockSet locks(shards, ShardLockSet::Mode::kShared);
  std::vector<schema::Violation> violations;
  size_t added = 0;
  for (const storage::Shard* shard : locks.shards()) {
    const bool whole = shard->ForEach([&](DocId id, std::string_view document) {
      set->Add(id, document, &violations);
      return ++added % 1024 != 0 || !stopping_.load(std::memory_order_relaxed);
    });
    if (!whole) return Status::Aborted("the database is closing");
  }
  if (!violations.empty()) {
    // Commits enforce the keys, so stored documents that repeat one were written wrong.
    Status s = Status::Corruption(
        coll->Describe() + ": stored documents break a unique key: " + violations.front().message);
    log_.SetStickyError(s);
    return s;
  }
  coll->SetIndexes(std::move(set));
  return Status::OK();
}

void DatabaseImpl::PrepareInBackground() {
  // The pause keeps a process that only reads from paying for the rebuild of indexes it never
  // uses (reads do not wait for them); the first writer that waits cuts it short.
  if (!PauseAfterOpen(/*for_writers=*/true)) return;
  for (CollectionImpl* coll : catalog_.Live()) {
    // Errors are sticky (or the database is closing); writers waiting on it see them.
    if (RunMigration(coll).ok()) BuildIndexes(coll).IgnoreError();
  }
}

}  // namespace daas::engine
