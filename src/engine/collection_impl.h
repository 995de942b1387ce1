// CollectionImpl: one collection's shards and the allocator that hands out their slots.
//
// Invariant: a slot is in at most one of {occupied, in a free list, reserved by a running commit};
// reserved slots stay empty until the commit fills them or Release() returns them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "daas/daas.hpp"
#include "engine/shard_loader.h"
#include "engine/shard_table.h"
#include "engine/snapshot_registry.h"
#include "index/index_set.h"
#include "schema/migrate.h"
#include "schema/schema.h"
#include "storage/shard.h"

namespace daas::engine {

struct PendingOp;
class CollectionImpl;

// What a collection needs of its database, and nothing more (DatabaseImpl is the one host).
class CollectionHost {
 public:
  // Aborted once the database is closed. Inline: every read checks it.
  Status CheckOpen() const {
    // acquire: pairs with Close's release; calls racing with Close are a contract violation.
    if (closed_.load(std::memory_order_acquire)) [[unlikely]]
      return Status::Aborted("database is closed");
    return Status::OK();
  }
  // Commits `ops` atomically with the database's default durability (Database::Write).
  virtual Status CommitOps(std::span<const PendingOp> ops, std::vector<DocId>* inserted) = 0;
  // Collection::SetSchema of `coll`.
  virtual Status SetSchema(CollectionImpl* coll, std::string_view schema_json) = 0;
  // Counts schema installs (CollectionImpl::InstallSchema calls SchemaInstalled after setting
  // has_refs): a commit with deletes reads it before choosing which collections may point at what
  // it deletes, and starts over if it moved before the commit's shard locks were held.
  void SchemaInstalled() { schema_epoch_.fetch_add(1, std::memory_order_release); }
  uint64_t schema_epoch() const { return schema_epoch_.load(std::memory_order_acquire); }

 protected:
  CollectionHost() = default;
  ~CollectionHost() = default;
  // Starts true: only a fully successful open makes the database usable.
  std::atomic<bool> closed_{true};

 private:
  std::atomic<uint64_t> schema_epoch_{0};
};

// The services a collection is built with; they outlive it.
struct CollectionServices {
  CollectionHost* host;
  ShardTable* shards;  // where its shards are found, and new ones made
  ShardLoader* loader;
};

// A slot handed to an insert that has not been applied yet.
struct Reservation {
  storage::Shard* shard;
  uint16_t slot;
  uint64_t salt;
};

class CollectionImpl final : public Collection {
 public:
  CollectionImpl(const CollectionServices& services, uint32_t id, std::string name);

  // Collection API (daas.hpp).
  std::string name() const override;
  Result<DocId> Insert(std::string_view document) override;
  Result<std::vector<DocId>> InsertMany(std::span<const std::string_view> documents) override;
  Status Get(DocId id, std::string* document) const override;
  Status Get(DocId id, std::string* document, DocumentMeta* meta) const override;
  Status Read(DocId id, const std::function<void(std::string_view)>& fn) const override;
  Status Replace(DocId id, std::string_view document) override;
  Status Patch(DocId id, std::string_view merge_patch) override;
  Status Delete(DocId id) override;
  Status ReplaceIf(DocId id, uint64_t expected_version, std::string_view document) override;
  Status PatchIf(DocId id, uint64_t expected_version, std::string_view merge_patch) override;
  Status DeleteIf(DocId id, uint64_t expected_version) override;
  Result<uint64_t> Count() const override;
  Status Scan(const std::function<bool(DocId, std::string_view)>& fn) const override;
  Status ParallelScan(
      const std::function<void(unsigned, DocId, std::string_view)>& fn) const override;
  Status Find(std::string_view filter,
              const std::function<bool(DocId, std::string_view)>& fn) const override;
  Result<CollectionStats> Stats() const override;
  Status SetSchema(std::string_view schema_json) override;
  Status GetSchema(std::string* schema_json) const override DAAS_EXCLUDES(schema_mu_);
  // The schema's canonical JSON, "" when there is none, whether or not the collection was dropped:
  // what the catalog writes and compares.
  std::string schema_json() const DAAS_EXCLUDES(schema_mu_);

