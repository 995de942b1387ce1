// Transaction: one commit of a set of operations (Database::Write, or one Collection write), as
// named phases. Every write of the engine goes through it.
//
//   Stage     inputs: documents well-formed and within limits, IDs naming shards of their
//             collections (loaded), inserts given their defaults and checked against the schema
//   Prepare   refs: the target each write points at; the referrers of each delete (restrict
//             refuses, cascade and setNull add derived writes)
//   Reserve   slots for the inserts
//   Apply     under the exclusive locks of every shard written (shared for ref targets, taken in
//             ShardId order): each write applied with its undo entry, updates checked against the
//             schema, derived writes, ref targets present, unique keys claimed, ref indexes updated
//   Log       the commit record appended to the log, which hands out its LSN (W2,
//             docs/format/wal.md); without a log the sequencer hands it out
//   Publish   replaced records retired, deleted slots freed, the new IDs returned; then, with no
//             lock held, the wait for durability the sync mode asks for
//   Rollback  on a failure in Apply or Log: index changes and slot writes undone in reverse, and
//             reserved slots given back, so nothing of the commit stays or was ever visible
//
// Invariant: from the moment the shard locks are taken until they are released, the commit either
// reaches Log and is published, or is rolled back; readers never see a part of it.
#pragma once

#include <cstdint>
#include <list>
#include <memory_resource>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/inline_arena.h"
#include "daas/daas.hpp"
#include "engine/schema_checks.h"
#include "index/index_set.h"

namespace daas::engine {

class CollectionImpl;
class DatabaseImpl;
class ShardLockSet;

// One operation of a commit, borrowing its document bytes from the caller.
struct PendingOp {
  WriteBatch::OpType type;
  CollectionImpl* collection;
  DocId id;  // null for inserts
  std::string_view document;
  std::optional<uint64_t> if_version{};  // the version the document must have (ReplaceIf)
  // An insert's slot, reserved by an interactive transaction (which gave out its ID and gives it
  // back if the commit fails); null: the commit reserves one.
  const Reservation* reservation = nullptr;
};

// What an interactive transaction (InteractiveTransaction) read, which its commit checks under
// the shard locks before it applies anything: serializable isolation by validation (docs/
// transactions.md). A document read must still have the version it had; a shard scanned must not
// have been changed by any commit since (its LSN); a collection scanned must still have as many
// shards. A document that did not exist must still not exist: its ID may have been reserved by
// another transaction's insert, which committed since.
struct ReadSet {
  struct Document {
    CollectionImpl* collection;
    DocId id;
    uint64_t version;  // kAbsent: it did not exist (it must still not exist)
    // The shard `id` names, which existed when it was read (an ID whose shard does not exist was
    // never handed out, and names no document now or later: such a read is not remembered).
    storage::Shard* shard;
  };
  struct ScannedShard {
    CollectionImpl* collection;
    storage::Shard* shard;
    uint64_t lsn;
  };
  struct ScannedCollection {
    CollectionImpl* collection;
    size_t shards;
  };
  // The version of a document read as absent (no stored document has it: versions are LSNs).
  static constexpr uint64_t kAbsent = UINT64_MAX;
  // `mr`: where the lists allocate (an interactive transaction's arena).
  explicit ReadSet(std::pmr::memory_resource* mr = std::pmr::get_default_resource())
      : documents(mr), shards(mr), collections(mr) {}
  std::pmr::vector<Document> documents;
  std::pmr::vector<ScannedShard> shards;
  std::pmr::vector<ScannedCollection> collections;
  bool empty() const { return documents.empty() && shards.empty() && collections.empty(); }
};

// Not thread-safe: one commit, run by one thread. Borrows `db`, `ops` and `reads` for its
// lifetime.
class Transaction {
 public:
  // `reads` (null: none) is what an interactive transaction read, validated before anything
  // applies.
  Transaction(DatabaseImpl* db, std::span<const PendingOp> ops, const ReadSet* reads = nullptr);
  // Gives back reserved slots a commit that did not publish still holds.
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Runs the phases once. On success *inserted (when not null) holds the IDs of the inserts the
  // commit reserved slots for, in order, and the commit is durable as `sync` asks. When a schema
  // change or migration of a collection the commit writes came in between, nothing is applied, the
  // error is Conflict, and those collections are added to *wait_for (DatabaseImpl::Commit waits for
  // them and runs a new one). Call once.
  Status Commit(SyncMode sync, std::vector<DocId>* inserted,
                std::vector<CollectionImpl*>* wait_for);

 private:
  // What a commit did to one slot, to undo it if a later step fails, and to log it: the slot's
  // document after the commit is the one logged (read from the shard when the record is built).
  struct Undo {
    storage::Shard* shard;
    uint16_t slot;
    storage::Slot old;  // readable until Publish retires it: the before-image
    uint32_t collection_id;
    uint64_t salt;
  };
  // What the commit's record says of an undo entry's slot (NetOp).
  enum class LoggedOp : uint8_t { kNone, kInsert, kPut, kErase };
  static LoggedOp NetOp(const Undo& u);
  // A target that operation `op` points at through ref field `slot` of `set`; `shard` is the
  // target's (null: no such shard, so no such document).
  struct RefCheck {
    size_t op;
    index::IndexSet* set;
    size_t slot;
    DocId target;
    storage::Shard* shard;
  };
  // What deleting `target` does to document `id` of `coll`, which points at it: deleted too
  // (cascade) or its refs to it cleared (setNull).
  struct DerivedOp {
    CollectionImpl* coll;
    index::IndexSet* set;
    DocId id;
    storage::Shard* shard;
    bool cascade;
    DocId target;
  };
  // The documents of `coll` found pointing at `target` through ref field `slot` before locking.
  struct SeenReferrers {
    CollectionImpl* coll;
    index::IndexSet* set;
    size_t slot;
    DocId target;
    std::vector<DocId> referrers;
  };
  // One indexed document the commit changes: its bytes before (empty: inserted) and after
  // (empty: deleted).
  struct IndexedChange {
    CollectionImpl* coll;
    index::IndexSet* set;
    DocId id;
    bool inserted;
    std::string_view before;
    std::string_view after;
    std::vector<index::IndexSet::KeyChange> keys;  // computed once the writes are applied
  };

