#include "engine/database_impl.h"

#include <algorithm>
#include <optional>

#include "core/quote.h"
#include "core/status_macros.h"
#include "core/thread_pool.h"
#include "engine/backup.h"
#include "engine/feed_subscription.h"
#include "engine/interactive_transaction.h"
#include "engine/recovery.h"
#include "engine/shard_lock_set.h"
#include "engine/write_batch_internal.h"
#include "storage/wal/wal_format.h"

namespace daas {

Result<std::unique_ptr<Database>> Database::Open(const Options& options) {
  DAAS_ASSIGN_OR_RETURN(auto db, engine::DatabaseImpl::Open(options));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace daas

namespace daas::engine {
namespace {

// How long after open background work (PauseAfterOpen) waits before it starts.
constexpr std::chrono::milliseconds kPauseAfterOpen{50};

Status ValidateOptions(const Options& options) {
  const DocumentLimits& l = options.limits;
  if (options.max_get_many_bytes == 0) {
    return Status::InvalidArgument("max_get_many_bytes must be at least 1");
  }
  if (l.max_size_bytes == 0 || l.max_size_bytes > kMaxDocumentBytesCeiling || l.max_depth == 0 ||
      l.max_depth > kMaxDocumentDepthCeiling || l.max_key_bytes == 0) {
    return Status::InvalidArgument("document limits out of range: max_size_bytes must be 1.." +
                                   std::to_string(kMaxDocumentBytesCeiling) + ", max_depth 1.." +
                                   std::to_string(kMaxDocumentDepthCeiling) +
                                   ", max_key_bytes at least 1");
  }
  return Status::OK();
}

}  // namespace

// ---- open / close ----

DatabaseImpl::DatabaseImpl(const Options& options, env::Env* env)
    : options_(options),
      env_(env),
      catalog_(CollectionServices{this, &shards_, &loader_}),
      checkpointer_(env, options_, &log_, &catalog_, &shards_),
      feed_(options.feed_retain_bytes),
      snapshots_(options.snapshot_history_bytes) {}

DatabaseImpl::~DatabaseImpl() {
  // Errors here have no one to go to; Close() reports them to callers who want them.
  Close().IgnoreError();
}

Result<std::unique_ptr<DatabaseImpl>> DatabaseImpl::Open(const Options& options, env::Env* env) {
  DAAS_RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<DatabaseImpl> db(new DatabaseImpl(options, env));
  if (!db->in_memory()) {
    const std::string& dir = options.dir;
    DAAS_ASSIGN_OR_RETURN(bool exists, db->env_->FileExists(dir));
    if (!exists && !options.create_if_missing) {
      return Status::NotFound("database directory " +
                              core::QuoteForMessage(dir, core::kMaxQuotedPathBytes) +
                              " does not exist");
    }
    DAAS_RETURN_IF_ERROR(db->env_->CreateDirIfMissing(dir));
    // The directory itself is what is locked: the LOCK file can be deleted from under an open
    // database (and a second process would then lock a new one), the directory cannot while it
    // holds the database. LOCK is locked too, for processes of earlier versions, which lock only
    // it.
    DAAS_ASSIGN_OR_RETURN(db->dir_lock_, db->env_->LockFile(dir));
    DAAS_ASSIGN_OR_RETURN(db->lock_file_lock_,
                          db->env_->LockFile(env::JoinPath(dir, storage::kLockFileName)));
    Status s = Recovery(Recovery::Units{db->env_, &db->options_, &db->catalog_, &db->shards_,
                                        &db->loader_, &db->checkpointer_, &db->log_})
                   .Run();
    if (!s.ok()) {
      return s.WithContext("opening database " +
                           core::QuoteForMessage(dir, core::kMaxQuotedPathBytes));
    }
  }
  db->closed_.store(false, std::memory_order_release);
  if (db->log_.logged()) db->background_ = std::thread([p = db.get()] { p->BackgroundLoop(); });
  if (db->loader_.cold_count() != 0 && options.load_in_background) {
    db->loader_thread_ = std::thread([p = db.get()] { p->LoadInBackground(); });
  }
  const std::vector<CollectionImpl*> live = db->catalog_.Live();
  if (std::any_of(live.begin(), live.end(),
                  [](const CollectionImpl* c) { return c->schema().paused(); })) {
    db->preparer_ = std::thread([p = db.get()] { p->PrepareInBackground(); });
  }
  return db;
}

bool DatabaseImpl::PauseAfterOpen(bool for_writers) {
  core::MutexLock l(&bg_mu_);
  const auto until = std::chrono::steady_clock::now() + kPauseAfterOpen;
  while (!bg_stop_ && !(for_writers && prepare_now_) && std::chrono::steady_clock::now() < until) {
    bg_cv_.WaitFor(&bg_mu_, std::chrono::duration_cast<std::chrono::milliseconds>(
                                until - std::chrono::steady_clock::now()));
  }
  return !bg_stop_;
}

void DatabaseImpl::LoadInBackground() {
  // A process that stays pays nothing it would notice for the pause: reads by ID go to the files
  // meanwhile.
  if (!PauseAfterOpen(/*for_writers=*/false)) return;
  for (CollectionImpl* coll : catalog_.Live()) {
    for (storage::Shard* shard : coll->Shards()) {
      {
        core::MutexLock l(&bg_mu_);
        if (bg_stop_) return;
      }
      // A failure is kept for the shard and returned to whoever uses it; a cancelled load (the
      // database is closing) leaves the shard cold.
      coll->LoadShard(shard, &stopping_).IgnoreError();
    }
  }
}

Status DatabaseImpl::Close() {
  if (closed_.load(std::memory_order_acquire)) return Status::OK();
  feed_.Close();
  StopBackground();
  Status s;
  if (!in_memory()) {
    // Everything acknowledged in kNormal/kOff reaches the log first, then a checkpoint folds the
    // log into the shard files, so the next open replays little.
    s = Sync();
    core::MutexLock cp(checkpointer_.mu());
    if (s.ok()) s = checkpointer_.Checkpoint();
    // Every record is in the shard files now, so the next open has no log to read.
    if (s.ok()) checkpointer_.DropCoveredLog();
  }
  closed_.store(true, std::memory_order_release);
  lock_file_lock_.reset();
  dir_lock_.reset();
  return s;
}

void DatabaseImpl::AbandonForTesting() {
  feed_.Close();
  StopBackground();
  closed_.store(true, std::memory_order_release);
  lock_file_lock_.reset();
  dir_lock_.reset();
}

unsigned DatabaseImpl::concurrency() const { return core::ThreadPool::Default().size(); }

void DatabaseImpl::BackgroundLoop() {
  const auto tick = std::chrono::milliseconds(
      options_.sync == SyncMode::kFull ? 1000 : std::max<uint32_t>(1, options_.sync_interval_ms));
  for (;;) {
    {
      core::MutexLock l(&bg_mu_);
      if (!bg_stop_) bg_cv_.WaitFor(&bg_mu_, tick);
      if (bg_stop_) return;
    }
    // kNormal syncs; kOff only hands the bytes to the OS. Errors become sticky in the log.
    if (options_.sync != SyncMode::kFull) {
      log_.FlushAll(options_.sync == SyncMode::kNormal).IgnoreError();
    }
    core::MutexLock cp(checkpointer_.mu());
    // The error is sticky (and returned by the next write); the loop goes on flushing.
    if (checkpointer_.Due()) checkpointer_.Checkpoint().IgnoreError();
  }
}

void DatabaseImpl::StopBackground() {
  // Loads and index builds in the background stop within 1,024 documents, so that closing
  // (or a process exiting) never waits for the whole database to load.
  stopping_.store(true, std::memory_order_relaxed);
  {
    core::MutexLock l(&bg_mu_);
    bg_stop_ = true;
  }
  bg_cv_.SignalAll();
  if (background_.joinable()) background_.join();
  if (loader_thread_.joinable()) loader_thread_.join();
  if (preparer_.joinable()) preparer_.join();
}

// ---- catalog ----

Result<Collection*> DatabaseImpl::CreateCollection(std::string_view name) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DAAS_RETURN_IF_ERROR(Catalog::ValidateName(name));
  DAAS_RETURN_IF_ERROR(log_.StickyError());
  core::MutexLock cp(checkpointer_.mu());
  DAAS_ASSIGN_OR_RETURN(CollectionImpl * created, catalog_.Create(name));
  if (Status s = checkpointer_.CommitCatalogChange(); !s.ok()) {
    // The manifest still has the catalog without it: take it back out.
    catalog_.Remove(created);
    return s;
  }
  return created;
}

Result<Collection*> DatabaseImpl::GetCollection(std::string_view name) const {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DAAS_ASSIGN_OR_RETURN(CollectionImpl * c, catalog_.Find(name));
  return c;
}

std::vector<std::string> DatabaseImpl::ListCollections() const { return catalog_.Names(); }

Status DatabaseImpl::RenameCollection(std::string_view from, std::string_view to) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DAAS_RETURN_IF_ERROR(Catalog::ValidateName(to));
  DAAS_RETURN_IF_ERROR(log_.StickyError());
  core::MutexLock cp(checkpointer_.mu());  // schema changes hold it too: refs stay as checked
  if (std::string refs = catalog_.ReferencedBy(from, nullptr); !refs.empty() && from != to) {
    return Status::InvalidArgument(refs + " (by name): change those schemas before renaming it");
  }
  DAAS_ASSIGN_OR_RETURN(CollectionImpl * c, catalog_.Find(from));
  if (from == to) return Status::OK();
  DAAS_RETURN_IF_ERROR(catalog_.Rename(c, to));
  if (Status s = checkpointer_.CommitCatalogChange(); !s.ok()) {
    DAAS_CHECK(catalog_.Rename(c, from).ok());  // `from` was free a moment ago, under cp
    return s;
  }
  return Status::OK();
}

Status DatabaseImpl::DropCollection(std::string_view name) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DAAS_RETURN_IF_ERROR(log_.StickyError());
  core::MutexLock cp(checkpointer_.mu());  // schema changes hold it too: refs stay as checked
  DAAS_ASSIGN_OR_RETURN(CollectionImpl * c, catalog_.Find(name));
  if (std::string refs = catalog_.ReferencedBy(name, c); !refs.empty()) {
    return Status::InvalidArgument(refs + ": change those schemas before dropping it");
  }
  // Marked dropped before taking shard locks: see CollectionImpl::dropped().
  catalog_.Remove(c);
  // Shards() after the drop: Reserve refuses new shards for a dropped collection, so this list is
  // final.
  std::vector<storage::Shard*> shards = c->Shards();
  for (storage::Shard* s : shards) {
    core::WriterLock l(s->mu());
    snapshots_.Freed(s->history_bytes());
    s->Discard();
  }
  loader_.Forget(shards);  // loads in progress are void now
  if (in_memory()) return Status::OK();
  const std::vector<std::string> files = checkpointer_.Forget(shards);
  // On failure the collection is gone in this process, which is read-only from then on, and back
  // at the next open: the old manifest and its files are all still there.
  DAAS_RETURN_IF_ERROR(checkpointer_.CommitCatalogChange());
  for (const std::string& f : files) {
    // The manifest no longer names the file; if removal fails, the next open removes it.
    env_->RemoveFile(env::JoinPath(options_.dir, f)).IgnoreError();
  }
  return Status::OK();
}