  // A schema change that rewrites stored documents (docs/schema.md, "Migrations over live data"),
  // from its install until every shard is migrated. Writes to the collection wait meanwhile;
  // readers do not.
  struct Migration {
    std::shared_ptr<const schema::CollectionSchema> from;
    std::string from_json;  // canonical, for the manifest
    schema::SchemaDiff diff;
  };
  // The schema writes are checked against, and its generation (+1 on every change, a migration's
  // start and end included). A commit checks under its shard locks that the generation it
  // validated with is still current.
  struct SchemaSnapshot {
    std::shared_ptr<const schema::CollectionSchema> schema;  // null: schemaless
    uint64_t generation = 0;
    std::shared_ptr<const Migration> migration;  // null: none running
    // The schema's unique and ref indexes (null: it asks for none, or they are not built yet).
    std::shared_ptr<index::IndexSet> indexes;
    // The schema asks for indexes that are being built (after open): writes wait, like for a
    // migration.
    bool indexes_pending = false;
    // Writes are held while several schemas change together (HoldWrites).
    bool writes_held = false;
    // Whether writes must wait before they can be checked.
    bool paused() const { return migration != nullptr || indexes_pending || writes_held; }
  };
  SchemaSnapshot schema() const DAAS_EXCLUDES(schema_mu_);
  // Installs `schema` (null: none) with its canonical JSON, and the migration that rewrites the
  // stored documents for it (null: none), with shards below `migrated_below` already migrated.
  // Callers: DatabaseImpl::SetSchema, Recovery and the migration itself.
  // `indexes` are the schema's, built from the stored documents; `indexes_pending` says they still
  // have to be built (BuildIndexes).
  void InstallSchema(std::shared_ptr<const schema::CollectionSchema> schema, std::string json,
                     std::shared_ptr<const Migration> migration = nullptr,
                     uint32_t migrated_below = 0,
                     std::shared_ptr<index::IndexSet> indexes = nullptr,
                     bool indexes_pending = false) DAAS_EXCLUDES(schema_mu_);
  // Installs the indexes built for the current schema; writes resume.
  void SetIndexes(std::shared_ptr<index::IndexSet> indexes) DAAS_EXCLUDES(schema_mu_);
  // InstallSchema if the collection has exactly `shard_count` shards, atomically with respect to
  // adding one; false (and nothing installed) when it has more. Callers hold the shard locks.
  bool InstallSchemaIfShards(size_t shard_count,
                             std::shared_ptr<const schema::CollectionSchema> schema,
                             std::string json, std::shared_ptr<const Migration> migration,
                             std::shared_ptr<index::IndexSet> indexes)
      DAAS_EXCLUDES(alloc_mu_, schema_mu_);
  // The running migration's progress: shards with a lower ID are migrated. Callers of the setter
  // hold the Checkpointer's lock, so a checkpoint records progress and documents together.
  uint32_t migrated_below() const DAAS_EXCLUDES(schema_mu_);
  void set_migrated_below(uint32_t shard_id) DAAS_EXCLUDES(schema_mu_);
  // The running migration's old schema (canonical JSON) and progress, for the manifest; empty and
  // 0 when none runs.
  std::pair<std::string, uint32_t> MigrationState() const DAAS_EXCLUDES(schema_mu_);
  // Readers see every document in the installed schema's shape, also while a migration is still
  // rewriting the stored ones: a migration goes through documents in MigrationPosition order, and
  // a reader that finds one at or past `migrated_until` migrates its own copy (MigrateForRead).
  // Both require the read lock of the document's shard.
  static uint64_t MigrationPosition(ShardId shard, uint16_t slot) {
    return uint64_t{shard.value} << 16 | slot;
  }
  bool NeedsMigrationOnRead(DocId id) const {
    return MigrationPosition(id.shard(), id.slot()) >=
           migrated_until_.load(std::memory_order_acquire);
  }
  // Points *document at its copy in the installed schema's shape, kept in *scratch (unchanged
  // when the migration ended meanwhile: then the stored bytes have it). Errors: ResourceExhausted
  // when a conversion exceeds its expression budget.
  Status MigrateForRead(std::string_view* document, std::string* scratch) const
      DAAS_EXCLUDES(schema_mu_);
  // The running migration has rewritten every document before `position`. Callers hold the
  // exclusive lock of the shard they just rewrote (up to) `position` in.
  void set_migrated_until(uint64_t position) {
    migrated_until_.store(position, std::memory_order_release);
  }

