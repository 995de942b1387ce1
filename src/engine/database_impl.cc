#include "engine/database_impl.h"

#include <algorithm>
#include <optional>
#include <unordered_set>

#include "core/quote.h"
#include "core/status_macros.h"
#include "core/thread_pool.h"
#include "doc/msgpack_reader.h"
#include "engine/backup.h"
#include "engine/feed_subscription.h"
#include "engine/interactive_transaction.h"
#include "engine/shard_lock_set.h"
#include "engine/write_batch_internal.h"
#include "expr/evaluator.h"
#include "index/ref_index.h"
#include "schema/migrate.h"
#include "schema/typescript.h"
#include "schema/validate.h"
#include "storage/check.h"
#include "storage/shard_file.h"
#include "storage/wal/commit_record.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_reader.h"

namespace daas {

Result<std::unique_ptr<Database>> Database::Open(const Options& options) {
  DAAS_ASSIGN_OR_RETURN(auto db, engine::DatabaseImpl::Open(options));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace daas

namespace daas::engine {
namespace {

constexpr size_t kMaxCollectionNameBytes = 128;
// How long after open background work (PauseAfterOpen) waits before it starts.
constexpr std::chrono::milliseconds kPauseAfterOpen{50};

Status ValidateCollectionName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxCollectionNameBytes &&
            std::isalpha(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (ok) return Status::OK();
  return Status::InvalidArgument("invalid collection name " + core::QuoteForMessage(name) +
                                 ": use 1 to 128 letters, digits or '_', starting with a letter");
}

Status ValidateOptions(const Options& options) {
  const DocumentLimits& l = options.limits;
  if (l.max_size_bytes == 0 || l.max_size_bytes > kMaxDocumentBytesCeiling || l.max_depth == 0 ||
      l.max_depth > kMaxDocumentDepthCeiling || l.max_key_bytes == 0) {
    return Status::InvalidArgument("document limits out of range: max_size_bytes must be 1.." +
                                   std::to_string(kMaxDocumentBytesCeiling) + ", max_depth 1.." +
                                   std::to_string(kMaxDocumentDepthCeiling) +
                                   ", max_key_bytes at least 1");
  }
  return Status::OK();
}

// The check of the stored documents before a schema is installed: each document as it will be
// (migrated, when the change rewrites documents) against the schema, its unique keys into the new
// index::IndexSet, its refs' targets in `targets` (whose shards the caller holds read-locked).
class SchemaPreview {
 public:
  SchemaPreview(std::string name, const schema::CollectionSchema& to,
                const CollectionImpl::Migration* migration, index::IndexSet* indexes,
                const std::map<std::string, CollectionImpl*, std::less<>>& targets)
      : name_(std::move(name)),
        to_(to),
        migration_(migration),
        indexes_(indexes),
        targets_(targets),
        validator_(to, context_) {}

  // Records the violations of one stored document. Errors only when it cannot be checked (an
  // expression over its budget).
  Status Check(DocId id, std::string_view document) {
    violations_.clear();
    std::string migrated;
    if (migration_ != nullptr) {
      Result<std::string> m =
          schema::MigrateDocument(migration_->diff, *migration_->from, to_, document, context_);
      if (!m.ok()) return m.status().WithContext("document '" + id.ToString() + "'");
      migrated = std::move(*m);
      document = migrated;
    }
    Result<size_t> n =
        validator_.Validate(document, schema::ValidationMode::kCreate, {}, &violations_);
    if (!n.ok()) return n.status().WithContext("document '" + id.ToString() + "'");
    if (indexes_ != nullptr) {
      indexes_->Add(id, document, &violations_);
      refs_.clear();
      index::CollectRefs(to_, indexes_->ref_fields(), document, &refs_);
      for (const index::RefValue& r : refs_) {
        storage::Shard* ts = targets_.at(r.field->ref_collection)->FindShard(r.target);
        std::string_view unused;
        if (ts == nullptr || !ts->Get(r.target.slot(), r.target.salt(), &unused)) {
          violations_.push_back(indexes_->MissingTarget(r.ref_slot, r.target));
        }
      }
    }
    if (!violations_.empty() && ++bad_ <= 3) {
      report_ +=
          "; " + std::string(schema::ViolationStatus(name_, id.ToString(), violations_).message());
    }
    return Status::OK();
  }

  // SchemaViolation when any document broke the schema: how many, and the first three.
  Status Verdict() const {
    if (bad_ == 0) return Status::OK();
    return Status::SchemaViolation(
        std::to_string(bad_) + " stored document(s) of collection '" + name_ + "' break the " +
        (migration_ != nullptr ? "new schema once migrated" : "new schema") + ", nothing changed" +
        report_);
  }

 private:
  const std::string name_;
  const schema::CollectionSchema& to_;
  const CollectionImpl::Migration* migration_;
  index::IndexSet* indexes_;
  const std::map<std::string, CollectionImpl*, std::less<>>& targets_;
  const schema::ValidationContext context_{expr::SystemNowMicros()};
  schema::Validator validator_;
  std::vector<schema::Violation> violations_;
  std::vector<index::RefValue> refs_;
  std::string report_;
  size_t bad_ = 0;
};

}  // namespace

// ---- open / close ----

DatabaseImpl::DatabaseImpl(const Options& options, env::Env* env)
    : options_(options),
      env_(env),
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
    Status s = db->Load();
    if (!s.ok()) {
      return s.WithContext("opening database " +
                           core::QuoteForMessage(dir, core::kMaxQuotedPathBytes));
    }
  }
  db->closed_.store(false, std::memory_order_release);
  if (db->wal_ != nullptr) db->background_ = std::thread([p = db.get()] { p->BackgroundLoop(); });
  bool any_cold;
  {
    core::MutexLock l(&db->load_mu_);
    any_cold = !db->cold_.empty();
  }
  if (any_cold && options.load_in_background) {
    db->loader_ = std::thread([p = db.get()] { p->LoadInBackground(); });
  }
  const std::vector<CollectionImpl*> live = db->LiveCollections();
  if (std::any_of(live.begin(), live.end(),
                  [](const CollectionImpl* c) { return c->schema().paused(); })) {
    db->preparer_ = std::thread([p = db.get()] { p->PrepareInBackground(); });
  }
  return db;
}

Status DatabaseImpl::Load() {
  const std::string manifest_path = env::JoinPath(options_.dir, storage::kManifestFileName);
  DAAS_ASSIGN_OR_RETURN(bool has_manifest, env_->FileExists(manifest_path));
  core::MutexLock cp(&checkpoint_mu_);
  std::unordered_map<uint32_t, CollectionImpl*> by_id;
  std::vector<std::unique_ptr<storage::Shard>> created;  // by replay, not in the manifest
  if (!has_manifest) {
    // Never start a new database over the files of one whose manifest was lost.
    DAAS_RETURN_IF_ERROR(storage::CheckNoDataWithoutManifest(env_, options_.dir));
    if (!options_.create_if_missing) {
      return Status::NotFound("no database in " +
                              core::QuoteForMessage(options_.dir, core::kMaxQuotedPathBytes) +
                              " (no MANIFEST)");
    }
    DAAS_RETURN_IF_ERROR(WriteManifest(0));
    DAAS_RETURN_IF_ERROR(ReconcileFiles());
    return RecoverLog(by_id, &created);
  }
  DAAS_ASSIGN_OR_RETURN(std::string bytes, env_->ReadFile(manifest_path));
  DAAS_ASSIGN_OR_RETURN(storage::Manifest m, storage::DecodeManifest(bytes));

  manifest_generation_ = m.generation;
  manifest_covered_lsn_ = m.covered_lsn;
  next_file_number_ = m.next_file_number;
  uint32_t max_shard_id = 0;
  core::MutexLock cat(&catalog_mu_);
  next_collection_id_ = m.next_collection_id;
  // Names and schemas first (DecodeManifest checked the IDs): nothing is built from a bad one.
  DAAS_ASSIGN_OR_RETURN(auto schemas, ParseCatalog(m));
  for (const storage::ManifestCollection& mc : m.collections) {
    auto coll = std::make_unique<CollectionImpl>(this, mc.id, mc.name);
    for (const storage::ManifestShard& ms : mc.shards) {
      if (ms.id.value == 0 || ms.id.value >= m.next_shard_id ||
          ms.id.value > ShardTable::kMaxShardId || shards_.Find(ms.id) != nullptr ||
          ms.file_number >= m.next_file_number) {
        return Status::Corruption("MANIFEST: bad or repeated shard " + std::to_string(ms.id.value) +
                                  " in collection " + core::QuoteForMessage(mc.name));
      }
      auto shard = std::make_unique<storage::Shard>(ms.id, mc.id);
      if (ms.file_number != 0) {
        // Open is lazy: it reads no shard file (ReconcileFiles checks they are all there). A file's
        // header is checked, against the manifest too, when the shard is first used; a point read
        // then reads just its record from the file, and the documents are loaded when the shard is
        // first written or scanned, or by the background loader.
        const std::string name = storage::ShardFileName(ms.id, ms.file_number);
        shard->SetCold(ms.record_count, std::make_shared<const storage::ShardFileView>(
                                            env_, env::JoinPath(options_.dir, name), name, ms.id,
                                            mc.id, ms.record_count, ms.lsn));
        core::MutexLock l(&load_mu_);
        cold_[ms.id.value] = ms;
      }
      shard->set_lsn(ms.lsn);
      checkpointed_[ms.id.value] = ms;
      max_shard_id = std::max(max_shard_id, ms.id.value);
      coll->AdoptShard(shards_.Add(std::move(shard)));
    }
    by_name_[mc.name] = coll.get();
    by_id[mc.id] = coll.get();
    collections_.push_back(std::move(coll));
  }
  for (const storage::ManifestCollection& mc : m.collections) {
    auto it = schemas.find(mc.name);
    if (it == schemas.end()) continue;
    // Indexes are built after open, in the background (writes wait for them, reads do not).
    const bool pending = index::IndexSet::For(it->second.schema) != nullptr;
    by_name_.at(mc.name)->InstallSchema(std::move(it->second.schema), mc.schema,
                                        std::move(it->second.migration), mc.migrated_below, nullptr,
                                        pending);
  }
  DAAS_RETURN_IF_ERROR(ReconcileFiles());
  DAAS_RETURN_IF_ERROR(RecoverLog(by_id, &created));
  // Replay loaded the shard files its records touched and changed their slots after the load
  // handed their free slots to the allocators: hand them over again, as they are now.
  for (const auto& [id, coll] : by_id) {
    for (storage::Shard* shard : coll->Shards()) {
      if (!shard->loaded()) continue;
      core::ReaderLock l(shard->mu());
      coll->ShardLoaded(*shard);
    }
  }
  for (auto& shard : created) {
    max_shard_id = std::max(max_shard_id, shard->id().value);
    CollectionImpl* owner = by_id.at(shard->collection_id());
    owner->AdoptShard(shards_.Add(std::move(shard)));
  }
  next_shard_id_.store(std::max(m.next_shard_id, max_shard_id + 1), std::memory_order_relaxed);
  return Status::OK();
}

Status DatabaseImpl::RecoverLog(const std::unordered_map<uint32_t, CollectionImpl*>& by_id,
                                std::vector<std::unique_ptr<storage::Shard>>* created) {
  // Shards made by replay are registered only after it, so look them up here first.
  auto find_shard = [&](DocId id, uint32_t collection_id) -> Result<storage::Shard*> {
    storage::Shard* shard = shards_.Find(id.shard());
    if (shard == nullptr) {
      for (const auto& s : *created) {
        if (s->id() == id.shard()) shard = s.get();
      }
    }
    if (shard == nullptr) {
      if (id.shard().value > ShardTable::kMaxShardId) {
        return Status::Corruption("log names shard " + std::to_string(id.shard().value) +
                                  ", beyond the largest shard ID");
      }
      created->push_back(std::make_unique<storage::Shard>(id.shard(), collection_id));
      shard = created->back().get();
    }
    if (shard->collection_id() != collection_id) {
      return Status::Corruption("log puts shard " + std::to_string(id.shard().value) +
                                " in collection " + std::to_string(collection_id) +
                                ", the manifest in collection " +
                                std::to_string(shard->collection_id()));
    }
    return shard;
  };
  uint64_t max_lsn = 0;
  uint64_t first_applied = 0;  // LSN of the first record that changed a shard
  auto apply = [&](uint64_t lsn, std::string_view payload) -> Status {
    std::vector<storage::Shard*> touched;
    uint64_t time_ms = 0;  // not known for records of log format 1
    Status s = storage::wal::DecodeCommitRecord(payload, [&](const storage::wal::LoggedOp& op) {
      if (op.kind == storage::wal::LoggedOpKind::kTime) {
        time_ms = op.time_ms;
        return Status::OK();
      }
      // A collection dropped after this record was written is gone from the manifest: skip.
      if (by_id.count(op.collection_id) == 0) return Status::OK();
      DAAS_ASSIGN_OR_RETURN(storage::Shard * shard, find_shard(op.id, op.collection_id));
      {
        core::ReaderLock l(shard->mu());
        if (lsn <= shard->lsn()) return Status::OK();  // already in the shard's checkpoint
      }
      // The record is newer than the shard's file, so the file's documents load now; a shard no
      // record needs stays cold.
      DAAS_RETURN_IF_ERROR(LoadShard(by_id.at(op.collection_id), shard));
      core::WriterLock l(shard->mu());
      // The document was checked by check_documents below.
      if (op.kind == storage::wal::LoggedOpKind::kPut) {
        // As the commit stored it (Transaction::Write): a document that was there keeps its
        // creation time.
        storage::RecordMeta meta{lsn, time_ms, time_ms};
        std::string_view unused;
        storage::RecordMeta before;
        if (shard->Get(op.id.slot(), op.id.salt(), &unused, &before)) {
          meta.created_ms = before.created_ms;
        }
        shard->Retire(shard->Put(op.id.slot(), op.id.salt(), op.document, meta));
      } else {
        shard->Retire(shard->Take(op.id.slot()));
      }
      if (touched.empty() || touched.back() != shard) touched.push_back(shard);
      return Status::OK();
    });
    if (!s.ok()) return s.WithContext("log record " + std::to_string(lsn));
    if (!touched.empty() && first_applied == 0) first_applied = lsn;
    // Only now: a record may touch one shard several times, and each op must apply.
    for (storage::Shard* shard : touched) {
      core::WriterLock l(shard->mu());
      shard->set_lsn(lsn);
      shard->MaybeCompact();
    }
    max_lsn = lsn;
    return Status::OK();
  };
  // Records are read into `pending` and applied a batch at a time: checking their documents (the
  // costly part of replay) runs on every core first, then they apply in LSN order. Payloads stay
  // valid until ReadLog's segment end.
  std::vector<std::pair<uint64_t, std::string_view>> pending;
  auto apply_pending = [&]() -> Status {
    if (pending.empty()) return Status::OK();  // (an empty segment: no worker pool to start)
    constexpr size_t kChunk = 64;
    const size_t chunks = (pending.size() + kChunk - 1) / kChunk;
    std::vector<Status> errors(chunks);
    core::ThreadPool::Default().ParallelFor(chunks, [&](size_t chunk, unsigned) {
      for (size_t k = chunk * kChunk; k < std::min(pending.size(), (chunk + 1) * kChunk); ++k) {
        const auto& [lsn, payload] = pending[k];
        Status s = storage::wal::DecodeCommitRecord(payload, [](const storage::wal::LoggedOp& op) {
          if (op.kind != storage::wal::LoggedOpKind::kPut) return Status::OK();
          return doc::ValidateDocument(op.document, kCeilingDocumentLimits);
        });
        if (!s.ok()) {
          errors[chunk] = s.WithContext("log record " + std::to_string(lsn));
          return;
        }
      }
    });
    for (const Status& e : errors) DAAS_RETURN_IF_ERROR(e);
    for (const auto& [lsn, payload] : pending) DAAS_RETURN_IF_ERROR(apply(lsn, payload));
    pending.clear();
    return Status::OK();
  };
  DAAS_ASSIGN_OR_RETURN(storage::wal::LogReadResult r,
                        storage::wal::ReadLog(
                            env_, options_.dir,
                            [&](uint64_t lsn, std::string_view payload) {
                              pending.emplace_back(lsn, payload);
                              return pending.size() < 8192 ? Status::OK() : apply_pending();
                            },
                            apply_pending));
  DAAS_RETURN_IF_ERROR(storage::wal::CheckLogReachesBack(manifest_covered_lsn_, r));
  DAAS_RETURN_IF_ERROR(storage::wal::CutTornTail(env_, options_.dir, r));
  uint64_t next_lsn = std::max<uint64_t>(r.next_lsn, max_lsn + 1);
  for (const auto& [id, entry] : checkpointed_) next_lsn = std::max(next_lsn, entry.lsn + 1);
  // Replay applies records in LSN order, each to the shards whose files lack it: everything before
  // the first record it applied is in the shard files, and if it applied none, everything is.
  checkpoint_lsn_ = (first_applied != 0 ? first_applied : next_lsn) - 1;
  // After a clean close the newest segment is empty and named for next_lsn: the writer goes on
  // from it, and opening writes nothing.
  DAAS_ASSIGN_OR_RETURN(wal_, storage::wal::WalWriter::Create(
                                  env_, options_.dir, next_lsn, options_.wal_segment_bytes,
                                  r.empty_newest_lsn != 0 && r.empty_newest_lsn == next_lsn));
  last_checkpoint_ = std::chrono::steady_clock::now();
  return Status::OK();
}

// ---- lazy loading ----

Status DatabaseImpl::LoadShard(const CollectionImpl* coll, storage::Shard* shard,
                               const std::atomic<bool>* cancel) const {
  using State = storage::Shard::LoadState;
  for (;;) {
    switch (shard->load_state()) {
      case State::kLoaded:
        return Status::OK();
      case State::kCold:
        if (shard->BeginLoad()) return LoadShardFile(coll, shard, cancel);
        break;  // another thread began first: wait for it below
      case State::kLoading: {
        core::MutexLock l(&load_mu_);
        while (shard->load_state() == State::kLoading) load_cv_.Wait(&load_mu_);
        break;
      }
      case State::kFailed: {
        core::MutexLock l(&load_mu_);
        auto it = load_errors_.find(shard->id().value);
        DAAS_CHECK(it != load_errors_.end());
        return it->second;
      }
    }
  }
}

Status DatabaseImpl::LoadShardFile(const CollectionImpl* coll, storage::Shard* shard,
                                   const std::atomic<bool>* cancel) const {
  std::shared_ptr<const storage::ShardFileView> file;
  {
    core::ReaderLock l(shard->mu());
    file = shard->cold_file_ref();  // null when the collection was dropped since BeginLoad
  }
  // The file is read and decoded into a shard of this thread's own, with no lock held: readers of
  // the cold shard go on reading from the file meanwhile. Only the swap takes the lock.
  storage::Shard staging(shard->id(), shard->collection_id());
  Status s;
  if (file != nullptr) {
    Result<std::string_view> bytes = file->Bytes();
    s = bytes.status();
    if (s.ok()) {
      file->WillReadAll();
      s = storage::DecodeShardFile(*bytes, file->name(), kCeilingDocumentLimits, &staging, cancel)
              .status();
    }
    // Loading put a big shard's records in small blocks; compaction moves them into huge pages.
    if (s.ok()) staging.MaybeCompact();
  }
  // Only damage is kept: a cancelled load, or one the OS failed (out of memory, an I/O error),
  // leaves the shard cold for the next use to try again.
  const bool retry = !s.ok() && s.code() != StatusCode::kCorruption;
  if (!s.ok()) {
    s = s.WithContext("loading shard " + std::to_string(shard->id().value) + " of " +
                      coll->Describe());
  }
  {
    core::WriterLock l(shard->mu());
    if (shard->load_state() != storage::Shard::LoadState::kLoading) {
      s = Status::OK();  // discarded meanwhile (collection dropped): nothing to store
    } else {
      if (s.ok()) {
        shard->SwapContents(staging);
        coll->ShardLoaded(*shard);
      } else if (!retry) {
        coll->ShardLoadFailed(*shard);
      }
      // The state changes under load_mu_ too, with what waiters read: a waiter that sees kFailed
      // finds its error, and one that sees kLoading cannot miss the signal.
      core::MutexLock ll(&load_mu_);
      if (retry) {
        shard->AbortLoad();
      } else {
        if (!s.ok()) load_errors_[shard->id().value] = s;
        cold_.erase(shard->id().value);
        shard->EndLoad(s.ok());
      }
    }
  }
  load_cv_.SignalAll();
  return s;
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
  for (CollectionImpl* coll : LiveCollections()) {
    for (storage::Shard* shard : coll->Shards()) {
      {
        core::MutexLock l(&bg_mu_);
        if (bg_stop_) return;
      }
      // A failure is kept for the shard and returned to whoever uses it; a cancelled load (the
      // database is closing) leaves the shard cold.
      LoadShard(coll, shard, &stopping_).IgnoreError();
    }
  }
}

Status DatabaseImpl::ReconcileFiles() {
  // Removed: shard files of checkpoints that never reached the manifest, or were superseded, and
  // temp files of interrupted atomic writes. Only names DaaS writes are touched.
  std::unordered_set<std::string> keep;
  for (const auto& [id, ms] : checkpointed_) {
    if (ms.file_number != 0) keep.insert(storage::ShardFileName(ms.id, ms.file_number));
  }
  DAAS_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(options_.dir));
  // Every file the manifest names is there (open reads none of them: a missing one would be found
  // only when its shard is first used). Checked before anything is removed.
  const std::unordered_set<std::string_view> present(names.begin(), names.end());
  for (const std::string& name : keep) {
    if (present.count(name) == 0) {
      return storage::MissingShardFile(name);
    }
  }
  for (const std::string& name : names) {
    const bool temp = name.ends_with(".tmp");
    const std::string_view base = std::string_view(name).substr(0, name.size() - (temp ? 4 : 0));
    const bool ours =
        storage::IsShardFileName(base) || (temp && base == storage::kManifestFileName);
    if (ours && keep.count(name) == 0) {
      DAAS_RETURN_IF_ERROR(env_->RemoveFile(env::JoinPath(options_.dir, name)));
    }
  }
  return Status::OK();
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
    core::MutexLock cp(&checkpoint_mu_);
    if (s.ok()) s = CheckpointLocked();
    // Every record is in the shard files now, so the next open has no log to read.
    if (s.ok()) DropCoveredLog();
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

Status DatabaseImpl::CheckOpen() const {
  // acquire: pairs with Close's release; calls racing with Close are a contract violation anyway.
  if (closed_.load(std::memory_order_acquire)) return Status::Aborted("database is closed");
  return Status::OK();
}

unsigned DatabaseImpl::concurrency() const { return core::ThreadPool::Default().size(); }

Result<storage::Shard*> DatabaseImpl::NewShard(uint32_t collection_id) {
  const uint32_t id = next_shard_id_.fetch_add(1, std::memory_order_relaxed);
  if (id > ShardTable::kMaxShardId) {
    return Status::ResourceExhausted("the database has used all " +
                                     std::to_string(ShardTable::kMaxShardId) + " shard IDs");
  }
  return shards_.Add(std::make_unique<storage::Shard>(ShardId{id}, collection_id));
}

// ---- catalog ----

Result<CollectionImpl*> DatabaseImpl::FindCollection(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    return Status::NotFound("no collection " + core::QuoteForMessage(name));
  }
  return it->second;
}

