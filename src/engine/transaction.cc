#include "engine/transaction.h"

#include <algorithm>
#include <unordered_set>

#include "core/status_macros.h"
#include "doc/merge_patch.h"
#include "doc/msgpack_reader.h"
#include "engine/collection_impl.h"
#include "engine/database_impl.h"
#include "engine/shard_lock_set.h"
#include "index/ref_index.h"
#include "storage/wal/commit_record.h"

namespace daas::engine {
namespace {

const char* OpName(WriteBatch::OpType type) {
  switch (type) {
    case WriteBatch::OpType::kInsert:
      return "insert";
    case WriteBatch::OpType::kReplace:
      return "replace";
    case WriteBatch::OpType::kPatch:
      return "patch";
    case WriteBatch::OpType::kDelete:
      return "delete";
  }
  return "?";
}

}  // namespace

Transaction::Transaction(DatabaseImpl* db, std::span<const PendingOp> ops, const ReadSet* reads)
    : db_(db),
      ops_(ops),
      reads_(reads),
      time_ms_(static_cast<uint64_t>(std::max<int64_t>(checks_.context.now_micros / 1000, 0))),
      op_shards_(ops.size(), nullptr, arena_.get()),
      documents_(ops.size(), arena_.get()) {}

Transaction::~Transaction() {
  if (published_) return;
  // Reserved slots stayed empty (Rollback restored them): they go back to their collections.
  size_t k = 0;
  for (const PendingOp& op : ops_) {
    // Slots an interactive transaction reserved are its own to give back.
    if (op.type != WriteBatch::OpType::kInsert || op.reservation != nullptr) continue;
    if (k == reserved_.size()) break;
    op.collection->ReleaseSlots(std::span<const Reservation>(&reserved_[k++], 1));
  }
}

Status Transaction::Commit(SyncMode sync, std::vector<DocId>* inserted,
                           std::vector<CollectionImpl*>* wait_for) {
  DAAS_RETURN_IF_ERROR(db_->CheckOpen());
  if (ops_.empty()) {
    // A read-only transaction: what it read must still hold, as of one instant.
    if (reads_ == nullptr || reads_->empty()) return Status::OK();
    std::pmr::vector<storage::Shard*> read_shards(arena_.get());
    for (const ReadSet::Document& d : reads_->documents) {
      DAAS_RETURN_IF_ERROR(d.collection->LoadShard(d.shard));
      read_shards.push_back(d.shard);
    }
    for (const ReadSet::ScannedShard& s : reads_->shards) read_shards.push_back(s.shard);
    ShardLockSet locks(read_shards, ShardLockSet::Mode::kShared);
    return ReadsStillHold();
  }
  DAAS_RETURN_IF_ERROR(db_->log().StickyError());
  DAAS_RETURN_IF_ERROR(Stage());
  DAAS_RETURN_IF_ERROR(Prepare());
  checks_.Paused(wait_for);
  if (!wait_for->empty()) {
    return Status::Conflict(wait_for->front()->Describe() + " is being migrated or indexed");
  }
  // A write pointing at a document that does not exist fails before anything is locked.
  for (const RefCheck& rc : ref_checks_) {
    if (rc.shard == nullptr) return RefViolation(rc);
  }
  DAAS_RETURN_IF_ERROR(Reserve());
  {
    std::pmr::vector<storage::Shard*> write_shards(op_shards_, arena_.get());
    for (const DerivedOp& d : derived_) write_shards.push_back(d.shard);
    ShardLockSet locks(write_shards, read_shards_);
    Status s = Apply(wait_for);
    if (s.ok()) s = Log(locks);
    if (!s.ok()) {
      Rollback();
      return s;
    }
    Publish(locks);
  }
  ReturnSlots(inserted);
  // Snapshots expired: the old versions kept for them go now, with no shard lock held.
  if (prune_after_) db_->PruneHistory();
  // Durability, with no shard lock held: concurrent commits share the leader's fdatasync.
  if (sync == SyncMode::kFull) return db_->log().AwaitDurable(lsn_);
  return Status::OK();
}

// ---- Stage ----

Status Transaction::Stage() {
  for (size_t i = 0; i < ops_.size(); ++i) {
    const PendingOp& op = ops_[i];
    // Checked again under the shard locks; this first look makes a dropped collection the answer
    // whatever its last schema says of the document.
    if (op.collection->dropped()) {
      return Status::NotFound(OpContext(i) + ": the collection was dropped");
    }
    documents_[i] = op.document;
    checks_.Watch(op.collection);
    if (op.type == WriteBatch::OpType::kInsert) {
      if (op.reservation == nullptr) {
        ++insert_count_;
      } else {
        op_shards_[i] = op.reservation->shard;
      }
    } else {
      storage::Shard* shard = op.collection->FindShard(op.id);
      if (shard == nullptr) return Status::NotFound(OpContext(i) + ": document not found");
      if (Status s = op.collection->LoadShard(shard); !s.ok()) {
        return s.WithContext(OpContext(i));
      }
      op_shards_[i] = shard;
    }
    if (op.type != WriteBatch::OpType::kDelete) {
      if (Status s = doc::ValidateDocument(op.document, db_->options().limits); !s.ok()) {
        return s.WithContext(OpContext(i));
      }
    }
    if (op.type != WriteBatch::OpType::kInsert) continue;
    schema::Validator* v = checks_.For(op.collection);
    if (v == nullptr) continue;
    if (v->has_defaults()) {
      // A document that lacks no defaulted field is stored as given, with no copy. The Validator
      // reuses its Evaluators for expression defaults across the batch.
      Result<std::optional<std::string>> filled = v->ApplyDefaultsIfMissing(op.document);
      if (!filled.ok()) return filled.status().WithContext(OpContext(i));
      if (*filled) documents_[i] = with_defaults_.emplace_back(std::move(**filled));
    }
    DAAS_RETURN_IF_ERROR(InBatch(i, checks_.Check(v, op.collection, DocId(), documents_[i], {})));
  }
  return Status::OK();
}

// ---- Prepare ----

Status Transaction::Prepare() {
  DAAS_RETURN_IF_ERROR(PrepareRefTargets());
  if (reads_ != nullptr) {
    for (const ReadSet::Document& d : reads_->documents) {
      DAAS_RETURN_IF_ERROR(d.collection->LoadShard(d.shard));
      read_shards_.push_back(d.shard);
    }
    for (const ReadSet::ScannedShard& s : reads_->shards) read_shards_.push_back(s.shard);
  }
  return PrepareDeletes();
}

// Each target a write points at is checked under its shard's shared lock (Apply), which keeps it
// from being deleted meanwhile.
Status Transaction::PrepareRefTargets() {
  std::vector<index::RefValue> refs;
  for (size_t i = 0; i < ops_.size(); ++i) {
    const PendingOp& op = ops_[i];
    if (op.type == WriteBatch::OpType::kDelete) continue;
    index::IndexSet* set = checks_.Indexes(op.collection);
    if (set == nullptr || set->ref_fields().empty()) continue;
    refs.clear();
    index::CollectRefs(set->schema(), set->ref_fields(),
                       op.type == WriteBatch::OpType::kPatch ? op.document : documents_[i], &refs);
    for (const index::RefValue& r : refs) {
      CollectionImpl* t = db_->catalog().FindLive(r.field->ref_collection);
      storage::Shard* ts = t != nullptr ? t->FindShard(r.target) : nullptr;
      if (ts != nullptr) DAAS_RETURN_IF_ERROR(t->LoadShard(ts));
      ref_checks_.push_back(RefCheck{i, set, r.ref_slot, r.target, ts});
      read_shards_.push_back(ts);
    }
  }
  return Status::OK();
}

// Each delete looks up the documents pointing at its document, whose shards Apply locks
// exclusively: restrict refuses, cascade deletes them (and so on), setNull clears their refs.
Status Transaction::PrepareDeletes() {
  std::vector<std::pair<CollectionImpl*, DocId>> deletes;
  for (const PendingOp& op : ops_) {
    if (op.type == WriteBatch::OpType::kDelete) deletes.push_back({op.collection, op.id});
  }
  if (deletes.empty()) return Status::OK();
  std::unordered_set<DocId, index::DocIdHash> deleting;
  for (const auto& [coll, id] : deletes) deleting.insert(id);
  // Only collections whose schema has refs can point at what is deleted; a schema installed after
  // this choice moves the epoch, and Apply then makes the commit start over.
  delete_epoch_ = db_->schema_epoch();
  std::vector<CollectionImpl*> referring;
  for (CollectionImpl* c : db_->catalog().Live()) {
    if (c->has_refs()) referring.push_back(c);
  }
  for (size_t q = 0; q < deletes.size(); ++q) {
    const auto [target_coll, target] = deletes[q];
    const std::string target_name = target_coll->name();
    for (CollectionImpl* r_coll : referring) {
      index::IndexSet* set = checks_.Indexes(r_coll);  // also watches it: a pending build waits
      if (set == nullptr) continue;
      for (size_t k = 0; k < set->ref_fields().size(); ++k) {
        const schema::Field& field = *set->ref_fields()[k];
        if (field.ref_collection != target_name) continue;
        std::vector<DocId> referrers = set->refs(k).Referrers(target);
        for (DocId r : referrers) {
          if (deleting.count(r) != 0) continue;
          if (field.on_delete == schema::OnDelete::kRestrict) {
            return schema::ViolationStatus(
                target_name, target.ToString(),
                {schema::Violation{schema::ViolationCode::kRef, "",
                                   "is referenced by document '" + r.ToString() +
                                       "' of collection '" + r_coll->name() + "' (" +
                                       set->ref_path(k) + ", onDelete: restrict)"}});
          }
          storage::Shard* shard = r_coll->FindShard(r);
          if (shard == nullptr) continue;
          DAAS_RETURN_IF_ERROR(r_coll->LoadShard(shard));
          const bool cascade = field.on_delete == schema::OnDelete::kCascade;
          derived_.push_back(DerivedOp{r_coll, set, r, shard, cascade, target});
          if (cascade) {
            deleting.insert(r);
            deletes.push_back({r_coll, r});
          }
        }
        seen_.push_back(SeenReferrers{r_coll, set, k, target, std::move(referrers)});
      }
    }
  }
  return Status::OK();
}

// ---- Reserve ----

// Per collection, in operation order: consecutive inserts into one collection reserve together.
Status Transaction::Reserve() {
  reserved_.reserve(insert_count_);
  const size_t n = ops_.size();
  for (size_t i = 0; i < n && reserved_.size() < insert_count_; ++i) {
    if (ops_[i].type != WriteBatch::OpType::kInsert || ops_[i].reservation != nullptr) continue;
    size_t run = 1;
    while (i + run < n && ops_[i + run].type == WriteBatch::OpType::kInsert &&
           ops_[i + run].reservation == nullptr && ops_[i + run].collection == ops_[i].collection) {
      ++run;
    }
    if (Status s = ops_[i].collection->Reserve(run, &reserved_); !s.ok()) {
      return s.WithContext(OpContext(i));
    }
    i += run - 1;
  }
  for (size_t i = 0, k = 0; i < n; ++i) {
    if (ops_[i].type == WriteBatch::OpType::kInsert && ops_[i].reservation == nullptr) {
      op_shards_[i] = reserved_[k++].shard;
    }
  }
  return Status::OK();
}

// ---- Apply (under the shard locks) ----

Status Transaction::Apply(std::vector<CollectionImpl*>* wait_for) {
  undo_.reserve(ops_.size());
  DAAS_RETURN_IF_ERROR(StillValid(wait_for));
  for (size_t i = 0; i < ops_.size(); ++i) DAAS_RETURN_IF_ERROR(ApplyOp(i));
  DAAS_RETURN_IF_ERROR(ApplyDerived());
  DAAS_RETURN_IF_ERROR(CheckRefTargets());
  return UpdateIndexes();
}

// What Prepare saw must still hold now that the locks are held.
Status Transaction::StillValid(std::vector<CollectionImpl*>* wait_for) {
  // A schema set since Stage was not checked against: this commit must not apply.
  DAAS_RETURN_IF_ERROR(checks_.StillCurrent(wait_for));
  if (reads_ != nullptr) DAAS_RETURN_IF_ERROR(ReadsStillHold());
  if (delete_epoch_ && db_->schema_epoch() != *delete_epoch_) {
    wait_for->push_back(ops_.front().collection);  // not paused: the commit starts over at once
    return Status::Conflict("a schema changed during the delete; retry it");
  }
  // The referrers Prepare found are still all there are: each target's shard is locked
  // exclusively now, so none can be added, but one could have come or gone before.
  for (const SeenReferrers& sr : seen_) {
    if (sr.set->refs(sr.slot).Referrers(sr.target) != sr.referrers) {
      wait_for->push_back(sr.coll);  // not paused: the commit starts over at once
      return Status::Conflict("the documents referring to '" + sr.target.ToString() +
                              "' changed during the write; retry it");
    }
  }
  return Status::OK();
}

Status Transaction::ReadsStillHold() const {
  for (const ReadSet::Document& d : reads_->documents) {
    std::string_view unused;
    storage::RecordMeta meta;
    const bool exists = d.shard->Get(d.id.slot(), d.id.salt(), &unused, &meta);
    if (d.version == ReadSet::kAbsent) {
      if (!exists) continue;
      return Status::Conflict("document '" + d.id.ToString() + "' of " + d.collection->Describe() +
                              " was inserted after the transaction read it as absent");
    }
    if (!exists) {
      return Status::Conflict("document '" + d.id.ToString() + "' of " + d.collection->Describe() +
                              " was deleted after the transaction read it");
    }
    if (meta.version != d.version) {
      return Status::Conflict("document '" + d.id.ToString() + "' of " + d.collection->Describe() +
                              " changed after the transaction read it (version " +
                              std::to_string(d.version) + ", now " + std::to_string(meta.version) +
                              ")");
    }
  }
  for (const ReadSet::ScannedShard& s : reads_->shards) {
    if (s.shard->lsn() != s.lsn) {
      return Status::Conflict(
          s.collection->Describe() +
          " changed after the transaction scanned it (a commit wrote to shard " +
          std::to_string(s.shard->id().value) + ")");
    }
  }
  for (const ReadSet::ScannedCollection& c : reads_->collections) {
    if (c.collection->Shards().size() != c.shards) {
      return Status::Conflict(c.collection->Describe() +
                              " grew a shard after the transaction scanned it");
    }
  }
  return Status::OK();
}

Status Transaction::ApplyOp(size_t i) {
  const PendingOp& op = ops_[i];
  if (op.collection->dropped()) {
    return Status::NotFound(OpContext(i) + ": collection was dropped");
  }
  if (op.type == WriteBatch::OpType::kInsert) {
    const Reservation& r =
        op.reservation != nullptr ? *op.reservation : reserved_[next_reservation_++];
    const DocId id(r.salt, r.shard->id(), r.slot);
    Write(op.collection, r.shard, id, documents_[i], time_ms_);
    DAAS_CHECK(undo_.back().old.empty());  // reserved slots are empty
    Track(op.collection, id, /*inserted=*/true, {}, documents_[i]);
    return Status::OK();
  }
  storage::Shard* shard = op_shards_[i];
  std::string_view current;
  storage::RecordMeta meta;
  if (!shard->Get(op.id.slot(), op.id.salt(), &current, &meta)) {
    return Status::NotFound(OpContext(i) + ": document not found");
  }
  if (op.if_version && meta.version != *op.if_version) {
    return Status::Conflict(OpContext(i) + ": the document is at version " +
                            std::to_string(meta.version) + ", not " +
                            std::to_string(*op.if_version));
  }
  std::string_view stored;
  switch (op.type) {
    case WriteBatch::OpType::kReplace:
      stored = op.document;
      break;
    case WriteBatch::OpType::kPatch: {
      Result<std::string> merged = doc::MergePatch(current, op.document, db_->options().limits);
      if (!merged.ok()) return merged.status().WithContext(OpContext(i));
      stored = owned_.emplace_back(std::move(*merged));
      break;
    }
    case WriteBatch::OpType::kDelete:
      Write(op.collection, shard, op.id, std::nullopt, 0);
      freed_.push_back({op.collection, Reservation{shard, op.id.slot(), 0}});
      Track(op.collection, op.id, /*inserted=*/false, current, {});
      return Status::OK();
    case WriteBatch::OpType::kInsert:
      return Status::OK();
  }
  // An update is checked against the schema with the document it replaces (readonly fields).
  if (schema::Validator* v = checks_.For(op.collection)) {
    DAAS_RETURN_IF_ERROR(InBatch(i, checks_.Check(v, op.collection, op.id, stored, current)));
  }
  Write(op.collection, shard, op.id, stored, meta.created_ms);
  Track(op.collection, op.id, /*inserted=*/false, current, stored);
  return Status::OK();
}

// onDelete of the deleted documents' referrers.
Status Transaction::ApplyDerived() {
  for (const DerivedOp& d : derived_) {
    std::string_view current;
    storage::RecordMeta meta;
    if (!d.shard->Get(d.id.slot(), d.id.salt(), &current, &meta)) continue;  // deleted already
    if (d.cascade) {
      Write(d.coll, d.shard, d.id, std::nullopt, 0);
      freed_.push_back({d.coll, Reservation{d.shard, d.id.slot(), 0}});
      Track(d.coll, d.id, /*inserted=*/false, current, {});
      continue;
    }
    const std::string& cleared =
        owned_.emplace_back(index::ClearRefs(d.set->schema(), current, d.target));
    if (schema::Validator* v = checks_.For(d.coll)) {
      DAAS_RETURN_IF_ERROR(checks_.Check(v, d.coll, d.id, cleared, current)
                               .WithContext("clearing its ref to deleted document '" +
                                            d.target.ToString() + "' (onDelete: setNull)"));
    }
    Write(d.coll, d.shard, d.id, cleared, meta.created_ms);
    Track(d.coll, d.id, /*inserted=*/false, current, cleared);
  }
  return Status::OK();
}

// Every target a write points at exists, after the commit's own deletes.
Status Transaction::CheckRefTargets() {
  for (const RefCheck& rc : ref_checks_) {
    std::string_view unused;
    if (!rc.shard->Get(rc.target.slot(), rc.target.salt(), &unused)) return RefViolation(rc);
  }
  return Status::OK();
}

// Unique keys: every key the commit frees first, then every key it takes, so a commit may move a
// key between documents. Then the refs.
Status Transaction::UpdateIndexes() {
  if (changes_.empty()) return Status::OK();
  for (IndexedChange& c : changes_) {
    c.keys = c.set->KeyChanges(c.before, c.after);
    c.set->ReleaseKeys(c.id, c.keys, &index_undo_);
  }
  std::vector<schema::Violation> violations;
  for (const IndexedChange& c : changes_) {
    if (!c.set->ClaimKeys(c.id, c.after, c.keys, &index_undo_, &violations)) {
      return schema::ViolationStatus(c.coll->name(), c.inserted ? "" : c.id.ToString(), violations);
    }
  }
  for (const IndexedChange& c : changes_) {
    c.set->UpdateRefs(c.id, c.before, c.after, &index_undo_);
  }
  return Status::OK();
}

void Transaction::Track(CollectionImpl* coll, DocId id, bool inserted, std::string_view before,
                        std::string_view after) {
  index::IndexSet* set = checks_.Indexes(coll);
  if (set == nullptr) return;
  auto [it, fresh] = change_of_.emplace(id, changes_.size());
  if (fresh) {
    changes_.push_back(IndexedChange{coll, set, id, inserted, before, after, {}});
  } else {
    changes_[it->second].after = after;
  }
}

void Transaction::Write(CollectionImpl* coll, storage::Shard* shard, DocId id,
                        std::optional<std::string_view> document, uint64_t created_ms) {
  if (document) {
    // The version comes with the LSN (Log).
    const storage::RecordMeta meta{storage::RecordMeta::kUncommitted, created_ms, time_ms_};
    undo_.push_back(Undo{shard, id.slot(), shard->Put(id.slot(), id.salt(), *document, meta),
                         coll->id(), id.salt()});
  } else {
    undo_.push_back(Undo{shard, id.slot(), shard->Take(id.slot()), coll->id(), id.salt()});
  }
}

// ---- Log, Publish, Rollback ----

// A slot the commit wrote several times has several undo entries; the first holds what the slot
// held before the commit, a later one something this commit wrote (version kUncommitted until
// Log, retired since). The record gets one op per slot: the first entry's, with the slot's final
// state.
Transaction::LoggedOp Transaction::NetOp(const Undo& u) {
  if (!u.old.empty() &&
      storage::Shard::Version(u.old.record) == storage::RecordMeta::kUncommitted) {
    return LoggedOp::kNone;  // not the slot's first write in this commit
  }
  if (u.shard->slot(u.slot).empty()) return u.old.empty() ? LoggedOp::kNone : LoggedOp::kErase;
  return u.old.empty() ? LoggedOp::kInsert : LoggedOp::kPut;
}

std::string Transaction::BuildPayload() const {
  storage::wal::CommitRecordBuilder record;
  record.SetTime(time_ms_);
  size_t document_bytes = 0;
  for (const Undo& u : undo_) {
    const storage::Slot& slot = u.shard->slot(u.slot);
    if (!slot.empty()) document_bytes += storage::Shard::RecordBytes(slot.record).size();
  }
  record.Reserve(undo_.size(), document_bytes);  // an upper bound: some entries log nothing
  for (const Undo& u : undo_) {
    const LoggedOp op = NetOp(u);
    if (op == LoggedOp::kNone) continue;
    const DocId id(u.salt, u.shard->id(), u.slot);
    if (op == LoggedOp::kErase) {
      record.Erase(u.collection_id, id);
      continue;
    }
    const std::string_view document = storage::Shard::RecordBytes(u.shard->slot(u.slot).record);
    if (op == LoggedOp::kInsert) {
      record.Insert(u.collection_id, id, document);
    } else {
      record.Put(u.collection_id, id, document);
    }
  }
  return record.Finish();
}

// Still under the shard locks, so LSN order is the order the commits applied (W2).
Status Transaction::Log(const ShardLockSet& locks) {
  // The record is built from the shards, after every write applied: each document is copied
  // once into it, and the log copies it once more into its buffer.
  std::string payload;
  if (db_->log().logged()) payload = BuildPayload();
  DAAS_ASSIGN_OR_RETURN(lsn_, db_->log().Sequence(payload));
  for (storage::Shard* s : locks.exclusive_shards()) s->set_lsn(lsn_);
  // Every document the commit stored carries its LSN as its version.
  for (const Undo& u : undo_) {
    if (!u.shard->slot(u.slot).empty()) u.shard->SetVersion(u.slot, lsn_);
  }
  KeepOldVersions(locks);
  // The change feed learns of the commit after its LSN was handed out (ChangeFeedHub::active).
  ChangeFeedHub& feed = db_->feed();
  if (feed.active()) {
    if (payload.empty()) payload = BuildPayload();
    std::vector<std::string_view> before;  // one per op of the record, in its order
    const bool has_before = feed.wants_before();
    if (has_before) {
      for (const Undo& u : undo_) {
        if (NetOp(u) == LoggedOp::kNone) continue;
        before.push_back(u.old.empty() ? std::string_view()
                                       : storage::Shard::RecordBytes(u.old.record));
      }
    }
    feed.Publish(lsn_, payload, has_before, before);
  }
  return Status::OK();
}

// After SetVersion, so a reader of the shard sees the new version and the old one together, and
// after the LSN was handed out (SnapshotRegistry: a snapshot that opened since is seen).
void Transaction::KeepOldVersions(const ShardLockSet& locks) {
  SnapshotRegistry& snapshots = db_->snapshots();
  uint64_t freed = 0;
  for (storage::Shard* s : locks.exclusive_shards()) {
    if (s->has_history()) freed += s->PruneHistory(snapshots.oldest());
  }
  if (freed != 0) snapshots.Freed(freed);
  if (!snapshots.any_open()) return;
  uint64_t kept = 0;
  for (const Undo& u : undo_) kept += u.shard->KeepOld(u.slot, u.old, lsn_);
  prune_after_ = snapshots.Kept(kept);
}

void Transaction::Publish(const ShardLockSet& locks) {
  for (const Undo& u : undo_) u.shard->Retire(u.old);
  for (storage::Shard* s : locks.exclusive_shards()) s->MaybeCompact();
  published_ = true;
}

void Transaction::Rollback() {
  index_undo_.Rollback();
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    it->shard->Retire(it->shard->Restore(it->slot, it->old));
  }
  undo_.clear();
}

