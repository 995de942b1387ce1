// DaaS: an in-process document database. This header is the whole C++ API.
//
//   auto db = daas::Database::Open({.dir = "./data"});            // or {} for in-memory
//   daas::Collection* users = *(*db)->CreateCollection("users");
//   auto doc = daas::JsonToDocument(R"({"name":"Ada","age":36})");
//   daas::DocId id = *users->Insert(*doc);
//   std::string bytes;  users->Get(id, &bytes);                    // MessagePack bytes
//
// Documents are MessagePack maps (docs/format/document.md), passed and returned as bytes; JSON is
// converted at the edges with JsonToDocument / DocumentToJson. Every fallible call returns a Status
// or Result (include/daas/status.h); nothing throws.
//
// Threading: every method of Database and Collection is thread-safe, except Close(), which requires
// that no other call is in progress or starts afterwards. Readers never wait for a queue: a read
// takes the shard's lock for reading and copies the bytes out.
//
// Consistency: a write (one operation, or a WriteBatch of many across collections) becomes visible
// all at once: a reader sees all of it or none of it. Get, GetMany and Count observe one instant;
// Scan and ParallelScan observe each shard (65,536 documents) at one instant, shard after shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daas/doc_id.h"
#include "daas/options.h"
#include "daas/status.h"

namespace daas {

class Collection;

// A group of writes applied atomically by Database::Write, across any collections of one database.
// Documents are copied into the batch. Not thread-safe; reusable after Clear().
class WriteBatch {
 public:
  enum class OpType : uint8_t { kInsert, kReplace, kPatch, kDelete };

  void Insert(Collection* collection, std::string_view document) {
    Add(OpType::kInsert, collection, DocId(), document, std::nullopt);
  }
  void Replace(Collection* collection, DocId id, std::string_view document) {
    Add(OpType::kReplace, collection, id, document, std::nullopt);
  }
  void Patch(Collection* collection, DocId id, std::string_view merge_patch) {
    Add(OpType::kPatch, collection, id, merge_patch, std::nullopt);
  }
  void Delete(Collection* collection, DocId id) {
    Add(OpType::kDelete, collection, id, {}, std::nullopt);
  }
  // Conditional forms (Collection::ReplaceIf): the batch fails with Conflict, applying nothing, if
  // the document's version is no longer `expected_version`.
  void ReplaceIf(Collection* collection, DocId id, uint64_t expected_version,
                 std::string_view document) {
    Add(OpType::kReplace, collection, id, document, expected_version);
  }
  void PatchIf(Collection* collection, DocId id, uint64_t expected_version,
               std::string_view merge_patch) {
    Add(OpType::kPatch, collection, id, merge_patch, expected_version);
  }
  void DeleteIf(Collection* collection, DocId id, uint64_t expected_version) {
    Add(OpType::kDelete, collection, id, {}, expected_version);
  }
  void Clear() {
    ops_.clear();
    inserts_ = 0;
  }
  // Operations in the batch, and how many of them are inserts (Database::Write returns as many
  // IDs).
  size_t size() const { return ops_.size(); }
  size_t inserts() const { return inserts_; }