std::vector<CollectionImpl*> DatabaseImpl::LiveCollections() const {
  core::MutexLock l(&catalog_mu_);
  std::vector<CollectionImpl*> out;
  for (const auto& [name, coll] : by_name_) out.push_back(coll);
  return out;
}

void DatabaseImpl::PruneHistory() {
  // Called where a shard lock may be held (a read-only transaction ended inside a Scan callback):
  // the catalog and allocator mutexes come before shard locks, so the pass is left to the next.
  if (core::SharedMutex::HeldByThisThread() > 0) return;
  core::MutexLock pass(&prune_mu_);
  for (CollectionImpl* coll : LiveCollections()) {
    for (storage::Shard* shard : coll->Shards()) {
      if (!shard->has_history()) continue;
      // A busy shard is left alone: the pass waits for no one, and the shard's next write prunes.
      if (!shard->mu()->TryLock()) continue;
      snapshots_.Freed(shard->PruneHistory(snapshots_.oldest()));
      shard->mu()->Unlock();
    }
  }
}

CollectionImpl* DatabaseImpl::LiveCollection(std::string_view name) const {
  core::MutexLock l(&catalog_mu_);
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::string DatabaseImpl::ReferencedBy(std::string_view name, const CollectionImpl* except) const {
  std::string out;
  for (CollectionImpl* coll : LiveCollections()) {
    if (coll == except) continue;
    const auto snap = coll->schema();
    if (snap.schema == nullptr) continue;
    std::vector<std::string> paths;
    const auto fields = index::RefFields(*snap.schema, &paths);
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i]->ref_collection != name) continue;
      out += (out.empty() ? "" : ", ") + coll->name() + "." + paths[i];
    }
  }
  return out.empty() ? out
                     : "collection " + core::QuoteForMessage(name) + " is referenced by " + out;
}