void DatabaseImpl::PruneHistory() {
  // Called where a shard lock may be held (a read-only transaction ended inside a Scan callback):
  // the catalog and allocator mutexes come before shard locks, so the pass is left to the next.
  if (core::SharedMutex::HeldByThisThread() > 0) return;
  core::MutexLock pass(&prune_mu_);
  for (CollectionImpl* coll : catalog_.Live()) {
    for (storage::Shard* shard : coll->Shards()) {
      if (!shard->has_history()) continue;
      // A busy shard is left alone: the pass waits for no one, and the shard's next write prunes.
      if (!shard->mu()->TryLock()) continue;
      snapshots_.Freed(shard->PruneHistory(snapshots_.oldest()));
      shard->mu()->Unlock();
    }
  }
}

// ---- writes ----

Status DatabaseImpl::Write(const WriteBatch& batch, std::vector<DocId>* inserted,
                           const WriteOptions& options) {
  std::vector<PendingOp> ops;
  ops.reserve(batch.size());
  Status foreign;
  WriteBatchInternal::ForEach(
      batch, [&](WriteBatch::OpType type, Collection* c, DocId id, std::string_view document,
                 std::optional<uint64_t> if_version) {
        auto* coll = dynamic_cast<CollectionImpl*>(c);
        if (coll == nullptr || coll->host() != this) {
          if (foreign.ok()) {
            foreign = Status::InvalidArgument("operation " + std::to_string(ops.size()) +
                                              " names a collection of another database");
          }
          return;
        }
        ops.push_back(PendingOp{type, coll, id, document, if_version});
      });
  DAAS_RETURN_IF_ERROR(foreign);
  return Commit(ops, inserted, options.sync.value_or(options_.sync));
}