 private:
  // The engine reads the operations (engine/write_batch_internal.h); their form is not API.
  friend class WriteBatchInternal;
  struct Op {
    OpType type;
    Collection* collection;
    DocId id;              // null for inserts
    std::string document;  // the document (insert, replace) or merge patch; empty for delete
    std::optional<uint64_t> if_version;  // the version the document must still have
  };
  void Add(OpType type, Collection* collection, DocId id, std::string_view document,
           std::optional<uint64_t> if_version) {
    ops_.push_back(Op{type, collection, id, std::string(document), if_version});
    if (type == OpType::kInsert) ++inserts_;
  }
  std::vector<Op> ops_;
  size_t inserts_ = 0;
};

// What DaaS keeps beside each document's bytes (docs/format/document.md, "Versions and times").
struct DocumentMeta {
  // The LSN of the commit that last wrote the document (Database::visible_lsn counts them, in
  // memory too). It grows with every write of the document, so it is the document's version for
  // conditional writes (ReplaceIf). A document stored by DaaS 0.2 carries the LSN of the
  // checkpoint that held it, or of the log record that wrote it.
  uint64_t version = 0;
  // Unix times in milliseconds, by the system clock, of the commit that inserted the document and
  // of the last commit that wrote it; 0 when not known (stored by DaaS 0.2). A schema migration
  // changes a document's shape, not its version or times.
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct CollectionStats {
  uint64_t documents = 0;
  uint64_t document_bytes = 0;  // sum of the documents' MessagePack sizes
  uint64_t memory_bytes = 0;    // memory held for them: slot tables, arenas
  uint32_t shards = 0;
};

// A pull cursor over one collection's documents, in ID order (Collection::OpenCursor). It holds
// no lock between calls, so the caller may do anything between two Next calls, writes to the same
// collection included. Each step reads up to 512 documents (or 256 KiB) of one shard at one
// instant, copies them, and releases the shard; the cursor resumes after the last ID it returned.
// So each document is returned at most once, in ID order; a document inserted or changed behind
// the cursor is not seen, and one ahead of it is seen as it is when the cursor gets there
// (consistent per step, not across the collection: a transaction's Find is, DESIGN.md §6); so a
// loop that inserts a document for each one it reads may meet its own inserts. Not thread-safe;
// must not outlive its Database.
class Cursor {
 public:
  virtual ~Cursor() = default;
  // The next document: true, with *id and *document (the bytes, valid until the next call or the
  // cursor's destruction); false at the end. Errors: NotFound (the collection was dropped),
  // ResourceExhausted (the filter's evaluation limits), Corruption, Aborted (closed).
  virtual Result<bool> Next(DocId* id, std::string_view* document) = 0;
};

// A named set of documents. Owned by its Database and valid until the Database is destroyed; after
// the collection is dropped, every call but name() fails with NotFound (after checking its
// arguments), and writes nothing to its outputs.
class Collection {
 public:
  virtual ~Collection() = default;

  // The current name (collections can be renamed); after a drop, the last one. Never fails.
  virtual std::string name() const = 0;

  // Stores a new document and returns its ID.
  // Errors: InvalidArgument (not a well-formed MessagePack map, naming the byte offset),
  // ResourceExhausted (a DocumentLimits limit), NotFound (collection dropped).
  virtual Result<DocId> Insert(std::string_view document) = 0;
  // Inserts all documents atomically; IDs in input order. Errors name the failing document's index.
  virtual Result<std::vector<DocId>> InsertMany(std::span<const std::string_view> documents) = 0;

  // Copies the document's MessagePack bytes into *document. NotFound when the ID names no live
  // document of this collection: a guessed, stale or other collection's ID finds nothing.
  virtual Status Get(DocId id, std::string* document) const = 0;
  // Get, and the document's version and times into *meta.
  virtual Status Get(DocId id, std::string* document, DocumentMeta* meta) const = 0;
  // Calls fn with the document's bytes without copying; the bytes are valid only during the call,
  // which runs with the shard locked for reading: fn must not write to this database.
  virtual Status Read(DocId id, const std::function<void(std::string_view)>& fn) const = 0;

  // Replaces the whole document. NotFound if it does not exist.
  virtual Status Replace(DocId id, std::string_view document) = 0;
  // Applies a JSON Merge Patch (RFC 7386) given as a MessagePack map: nil removes a field, maps
  // merge, anything else replaces. NotFound if the document does not exist.
  virtual Status Patch(DocId id, std::string_view merge_patch) = 0;
  // NotFound if the document does not exist.
  virtual Status Delete(DocId id) = 0;

  // Conditional writes: Replace, Patch and Delete applied only if the document's version
  // (DocumentMeta::version, read with Get) is still `expected_version`, checked atomically with
  // the write. Otherwise Conflict, naming the version the document has now, and nothing changes.
  // Errors also as the unconditional forms.
  virtual Status ReplaceIf(DocId id, uint64_t expected_version, std::string_view document) = 0;
  virtual Status PatchIf(DocId id, uint64_t expected_version, std::string_view merge_patch) = 0;
  virtual Status DeleteIf(DocId id, uint64_t expected_version) = 0;

  virtual Result<uint64_t> Count() const = 0;