Result<Collection*> DatabaseImpl::CreateCollection(std::string_view name) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DAAS_RETURN_IF_ERROR(ValidateCollectionName(name));
  DAAS_RETURN_IF_ERROR(StickyError());
  core::MutexLock cp(&checkpoint_mu_);
  CollectionImpl* created;
  {
    core::MutexLock l(&catalog_mu_);
    if (by_name_.count(name) != 0) {
      return Status::AlreadyExists("collection " + core::QuoteForMessage(name) + " already exists");
    }
    auto coll = std::make_unique<CollectionImpl>(this, next_collection_id_++, std::string(name));
    created = coll.get();
    by_name_.emplace(std::string(name), created);
    collections_.push_back(std::move(coll));
  }
  if (Status s = CommitCatalogChange(); !s.ok()) {
    // The manifest still has the catalog without it: take it back out.
    core::MutexLock l(&catalog_mu_);
    by_name_.erase(by_name_.find(name));
    created->MarkDropped();
    return s;
  }
  return created;
}

Result<Collection*> DatabaseImpl::GetCollection(std::string_view name) const {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  core::MutexLock l(&catalog_mu_);
  DAAS_ASSIGN_OR_RETURN(CollectionImpl * c, FindCollection(name));
  return c;
}

std::vector<std::string> DatabaseImpl::ListCollections() const {
  core::MutexLock l(&catalog_mu_);
  std::vector<std::string> names;
  for (const auto& [name, coll] : by_name_) names.push_back(name);
  return names;
}