  // The phases (file comment).
  Status Stage();
  Status Prepare();
  Status Reserve();
  // Requires the locks of `locks` (every shard written, exclusively; ref targets, shared).
  Status Apply(std::vector<CollectionImpl*>* wait_for);
  Status Log(const ShardLockSet& locks);
  // While snapshots are open, keeps in the shards what the commit overwrote or deleted
  // (SnapshotRegistry); first drops the old versions of its shards no snapshot reads any more.
  void KeepOldVersions(const ShardLockSet& locks);
  void Publish(const ShardLockSet& locks);
  void Rollback();
  void ReturnSlots(std::vector<DocId>* inserted);

  // Parts of Prepare and Apply.
  Status PrepareRefTargets();
  Status PrepareDeletes();
  Status StillValid(std::vector<CollectionImpl*>* wait_for);
  // The read set still holds (ReadSet). Requires the shared locks of the shards it names.
  Status ReadsStillHold() const;
  Status ApplyOp(size_t i);
  Status ApplyDerived();
  Status CheckRefTargets();
  Status UpdateIndexes();
  // Records the change of document `id` for the index phase: first before, last after.
  void Track(CollectionImpl* coll, DocId id, bool inserted, std::string_view before,
             std::string_view after);
  // Stores `document` in `id`'s slot of `shard` (an insert into a reserved slot, a replace, a
  // merged patch or a cleared ref) or empties it (document == nullopt), with its undo entry. A
  // stored document was created at `created_ms` (the commit's time for an insert) and is updated
  // now; Log gives it its version.
  void Write(CollectionImpl* coll, storage::Shard* shard, DocId id,
             std::optional<std::string_view> document, uint64_t created_ms);
  // The commit record payload (storage/wal/commit_record.h) of what undo_ says the commit did,
  // one op per document written (NetOp), with the documents as they are now in the shards.
  // Requires the shard locks.
  std::string BuildPayload() const;
  // "operation 3 (patch) in collection 'users', document 'X...': " in a batch; the collection
  // and document alone for a single operation.
  std::string OpContext(size_t i) const;
  // The error of operation i, with OpContext when the commit has several operations.
  Status InBatch(size_t i, Status s) const;
  Status RefViolation(const RefCheck& rc) const;

  DatabaseImpl* const db_;
  const std::span<const PendingOp> ops_;
  // Where the containers below allocate: a commit of a few documents allocates nothing for them.
  core::InlineArena<2048> arena_;
  SchemaChecks checks_{arena_.get()};
  const ReadSet* const reads_;
  // The commit's time (Unix ms): its documents' updated_ms, and created_ms of its inserts.
  const uint64_t time_ms_;

  // Stage: each operation's shard (inserts' after Reserve), and the document each insert or
  // replace stores: the caller's, or an insert's with its defaults (kept in with_defaults_).
  std::pmr::vector<storage::Shard*> op_shards_;
  std::pmr::vector<std::string_view> documents_;
  // Lists: stable addresses.
  std::pmr::list<std::string> with_defaults_{arena_.get()};
  size_t insert_count_ = 0;

  // Prepare.
  std::pmr::vector<RefCheck> ref_checks_{arena_.get()};
  std::pmr::vector<storage::Shard*> read_shards_{arena_.get()};  // ref targets' shards, shared
  std::pmr::vector<DerivedOp> derived_{arena_.get()};
  std::pmr::vector<SeenReferrers> seen_{arena_.get()};
  // CollectionHost::schema_epoch() when the collections that may point at deleted documents were
  // chosen; unset when the commit deletes nothing.
  std::optional<uint64_t> delete_epoch_;

  // Reserve: reserved_[k] belongs to the k-th insert.
  std::pmr::vector<Reservation> reserved_{arena_.get()};
  size_t next_reservation_ = 0;  // the next insert's, during Apply
  bool published_ = false;
  bool prune_after_ = false;  // KeepOldVersions expired snapshots: prune once the locks are gone

  // Apply: the undo log, slots emptied by deletes, documents the commit computes (patches,
  // cleared refs), and what it changes in indexed collections.
  std::pmr::vector<Undo> undo_{arena_.get()};
  std::pmr::vector<std::pair<CollectionImpl*, Reservation>> freed_{arena_.get()};
  std::pmr::list<std::string> owned_{arena_.get()};
  std::pmr::vector<IndexedChange> changes_{arena_.get()};
  std::pmr::unordered_map<DocId, size_t, index::DocIdHash> change_of_{arena_.get()};
  index::IndexSet::Undo index_undo_;

  // Log.
  uint64_t lsn_ = 0;

 public:
  // The commit's LSN once its writes were applied (Log succeeded), whatever Commit then returned;
  // 0 when nothing was applied.
  uint64_t lsn() const { return lsn_; }
};

}  // namespace daas::engine