  // Visits every document in ID order (DocId's operator<=>: shard, then slot). fn returns false to
  // stop early. fn runs with a shard locked for reading, on the stored bytes with no copy (the
  // fastest way through a collection): it may call Get and Read, but must not write to this
  // database nor call Count, Stats or GetMany (which lock several shards in order and could
  // deadlock against a commit). To do any of that per document, use OpenCursor, which holds no
  // lock between documents.
  virtual Status Scan(const std::function<bool(DocId, std::string_view)>& fn) const = 0;
  // Visits every document, shards in parallel on the database's worker pool. fn is called
  // concurrently; `worker` is in [0, Database::concurrency()) and is the same for calls made on one
  // thread, so callers can keep per-worker state without locks. Order is unspecified.
  virtual Status ParallelScan(
      const std::function<void(unsigned worker, DocId, std::string_view)>& fn) const = 0;

  // Calls fn(id, document) for each document on which `filter` is true, in ID order, until fn
  // returns false. `filter` is an expression (docs/expressions.md), e.g.
  // `age > 50 && country = "FR"`: parsed and compiled once per call, then evaluated on each
  // document's bytes; @now and the date macros are the time of the call. Errors: InvalidArgument
  // naming the byte of the filter that does not parse, and what was expected; ResourceExhausted
  // when evaluating a document exceeds the expression limits. Same callback contract as Scan.
  virtual Status Find(std::string_view filter,
                      const std::function<bool(DocId, std::string_view)>& fn) const = 0;

  // A Cursor over the documents matching `filter` (an expression, as for Find; empty: every
  // document), in ID order, starting after `after` (unset: at the start). The pull-style way to go
  // through a collection with no callback under a lock. Errors: InvalidArgument (the filter does
  // not parse, naming the byte), NotFound (dropped).
  virtual Result<std::unique_ptr<Cursor>> OpenCursor(std::string_view filter,
                                                     std::optional<DocId> after) const = 0;
  Result<std::unique_ptr<Cursor>> OpenCursor() const { return OpenCursor("", std::nullopt); }

  virtual Result<CollectionStats> Stats() const = 0;

  // Gives the collection a schema (docs/schema.md): `schema_json` is one collection's definition,
  // e.g. {"version": 1, "fields": {"age": {"type": "int", "min": 0}}}. From then on every insert,
  // replace and patch is checked against it at commit (types, options, checks, unique keys, ref
  // targets), an insert gets the schema's defaults first, deleting a document other documents
  // point at applies their refs' onDelete, and a write that breaks it fails with SchemaViolation
  // naming the collection, the document and every violation (a batch applies nothing). Setting a
  // schema first checks every stored document against it, holding off writers to this
  // collection (readers go on): if any breaks it, nothing changes and the error lists the first
  // ones. A later schema must have a higher version; one that rewrites stored documents (a new
  // field with a default, a rename, a conversion, a removal) migrates them before this returns,
  // shard by shard, with writers to the collection waiting and readers not; readers see every
  // document in the new shape from the install on (a crash midway is resumed by the next open). An
  // empty `schema_json` removes the schema. The schema is durable once this returns. Errors:
  // InvalidArgument (a bad definition, naming its JSON path, a ref to a collection that does not
  // exist, or a version not above the current one), SchemaViolation, NotFound (dropped), IOError.
  virtual Status SetSchema(std::string_view schema_json) = 0;
  // Copies the schema's canonical JSON into *schema_json, "" when the collection has none.
  // Errors: NotFound (dropped).
  virtual Status GetSchema(std::string* schema_json) const = 0;
};

// Options of Database::BeginTransaction and Database::RunTransaction (docs/transactions.md).
struct TransactionOptions {
  // Durability of the commit; unset: the database's Options::sync.
  std::optional<SyncMode> sync{};
  // A transaction older than this is rolled back by its next call (Get: within 64 calls; the
  // age is read from a clock of a few ms resolution), which, like every later one, fails with
  // Aborted: a forgotten transaction does not hold its reserved slots, or its snapshot, forever.
  uint32_t max_age_ms = 60'000;
  // How many documents a transaction may write, and how many bytes of documents it may hold;
  // beyond, the write fails with ResourceExhausted (the transaction stays usable).
  size_t max_writes = 100'000;
  size_t max_write_bytes = size_t{64} << 20;
  // A read-only transaction reads one snapshot: the whole database as of the LSN of the latest
  // commit when it began (snapshot_lsn()), whatever commits later, without blocking them (they
  // keep what they overwrite for it, within Options::snapshot_history_bytes). Its Commit always
  // succeeds. Writes fail with InvalidArgument.
  bool read_only = false;
  // RunTransaction only: how many times fn may run (the first run and the re-runs after a
  // Conflict). At least 1.
  uint32_t max_attempts = 20;
};

// An interactive transaction: reads and writes across collections of one database, then Commit
// (all its writes at once, or none) or Rollback. It reads its own writes. Nothing it writes is
// visible to others before Commit. Isolation is serializable: Commit applies only if nothing the
// transaction read (documents, their absence, and the collections Find went through) changed since
// it read it; otherwise it fails with Conflict, applying nothing, and the application runs it
// again (Database::RunTransaction does that). Reads before Commit see the latest committed state
// at the time of each read, so a transaction that will fail with Conflict may have read values
// from different instants: act on what a transaction read only once Commit succeeded
// (docs/transactions.md). A read-only transaction (TransactionOptions::read_only) instead reads
// one snapshot of the whole database, so everything it reads is of one instant, and it never
// conflicts. Schema checks, unique keys and refs are checked at Commit, with the errors of
// Database::Write. Not thread-safe: one thread at a time. Must not outlive its Database.
// A document of a given collection, for Database::GetMany and Transaction::GetMany.
struct DocRef {
  const Collection* collection;
  DocId id;
};

class Transaction {
 public:
  // Rolls back if neither Commit nor Rollback ran.
  virtual ~Transaction() = default;