Status DatabaseImpl::RenameCollection(std::string_view from, std::string_view to) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DAAS_RETURN_IF_ERROR(ValidateCollectionName(to));
  DAAS_RETURN_IF_ERROR(StickyError());
  core::MutexLock cp(&checkpoint_mu_);  // schema changes hold it too: refs stay as checked
  if (std::string refs = ReferencedBy(from, nullptr); !refs.empty() && from != to) {
    return Status::InvalidArgument(refs + " (by name): change those schemas before renaming it");
  }
  CollectionImpl* c;
  {
    core::MutexLock l(&catalog_mu_);
    DAAS_ASSIGN_OR_RETURN(c, FindCollection(from));
    if (from == to) return Status::OK();
    if (by_name_.count(to) != 0) {
      return Status::AlreadyExists("collection " + core::QuoteForMessage(to) + " already exists");
    }
    by_name_.erase(by_name_.find(from));
    by_name_.emplace(std::string(to), c);
    c->set_name(std::string(to));
  }
  if (Status s = CommitCatalogChange(); !s.ok()) {
    core::MutexLock l(&catalog_mu_);
    by_name_.erase(by_name_.find(to));
    by_name_.emplace(std::string(from), c);
    c->set_name(std::string(from));
    return s;
  }
  return Status::OK();
}

Status DatabaseImpl::DropCollection(std::string_view name) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DAAS_RETURN_IF_ERROR(StickyError());
  core::MutexLock cp(&checkpoint_mu_);  // schema changes hold it too: refs stay as checked
  CollectionImpl* c;
  {
    core::MutexLock l(&catalog_mu_);
    DAAS_ASSIGN_OR_RETURN(c, FindCollection(name));
  }
  if (std::string refs = ReferencedBy(name, c); !refs.empty()) {
    return Status::InvalidArgument(refs + ": change those schemas before dropping it");
  }
  {
    core::MutexLock l(&catalog_mu_);
    by_name_.erase(by_name_.find(name));
  }
  c->MarkDropped();  // before taking shard locks: see CollectionImpl::dropped()
  // Shards() after MarkDropped: Reserve refuses new shards for a dropped collection, so this list
  // is final.
  std::vector<storage::Shard*> shards = c->Shards();
  for (storage::Shard* s : shards) {
    core::WriterLock l(s->mu());
    snapshots_.Freed(s->history_bytes());
    s->Discard();
  }
  {
    core::MutexLock l(&load_mu_);
    for (storage::Shard* s : shards) cold_.erase(s->id().value);
  }
  load_cv_.SignalAll();  // loads in progress are void now
  if (in_memory()) return Status::OK();
  std::vector<std::string> files;
  for (storage::Shard* s : shards) {
    auto it = checkpointed_.find(s->id().value);
    if (it == checkpointed_.end()) continue;
    if (it->second.file_number != 0) {
      files.push_back(storage::ShardFileName(s->id(), it->second.file_number));
    }
    checkpointed_.erase(it);
  }
  // On failure the collection is gone in this process, which is read-only from then on, and back
  // at the next open: the old manifest and its files are all still there.
  DAAS_RETURN_IF_ERROR(CommitCatalogChange());
  for (const std::string& f : files) {
    // The manifest no longer names the file; if removal fails, the next open removes it.
    env_->RemoveFile(env::JoinPath(options_.dir, f)).IgnoreError();
  }
  return Status::OK();
}