  // Makes writes to the collection wait (SchemaSnapshot::paused), or lets them go again, while
  // DatabaseImpl::ApplySchemaFile changes several schemas as one: no write lands between two of
  // its installs, so putting the old schemas back after a failure loses nothing. Both move the
  // schema generation, so a commit checked before the hold starts over.
  void HoldWrites(bool hold) DAAS_EXCLUDES(schema_mu_);
  // Waits up to `timeout` for writes to resume (SchemaSnapshot::paused). True when they may go.
  bool AwaitWritable(std::chrono::milliseconds timeout) const DAAS_EXCLUDES(schema_mu_);

  // Whether the installed schema has ref fields: a delete elsewhere looks up referrers only in
  // collections that do (CollectionHost::schema_epoch says when to look again).
  bool has_refs() const { return has_refs_.load(std::memory_order_relaxed); }

  uint32_t id() const { return id_; }
  // The database this collection belongs to.
  const CollectionHost* host() const { return services_.host; }
  void set_name(std::string name) DAAS_EXCLUDES(name_mu_);

  // True once DropCollection started. Writers check it with the shard locks held; Drop sets it
  // before it takes them, so a commit either finishes before the drop clears the shards or fails.
  bool dropped() const { return dropped_.load(std::memory_order_acquire); }
  void MarkDropped() { dropped_.store(true, std::memory_order_release); }

  // Makes sure `shard`, one of this collection's, is loaded (ShardLoader::Load).
  Status LoadShard(storage::Shard* shard, const std::atomic<bool>* cancel = nullptr) const {
    return services_.loader->Load(this, shard, cancel);
  }
  // The shard `id` names if it belongs to this collection, else null. Thread-safe, lock-free.
  storage::Shard* FindShard(DocId id) const;
  // Snapshot of this collection's shards, ascending ID. Thread-safe.
  std::vector<storage::Shard*> Shards() const DAAS_EXCLUDES(alloc_mu_);

  // Appends `n` fresh slots with new salts to *out, creating shards when the existing ones are
  // full. Errors: NotFound (dropped), ResourceExhausted (no shard IDs left). Thread-safe.
  Status Reserve(size_t n, std::pmr::vector<Reservation>* out) DAAS_EXCLUDES(alloc_mu_);
  // Returns slots that were reserved but not filled, or that a delete emptied. Thread-safe.
  void ReleaseSlots(std::span<const Reservation> slots) DAAS_EXCLUDES(alloc_mu_);
  // Takes a shard found at open. A loaded one's free slots are read from its slot table now, a cold
  // one's when it is loaded (ShardLoaded); until then no slot of it is handed out. Requires: no
  // other thread uses the database yet.
  void AdoptShard(storage::Shard* shard) DAAS_EXCLUDES(alloc_mu_);
  // Hands the free slots of `shard`, just loaded (or changed by log replay at open), to the
  // allocator, replacing what it had: no slot of such a shard is reserved. Requires the shard
  // lock (the loader holds it exclusively). Const: the free lists are the allocator's cache of the
  // slot tables, which is what a load fills.
  void ShardLoaded(const storage::Shard& shard) const DAAS_EXCLUDES(alloc_mu_);
  // A shard whose load failed takes no inserts.
  void ShardLoadFailed(const storage::Shard& shard) const DAAS_EXCLUDES(alloc_mu_);

  // Calls fn(id, bytes) for each document of `shard`, one of this collection's (loaded first), in
  // slot order and in the installed schema's shape, until fn returns false; *lsn is the shard's
  // LSN as of the walk. fn runs with the shard locked for reading (Scan's contract). Errors: as
  // Scan.
  Status ScanShard(storage::Shard* shard, const std::function<bool(DocId, std::string_view)>& fn,
                   uint64_t* lsn) const {
    return ScanShard(shard, 0, fn, lsn);
  }
  // ScanShard from slot `first_slot` on, as of LSN `at` (kLatest: now; else a snapshot's LSN,
  // SnapshotRegistry).
  Status ScanShard(storage::Shard* shard, uint32_t first_slot,
                   const std::function<bool(DocId, std::string_view)>& fn, uint64_t* lsn,
                   uint64_t at = kLatest) const;
  // Get() as of LSN `at`, an open snapshot's; `meta` may be null.
  Status GetAt(DocId id, uint64_t at, std::string* document, DocumentMeta* meta) const;
  static constexpr uint64_t kLatest = UINT64_MAX;
  // Collection API (daas.hpp).
  Result<std::unique_ptr<Cursor>> OpenCursor(std::string_view filter,
                                             std::optional<DocId> after) const override;
  // OpenCursor over `snapshot` (CursorImpl; null: none).
  Result<std::unique_ptr<Cursor>> OpenCursor(
      std::string_view filter, std::optional<DocId> after,
      std::shared_ptr<const SnapshotRegistry::State> snapshot) const;