  // The document as this transaction sees it: its own write if it wrote it, else the committed
  // one (remembered: Commit checks it is unchanged). *meta (when not null) is the committed
  // document's; a document this transaction wrote has version 0 until Commit. NotFound as for
  // Collection::Get, and for a document this transaction deleted.
  virtual Status Get(const Collection* collection, DocId id, std::string* document,
                     DocumentMeta* meta) = 0;
  Status Get(const Collection* collection, DocId id, std::string* document) {
    return Get(collection, id, document, nullptr);
  }
  // Get for many documents at once, of any collections: (*out)[i] is refs[i]'s document as this
  // transaction sees it, or nullopt when it does not exist (or this transaction deleted it). Like
  // Database::GetMany, their cache misses overlap: the fast way to read many documents by ID. A
  // read-only transaction reads them from its snapshot; a read-write one remembers each committed
  // document it read, as Get does. Errors: InvalidArgument (a collection of another database),
  // ResourceExhausted (past Options::max_get_many_bytes), Conflict (a document changed since this
  // transaction read it), Aborted, as Get.
  virtual Status GetMany(std::span<const DocRef> refs,
                         std::vector<std::optional<std::string>>* out) = 0;
  // Buffers an insert and returns the document's ID now (its slot is reserved), so later writes
  // of the transaction can point at it. The schema's defaults are filled in now.
  virtual Result<DocId> Insert(Collection* collection, std::string_view document) = 0;
  // Replace, Patch and Delete read the document first (NotFound when there is none) and buffer
  // the write; Commit applies it only if the document is still as read.
  virtual Status Replace(Collection* collection, DocId id, std::string_view document) = 0;
  virtual Status Patch(Collection* collection, DocId id, std::string_view merge_patch) = 0;
  virtual Status Delete(Collection* collection, DocId id) = 0;
  // Collection::Find as this transaction sees the collection (its own writes included), in ID
  // order. fn runs with no lock held; it may call this transaction. Commit fails with Conflict if
  // another commit wrote to the collection's shards that Find went through, or added one.
  virtual Status Find(const Collection* collection, std::string_view filter,
                      const std::function<bool(DocId, std::string_view)>& fn) = 0;
  // A read-only transaction's Cursor (Collection::OpenCursor) over its snapshot: the whole walk
  // sees the collection as of snapshot_lsn(), however long it takes and whatever commits
  // meanwhile. Its Next fails with Aborted once the transaction ended, and as the transaction's
  // reads do when its snapshot expired. InvalidArgument in a read-write transaction (use Find).
  virtual Result<std::unique_ptr<Cursor>> OpenCursor(const Collection* collection,
                                                     std::string_view filter,
                                                     std::optional<DocId> after) = 0;