Status DatabaseImpl::SetSchema(CollectionImpl* coll, std::string_view schema_json) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DAAS_RETURN_IF_ERROR(StickyError());
  const std::string name = coll->name();
  std::shared_ptr<const schema::CollectionSchema> parsed;
  std::string canonical;
  if (!schema_json.empty()) {
    Result<schema::CollectionSchema> p =
        schema::ParseCollectionSchema(name, schema_json, ListCollections());
    if (!p.ok()) return p.status().WithContext("schema of collection '" + name + "'");
    canonical = schema::SerializeCollection(*p);
    parsed = std::make_shared<const schema::CollectionSchema>(std::move(*p));
  }
  bool migrate = false;
  for (;;) {
    // A change waits for the migration of the one before it.
    DAAS_RETURN_IF_ERROR(AwaitWritable(coll));
    core::MutexLock cp(&checkpoint_mu_);
    if (coll->schema().migration != nullptr) continue;  // another change started meanwhile
    DAAS_RETURN_IF_ERROR(SetSchemaLocked(coll, parsed, canonical, &migrate));
    break;
  }
  if (!migrate) return Status::OK();
  // The change is committed: it stays, and a failure below is resumed by the next open.
  return RunMigration(coll);
}

Status DatabaseImpl::ApplySchemaFile(std::string_view schema_file,
                                     std::vector<std::string>* changed) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DAAS_RETURN_IF_ERROR(StickyError());
  DAAS_ASSIGN_OR_RETURN(const schema::Schema file, schema::ParseSchemaFile(schema_file));
  for (const schema::CollectionSchema& c : file.collections) {
    DAAS_RETURN_IF_ERROR(ValidateCollectionName(c.name));
  }
  if (changed != nullptr) changed->clear();
  std::vector<CollectionImpl*> migrate;
  for (;;) {
    // A change waits for the migrations running in its collections, as SetSchema does.
    for (const schema::CollectionSchema& c : file.collections) {
      if (CollectionImpl* coll = LiveCollection(c.name)) DAAS_RETURN_IF_ERROR(AwaitWritable(coll));
    }
    core::MutexLock cp(&checkpoint_mu_);
    bool migrating = false;
    for (const schema::CollectionSchema& c : file.collections) {
      CollectionImpl* coll = LiveCollection(c.name);
      if (coll != nullptr && coll->schema().migration != nullptr) migrating = true;
    }
    if (migrating) continue;  // one started meanwhile
    // Everything in memory first: missing collections, then each changed schema, checked against
    // the stored documents and installed. Then one manifest names all of it, or, on any failure,
    // everything is put back as it was: all or nothing.
    std::vector<CollectionImpl*> created;
    struct Installed {
      CollectionImpl* coll;
      CollectionImpl::SchemaSnapshot old;
      std::string old_json;
      bool migrate = false;
    };
    std::vector<Installed> installed;
    auto undo = [&] {
      for (auto it = installed.rbegin(); it != installed.rend(); ++it) {
        it->coll->InstallSchema(it->old.schema, it->old_json, nullptr, 0, it->old.indexes,
                                it->old.indexes_pending);
      }
      core::MutexLock l(&catalog_mu_);
      for (CollectionImpl* c : created) {
        by_name_.erase(by_name_.find(c->name()));
        c->MarkDropped();
      }
    };
    {
      core::MutexLock l(&catalog_mu_);
      for (const schema::CollectionSchema& c : file.collections) {
        if (by_name_.count(c.name) != 0) continue;
        auto coll = std::make_unique<CollectionImpl>(this, next_collection_id_++, c.name);
        created.push_back(coll.get());
        by_name_.emplace(c.name, coll.get());
        collections_.push_back(std::move(coll));
      }
    }
    // No write lands in the file's collections until all of it is in, or all of it undone.
    std::vector<CollectionImpl*> held;
    for (const schema::CollectionSchema& c : file.collections) {
      CollectionImpl* coll = LiveCollection(c.name);
      coll->HoldWrites(true);
      held.push_back(coll);
    }
    struct Release {
      std::vector<CollectionImpl*>& held;
      ~Release() {
        for (CollectionImpl* c : held) c->HoldWrites(false);
      }
    } release{held};
    Status s;
    const std::vector<std::string> names = ListCollections();
    for (const schema::CollectionSchema& c : file.collections) {
      CollectionImpl* coll = LiveCollection(c.name);
      const std::string canonical = schema::SerializeCollection(c);
      if (coll->schema_json() == canonical) continue;
      Result<schema::CollectionSchema> parsed =
          schema::ParseCollectionSchema(c.name, canonical, names);
      if (!parsed.ok()) {
        s = parsed.status();
        break;
      }
      Installed in{coll, coll->schema(), coll->schema_json()};
      s = SetSchemaLocked(coll,
                          std::make_shared<const schema::CollectionSchema>(std::move(*parsed)),
                          canonical, &in.migrate, /*commit=*/false);
      if (!s.ok()) break;
      installed.push_back(std::move(in));
    }
    if (s.ok() && (!created.empty() || !installed.empty())) s = CommitCatalogChange();
    if (!s.ok()) {
      undo();
      return s.WithContext("the schema file was not applied (nothing changed)");
    }
    for (const Installed& in : installed) {
      if (changed != nullptr) changed->push_back(in.coll->name());
      if (in.migrate) migrate.push_back(in.coll);
    }
    break;
  }
  // Committed: migrations that rewrite stored documents run now, as for SetSchema.
  for (CollectionImpl* coll : migrate) DAAS_RETURN_IF_ERROR(RunMigration(coll));
  return Status::OK();
}

Result<schema::Schema> DatabaseImpl::CurrentSchemas() const {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  const std::vector<std::string> names = ListCollections();
  schema::Schema all;
  for (CollectionImpl* c : LiveCollections()) {
    const std::string json = c->schema_json();
    if (json.empty()) continue;
    DAAS_ASSIGN_OR_RETURN(schema::CollectionSchema parsed,
                          schema::ParseCollectionSchema(c->name(), json, names));
    all.collections.push_back(std::move(parsed));
  }
  return all;
}

Result<std::string> DatabaseImpl::GetSchemaFile() const {
  DAAS_ASSIGN_OR_RETURN(const schema::Schema all, CurrentSchemas());
  return schema::SerializeSchema(all);
}

Result<std::string> DatabaseImpl::TypeScript() const {
  DAAS_ASSIGN_OR_RETURN(const schema::Schema all, CurrentSchemas());
  return schema::GenerateTypeScript(all);
}

