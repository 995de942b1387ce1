#include "engine/interactive_transaction.h"

#include <algorithm>
#include <random>
#include <thread>

#include "core/status_macros.h"
#include "doc/merge_patch.h"
#include "doc/msgpack_reader.h"
#include "engine/database_impl.h"
#include "expr/evaluator.h"
#include "expr/program.h"
#include "schema/validate.h"

namespace daas::engine {

InteractiveTransaction::InteractiveTransaction(DatabaseImpl* db, const TransactionOptions& options)
    : db_(db),
      options_(options),
      deadline_(core::CoarseClock::now() + std::chrono::milliseconds(options.max_age_ms)) {
  if (options_.read_only) {
    snapshot_ = db_->OpenSnapshot(deadline_);
  }
}

InteractiveTransaction::~InteractiveTransaction() { End(); }

void InteractiveTransaction::End() {
  if (ended_) return;
  ended_ = true;
  if (snapshot_ != nullptr && db_->snapshots().Close(snapshot_)) db_->PruneHistory();
  if (committed_) return;
  for (const Write& w : writes_) {
    if (w.kind == Write::Kind::kInsert || w.kind == Write::Kind::kNone) {
      if (w.reservation.shard != nullptr) {
        w.coll->ReleaseSlots(std::span<const Reservation>(&w.reservation, 1));
      }
    }
  }
}

void InteractiveTransaction::Rollback() { End(); }

Status InteractiveTransaction::CheckUsable() {
  if (ended_) return Status::Aborted("the transaction has ended (committed or rolled back)");
  DAAS_RETURN_IF_ERROR(db_->CheckOpen());
  if (core::CoarseClock::now() > deadline_) {
    End();
    return Status::Aborted("the transaction is older than its max_age_ms (" +
                           std::to_string(options_.max_age_ms) + " ms) and was rolled back");
  }
  return Status::OK();
}

Status InteractiveTransaction::CheckWritable() {
  DAAS_RETURN_IF_ERROR(CheckUsable());
  if (options_.read_only) return Status::InvalidArgument("the transaction is read-only");
  return Status::OK();
}

Result<CollectionImpl*> InteractiveTransaction::Own(const Collection* c) {
  if (c == owned_ && c != nullptr) return owned_impl_;
  const auto* coll = dynamic_cast<const CollectionImpl*>(c);
  if (coll == nullptr || coll->host() != db_) {
    return Status::InvalidArgument("the collection belongs to another database");
  }
  owned_ = c;
  owned_impl_ = const_cast<CollectionImpl*>(coll);
  return owned_impl_;
}

Status InteractiveTransaction::CheckLimits(size_t more_writes, size_t more_bytes) const {
  if (live_writes_ + more_writes > options_.max_writes) {
    return Status::ResourceExhausted("the transaction would write more than its max_writes (" +
                                     std::to_string(options_.max_writes) + " documents)");
  }
  if (write_bytes_ + more_bytes > options_.max_write_bytes) {
    return Status::ResourceExhausted("the transaction would hold more than its max_write_bytes (" +
                                     std::to_string(options_.max_write_bytes) +
                                     " bytes of documents)");
  }
  return Status::OK();
}

// ---- reads ----

Status InteractiveTransaction::ReadCommitted(CollectionImpl* coll, DocId id, std::string* document,
                                             DocumentMeta* meta) {
  DocumentMeta m;
  Status s = coll->Get(id, document, &m);
  if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  DAAS_RETURN_IF_ERROR(RecordRead(coll, id, s.ok() ? m.version : ReadSet::kAbsent));
  if (meta != nullptr && s.ok()) *meta = m;
  return s;
}

Status InteractiveTransaction::RecordRead(CollectionImpl* coll, DocId id, uint64_t version) {
  // An ID whose shard is not this collection's names no document of it, ever (it was never handed
  // out, or it is a document of another collection read through this one): nothing to remember.
  storage::Shard* const shard = coll->FindShard(id);
  if (shard == nullptr) return Status::OK();
  auto [it, first] = read_version_.emplace(id, version);
  if (first) {
    reads_.documents.push_back(ReadSet::Document{coll, id, version, shard});
  } else if (it->second != version) {
    // What this transaction read earlier is gone: its commit would fail; say so now.
    return Status::Conflict("document '" + id.ToString() + "' of " + coll->Describe() +
                            " changed after the transaction read it; run the transaction again");
  }
  return Status::OK();
}

Status InteractiveTransaction::GetMany(std::span<const DocRef> refs,
                                       std::vector<std::optional<std::string>>* out) {
  DAAS_RETURN_IF_ERROR(CheckUsable());
  // ReadMany refuses a collection of another database.
  if (snapshot_ != nullptr) {
    DAAS_RETURN_IF_ERROR(db_->ReadMany(refs, snapshot_->lsn(), out, nullptr));
    // After the reads: one that raced with the snapshot's expiry may have missed a pruned version.
    return snapshot_->Usable();
  }
  // The committed documents in one pass, then this transaction's own writes over them.
  std::vector<uint64_t> versions;
  DAAS_RETURN_IF_ERROR(db_->ReadMany(refs, CollectionImpl::kLatest, out, &versions));
  std::string own;
  for (size_t i = 0; i < refs.size(); ++i) {
    DAAS_ASSIGN_OR_RETURN(CollectionImpl * coll, Own(refs[i].collection));
    if (write_of_.count(refs[i].id) != 0) {
      Write* w;
      Status s = Current(coll, refs[i].id, &own, &w);
      if (s.ok()) {
        (*out)[i] = std::move(own);
      } else if (s.code() == StatusCode::kNotFound) {
        (*out)[i].reset();
      } else {
        return s;
      }
      continue;
    }
    DAAS_RETURN_IF_ERROR(RecordRead(coll, refs[i].id, (*out)[i] ? versions[i] : ReadSet::kAbsent));
  }
  return Status::OK();
}

Status InteractiveTransaction::Current(CollectionImpl* coll, DocId id, std::string* document,
                                       Write** write) {
  *write = nullptr;
  if (auto it = write_of_.find(id); it != write_of_.end()) {
    Write& w = writes_[it->second];
    if (w.coll != coll)
      return Status::NotFound(coll->Describe() + " has no document '" + id.ToString() + "'");
    if (w.kind == Write::Kind::kDelete || w.kind == Write::Kind::kNone) {
      return Status::NotFound(coll->Describe() + " has no document '" + id.ToString() +
                              "' (this transaction deleted it)");
    }
    *write = &w;
    *document = w.document;
    return Status::OK();
  }
  return ReadCommitted(coll, id, document, nullptr);
}

Status InteractiveTransaction::Get(const Collection* collection, DocId id, std::string* document,
                                   DocumentMeta* meta) {
  // The point-read hot path: CheckUsable and Own in full only now and then.
  if (ended_ || ++reads_since_clock_ % kClockEvery == 0) [[unlikely]] {
    DAAS_RETURN_IF_ERROR(CheckUsable());
  }
  CollectionImpl* coll = owned_impl_;
  if (collection != owned_ || collection == nullptr) [[unlikely]] {
    DAAS_ASSIGN_OR_RETURN(coll, Own(collection));
  }
  if (snapshot_ != nullptr) {
    Status s = coll->GetAt(id, snapshot_->lsn(), document, meta);
    // After the read: one that raced with the snapshot's expiry may have missed a pruned version.
    DAAS_RETURN_IF_ERROR(snapshot_->Usable());
    return s;
  }
  if (write_of_.count(id) != 0) {
    Write* w;
    DAAS_RETURN_IF_ERROR(Current(coll, id, document, &w));
    if (meta != nullptr) *meta = DocumentMeta{};  // not committed yet
    return Status::OK();
  }
  return ReadCommitted(coll, id, document, meta);
}

Status InteractiveTransaction::Find(const Collection* collection, std::string_view filter,
                                    const std::function<bool(DocId, std::string_view)>& fn) {
  DAAS_RETURN_IF_ERROR(CheckUsable());
  DAAS_ASSIGN_OR_RETURN(CollectionImpl * coll, Own(collection));
  if (snapshot_ != nullptr) return FindInSnapshot(coll, filter, fn);
  DAAS_ASSIGN_OR_RETURN(expr::Program program, expr::CompileExpression(filter));
  expr::Evaluator evaluator(program, {.bindings = nullptr, .now_micros = expr::SystemNowMicros()});
  auto matches = [&](DocId id, std::string_view document) -> Result<bool> {
    Result<bool> m = evaluator.Matches(document);
    if (!m.ok())
      return m.status().WithContext(coll->Describe() + ", document '" + id.ToString() + "'");
    return m;
  };
  const std::vector<storage::Shard*> shards = coll->Shards();
  // This transaction's writes to the collection, by ID (DocId order is shard, then slot), as
  // indexes into writes_: fn may write through this transaction, which grows writes_.
  std::vector<size_t> own;
  for (size_t i = 0; i < writes_.size(); ++i) {
    const Write& w = writes_[i];
    if (w.coll == coll && (w.kind == Write::Kind::kInsert || w.kind == Write::Kind::kReplace)) {
      own.push_back(i);
    }
  }
  std::sort(own.begin(), own.end(),
            [&](size_t a, size_t b) { return writes_[a].id < writes_[b].id; });
  auto own_id = [&](size_t k) { return writes_[own[k]].id; };
  size_t next_own = 0;
  std::vector<std::pair<DocId, std::string>> found;
  for (storage::Shard* shard : shards) {
    // The shard's matches are copied out under its lock, and fn runs after it is released.
    found.clear();
    Status error;
    uint64_t lsn = 0;
    DAAS_RETURN_IF_ERROR(coll->ScanShard(
        shard,
        [&](DocId id, std::string_view document) {
          if (write_of_.count(id) != 0) return true;  // this transaction's version counts
          Result<bool> m = matches(id, document);
          if (!m.ok()) {
            error = m.status();
            return false;
          }
          if (*m) found.emplace_back(id, std::string(document));
          return true;
        },
        &lsn));
    DAAS_RETURN_IF_ERROR(error);
    reads_.shards.push_back(ReadSet::ScannedShard{coll, shard, lsn});
    // Merged with this transaction's own documents of the shard, in slot order.
    while (next_own < own.size() && own_id(next_own).shard() < shard->id()) ++next_own;
    size_t k = 0;
    while (k < found.size() || (next_own < own.size() && own_id(next_own).shard() == shard->id())) {
      const bool take_own = next_own < own.size() && own_id(next_own).shard() == shard->id() &&
                            (k == found.size() || own_id(next_own) < found[k].first);
      if (take_own) {
        // Copied: fn may change or delete it (the Write stays, its document may not).
        const Write& w = writes_[own[next_own++]];
        if (w.kind != Write::Kind::kInsert && w.kind != Write::Kind::kReplace) continue;
        const DocId id = w.id;
        const std::string document = w.document;
        DAAS_ASSIGN_OR_RETURN(const bool m, matches(id, document));
        if (m && !fn(id, document)) return Status::OK();
      } else {
        if (!fn(found[k].first, found[k].second)) return Status::OK();
        ++k;
      }
    }
  }
  reads_.collections.push_back(ReadSet::ScannedCollection{coll, shards.size()});
  return Status::OK();
}

Status InteractiveTransaction::FindInSnapshot(
    const CollectionImpl* coll, std::string_view filter,
    const std::function<bool(DocId, std::string_view)>& fn) {
  DAAS_ASSIGN_OR_RETURN(std::unique_ptr<Cursor> cursor, OpenCursor(coll, filter, std::nullopt));
  DocId id;
  std::string_view document;
  for (;;) {
    DAAS_ASSIGN_OR_RETURN(const bool more, cursor->Next(&id, &document));
    if (!more || !fn(id, document)) return Status::OK();
  }
}

Result<std::unique_ptr<Cursor>> InteractiveTransaction::OpenCursor(const Collection* collection,
                                                                   std::string_view filter,
                                                                   std::optional<DocId> after) {
  DAAS_RETURN_IF_ERROR(CheckUsable());
  DAAS_ASSIGN_OR_RETURN(CollectionImpl * coll, Own(collection));
  if (snapshot_ == nullptr) {
    return Status::InvalidArgument(
        "a cursor reads a read-only transaction's snapshot; a read-write transaction reads "
        "with Find");
  }
  return coll->OpenCursor(filter, after, snapshot_);
}

// ---- writes ----

Result<DocId> InteractiveTransaction::Insert(Collection* collection, std::string_view document) {
  DAAS_RETURN_IF_ERROR(CheckWritable());
  DAAS_ASSIGN_OR_RETURN(CollectionImpl * coll, Own(collection));
  DAAS_RETURN_IF_ERROR(doc::ValidateDocument(document, db_->options().limits));
  std::string stored(document);
  // The schema's defaults now, so the transaction reads what Commit will store.
  const CollectionImpl::SchemaSnapshot snapshot = coll->schema();
  if (snapshot.schema != nullptr) {
    DAAS_ASSIGN_OR_RETURN(
        std::optional<std::string> filled,
        schema::ApplyDefaultsIfMissing(*snapshot.schema, document,
                                       schema::ValidationContext{expr::SystemNowMicros()}));
    if (filled) stored = std::move(*filled);
  }
  DAAS_RETURN_IF_ERROR(CheckLimits(1, stored.size()));
  core::InlineArena<64> scratch;
  std::pmr::vector<Reservation> reserved(scratch.get());
  DAAS_RETURN_IF_ERROR(coll->Reserve(1, &reserved));
  const Reservation& r = reserved.front();
  const DocId id(r.salt, r.shard->id(), r.slot);
  write_bytes_ += stored.size();
  ++live_writes_;
  write_of_[id] = writes_.size();
  writes_.push_back(Write{coll, id, Write::Kind::kInsert, std::move(stored), std::nullopt, r});
  return id;
}

Status InteractiveTransaction::Store(CollectionImpl* coll, DocId id, std::string document) {
  if (auto it = write_of_.find(id); it != write_of_.end()) {
    Write& w = writes_[it->second];  // an insert stays one; a replace stays one
    DAAS_RETURN_IF_ERROR(CheckLimits(0, document.size()));
    write_bytes_ = write_bytes_ - w.document.size() + document.size();
    w.document = std::move(document);
    return Status::OK();
  }
  DAAS_RETURN_IF_ERROR(CheckLimits(1, document.size()));
  write_bytes_ += document.size();
  ++live_writes_;
  write_of_[id] = writes_.size();
  writes_.push_back(
      Write{coll, id, Write::Kind::kReplace, std::move(document), read_version_.at(id), {}});
  return Status::OK();
}

Status InteractiveTransaction::Replace(Collection* collection, DocId id,
                                       std::string_view document) {
  DAAS_RETURN_IF_ERROR(CheckWritable());
  DAAS_ASSIGN_OR_RETURN(CollectionImpl * coll, Own(collection));
  DAAS_RETURN_IF_ERROR(doc::ValidateDocument(document, db_->options().limits));
  std::string current;
  Write* w;
  DAAS_RETURN_IF_ERROR(Current(coll, id, &current, &w));
  return Store(coll, id, std::string(document));
}

Status InteractiveTransaction::Patch(Collection* collection, DocId id,
                                     std::string_view merge_patch) {
  DAAS_RETURN_IF_ERROR(CheckWritable());
  DAAS_ASSIGN_OR_RETURN(CollectionImpl * coll, Own(collection));
  DAAS_RETURN_IF_ERROR(doc::ValidateDocument(merge_patch, db_->options().limits));
  std::string current;
  Write* w;
  DAAS_RETURN_IF_ERROR(Current(coll, id, &current, &w));
  DAAS_ASSIGN_OR_RETURN(std::string merged,
                        doc::MergePatch(current, merge_patch, db_->options().limits));
  return Store(coll, id, std::move(merged));
}

Status InteractiveTransaction::Delete(Collection* collection, DocId id) {
  DAAS_RETURN_IF_ERROR(CheckWritable());
  DAAS_ASSIGN_OR_RETURN(CollectionImpl * coll, Own(collection));
  std::string current;
  Write* w;
  DAAS_RETURN_IF_ERROR(Current(coll, id, &current, &w));
  if (w != nullptr) {
    write_bytes_ -= w->document.size();
    w->document.clear();
    // An insert of this transaction deleted again leaves nothing to commit (its slot goes back
    // at the end); a replaced document is deleted at the version read.
    w->kind = w->kind == Write::Kind::kInsert ? Write::Kind::kNone : Write::Kind::kDelete;
    if (w->kind == Write::Kind::kNone) --live_writes_;
    return Status::OK();
  }
  DAAS_RETURN_IF_ERROR(CheckLimits(1, 0));
  ++live_writes_;
  write_of_[id] = writes_.size();
  writes_.push_back(Write{coll, id, Write::Kind::kDelete, {}, read_version_.at(id), {}});
  return Status::OK();
}

// ---- commit ----

Status InteractiveTransaction::Commit() {
  DAAS_RETURN_IF_ERROR(CheckUsable());
  if (snapshot_ != nullptr) {
    // Everything it read is of one snapshot: nothing to check, nothing to apply.
    End();
    return Status::OK();
  }
  core::InlineArena<1024> scratch;  // a few operations: no allocation
  std::pmr::vector<PendingOp> ops(scratch.get());
  ops.reserve(live_writes_);
  for (const Write& w : writes_) {
    switch (w.kind) {
      case Write::Kind::kInsert:
        ops.push_back(PendingOp{WriteBatch::OpType::kInsert, w.coll, DocId(), w.document,
                                std::nullopt, &w.reservation});
        break;
      case Write::Kind::kReplace:
        ops.push_back(
            PendingOp{WriteBatch::OpType::kReplace, w.coll, w.id, w.document, w.if_version});
        break;
      case Write::Kind::kDelete:
        ops.push_back(PendingOp{WriteBatch::OpType::kDelete, w.coll, w.id, {}, w.if_version});
        break;
      case Write::Kind::kNone:
        break;
    }
  }
  Status s =
      db_->Commit(ops, nullptr, options_.sync.value_or(db_->options().sync), &reads_, &commit_lsn_);
  // An LSN means the writes were applied, even when waiting for durability then failed: the
  // reserved slots hold the inserts now and must not be given back.
  committed_ = s.ok() || commit_lsn_ != 0;
  End();
  return s;
}

}  // namespace daas::engine

namespace daas {

Status Database::RunTransaction(const std::function<Status(Transaction&)>& fn,
                                const TransactionOptions& options) {
  // Randomized exponential backoff: transactions that collided retry at different times.
  constexpr int64_t kFirstBackoffMicros = 50;
  constexpr int64_t kMaxBackoffMicros = 10'000;
  std::minstd_rand rng(static_cast<uint32_t>(
      std::hash<std::thread::id>{}(std::this_thread::get_id()) ^
      static_cast<size_t>(std::chrono::steady_clock::now().time_since_epoch().count())));
  const uint32_t attempts = std::max<uint32_t>(options.max_attempts, 1);
  Status s;
  for (uint32_t attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1) {
      const int64_t cap =
          std::min(kMaxBackoffMicros, kFirstBackoffMicros << std::min(attempt, 12u));
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int64_t>(cap / 2, cap)(rng)));
    }
    DAAS_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> txn, BeginTransaction(options));
    s = fn(*txn);
    if (s.ok()) s = txn->Commit();
    if (s.ok() || s.code() != StatusCode::kConflict) return s;
  }
  return s.WithContext("the transaction conflicted in each of its " + std::to_string(attempts) +
                       " runs");
}

}  // namespace daas