  // Applies every write at once, durable as TransactionOptions::sync says, or nothing. Errors:
  // Conflict (something read changed; nothing applied), SchemaViolation, NotFound, the errors of
  // Database::Write, Aborted (too old, or already ended). The transaction has ended afterwards,
  // whatever the result.
  virtual Status Commit() = 0;
  // Drops every buffered write and gives back reserved slots. The transaction has ended.
  virtual void Rollback() = 0;
  // The LSN of the commit (Database::visible_lsn) once its writes were applied: after Commit
  // succeeded, and also when Commit applied them but failed to make them durable (an IOError; the
  // database is then read-only). 0 before, and for a transaction that wrote nothing.
  virtual uint64_t commit_lsn() const = 0;
  // A read-only transaction's snapshot: it reads every commit up to this LSN and none after, so a
  // change feed with FeedOptions::after_lsn set to it continues exactly where the snapshot ends
  // (within what the feed still reaches back to). 0 for a read-write transaction.
  virtual uint64_t snapshot_lsn() const = 0;
};

// One committed change to one document, as the change feed delivers it (Database::
// SubscribeChanges).
struct ChangeEvent {
  enum class Op : uint8_t { kInsert, kUpdate, kDelete };
  uint64_t lsn = 0;        // the commit's LSN: the document's version after an insert or update
  int64_t time_ms = 0;     // the commit's time (DocumentMeta); 0 for commits logged by DaaS 0.2
  std::string collection;  // the collection's name as of the read
  DocId id;
  Op op = Op::kInsert;
  std::string document;  // the bytes after an insert or update; empty for a delete
  // With FeedOptions::before_images: what the document was before the change (nullopt for an
  // insert, and when it was not captured: commits made before the subscription, or read back from
  // the log).
  std::optional<std::string> before;
};

struct FeedOptions {
  // Deliver the commits after this LSN. Unset: from the subscription on. An LSN before that is
  // read back from what the database still has: the commits kept in memory, then its log (on disk
  // only, and only back to the last checkpoint); older is ResourceExhausted ("too far behind").
  std::optional<uint64_t> after_lsn{};
  // Capture each change's before-image (costs a copy of every replaced document while subscribed).
  bool before_images = false;
};

// A subscription to the commits of one database, in LSN order, each commit's changes together.
// It never slows commits: the database keeps up to Options::feed_retain_bytes of changes for its
// subscribers, and one that falls further behind gets ResourceExhausted ("too far behind") and
// must resync (read the state, subscribe again after its LSN). Not thread-safe; must not outlive
// its Database.
class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;
  // Appends to *out the changes of the next commits, in LSN order, whole commits only, about
  // `max_events` of them (at least one commit when any is there); waits up to `wait_ms` for one
  // when none is. Errors: ResourceExhausted (too far behind; the subscription is useless
  // afterwards), Aborted (the database closed).
  virtual Status Next(std::vector<ChangeEvent>* out, size_t max_events, uint32_t wait_ms) = 0;
  // The LSN of the last commit delivered: every commit up to it was (resume after it).
  virtual uint64_t position() const = 0;
};

struct DatabaseStats {
  uint64_t visible_lsn = 0;             // Database::visible_lsn()
  uint64_t durable_lsn = 0;             // Database::durable_lsn()
  uint64_t checkpoint_lsn = 0;          // every write up to it is in the shard files
  uint64_t log_segments = 0;            // write-ahead log files on disk
  uint64_t log_bytes = 0;               // their size
  uint64_t checkpoint_files = 0;        // shard files named by the manifest
  uint64_t checkpoint_bytes = 0;        // their size
  uint64_t cold_shards = 0;             // shards whose documents are not loaded yet (open is lazy)
  uint64_t snapshots_open = 0;          // read-only transactions not ended
  uint64_t snapshot_history_bytes = 0;  // old versions kept for them (Options)
};

class Database {
 public:
  // Opens (or creates, see Options::create_if_missing) the database in options.dir, or an in-memory
  // database when options.dir is empty. Errors: Busy (the directory is open elsewhere), NotFound,
  // Corruption (naming the file and byte offset), IOError.
  static Result<std::unique_ptr<Database>> Open(const Options& options);

  // Closes if Close() was not called; errors are then lost, so call Close() to see them.
  virtual ~Database() = default;

  // Makes every write durable, writes a checkpoint and releases the directory. Afterwards every
  // call fails with Aborted. Requires: no other call in progress or started later.
  virtual Status Close() = 0;