Result<std::unique_ptr<daas::Transaction>> DatabaseImpl::BeginTransaction(
    const TransactionOptions& options) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  return std::unique_ptr<daas::Transaction>(
      std::make_unique<InteractiveTransaction>(this, options));
}

Status DatabaseImpl::Commit(std::span<const PendingOp> ops, std::vector<DocId>* inserted,
                            SyncMode sync, const ReadSet* reads, uint64_t* lsn) {
  // A schema change that lands between a commit's checks and its apply makes it start over with
  // the new schema; a migration, after waiting for its end. Bounded, should changes never stop.
  constexpr int kMaxAttempts = 100;
  for (int attempt = 1;; ++attempt) {
    std::vector<CollectionImpl*> wait_for;
    Transaction txn(this, ops, reads);
    Status s = txn.Commit(sync, inserted, &wait_for);
    if (lsn != nullptr) *lsn = txn.lsn();  // nonzero once applied, even if syncing failed
    if (wait_for.empty() || attempt == kMaxAttempts) return s;
    for (CollectionImpl* coll : wait_for) DAAS_RETURN_IF_ERROR(AwaitWritable(coll));
  }
}

std::shared_ptr<SnapshotRegistry::State> DatabaseImpl::OpenSnapshot(
    SnapshotRegistry::Clock::time_point deadline) {
  return snapshots_.Open([this] { return log_.LastLsn(); }, deadline);
}