Status DatabaseImpl::SetSchemaLocked(CollectionImpl* coll,
                                     std::shared_ptr<const schema::CollectionSchema> parsed,
                                     std::string canonical, bool* migrate, bool commit) {
  const std::string name = coll->name();
  // The checkpoint lock is held from reading the current schema to installing the new one: schema
  // changes run one at a time, so the version check compares against the schema replaced.
  const CollectionImpl::SchemaSnapshot old = coll->schema();
  const std::string old_json = coll->schema_json();
  std::shared_ptr<const CollectionImpl::Migration> migration;
  if (parsed != nullptr && old.schema != nullptr) {
    if (parsed->version <= old.schema->version) {
      return Status::InvalidArgument(
          "schema of collection '" + name + "': version " + std::to_string(parsed->version) +
          " must be above the current " + std::to_string(old.schema->version));
    }
    DAAS_ASSIGN_OR_RETURN(schema::SchemaDiff diff, schema::DiffSchemas(*old.schema, *parsed));
    if (diff.rewrites_documents) {
      migration = std::make_shared<const CollectionImpl::Migration>(
          CollectionImpl::Migration{old.schema, old_json, std::move(diff)});
    }
  }
  if (coll->dropped()) return Status::NotFound(coll->Describe() + " was dropped");
  // Shared locks on every shard of the collection: readers go on, writers wait. The schema is
  // installed only while they are all held and no shard can be added (InstallSchemaIfShards), so
  // no write lands unchecked: a commit that validated against the old schema sees the new
  // generation under its locks and starts over. A shard added during the check is checked on the
  // next round. Each stored document is checked as it will be: migrated, when the change
  // rewrites documents.
  // The collections the new schema's refs point at: their shards are read-locked too, so that no
  // target is deleted between its check and the install.
  std::vector<CollectionImpl*> targets;
  std::map<std::string, CollectionImpl*, std::less<>> target_by_name;
  if (parsed != nullptr) {
    for (const schema::Field* f : index::RefFields(*parsed, nullptr)) {
      CollectionImpl* t = f->ref_collection == name ? coll : LiveCollection(f->ref_collection);
      if (t == nullptr) {
        return Status::InvalidArgument("schema of collection '" + name +
                                       "': a ref points at collection '" + f->ref_collection +
                                       "', which does not exist");
      }
      target_by_name[f->ref_collection] = t;
      if (std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(t);
    }
  }
  std::vector<storage::Shard*> shards = coll->Shards();
  for (bool installed = false; !installed; shards = coll->Shards()) {
    std::vector<storage::Shard*> read = shards;
    for (CollectionImpl* t : targets) {
      for (storage::Shard* shard : t->Shards()) {
        DAAS_RETURN_IF_ERROR(LoadShard(t, shard));
        read.push_back(shard);
      }
    }
    for (storage::Shard* shard : shards) DAAS_RETURN_IF_ERROR(LoadShard(coll, shard));
    ShardLockSet locks(std::vector<storage::Shard*>(), read);
    std::shared_ptr<index::IndexSet> indexes = index::IndexSet::For(parsed);
    if (parsed != nullptr) {
      SchemaPreview preview(name, *parsed, migration.get(), indexes.get(), target_by_name);
      Status error;
      for (const storage::Shard* shard : shards) {
        shard->ForEach([&](DocId id, std::string_view document) {
          error = preview.Check(id, document);
          return error.ok();
        });
        DAAS_RETURN_IF_ERROR(error);
      }
      DAAS_RETURN_IF_ERROR(preview.Verdict());
    }
    installed = coll->InstallSchemaIfShards(shards.size(), parsed, canonical, migration,
                                            std::move(indexes));
  }
  if (!commit) {
    *migrate = migration != nullptr;
    return Status::OK();
  }
  if (Status s = CommitCatalogChange(); !s.ok()) {
    coll->InstallSchema(old.schema, old_json);
    return s;
  }
  *migrate = migration != nullptr;
  return Status::OK();
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
        if (coll == nullptr || coll->db() != this) {
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

Result<uint64_t> DatabaseImpl::Sequence(std::string_view payload) {
  if (wal_ != nullptr) return wal_->Append(payload);
  // The caller's shard locks order the writes the LSN stands for; seq-cst for the change feed.
  return memory_lsn_.fetch_add(1, std::memory_order_seq_cst) + 1;
}

uint64_t DatabaseImpl::LastLsn() const {
  return wal_ != nullptr ? wal_->last_lsn() : memory_lsn_.load(std::memory_order_seq_cst);
}

std::shared_ptr<SnapshotRegistry::State> DatabaseImpl::OpenSnapshot(
    SnapshotRegistry::Clock::time_point deadline) {
  return snapshots_.Open([this] { return LastLsn(); }, deadline);
}

Status DatabaseImpl::FlushLog(uint64_t lsn) {
  if (wal_ == nullptr) return Status::OK();
  return wal_->Flush(lsn, /*sync=*/false);
}

Result<std::unique_ptr<ChangeFeed>> DatabaseImpl::SubscribeChanges(const FeedOptions& options) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  auto sub = std::make_unique<FeedSubscription>(this, options);
  const uint64_t start = feed_.Subscribe(options.before_images, [this] { return LastLsn(); });
  DAAS_RETURN_IF_ERROR(sub->Start(start));
  return std::unique_ptr<ChangeFeed>(std::move(sub));
}

CollectionImpl* DatabaseImpl::CollectionById(uint32_t id) const {
  core::MutexLock l(&catalog_mu_);
  for (const auto& c : collections_) {
    if (c->id() == id) return c.get();
  }
  return nullptr;
}

Status DatabaseImpl::AwaitDurable(uint64_t lsn) {
  if (wal_ == nullptr) return Status::OK();
  if (Status s = wal_->Flush(lsn, /*sync=*/true); !s.ok()) {
    SetStickyError(s);
    return s.WithContext("the write is applied but may not be durable");
  }
  return Status::OK();
}

Status DatabaseImpl::Sync() {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  if (wal_ == nullptr) return Status::OK();
  Status s = wal_->Flush(wal_->last_lsn(), /*sync=*/true);
  if (!s.ok()) SetStickyError(s);
  return s;
}

uint64_t DatabaseImpl::visible_lsn() const {
  return wal_ ? wal_->last_lsn() : memory_lsn_.load(std::memory_order_relaxed);
}

uint64_t DatabaseImpl::durable_lsn() const { return wal_ ? wal_->durable_lsn() : 0; }

Status DatabaseImpl::StickyError() const {
  if (!has_error_.load(std::memory_order_acquire)) return Status::OK();
  core::MutexLock l(&error_mu_);
  return sticky_error_;
}

void DatabaseImpl::SetStickyError(const Status& s) {
  core::MutexLock l(&error_mu_);
  if (!sticky_error_.ok()) return;  // the first error is the one that explains
  sticky_error_ = s.WithContext("the database is read-only until reopened");
  has_error_.store(true, std::memory_order_release);
}

void DatabaseImpl::BackgroundLoop() {
  const auto tick = std::chrono::milliseconds(
      options_.sync == SyncMode::kFull ? 1000 : std::max<uint32_t>(1, options_.sync_interval_ms));
  for (;;) {
    {
      core::MutexLock l(&bg_mu_);
      if (!bg_stop_) bg_cv_.WaitFor(&bg_mu_, tick);
      if (bg_stop_) return;
    }
    if (options_.sync != SyncMode::kFull) {
      // kNormal syncs; kOff only hands the bytes to the OS. Errors become sticky in the log.
      if (Status s = wal_->Flush(wal_->last_lsn(), options_.sync == SyncMode::kNormal); !s.ok()) {
        SetStickyError(s);
      }
    }
    bool due;
    {
      core::MutexLock cp(&checkpoint_mu_);
      const auto since = std::chrono::steady_clock::now() - last_checkpoint_;
      due = (options_.checkpoint_wal_bytes != 0 &&
             wal_->appended_bytes() - checkpoint_log_mark_ >= options_.checkpoint_wal_bytes) ||
            (options_.checkpoint_interval_ms != 0 &&
             since >= std::chrono::milliseconds(options_.checkpoint_interval_ms) &&
             wal_->appended_bytes() != checkpoint_log_mark_);
      // The error is sticky (and returned by the next write); the loop goes on flushing.
      if (due) CheckpointLocked().IgnoreError();
    }
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
  if (loader_.joinable()) loader_.join();
  if (preparer_.joinable()) preparer_.join();
}

// ---- reads ----

Status DatabaseImpl::GetMany(std::span<const DocRef> refs,
                             std::vector<std::optional<std::string>>* out) const {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  std::vector<storage::Shard*> found(refs.size(), nullptr);
  for (size_t i = 0; i < refs.size(); ++i) {
    const auto* coll = dynamic_cast<const CollectionImpl*>(refs[i].collection);
    if (coll == nullptr || coll->db() != this) {
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
    if (!*from_file) DAAS_RETURN_IF_ERROR(LoadShard(coll, found[i]));
  }
  std::vector<storage::Shard*> to_lock;
  for (storage::Shard* s : found) {
    if (s != nullptr) to_lock.push_back(s);
  }
  out->assign(refs.size(), std::nullopt);
  ShardLockSet locks(std::move(to_lock), ShardLockSet::Mode::kShared);
  std::string migrated;
  storage::RecordMeta unused_meta;
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
    if (found[i] != nullptr && found[i]->loaded()) {
      hit = found[i]->Get(refs[i].id.slot(), refs[i].id.salt(), &bytes);
    } else if (found[i] != nullptr) {
      using FileRead = storage::Shard::FileRead;
      Result<FileRead> in_file =
          found[i]->GetFromFile(refs[i].id.slot(), refs[i].id.salt(), &bytes, &unused_meta);
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
      (*out)[i].emplace(bytes);
    }
  }
  return Status::OK();
}

// ---- checkpoints ----

Status DatabaseImpl::Checkpoint() {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  if (in_memory()) return Status::OK();
  core::MutexLock cp(&checkpoint_mu_);
  return CheckpointLocked();
}

Status DatabaseImpl::CheckpointLocked() {
  DAAS_RETURN_IF_ERROR(StickyError());
  if (wal_ != nullptr) {
    // A log write that failed a moment ago may not be sticky here yet (its committer sets it after
    // the flush returns); its commit is applied in memory but was never acknowledged, so no
    // checkpoint may save it.
    if (Status s = wal_->status(); !s.ok()) {
      SetStickyError(s);
      return s;
    }
  }
  // Every record up to `covered` was applied before its LSN was handed out, so the shard files
  // written below include it (and unchanged shards' files already did): after the manifest
  // commits, those log records are no longer needed.
  const uint64_t covered = wal_ != nullptr ? wal_->last_lsn() : 0;
  const uint64_t log_mark = wal_ != nullptr ? wal_->appended_bytes() : 0;
  std::vector<std::string> superseded;
  bool wrote = false;
  bool changed = false;  // a manifest entry moved: without one, the manifest stays as it is
  for (CollectionImpl* coll : LiveCollections()) {
    for (storage::Shard* shard : coll->Shards()) {
      auto it = checkpointed_.find(shard->id().value);
      std::string bytes;
      storage::ManifestShard entry{shard->id(), 0, 0, 0};
      {
        core::ReaderLock l(shard->mu());
        if (it != checkpointed_.end() && !shard->dirty()) continue;
        entry.record_count = shard->live_count();
        entry.lsn = shard->lsn();
        if (entry.record_count != 0) bytes = storage::EncodeShardFile(*shard, shard->lsn());
        shard->ClearDirty();
      }
      // The file is written without the shard lock: writers go on meanwhile and mark it dirty
      // again.
      if (entry.record_count != 0) {
        entry.file_number = next_file_number_++;
        const std::string path =
            env::JoinPath(options_.dir, storage::ShardFileName(shard->id(), entry.file_number));
        Status s = [&]() -> Status {
          DAAS_ASSIGN_OR_RETURN(auto file, env_->NewWritableFile(path));
          DAAS_RETURN_IF_ERROR(file->Append(bytes));
          DAAS_RETURN_IF_ERROR(file->Sync());
          return file->Close();
        }();
        if (!s.ok()) {
          shard->MarkDirty();
          s = s.WithContext("checkpoint of shard " + std::to_string(shard->id().value));
          SetStickyError(s);
          return s;
        }
        wrote = true;
      }
      if (it != checkpointed_.end() && it->second.file_number != 0) {
        superseded.push_back(storage::ShardFileName(shard->id(), it->second.file_number));
      }
      checkpointed_[shard->id().value] = entry;
      changed = true;
    }
  }
  if (!changed && covered == manifest_covered_lsn_) {
    // Nothing to write (catalog changes write the manifest themselves).
    checkpoint_lsn_ = covered;
    last_checkpoint_ = std::chrono::steady_clock::now();
    checkpoint_log_mark_ = log_mark;
    if (wal_ != nullptr) wal_->RemoveSegmentsThrough(covered).IgnoreError();
    return Status::OK();
  }
  Status s = wrote ? env_->SyncDir(options_.dir) : Status::OK();
  if (s.ok()) s = WriteManifest(covered);
  if (!s.ok()) {
    SetStickyError(s);
    return s;
  }
  last_checkpoint_ = std::chrono::steady_clock::now();
  checkpoint_log_mark_ = log_mark;
  checkpoint_lsn_ = covered;
  if (wal_ != nullptr) {
    // Failing to delete a covered segment loses nothing: the next checkpoint tries again.
    wal_->RemoveSegmentsThrough(covered).IgnoreError();
  }
  for (const std::string& f : superseded) {
    // No longer named by the manifest; a file left behind is removed at the next open.
    env_->RemoveFile(env::JoinPath(options_.dir, f)).IgnoreError();
  }
  return Status::OK();
}

void DatabaseImpl::DropCoveredLog() {
  if (wal_ == nullptr) return;
  // Records a writer appends meanwhile keep the segment they land in (StartNextSegment then does
  // nothing); RemoveSegmentsThrough never deletes a record the checkpoint did not cover.
  if (wal_->Flush(wal_->last_lsn(), /*sync=*/true).ok() && wal_->StartNextSegment().ok()) {
    wal_->RemoveSegmentsThrough(manifest_covered_lsn_).IgnoreError();
  }
}

Status DatabaseImpl::Compact() {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  for (CollectionImpl* coll : LiveCollections()) {
    for (storage::Shard* shard : coll->Shards()) {
      if (!shard->loaded()) continue;  // its file holds live documents only
      core::WriterLock l(shard->mu());
      shard->Compact();
    }
  }
  if (in_memory()) return Status::OK();
  core::MutexLock cp(&checkpoint_mu_);
  DAAS_RETURN_IF_ERROR(CheckpointLocked());
  DropCoveredLog();
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
    core::MutexLock cp(&checkpoint_mu_);
    DAAS_RETURN_IF_ERROR(CheckpointLocked());
    DAAS_ASSIGN_OR_RETURN(manifest_bytes,
                          env_->ReadFile(env::JoinPath(options_.dir, storage::kManifestFileName)));
    // A checkpoint encodes shards one after another, so its files alone are not one instant across
    // shards; the log is what brings every shard to the same commit. Copy the log segments too (all
    // of them: the checkpoint just deleted the ones it covers), after handing buffered records to
    // the file. Opening the backup replays them; a record cut by a write in progress is a torn
    // tail there.
    DAAS_RETURN_IF_ERROR(wal_->Flush(wal_->last_lsn(), /*sync=*/false));
    DAAS_ASSIGN_OR_RETURN(const storage::Manifest manifest,
                          storage::DecodeManifest(manifest_bytes));
    DAAS_RETURN_IF_ERROR(copy->CopyFiles(options_.dir, manifest));
  }
  // Checking the copy reads only the copy: checkpoints may go on meanwhile.
  return copy->Finish(manifest_bytes);
}

Result<std::unordered_map<std::string, DatabaseImpl::CatalogSchema>> DatabaseImpl::ParseCatalog(
    const storage::Manifest& m) {
  std::vector<std::string> names;
  for (const storage::ManifestCollection& mc : m.collections) {
    if (!ValidateCollectionName(mc.name).ok() ||
        std::find(names.begin(), names.end(), mc.name) != names.end()) {
      return Status::Corruption("MANIFEST: bad or repeated collection " +
                                core::QuoteForMessage(mc.name));
    }
    names.push_back(mc.name);
  }
  // A ref field may name any collection, so schemas are parsed once every name is known.
  auto parse = [&](const std::string& name, const std::string& json,
                   const char* what) -> Result<std::shared_ptr<const schema::CollectionSchema>> {
    Result<schema::CollectionSchema> parsed = schema::ParseCollectionSchema(name, json, names);
    if (!parsed.ok()) {
      return Status::Corruption("MANIFEST: " + std::string(what) + " of collection " +
                                core::QuoteForMessage(name) +
                                " does not parse: " + std::string(parsed.status().message()));
    }
    return std::make_shared<const schema::CollectionSchema>(std::move(*parsed));
  };
  std::unordered_map<std::string, CatalogSchema> out;
  for (const storage::ManifestCollection& mc : m.collections) {
    if (mc.schema.empty()) {
      if (!mc.migrating_from.empty()) {
        return Status::Corruption("MANIFEST: collection " + core::QuoteForMessage(mc.name) +
                                  " is migrating but has no schema");
      }
      continue;
    }
    CatalogSchema& c = out[mc.name];
    DAAS_ASSIGN_OR_RETURN(c.schema, parse(mc.name, mc.schema, "the schema"));
    if (mc.migrating_from.empty()) continue;
    DAAS_ASSIGN_OR_RETURN(auto from, parse(mc.name, mc.migrating_from, "the migration source"));
    Result<schema::SchemaDiff> diff = schema::DiffSchemas(*from, *c.schema);
    if (!diff.ok()) {
      return Status::Corruption("MANIFEST: the migration of collection " +
                                core::QuoteForMessage(mc.name) + ": " +
                                std::string(diff.status().message()));
    }
    c.migration = std::make_shared<const CollectionImpl::Migration>(
        CollectionImpl::Migration{std::move(from), mc.migrating_from, std::move(*diff)});
  }
  return out;
}

Result<DatabaseStats> DatabaseImpl::Stats() const {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DatabaseStats st;
  st.snapshots_open = snapshots_.open_count();
  st.snapshot_history_bytes = snapshots_.history_bytes();
  if (in_memory()) {
    st.visible_lsn = visible_lsn();
    return st;
  }
  st.visible_lsn = wal_->last_lsn();
  st.durable_lsn = wal_->durable_lsn();
  {
    core::MutexLock l(&load_mu_);
    st.cold_shards = cold_.size();
  }
  core::MutexLock cp(&checkpoint_mu_);  // files do not come and go meanwhile
  st.checkpoint_lsn = checkpoint_lsn_;
  for (const auto& [id, entry] : checkpointed_) {
    if (entry.file_number == 0) continue;
    DAAS_ASSIGN_OR_RETURN(uint64_t size,
                          env_->GetFileSize(env::JoinPath(
                              options_.dir, storage::ShardFileName(entry.id, entry.file_number))));
    ++st.checkpoint_files;
    st.checkpoint_bytes += size;
  }
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

Status DatabaseImpl::CommitCatalogChange() {
  if (in_memory()) return Status::OK();
  Status s = WriteManifest(manifest_covered_lsn_);
  if (!s.ok()) SetStickyError(s);
  return s;
}

Status DatabaseImpl::WriteManifest(uint64_t covered_lsn) {
  const std::string path = env::JoinPath(options_.dir, storage::kManifestFileName);
  if (manifest_generation_ != 0) {
    // The directory lock keeps other processes out, but not one that ignores it (an earlier
    // version after LOCK was deleted, a copy of the directory on another machine sharing it):
    // replacing a manifest this process did not write would drop what the other one committed.
    // Fail loudly instead, before anything is overwritten.
    // A MANIFEST that is gone or not one is a change too; failing to read it is only that.
    Result<std::string> prefix =
        env_->ReadFilePrefix(path, storage::kManifestGenerationPrefixBytes);
    if (!prefix.ok() && prefix.status().code() != StatusCode::kNotFound) {
      return prefix.status().WithContext("reading MANIFEST before replacing it");
    }
    Result<uint64_t> on_disk =
        prefix.ok() ? storage::PeekManifestGeneration(*prefix) : Result<uint64_t>(prefix.status());
    if (!on_disk.ok() || *on_disk != manifest_generation_) {
      return Status::Conflict(
          "MANIFEST in " + core::QuoteForMessage(options_.dir, core::kMaxQuotedPathBytes) +
          " was " +
          (on_disk.ok() ? "rewritten (generation " + std::to_string(*on_disk) + ", expected " +
                              std::to_string(manifest_generation_) + ")"
                        : "changed (" + std::string(on_disk.status().message()) + ")") +
          " by something other than this process while it had the database open; nothing more "
          "is written");
    }
  }
  storage::Manifest m;
  m.generation = manifest_generation_ + 1;
  m.covered_lsn = covered_lsn;
  m.next_shard_id = next_shard_id_.load(std::memory_order_relaxed);
  m.next_file_number = next_file_number_;
  std::vector<CollectionImpl*> live;
  {
    core::MutexLock l(&catalog_mu_);
    m.next_collection_id = next_collection_id_;
    for (const auto& [name, coll] : by_name_) live.push_back(coll);
  }
  for (CollectionImpl* coll : live) {
    storage::ManifestCollection mc{coll->id(), coll->name(), {}, coll->schema_json(), "", 0};
    std::tie(mc.migrating_from, mc.migrated_below) = coll->MigrationState();
    for (storage::Shard* shard : coll->Shards()) {
      auto it = checkpointed_.find(shard->id().value);
      // A shard created since the last checkpoint is listed empty: its documents reach disk with
      // the next checkpoint (and, with the write-ahead log, are replayed from it).
      mc.shards.push_back(it != checkpointed_.end() ? it->second
                                                    : storage::ManifestShard{shard->id(), 0, 0, 0});
    }
    m.collections.push_back(std::move(mc));
  }
  DAAS_RETURN_IF_ERROR(env::WriteFileAtomically(env_, path, storage::EncodeManifest(m)));
  manifest_generation_ = m.generation;
  manifest_covered_lsn_ = covered_lsn;
  return Status::OK();
}

}  // namespace daas::engine
