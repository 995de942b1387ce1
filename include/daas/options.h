// Options for opening a database, and the document limits it enforces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace daas {

// Limits every stored document must respect; a document over any of them is refused with
// ResourceExhausted naming the limit, and nothing is stored.
// Hard ceilings: Database::Open refuses limits above them (InvalidArgument).
inline constexpr size_t kMaxDocumentBytesCeiling = (size_t{1} << 31) - 1;
inline constexpr uint32_t kMaxDocumentDepthCeiling = 1000;

struct DocumentLimits {
  // Encoded MessagePack size of one document. 16 MiB, as MongoDB's BSON limit.
  size_t max_size_bytes = 16u << 20;
  // Nesting depth of maps and arrays; the document's own map is depth 1.
  uint32_t max_depth = 100;
  // Length of one map key, in bytes.
  uint32_t max_key_bytes = 1024;
};

// Every limit at its ceiling: validation then checks well-formedness only. Used for documents that
// are already stored (loading checkpoints, replaying the log, `daas check`, converting to JSON),
// which met the limits in force when written, so tightening a limit never makes a database
// unopenable; and for conversions outside a database, which applies its own limits on write.
inline constexpr DocumentLimits kCeilingDocumentLimits{.max_size_bytes = kMaxDocumentBytesCeiling,
                                                       .max_depth = kMaxDocumentDepthCeiling,
                                                       .max_key_bytes = ~uint32_t{0}};

// When a commit is acknowledged relative to the disk (DESIGN.md §5). Persisted nowhere; chosen per
// open and overridable per write.
enum class SyncMode : uint8_t {
  // Acknowledged after the commit's log record is fdatasync'ed. Concurrent commits share one
  // fdatasync (group commit). A crash, even a power cut, loses nothing acknowledged.
  kFull = 0,
  // Acknowledged once applied in memory; the log is written and fdatasync'ed every
  // sync_interval_ms. A crash of the process or machine loses at most that window.
  kNormal = 1,
  // Acknowledged once applied in memory; the log is written to the OS every sync_interval_ms and
  // never fdatasync'ed. A process crash loses at most that window, a power cut more.
  kOff = 2,
};

// Every member has a default member initializer (`{}` for the type's default), so a designated
// initializer names only what it sets (`Options{.dir = d}`) without tripping g++'s
// -Wmissing-field-initializers, which spares only members that have one.
struct Options {
  // Directory holding the database. Empty means in-memory: nothing is read or written to disk, and
  // everything is gone when the Database is closed.
  std::string dir{};
  // Create `dir` (and the database in it) when missing. When false, opening a directory without a
  // database fails with NotFound.
  bool create_if_missing = true;
  DocumentLimits limits{};

  // Durability (ignored in memory).
  SyncMode sync = SyncMode::kFull;
  uint32_t sync_interval_ms = 100;
  // A log segment is closed and a new one begun past this size.
  uint64_t wal_segment_bytes = 64ull << 20;
  // A checkpoint starts once this many log bytes were written since the last one, or
  // checkpoint_interval_ms after it, whichever comes first; 0 disables that trigger.
  uint64_t checkpoint_wal_bytes = 256ull << 20;
  uint32_t checkpoint_interval_ms = 300000;
  // Open is lazy: it reads the manifest, and no shard file. Until a shard is loaded, a read by ID
  // reads that one document from its file, and the first write or scan of the shard loads it. When
  // true, a background thread loads the shards after open, so that later reads and writes find
  // them in memory; closing stops it where it is.
  bool load_in_background = true;
  // The change feed (Database::SubscribeChanges) keeps the commits made while someone is
  // subscribed in memory, up to this many bytes of documents; a subscriber further behind is told
  // to resync. Nothing is kept while no one is subscribed.
  uint64_t feed_retain_bytes = 64ull << 20;
  // While a read-only transaction is open, each commit keeps a copy of what it overwrote or
  // deleted, so the transaction reads one snapshot (docs/transactions.md). Beyond this many bytes
  // of such copies, every open snapshot expires: its next read fails with Conflict, and
  // Database::RunTransaction runs it again on a fresh snapshot. Commits never wait for snapshots.
  uint64_t snapshot_history_bytes = 256ull << 20;
  // Database::GetMany and Transaction::GetMany copy out at most this many bytes of documents in
  // one call; past it the call fails with ResourceExhausted (read fewer at a time), so a request
  // cannot make the process run out of memory. At least 1.
  uint64_t max_get_many_bytes = 1ull << 30;
};

// Per-write choices; unset fields take the database's Options.
struct WriteOptions {
  std::optional<SyncMode> sync{};
};

}  // namespace daas