Result<std::unique_ptr<ChangeFeed>> DatabaseImpl::SubscribeChanges(const FeedOptions& options) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  auto sub = std::make_unique<FeedSubscription>(this, options);
  const uint64_t start = feed_.Subscribe(options.before_images, [this] { return log_.LastLsn(); });
  DAAS_RETURN_IF_ERROR(sub->Start(start));
  return std::unique_ptr<ChangeFeed>(std::move(sub));
}

Status DatabaseImpl::Sync() {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  return log_.FlushAll(/*sync=*/true);
}

// ---- reads ----

Status DatabaseImpl::ReadMany(std::span<const DocRef> refs, uint64_t at,
                              std::vector<std::optional<std::string>>* out,
                              std::vector<uint64_t>* versions) const {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  std::vector<storage::Shard*> found(refs.size(), nullptr);
  for (size_t i = 0; i < refs.size(); ++i) {
    const auto* coll = dynamic_cast<const CollectionImpl*>(refs[i].collection);
    if (coll == nullptr || coll->host() != this) {
      return Status::InvalidArgument("reference " + std::to_string(i) +
                                     " names a collection of another database");
    }
    found[i] = coll->FindShard(refs[i].id);
    if (found[i] == nullptr || found[i]->loaded()) continue;
    Result<bool> from_file = false;
    {
      core::ReaderLock l(found[i]->mu());
      if (!found[i]->loaded()) from_file = found[i]->ReadsFromFile();
    }
    if (!from_file.ok()) {
      return from_file.status().WithContext("reading document '" + refs[i].id.ToString() + "'");
    }
    // A shard whose file answers point reads is read in place (open is lazy); others load first.
    // Either state lasts: a shard that reads from its file is loaded only whole, and a loaded one
    // stays loaded.
    if (!*from_file) DAAS_RETURN_IF_ERROR(coll->LoadShard(found[i]));
  }
  std::vector<storage::Shard*> to_lock;
  for (storage::Shard* s : found) {
    if (s != nullptr) to_lock.push_back(s);
  }
  out->assign(refs.size(), std::nullopt);
  if (versions != nullptr) versions->assign(refs.size(), 0);
  ShardLockSet locks(std::move(to_lock), ShardLockSet::Mode::kShared);
  std::string migrated;
  storage::RecordMeta meta;
  uint64_t copied = 0;  // bytes of documents copied out, against max_get_many_bytes
  // Reads overlap their cache misses: the slot entry of the document kAhead * 2 places on is
  // fetched, and the record of the one kAhead on, whose slot entry came in meanwhile.
  constexpr size_t kAhead = 4;
  auto prefetch = [&](size_t j, bool record) {
    if (j >= refs.size() || found[j] == nullptr || !found[j]->loaded()) return;
    if (record) {
      found[j]->PrefetchRecord(refs[j].id.slot());
    } else {
      found[j]->PrefetchSlot(refs[j].id.slot());
    }
  };
  for (size_t j = 0; j < 2 * kAhead; ++j) prefetch(j, false);
  for (size_t j = 0; j < kAhead; ++j) prefetch(j, true);
  for (size_t i = 0; i < refs.size(); ++i) {
    prefetch(i + 2 * kAhead, false);
    prefetch(i + kAhead, true);
    std::string_view bytes;
    bool hit = false;
    const DocId id = refs[i].id;
    if (found[i] != nullptr && found[i]->loaded()) {
      if (at != CollectionImpl::kLatest) {
        hit = found[i]->GetAt(id.slot(), id.salt(), at, &bytes, &meta);
      } else if (versions != nullptr) {
        hit = found[i]->Get(id.slot(), id.salt(), &bytes, &meta);
      } else {
        hit = found[i]->Get(id.slot(), id.salt(), &bytes);
      }
    } else if (found[i] != nullptr) {
      // No commit wrote to a shard not loaded since open (a write loads it first), so its file
      // holds what every snapshot sees.
      using FileRead = storage::Shard::FileRead;
      Result<FileRead> in_file = found[i]->GetFromFile(id.slot(), id.salt(), &bytes, &meta);
      if (!in_file.ok()) {
        return in_file.status().WithContext("reading document '" + refs[i].id.ToString() + "'");
      }
      // Shards that cannot be read in place were loaded above, and stay loaded.
      DAAS_CHECK(*in_file != FileRead::kLoadFirst);
      hit = *in_file == FileRead::kFound;
    }
    if (hit) {
      const auto* coll = static_cast<const CollectionImpl*>(refs[i].collection);
      if (coll->NeedsMigrationOnRead(refs[i].id)) [[unlikely]] {
        DAAS_RETURN_IF_ERROR(coll->MigrateForRead(&bytes, &migrated));
      }
      copied += bytes.size();
      if (copied > options_.max_get_many_bytes) {
        out->clear();
        return Status::ResourceExhausted(
            "the documents asked for add up to more than max_get_many_bytes (" +
            std::to_string(options_.max_get_many_bytes) + " bytes); read fewer at a time");
      }
      (*out)[i].emplace(bytes);
      if (versions != nullptr) (*versions)[i] = meta.version;
    }
  }
  return Status::OK();
}