  // Names: 1 to 128 bytes, letters, digits and '_', starting with a letter.
  // Errors: InvalidArgument (bad name), AlreadyExists.
  virtual Result<Collection*> CreateCollection(std::string_view name) = 0;
  virtual Result<Collection*> GetCollection(std::string_view name) const = 0;
  // Removes the collection and all its documents. Its Collection* stays valid and fails NotFound.
  // Errors: NotFound, InvalidArgument (another collection's schema has a ref to it), IOError.
  virtual Status DropCollection(std::string_view name) = 0;
  // Errors: InvalidArgument (bad name, or a schema has a ref to `from`: refs name collections),
  // NotFound, AlreadyExists, IOError.
  virtual Status RenameCollection(std::string_view from, std::string_view to) = 0;
  // Names in ascending byte order.
  virtual std::vector<std::string> ListCollections() const = 0;

  // Applies every operation of `batch`, in order, or none of them: if one fails (a missing
  // document, a bad document, a dropped collection) nothing is applied and the error names the
  // operation's index, collection and document. Readers see the whole batch or none of it. When
  // `inserted` is not null it receives the new IDs of the batch's inserts, in order.
  //
  // Durability follows options.sync (default: the database's Options::sync). With kFull the call
  // returns after the batch's log record is fdatasync'ed. If that sync fails, the batch stays
  // visible but may not be durable, the error is returned, and the database turns read-only.
  virtual Status Write(const WriteBatch& batch, std::vector<DocId>* inserted,
                       const WriteOptions& options) = 0;
  Status Write(const WriteBatch& batch, std::vector<DocId>* inserted) {
    return Write(batch, inserted, WriteOptions{});
  }

  // Starts an interactive transaction (class Transaction). Errors: Aborted (closed).
  virtual Result<std::unique_ptr<Transaction>> BeginTransaction(
      const TransactionOptions& options) = 0;
  Result<std::unique_ptr<Transaction>> BeginTransaction() {
    return BeginTransaction(TransactionOptions{});
  }
  // Runs fn in a transaction and commits it; when fn or the commit fails with Conflict, runs fn
  // again in a new transaction, after a randomized backoff growing from 50 us to 10 ms, up to
  // options.max_attempts runs: the caller sees Conflict only when they are spent. Any other error
  // of fn (which fn returns to give up) or of the commit is returned at once, nothing applied. fn
  // must not keep anything from a run that did not commit.
  Status RunTransaction(const std::function<Status(Transaction&)>& fn,
                        const TransactionOptions& options);
  Status RunTransaction(const std::function<Status(Transaction&)>& fn) {
    return RunTransaction(fn, TransactionOptions{});
  }

  // Applies a schema file (docs/schema.md, "Schema files": {"collections": {name: schema}}):
  // creates the collections it names that do not exist and gives each the schema the file declares,
  // all or nothing: every change is checked (against the stored documents, as SetSchema does)
  // before any is installed, and one manifest write makes them durable together; if anything fails,
  // nothing changed. Collections whose schema is already the file's are left alone; *changed (may
  // be null) receives the names of those whose schema changed. Migrations that rewrite stored
  // documents then run, as for SetSchema. Errors: InvalidArgument (the file, naming the JSON path),
  // and SetSchema's.
  virtual Status ApplySchemaFile(std::string_view schema_file,
                                 std::vector<std::string>* changed) = 0;
  // Every collection's schema as one schema file (canonical JSON; collections without a schema are
  // left out), and as TypeScript declarations of each collection's record, create and update types
  // (`daas types`).
  virtual Result<std::string> GetSchemaFile() const = 0;
  virtual Result<std::string> TypeScript() const = 0;

  // Subscribes to the commits of this database (class ChangeFeed). Errors: ResourceExhausted
  // (options.after_lsn is too far back), Aborted (closed), IOError (reading the log back).
  virtual Result<std::unique_ptr<ChangeFeed>> SubscribeChanges(const FeedOptions& options) = 0;

  // Returns once every write acknowledged before the call is durable (fdatasync'ed), whatever
  // sync mode it was written with. A no-op in memory. Errors: the sticky I/O error.
  virtual Status Sync() = 0;
  // Visible vs durable: the LSN of the latest applied commit, and the LSN up to which every commit
  // is on disk. Equal when nothing is pending. In memory commits are numbered too (visible_lsn
  // counts them) and durable_lsn stays 0.
  virtual uint64_t visible_lsn() const = 0;
  virtual uint64_t durable_lsn() const = 0;