  // "collection 'users'", for error messages.
  std::string Describe() const;

 private:
  struct ShardAlloc {
    storage::Shard* shard;
    std::vector<uint16_t> free;  // emptied slots below next_unused
    uint32_t next_unused = 0;    // slots at and above this were never handed out
    // Not loaded yet: free and next_unused are unknown, and `cold_has_space` says whether the file
    // leaves slots free.
    bool cold = false;
    bool cold_has_space = false;
    bool has_space() const {
      return cold ? cold_has_space : !free.empty() || next_unused < storage::kSlotsPerShard;
    }
  };
  // The ShardAlloc of `shard`, which must be one of this collection's.
  ShardAlloc& AllocOf(const storage::Shard& shard) const DAAS_REQUIRES(alloc_mu_);

  // Calls fn(bytes, meta) with the document's shard read-locked when `id` names a live document
  // of this collection, in the installed schema's shape; otherwise NotFound (or Aborted after
  // Close). The point-read hot path: a hit builds no Status.
  // `at`: as of that LSN (kLatest: now).
  template <typename Fn>
  Status WithDocument(DocId id, Fn&& fn, uint64_t at = kLatest) const;
  // shard.ForEachFrom (ForEachAt when `at` is not kLatest) with each document in the installed
  // schema's shape. Requires the shard's read lock. False when fn stopped or migrating a copy
  // failed (*error says so).
  template <typename Fn>
  bool ForEachShaped(const storage::Shard& shard, Fn&& fn, Status* error, uint32_t first_slot = 0,
                     uint64_t at = kLatest) const;
  // Aborted after Close, NotFound after the collection was dropped.
  Status CheckUsable() const;
  Status NotFoundError(DocId id) const;
  Status WriteOne(WriteBatch::OpType type, DocId id, std::string_view document,
                  std::optional<uint64_t> if_version = std::nullopt);

  const CollectionServices services_;
  const uint32_t id_;
  std::atomic<bool> dropped_{false};
  std::atomic<bool> has_refs_{false};

  mutable core::Mutex schema_mu_;
  std::shared_ptr<const schema::CollectionSchema> schema_ DAAS_GUARDED_BY(schema_mu_);
  std::string schema_json_ DAAS_GUARDED_BY(schema_mu_);
  uint64_t schema_generation_ DAAS_GUARDED_BY(schema_mu_) = 0;
  std::shared_ptr<const Migration> migration_ DAAS_GUARDED_BY(schema_mu_);
  uint32_t migrated_below_ DAAS_GUARDED_BY(schema_mu_) = 0;
  // Documents at this MigrationPosition and after are not rewritten yet; the maximum when no
  // migration runs. Set under schema_mu_ with the migration, then by the migration itself.
  std::atomic<uint64_t> migrated_until_{UINT64_MAX};
  std::shared_ptr<index::IndexSet> indexes_ DAAS_GUARDED_BY(schema_mu_);
  bool indexes_pending_ DAAS_GUARDED_BY(schema_mu_) = false;
  bool writes_held_ DAAS_GUARDED_BY(schema_mu_) = false;
  mutable core::CondVar migration_cv_;  // signalled when a migration ends

  mutable core::Mutex name_mu_;
  std::string name_ DAAS_GUARDED_BY(name_mu_);

  mutable core::Mutex alloc_mu_;  // never held while taking a shard lock
  // Ascending shard ID. Mutable for ShardLoaded.
  mutable std::vector<ShardAlloc> allocs_ DAAS_GUARDED_BY(alloc_mu_);
  mutable size_t first_with_space_ DAAS_GUARDED_BY(alloc_mu_) = 0;  // allocs_ before it are full
};

}  // namespace daas::engine