// After the locks: a published commit's deleted slots go back to their allocators, and the
// inserts' IDs to the caller.
void Transaction::ReturnSlots(std::vector<DocId>* inserted) {
  for (const auto& [coll, r] : freed_) coll->ReleaseSlots(std::span<const Reservation>(&r, 1));
  if (inserted == nullptr) return;
  inserted->clear();
  inserted->reserve(reserved_.size());
  for (const Reservation& r : reserved_) inserted->push_back(DocId(r.salt, r.shard->id(), r.slot));
}

// ---- errors ----

std::string Transaction::OpContext(size_t i) const {
  const PendingOp& op = ops_[i];
  std::string out;
  if (ops_.size() > 1) out = "operation " + std::to_string(i) + " (" + OpName(op.type) + ") in ";
  out += op.collection->Describe();
  if (!op.id.is_null()) out += ", document '" + op.id.ToString() + "'";
  return out;
}

Status Transaction::InBatch(size_t i, Status s) const {
  return ops_.size() > 1 && !s.ok() ? s.WithContext(OpContext(i)) : s;
}

// validation_ref for a write whose target does not exist.
Status Transaction::RefViolation(const RefCheck& rc) const {
  const PendingOp& op = ops_[rc.op];
  return InBatch(rc.op, schema::ViolationStatus(op.collection->name(),
                                                op.id.is_null() ? std::string() : op.id.ToString(),
                                                {rc.set->MissingTarget(rc.slot, rc.target)}));
}

}  // namespace daas::engine