// ---- checkpoints ----

Status DatabaseImpl::Checkpoint() {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  core::MutexLock cp(checkpointer_.mu());
  return checkpointer_.Checkpoint();
}

Status DatabaseImpl::Compact() {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  for (CollectionImpl* coll : catalog_.Live()) {
    for (storage::Shard* shard : coll->Shards()) {
      if (!shard->loaded()) continue;  // its file holds live documents only
      core::WriterLock l(shard->mu());
      shard->Compact();
    }
  }
  if (in_memory()) return Status::OK();
  core::MutexLock cp(checkpointer_.mu());
  DAAS_RETURN_IF_ERROR(checkpointer_.Checkpoint());
  checkpointer_.DropCoveredLog();
  return Status::OK();
}

Status DatabaseImpl::Backup(const std::string& dir) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  if (in_memory()) return Status::NotSupported("an in-memory database has nothing to back up");
  DAAS_ASSIGN_OR_RETURN(std::unique_ptr<DatabaseCopy> copy, DatabaseCopy::Begin(env_, dir));
  std::string manifest_bytes;
  {
    // Held for the whole copy: no other checkpoint can supersede (and delete) the files being
    // copied. Writers are not blocked; what they commit meanwhile is in the log, not in the backup.
    core::MutexLock cp(checkpointer_.mu());
    DAAS_RETURN_IF_ERROR(checkpointer_.Checkpoint());
    DAAS_ASSIGN_OR_RETURN(manifest_bytes,
                          env_->ReadFile(env::JoinPath(options_.dir, storage::kManifestFileName)));
    // A checkpoint encodes shards one after another, so its files alone are not one instant across
    // shards; the log is what brings every shard to the same commit. Copy the log segments too (all
    // of them: the checkpoint just deleted the ones it covers), after handing buffered records to
    // the file. Opening the backup replays them; a record cut by a write in progress is a torn
    // tail there.
    DAAS_RETURN_IF_ERROR(log_.FlushLog(log_.LastLsn()));
    DAAS_ASSIGN_OR_RETURN(const storage::Manifest manifest,
                          storage::DecodeManifest(manifest_bytes));
    DAAS_RETURN_IF_ERROR(copy->CopyFiles(options_.dir, manifest));
  }
  // Checking the copy reads only the copy: checkpoints may go on meanwhile.
  return copy->Finish(manifest_bytes);
}

Result<DatabaseStats> DatabaseImpl::Stats() const {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DatabaseStats st;
  st.snapshots_open = snapshots_.open_count();
  st.snapshot_history_bytes = snapshots_.history_bytes();
  st.visible_lsn = log_.LastLsn();
  if (in_memory()) return st;
  st.durable_lsn = log_.durable_lsn();
  st.cold_shards = loader_.cold_count();
  core::MutexLock cp(checkpointer_.mu());  // files do not come and go meanwhile
  DAAS_RETURN_IF_ERROR(checkpointer_.AddStats(&st));
  DAAS_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(options_.dir));
  for (const std::string& name : names) {
    uint64_t first;
    if (!storage::wal::ParseSegmentFileName(name, &first)) continue;
    DAAS_ASSIGN_OR_RETURN(uint64_t size, env_->GetFileSize(env::JoinPath(options_.dir, name)));
    ++st.log_segments;
    st.log_bytes += size;
  }
  return st;
}

}  // namespace daas::engine
