#include "engine/collection_impl.h"

#include <algorithm>

#include "core/quote.h"
#include "core/random.h"
#include "core/status_macros.h"
#include "core/thread_pool.h"
#include "engine/cursor.h"
#include "engine/shard_lock_set.h"
#include "engine/transaction.h"
#include "expr/evaluator.h"
#include "expr/program.h"
#include "index/ref_index.h"

namespace daas::engine {

CollectionImpl::CollectionImpl(const CollectionServices& services, uint32_t id, std::string name)
    : services_(services), id_(id), name_(std::move(name)) {}

std::string CollectionImpl::name() const {
  core::MutexLock l(&name_mu_);
  return name_;
}

void CollectionImpl::set_name(std::string name) {
  core::MutexLock l(&name_mu_);
  name_ = std::move(name);
}

std::string CollectionImpl::Describe() const {
  return "collection " + core::QuoteForMessage(name());
}

Status CollectionImpl::CheckUsable() const {
  DAAS_RETURN_IF_ERROR(services_.host->CheckOpen());
  if (dropped()) return Status::NotFound(Describe() + " was dropped");
  return Status::OK();
}

Status CollectionImpl::NotFoundError(DocId id) const {
  if (dropped()) return Status::NotFound(Describe() + " was dropped");
  return Status::NotFound(Describe() + " has no document '" + id.ToString() + "'");
}

storage::Shard* CollectionImpl::FindShard(DocId id) const {
  storage::Shard* shard = services_.shards->Find(id.shard());
  if (shard == nullptr || shard->collection_id() != id_) return nullptr;
  return shard;
}

std::vector<storage::Shard*> CollectionImpl::Shards() const {
  core::MutexLock l(&alloc_mu_);
  std::vector<storage::Shard*> out;
  out.reserve(allocs_.size());
  for (const ShardAlloc& a : allocs_) out.push_back(a.shard);
  return out;
}

// ---- slot allocation ----

Status CollectionImpl::Reserve(size_t n, std::pmr::vector<Reservation>* out) {
  while (n > 0) {
    storage::Shard* to_load = nullptr;  // a cold shard with free slots, next in line
    {
      core::MutexLock l(&alloc_mu_);
      if (dropped()) return Status::NotFound(Describe() + " was dropped");
      while (n > 0) {
        while (first_with_space_ < allocs_.size() && !allocs_[first_with_space_].has_space()) {
          ++first_with_space_;
        }
        if (first_with_space_ == allocs_.size()) {
          DAAS_ASSIGN_OR_RETURN(storage::Shard * shard, services_.shards->New(id_));
          allocs_.push_back(ShardAlloc{shard, {}, 0});
        }
        ShardAlloc& a = allocs_[first_with_space_];
        if (a.cold) {
          to_load = a.shard;
          break;
        }
        while (n > 0 && a.has_space()) {
          uint16_t slot;
          if (!a.free.empty()) {
            slot = a.free.back();
            a.free.pop_back();
          } else {
            slot = static_cast<uint16_t>(a.next_unused++);
          }
          out->push_back(Reservation{a.shard, slot, core::RandomSalt()});
          --n;
        }
      }
    }
    // Loading takes the shard lock, so not under alloc_mu_. A failed load marks the shard full.
    if (to_load != nullptr) LoadShard(to_load).IgnoreError();
  }
  return Status::OK();
}

CollectionImpl::ShardAlloc& CollectionImpl::AllocOf(const storage::Shard& shard) const {
  auto it = std::lower_bound(allocs_.begin(), allocs_.end(), shard.id(),
                             [](const ShardAlloc& a, ShardId id) { return a.shard->id() < id; });
  DAAS_CHECK(it != allocs_.end() && it->shard == &shard);
  return *it;
}

void CollectionImpl::ReleaseSlots(std::span<const Reservation> slots) {
  core::MutexLock l(&alloc_mu_);
  for (const Reservation& r : slots) {
    ShardAlloc& a = AllocOf(*r.shard);
    a.free.push_back(r.slot);
    first_with_space_ = std::min(first_with_space_, static_cast<size_t>(&a - allocs_.data()));
  }
}

void CollectionImpl::AdoptShard(storage::Shard* shard) {
  {
    core::MutexLock l(&alloc_mu_);
    auto it = std::lower_bound(allocs_.begin(), allocs_.end(), shard->id(),
                               [](const ShardAlloc& a, ShardId id) { return a.shard->id() < id; });
    DAAS_CHECK(it == allocs_.end() || it->shard->id() != shard->id());
    ShardAlloc a{shard, {}, storage::kSlotsPerShard, /*cold=*/true, false};
    // A cold shard's count is its file's; a loaded one's free slots are installed below.
    a.cold_has_space = !shard->loaded() && shard->live_count() < storage::kSlotsPerShard;
    allocs_.insert(it, std::move(a));
    first_with_space_ = 0;
  }
  if (shard->loaded()) {
    core::ReaderLock shard_lock(shard->mu());
    ShardLoaded(*shard);
  }
}

namespace {

// The empty slots below `shard`'s slot limit, highest first (the allocator pops from the back).
// Requires the shard lock.
std::vector<uint16_t> EmptySlots(const storage::Shard& shard) {
  std::vector<uint16_t> free;
  for (uint32_t i = shard.slot_limit(); i-- > 0;) {
    if (shard.slot(static_cast<uint16_t>(i)).empty()) free.push_back(static_cast<uint16_t>(i));
  }
  return free;
}

}  // namespace

void CollectionImpl::ShardLoaded(const storage::Shard& shard) const {
  std::vector<uint16_t> free = EmptySlots(shard);
  core::MutexLock l(&alloc_mu_);
  ShardAlloc& a = AllocOf(shard);
  // The slot table is the truth: no slot of a shard being loaded or replayed is reserved.
  a.free = std::move(free);
  a.next_unused = shard.slot_limit();
  a.cold = false;
  first_with_space_ = std::min(first_with_space_, static_cast<size_t>(&a - allocs_.data()));
}

void CollectionImpl::ShardLoadFailed(const storage::Shard& shard) const {
  core::MutexLock l(&alloc_mu_);
  AllocOf(shard).cold_has_space = false;
}

// ---- writes: each is a one-operation commit ----

Status CollectionImpl::WriteOne(WriteBatch::OpType type, DocId id, std::string_view document,
                                std::optional<uint64_t> if_version) {
  const PendingOp op{type, this, id, document, if_version};
  return services_.host->CommitOps(std::span<const PendingOp>(&op, 1), nullptr);
}

Result<DocId> CollectionImpl::Insert(std::string_view document) {
  const PendingOp op{WriteBatch::OpType::kInsert, this, DocId(), document};
  std::vector<DocId> ids;
  DAAS_RETURN_IF_ERROR(services_.host->CommitOps(std::span<const PendingOp>(&op, 1), &ids));
  return ids.front();
}

Result<std::vector<DocId>> CollectionImpl::InsertMany(std::span<const std::string_view> documents) {
  DAAS_RETURN_IF_ERROR(CheckUsable());  // for an empty list too, which commits nothing
  std::vector<PendingOp> ops;
  ops.reserve(documents.size());
  for (std::string_view d : documents) {
    ops.push_back(PendingOp{WriteBatch::OpType::kInsert, this, DocId(), d});
  }
  std::vector<DocId> ids;
  DAAS_RETURN_IF_ERROR(services_.host->CommitOps(ops, &ids));
  return ids;
}

Status CollectionImpl::Replace(DocId id, std::string_view document) {
  return WriteOne(WriteBatch::OpType::kReplace, id, document);
}

Status CollectionImpl::Patch(DocId id, std::string_view merge_patch) {
  return WriteOne(WriteBatch::OpType::kPatch, id, merge_patch);
}

Status CollectionImpl::Delete(DocId id) { return WriteOne(WriteBatch::OpType::kDelete, id, {}); }

Status CollectionImpl::ReplaceIf(DocId id, uint64_t expected_version, std::string_view document) {
  return WriteOne(WriteBatch::OpType::kReplace, id, document, expected_version);
}

Status CollectionImpl::PatchIf(DocId id, uint64_t expected_version, std::string_view merge_patch) {
  return WriteOne(WriteBatch::OpType::kPatch, id, merge_patch, expected_version);
}

Status CollectionImpl::DeleteIf(DocId id, uint64_t expected_version) {
  return WriteOne(WriteBatch::OpType::kDelete, id, {}, expected_version);
}

// ---- reads ----

template <typename Fn>
Status CollectionImpl::WithDocument(DocId id, Fn&& fn, uint64_t at) const {
  if (Status s = services_.host->CheckOpen(); !s.ok()) [[unlikely]]
    return s;
  storage::Shard* shard = FindShard(id);
  if (shard == nullptr || dropped()) [[unlikely]]
    return NotFoundError(id);
  // At most twice: a shard whose file cannot answer point reads is loaded, then read.
  for (;;) {
    {
      core::ReaderLock l(shard->mu());
      std::string_view bytes;
      storage::RecordMeta meta;
      using FileRead = storage::Shard::FileRead;
      FileRead found;
      if (shard->loaded()) [[likely]] {
        const bool hit = at == kLatest ? shard->Get(id.slot(), id.salt(), &bytes, &meta)
                                       : shard->GetAt(id.slot(), id.salt(), at, &bytes, &meta);
        found = hit ? FileRead::kFound : FileRead::kAbsent;
      } else {
        // Not loaded yet (open is lazy): the record is read from the shard's file, in place. No
        // commit wrote to the shard since open (a write loads it first), so the file holds what
        // every snapshot sees.
        Result<FileRead> in_file = shard->GetFromFile(id.slot(), id.salt(), &bytes, &meta);
        if (!in_file.ok()) {
          return in_file.status().WithContext("reading document '" + id.ToString() + "' of " +
                                              Describe());
        }
        found = *in_file;
      }
      if (found == FileRead::kFound) [[likely]] {
        if (NeedsMigrationOnRead(id)) [[unlikely]] {
          std::string migrated;
          DAAS_RETURN_IF_ERROR(MigrateForRead(&bytes, &migrated));
          fn(bytes, meta);
          return Status::OK();
        }
        fn(bytes, meta);
        return Status::OK();
      }
      if (found == FileRead::kAbsent) return NotFoundError(id);
    }
    DAAS_RETURN_IF_ERROR(LoadShard(shard));
  }
}

Status CollectionImpl::Read(DocId id, const std::function<void(std::string_view)>& fn) const {
  return WithDocument(id, [&fn](std::string_view bytes, const storage::RecordMeta&) { fn(bytes); });
}

Status CollectionImpl::Get(DocId id, std::string* document) const {
  return WithDocument(id, [document](std::string_view bytes, const storage::RecordMeta&) {
    // clear + append rather than assign: assign's replace path re-checks for the source aliasing
    // the string, which a shard record never does, and costs about twice as much.
    document->clear();
    document->append(bytes);
  });
}

Status CollectionImpl::Get(DocId id, std::string* document, DocumentMeta* meta) const {
  return WithDocument(id, [document, meta](std::string_view bytes, const storage::RecordMeta& m) {
    document->clear();
    document->append(bytes);
    *meta = DocumentMeta{m.version, static_cast<int64_t>(m.created_ms),
                         static_cast<int64_t>(m.updated_ms)};
  });
}

Status CollectionImpl::GetAt(DocId id, uint64_t at, std::string* document,
                             DocumentMeta* meta) const {
  return WithDocument(
      id,
      [document, meta](std::string_view bytes, const storage::RecordMeta& m) {
        document->clear();
        document->append(bytes);
        if (meta != nullptr) {
          *meta = DocumentMeta{m.version, static_cast<int64_t>(m.created_ms),
                               static_cast<int64_t>(m.updated_ms)};
        }
      },
      at);
}

Result<uint64_t> CollectionImpl::Count() const {
  DAAS_RETURN_IF_ERROR(CheckUsable());
  // All shards at once, so a batch that inserts into two shards is counted whole or not at all. A
  // shard not loaded counts what its file's header says (checked at open), so counting loads
  // nothing, and gives the same answer whether or not a damaged body was found yet.
  std::vector<storage::Shard*> shards = Shards();
  ShardLockSet locks(std::move(shards), ShardLockSet::Mode::kShared);
  uint64_t n = 0;
  for (const storage::Shard* s : locks.shards()) n += s->live_count();
  return n;
}

template <typename Fn>
bool CollectionImpl::ForEachShaped(const storage::Shard& shard, Fn&& fn, Status* error,
                                   uint32_t first_slot, uint64_t at) const {
  std::string migrated;
  auto shaped = [&](DocId id, std::string_view bytes) {
    if (NeedsMigrationOnRead(id)) [[unlikely]] {
      *error = MigrateForRead(&bytes, &migrated);
      if (!error->ok()) return false;
    }
    return fn(id, bytes);
  };
  return at == kLatest ? shard.ForEachFrom(first_slot, shaped)
                       : shard.ForEachAt(first_slot, at, shaped);
}

Status CollectionImpl::Scan(const std::function<bool(DocId, std::string_view)>& fn) const {
  DAAS_RETURN_IF_ERROR(CheckUsable());
  Status error;
  for (storage::Shard* shard : Shards()) {
    DAAS_RETURN_IF_ERROR(LoadShard(shard));
    core::ReaderLock l(shard->mu());
    if (!ForEachShaped(*shard, fn, &error)) break;
  }
  return error;
}

Status CollectionImpl::ScanShard(storage::Shard* shard, uint32_t first_slot,
                                 const std::function<bool(DocId, std::string_view)>& fn,
                                 uint64_t* lsn, uint64_t at) const {
  DAAS_RETURN_IF_ERROR(CheckUsable());
  DAAS_RETURN_IF_ERROR(LoadShard(shard));
  core::ReaderLock l(shard->mu());
  *lsn = shard->lsn();
  Status error;
  ForEachShaped(*shard, fn, &error, first_slot, at);
  return error;
}

Result<std::unique_ptr<Cursor>> CollectionImpl::OpenCursor(std::string_view filter,
                                                           std::optional<DocId> after) const {
  return OpenCursor(filter, after, nullptr);
}

Result<std::unique_ptr<Cursor>> CollectionImpl::OpenCursor(
    std::string_view filter, std::optional<DocId> after,
    std::shared_ptr<const SnapshotRegistry::State> snapshot) const {
  DAAS_RETURN_IF_ERROR(CheckUsable());
  std::optional<expr::Program> program;
  if (!filter.empty()) {
    DAAS_ASSIGN_OR_RETURN(expr::Program p, expr::CompileExpression(filter));
    program.emplace(std::move(p));
  }
  return std::unique_ptr<Cursor>(
      std::make_unique<CursorImpl>(this, std::move(program), after, std::move(snapshot)));
}

Status CollectionImpl::ParallelScan(
    const std::function<void(unsigned, DocId, std::string_view)>& fn) const {
  DAAS_RETURN_IF_ERROR(CheckUsable());
  const std::vector<storage::Shard*> shards = Shards();
  // Cold shards load inside the workers, in parallel.
  core::Mutex error_mu;
  Status error;
  core::ThreadPool::Default().ParallelFor(shards.size(), [&](size_t k, unsigned worker) {
    if (Status s = LoadShard(shards[k]); !s.ok()) {
      core::MutexLock l(&error_mu);
      if (error.ok()) error = s;
      return;
    }
    core::ReaderLock l(shards[k]->mu());
    Status s;
    ForEachShaped(
        *shards[k],
        [&](DocId id, std::string_view bytes) {
          fn(worker, id, bytes);
          return true;
        },
        &s);
    if (!s.ok()) {
      core::MutexLock l(&error_mu);
      if (error.ok()) error = s;
    }
  });
  core::MutexLock l(&error_mu);
  return error;
}

Status CollectionImpl::Find(std::string_view filter,
                            const std::function<bool(DocId, std::string_view)>& fn) const {
  DAAS_RETURN_IF_ERROR(CheckUsable());
  DAAS_ASSIGN_OR_RETURN(expr::Program program, expr::CompileExpression(filter));
  expr::Evaluator evaluator(program, {.bindings = nullptr, .now_micros = expr::SystemNowMicros()});
  Status error;
  DAAS_RETURN_IF_ERROR(Scan([&](DocId id, std::string_view document) {
    Result<bool> match = evaluator.Matches(document);
    if (!match.ok()) {
      error = match.status().WithContext(Describe() + ", document '" + id.ToString() + "'");
      return false;
    }
    return !*match || fn(id, document);
  }));
  return error;
}

Status CollectionImpl::SetSchema(std::string_view schema_json) {
  return services_.host->SetSchema(this, schema_json);
}

Status CollectionImpl::GetSchema(std::string* schema_json) const {
  DAAS_RETURN_IF_ERROR(CheckUsable());
  *schema_json = this->schema_json();
  return Status::OK();
}

std::string CollectionImpl::schema_json() const {
  core::MutexLock l(&schema_mu_);
  return schema_json_;
}

CollectionImpl::SchemaSnapshot CollectionImpl::schema() const {
  core::MutexLock l(&schema_mu_);
  return {schema_, schema_generation_, migration_, indexes_, indexes_pending_, writes_held_};
}

void CollectionImpl::InstallSchema(std::shared_ptr<const schema::CollectionSchema> schema,
                                   std::string json, std::shared_ptr<const Migration> migration,
                                   uint32_t migrated_below,
                                   std::shared_ptr<index::IndexSet> indexes, bool indexes_pending) {
  has_refs_.store(schema != nullptr && !index::RefFields(*schema, nullptr).empty(),
                  std::memory_order_relaxed);
  {
    core::MutexLock l(&schema_mu_);
    schema_ = std::move(schema);
    schema_json_ = std::move(json);
    migration_ = std::move(migration);
    migrated_below_ = migration_ != nullptr ? migrated_below : 0;
    set_migrated_until(migration_ != nullptr ? MigrationPosition(ShardId{migrated_below_}, 0)
                                             : UINT64_MAX);
    indexes_ = std::move(indexes);
    indexes_pending_ = indexes_pending;
    ++schema_generation_;
  }
  services_.host->SchemaInstalled();
  migration_cv_.SignalAll();
}

void CollectionImpl::SetIndexes(std::shared_ptr<index::IndexSet> indexes) {
  {
    core::MutexLock l(&schema_mu_);
    indexes_ = std::move(indexes);
    indexes_pending_ = false;
    ++schema_generation_;
  }
  migration_cv_.SignalAll();
}

bool CollectionImpl::InstallSchemaIfShards(size_t shard_count,
                                           std::shared_ptr<const schema::CollectionSchema> schema,
                                           std::string json,
                                           std::shared_ptr<const Migration> migration,
                                           std::shared_ptr<index::IndexSet> indexes) {
  core::MutexLock l(&alloc_mu_);  // Reserve adds shards under it
  if (allocs_.size() != shard_count) return false;
  InstallSchema(std::move(schema), std::move(json), std::move(migration), 0, std::move(indexes));
  return true;
}

Status CollectionImpl::MigrateForRead(std::string_view* document, std::string* scratch) const {
  const SchemaSnapshot snap = schema();
  // Ended since the caller looked: the migration passed this document's shard, which needs the
  // shard's exclusive lock unless none of its documents changes, so the stored bytes are right.
  if (snap.migration == nullptr) return Status::OK();
  const Migration& m = *snap.migration;
  Result<std::string> migrated =
      schema::MigrateDocument(m.diff, *m.from, *snap.schema, *document, {expr::SystemNowMicros()});
  if (!migrated.ok()) {
    return migrated.status().WithContext("reading a document of " + Describe() +
                                         " not yet migrated to version " +
                                         std::to_string(snap.schema->version));
  }
  *scratch = std::move(*migrated);
  *document = *scratch;
  return Status::OK();
}

uint32_t CollectionImpl::migrated_below() const {
  core::MutexLock l(&schema_mu_);
  return migrated_below_;
}

void CollectionImpl::set_migrated_below(uint32_t shard_id) {
  core::MutexLock l(&schema_mu_);
  migrated_below_ = shard_id;
}

std::pair<std::string, uint32_t> CollectionImpl::MigrationState() const {
  core::MutexLock l(&schema_mu_);
  if (migration_ == nullptr) return {};
  return {migration_->from_json, migrated_below_};
}

bool CollectionImpl::AwaitWritable(std::chrono::milliseconds timeout) const {
  core::MutexLock l(&schema_mu_);
  auto paused = [&]() DAAS_REQUIRES(schema_mu_) {
    return migration_ != nullptr || indexes_pending_ || writes_held_;
  };
  if (paused()) migration_cv_.WaitFor(&schema_mu_, timeout);
  return !paused();
}

void CollectionImpl::HoldWrites(bool hold) {
  {
    core::MutexLock l(&schema_mu_);
    writes_held_ = hold;
    ++schema_generation_;
  }
  if (!hold) migration_cv_.SignalAll();
}

Result<CollectionStats> CollectionImpl::Stats() const {
  DAAS_RETURN_IF_ERROR(CheckUsable());
  CollectionStats st;
  std::vector<storage::Shard*> shards = Shards();
  for (storage::Shard* shard : shards) DAAS_RETURN_IF_ERROR(LoadShard(shard));
  ShardLockSet locks(std::move(shards), ShardLockSet::Mode::kShared);
  for (const storage::Shard* s : locks.shards()) {
    st.documents += s->live_count();
    st.document_bytes += s->live_bytes();
    st.memory_bytes += s->memory_bytes();
    ++st.shards;
  }
  return st;
}

}  // namespace daas::engine
