// InteractiveTransaction: the Transaction of daas.hpp. It buffers writes (the final state of each
// document it writes, in the order first written) and remembers what it read (a ReadSet); Commit
// hands both to one engine::Transaction, which validates the reads and applies the writes under
// the shard locks, or applies nothing (docs/transactions.md).
//
// A read-only one instead holds a snapshot (SnapshotRegistry) from its start to its end, and reads
// everything as of the snapshot's LSN: no read set, nothing to validate.
//
// Invariant: nothing of an uncommitted transaction is visible to others; only its reserved slots
// exist outside it, and they are given back when it ends without committing.
#pragma once

#include <chrono>
#include <functional>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/coarse_clock.h"
#include "core/inline_arena.h"
#include "daas/daas.hpp"
#include "engine/collection_impl.h"
#include "engine/transaction.h"
#include "index/ref_index.h"

namespace daas::engine {

class DatabaseImpl;

// Not thread-safe (daas.hpp).
class InteractiveTransaction final : public daas::Transaction {
 public:
  InteractiveTransaction(DatabaseImpl* db, const TransactionOptions& options);
  ~InteractiveTransaction() override;

  using daas::Transaction::Get;
  Status Get(const Collection* collection, DocId id, std::string* document,
             DocumentMeta* meta) override;
  Status GetMany(std::span<const DocRef> refs,
                 std::vector<std::optional<std::string>>* out) override;
  Result<DocId> Insert(Collection* collection, std::string_view document) override;
  Status Replace(Collection* collection, DocId id, std::string_view document) override;
  Status Patch(Collection* collection, DocId id, std::string_view merge_patch) override;
  Status Delete(Collection* collection, DocId id) override;
  Status Find(const Collection* collection, std::string_view filter,
              const std::function<bool(DocId, std::string_view)>& fn) override;
  Result<std::unique_ptr<Cursor>> OpenCursor(const Collection* collection, std::string_view filter,
                                             std::optional<DocId> after) override;
  Status Commit() override;
  void Rollback() override;
  uint64_t commit_lsn() const override { return commit_lsn_; }
  uint64_t snapshot_lsn() const override { return snapshot_ != nullptr ? snapshot_->lsn() : 0; }

 private:
  // The final state of one document the transaction wrote.
  struct Write {
    enum class Kind : uint8_t { kInsert, kReplace, kDelete, kNone };  // kNone: inserted, deleted
    CollectionImpl* coll;
    DocId id;
    Kind kind;
    std::string document;                // kInsert, kReplace
    std::optional<uint64_t> if_version;  // kReplace, kDelete: the version read
    Reservation reservation{};           // kInsert: the slot reserved for it
  };

  // Aborted once ended, and once too old (then rolled back first). Every call checks, but Get,
  // which checks once in kClockEvery calls (and reads the database's open state as every read
  // does): the check costs about what a point read does.
  Status CheckUsable();
  static constexpr uint32_t kClockEvery = 64;
  // The transaction may write: usable, not read-only.
  Status CheckWritable();
  // `c` as a collection of this database, else InvalidArgument.
  Result<CollectionImpl*> Own(const Collection* c);
  // The committed document, remembered in the read set (its version, or its absence). Conflict
  // when it is no longer what this transaction read before.
  Status ReadCommitted(CollectionImpl* coll, DocId id, std::string* document, DocumentMeta* meta);
  // The document as this transaction sees it (ReadCommitted when it did not write it); *write is
  // its Write, or null. NotFound when absent or deleted here.
  Status Current(CollectionImpl* coll, DocId id, std::string* document, Write** write);
  // Remembers that this transaction read `id` of `coll` at `version` (ReadSet::kAbsent: absent);
  // Conflict when it read another version of it before.
  Status RecordRead(CollectionImpl* coll, DocId id, uint64_t version);
  // Buffers `document` as the new content of `id`, which exists for this transaction.
  Status Store(CollectionImpl* coll, DocId id, std::string document);
  // ResourceExhausted when `more` bytes would pass the write limits.
  Status CheckLimits(size_t more_writes, size_t more_bytes) const;
  // Gives back the reserved slots of inserts not committed, closes the snapshot; the transaction
  // ends.
  void End();
  // A read-only transaction's Find: a cursor over the snapshot.
  Status FindInSnapshot(const CollectionImpl* coll, std::string_view filter,
                        const std::function<bool(DocId, std::string_view)>& fn);

  DatabaseImpl* const db_;
  const TransactionOptions options_;
  // Coarse: CheckUsable reads the clock on every call (core/coarse_clock.h).
  const core::CoarseClock::time_point deadline_;
  // The last collection Own() accepted, so a run of calls on one collection casts it once.
  const Collection* owned_ = nullptr;
  CollectionImpl* owned_impl_ = nullptr;
  // A read-only transaction's snapshot, open until End.
  std::shared_ptr<SnapshotRegistry::State> snapshot_;
  bool ended_ = false;
  uint32_t reads_since_clock_ = 0;
  bool committed_ = false;
  uint64_t commit_lsn_ = 0;

  // Where the write and read sets allocate: a transaction of a few documents allocates nothing
  // for them beyond itself.
  core::InlineArena<1024> arena_;
  std::pmr::vector<Write> writes_{arena_.get()};
  std::pmr::unordered_map<DocId, size_t, index::DocIdHash> write_of_{arena_.get()};
  size_t live_writes_ = 0;
  size_t write_bytes_ = 0;

  ReadSet reads_{arena_.get()};
  // The version each document was read at (ReadSet::kAbsent: absent), by ID.
  std::pmr::unordered_map<DocId, uint64_t, index::DocIdHash> read_version_{arena_.get()};
};

}  // namespace daas::engine