  // Reads several documents, of any collections, as of one instant: (*out)[i] is refs[i]'s bytes,
  // or nullopt when it does not exist. The fast way to read many documents by ID: their cache
  // misses overlap (about 3x the rate of one Get at a time on random IDs). ResourceExhausted when
  // the documents add up to more than Options::max_get_many_bytes.
  virtual Status GetMany(std::span<const DocRef> refs,
                         std::vector<std::optional<std::string>>* out) const = 0;

  // Writes every shard changed since the last checkpoint, then the manifest that names them, then
  // removes the log segments they cover (docs/format/checkpoint.md). Runs by itself as the log
  // grows (Options::checkpoint_wal_bytes, checkpoint_interval_ms). A no-op for in-memory databases.
  virtual Status Checkpoint() = 0;

  // Gives space back after mass deletes or updates: moves every loaded shard's live documents into
  // fresh memory and frees the rest, checkpoints (shard files hold live documents only, so a
  // shard's file shrinks with it), and deletes every log segment the checkpoint covers, the one
  // being written too. Shards not loaded yet are left alone: their files hold live documents only.
  // Readers and writers wait only while their shard is being compacted.
  virtual Status Compact() = 0;

  // Writes a consistent copy of the database into `dir` (created; it must not hold a database)
  // while writes go on: a checkpoint plus the log after it, so the copy opens as the database was
  // after one commit made during the call (every commit acknowledged before the call is in it, and
  // no commit is in it partly). `dir` becomes a database only once the copy is complete and passes
  // the checks open makes; until then it holds an INCOMPLETE file, and a backup or restore cut
  // short (even by a crash) leaves it there, for the next one into `dir` to clear and start over
  // (docs/format/checkpoint.md, "Backup and restore directories"). Errors: AlreadyExists (`dir`
  // holds a database, or DaaS files without INCOMPLETE; nothing in it is touched), Busy (`dir` is
  // open, or being copied into, elsewhere), Corruption (the copy fails its check), NotSupported (in
  // memory), IOError.
  virtual Status Backup(const std::string& dir) = 0;

  // Sizes of the log and checkpoint on disk and the LSNs that say how far each reaches. In memory
  // all zero but visible_lsn.
  virtual Result<DatabaseStats> Stats() const = 0;

  // Threads in the worker pool used by ParallelScan.
  virtual unsigned concurrency() const = 0;
};

// What CheckDatabase found.
struct CheckReport {
  uint64_t collections = 0;
  uint64_t shards = 0;
  uint64_t shard_files = 0;           // shards with a checkpoint file
  uint64_t checkpoint_documents = 0;  // documents in those files
  uint64_t log_segments = 0;
  uint64_t log_records = 0;
  uint64_t log_bytes = 0;
  uint64_t last_lsn = 0;  // of the last good log record
  // A torn log tail (a commit cut short by a crash, never acknowledged) is not damage: it is
  // described here, and opening the database cuts it.
  std::string torn_tail;
  // Each problem found, as its Corruption message naming the file and byte offset.
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

// Checks the database in `dir` without opening it: every checksum of the manifest, the shard files
// and the log, every record, and the catalog's rules (what open verifies, and more: open reads
// shard files lazily). `daas check` prints it. Damage goes in CheckReport::problems; errors only
// when the directory cannot be read at all: NotFound, IOError, Corruption (files but no MANIFEST).
// Safe while the database is open elsewhere, though a commit being written may then show as a
// torn tail.
Result<CheckReport> CheckDatabase(const std::string& dir);

// Copies the backup in `backup_dir` (made by Database::Backup) into `dir`, after checking every
// file of the backup (as `daas check` does). `dir` is prepared, and checked after the copy, as
// Database::Backup does its `dir`. Errors: AlreadyExists, Busy, NotFound, Corruption (naming the
// damaged file, of the backup or of the copy), IOError.
Status RestoreBackup(const std::string& backup_dir, const std::string& dir);

// JSON text of one object -> document bytes. Errors name the byte offset ("invalid JSON at byte 17:
// ...") or the limit exceeded.
Result<std::string> JsonToDocument(std::string_view json, const DocumentLimits& limits = {});
// Document bytes -> compact JSON. InvalidArgument if the bytes are not a well-formed document.
Result<std::string> DocumentToJson(std::string_view document);

}  // namespace daas
