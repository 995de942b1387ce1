// Shard files: one shard's live documents as of a checkpoint (docs/format/checkpoint.md).
//
// Version 3 (written):
//   file        := header body directory
//   header      := magic "DAASSHRD" (8) | version u32 = 3 | shard_id u32 | collection_id u32
//                  | record_count u32 | lsn u64 | body_size u64 | slot_limit u32
//                  | entry_bytes u32 (4 or 8) | header_checksum u64                   (56 bytes)
//   body        := record*   (record_count records, slots strictly increasing, the last one
//                  slot_limit - 1)
//   record      := slot u16 | salt u64 (nonzero) | length u32 | version u64 | created_ms u64
//                  | updated_ms u64 | MessagePack document [length] | record_checksum u32
//   directory   := chunk_table chunk{n}   (n = ceil(slot_limit / 1024); none when n = 0)
//   chunk_table := chunk_offset u64 {n} | table_checksum u64
//   chunk       := bitmap [128] | record_offset{popcount(bitmap)} | chunk_checksum u64
// Chunk k covers slots 1024k .. 1024k + 1023: bit i of the bitmap (bit i % 64 of little-endian
// u64 word i / 64) is set when slot 1024k + i holds a record, and the record offsets (u32 or u64,
// entry_bytes: the record's offset in the file) follow in slot order. entry_bytes is 4 exactly
// when the file would be below 4 GiB with it. header_checksum = XXH3-64 of the 48 bytes before
// it, seed kHeaderSeed; record_checksum = the low 32 bits of XXH3-64 of the record's bytes before
// it, seed kRecordSeed; table_checksum = XXH3-64 of the chunk offsets, seed kTableSeed;
// chunk_checksum = XXH3-64 of the bitmap and offsets, seed kDirectorySeed + k. Chunks follow the
// table back to back. All integers little-endian.
//
// Version 2 (read only): records without version, created_ms and updated_ms; their documents
// load with version = the header's lsn and both times 0 (not known).
// Version 1 (read only): as version 2 with a header of 48 bytes (no slot_limit, entry_bytes),
// records without record_checksum, no directory, and a trailer: body_checksum u64 = XXH3-64 of the
// body.
//
// The directory and the record checksums let one document be read, and checked, straight from the
// file (ShardFileView::Find) without reading the rest: what a lazy open serves reads with. It
// costs 4 bytes per document and 144 per 1024 slots.
//
// Invariant: a file that decodes is exactly what was encoded; any other file is refused with
// Corruption naming the file and byte offset, and nothing is loaded from it. A point read returns
// only bytes whose checksums it verified.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/mutex.h"
#include "daas/options.h"
#include "daas/status.h"
#include "env/env.h"
#include "storage/shard.h"

namespace daas::storage {

// The longest header of any version (version 2's and 3's).
inline constexpr size_t kShardFileHeaderBytes = 56;
inline constexpr uint32_t kShardFileVersion = 3;

// The file contents for `shard`, in version kShardFileVersion. `lsn` is the last write-ahead-log
// position the contents include. Requires the shard lock (shared is enough).
std::string EncodeShardFile(const Shard& shard, uint64_t lsn);
// The same shard in versions 1 and 2, which DaaS no longer writes: for tests of reading old files.
std::string EncodeShardFileVersion1ForTesting(const Shard& shard, uint64_t lsn);
std::string EncodeShardFileVersion2ForTesting(const Shard& shard, uint64_t lsn);
// Makes files from `bytes` on (instead of 4 GiB) use 8-byte record offsets, so tests reach that
// encoding with small files; 0 restores 4 GiB. Not thread-safe with encoding or decoding.
void SetShortOffsetLimitForTesting(uint64_t bytes);
// Recomputes every checksum of `file` that its own lengths let it find, so that tests and fuzzers
// can forge files that pass the checksums and reach the grammar behind them.
void ResealShardFileForTesting(std::string* file);

struct ShardFileInfo {
  uint32_t version = 0;
  uint32_t record_count = 0;
  uint64_t lsn = 0;
};

// Where the parts of a file are, as its checked header says (shard_file.cc reads them).
struct ShardFileLayout {
  ShardFileInfo info;
  uint64_t body_offset = 0;
  uint64_t body_size = 0;
  uint32_t slot_limit = 0;        // versions 2 and 3
  uint32_t entry_bytes = 0;       // versions 2 and 3
  uint64_t directory_offset = 0;  // versions 2 and 3: the chunk table; the end of the body
  uint32_t chunk_count = 0;       // versions 2 and 3
  uint32_t record_prefix = 0;     // bytes of a record before its document
};

// Corruption naming shard file `name` when its header (`info`) disagrees with what the manifest
// says of it (`record_count` documents up to log record `lsn`): an older file of the shard may hold
// as many documents, so both are compared. OK when they agree. The first use of a shard and the
// check both use it.
Status CheckShardFileAgainstManifest(std::string_view name, const ShardFileInfo& info,
                                     uint64_t record_count, uint64_t lsn);

// The Corruption for shard file `name`, which the manifest names, not being there.
Status MissingShardFile(std::string_view name);

// Loads `bytes`, read from file `name`, into `shard`, which must hold no record (it may be cold).
// Checks the grammar, every checksum, that the file belongs to `shard` (id and collection), that
// the directory names exactly the records, and every document against `limits`. Stops with
// Aborted, loading nothing, once `cancel` (when given) reads true. Errors: Corruption "<name> at
// byte N: <what>". Requires the shard lock exclusively, or a shard no other thread can see.
Result<ShardFileInfo> DecodeShardFile(std::string_view bytes, std::string_view name,
                                      const DocumentLimits& limits, Shard* shard,
                                      const std::atomic<bool>* cancel = nullptr);

// A shard file read in place. Creating one reads nothing: the file is mapped (pages read as they
// are touched) and its header checked the first time a point read or a load needs it, so that
// opening a database reads only its manifest, however many shard files it has. Version 2 files
// answer point reads (Find) from the file; a version 1 file has no directory, so its shard must be
// loaded whole (DecodeShardFile over Bytes()).
// Thread-safe: every method may be called concurrently.
class ShardFileView {
 public:
  // The file at `path` (named `name` in messages), which must be shard `shard` of collection
  // `collection_id` holding `record_count` documents up to log record `lsn`, as the manifest says.
  ShardFileView(env::Env* env, std::string path, std::string name, ShardId shard,
                uint32_t collection_id, uint32_t record_count, uint64_t lsn)
      : env_(env),
        path_(std::move(path)),
        name_(std::move(name)),
        shard_(shard),
        collection_id_(collection_id),
        expected_{0, record_count, lsn} {}
  // Bytes already in memory (tests, fuzzing), whose header is checked now, against `shard` and
  // against nothing else.
  static Result<std::shared_ptr<const ShardFileView>> FromContents(
      std::unique_ptr<env::FileContents> file, std::string name, const Shard& shard);

  const std::string& name() const { return name_; }
  // The whole file. The first call maps it and checks its header (as DecodeShardFile does before
  // reading the body), and against what the manifest says (CheckShardFileAgainstManifest). Errors:
  // Corruption (a damaged header, a file that is missing or not the one the manifest names),
  // returned again by every later call; the OS's (then the next call tries again).
  Result<std::string_view> Bytes() const DAAS_EXCLUDES(map_mu_);
  // Whether Find works (versions 2 and 3). Errors: Bytes()'s.
  Result<bool> PointReads() const;
  // The document in `slot` if it holds `salt`: true, *doc pointing into the file (valid while
  // the view lives) and *meta, or false when there is none. Reads and verifies only what it needs:
  // the chunk table and the slot's directory chunk (each checked once), then the record (its
  // checksum, slot and bounds, and the document's well-formedness). Errors: Corruption "<name> at
  // byte N: <what>" when those bytes are damaged; Bytes()'s. Requires: PointReads() is true.
  Result<bool> Find(uint16_t slot, uint64_t salt, std::string_view* doc, RecordMeta* meta) const;
  // Hints that every byte will be read soon (a load), so the OS reads ahead. Does nothing before
  // Bytes() succeeded.
  void WillReadAll() const;

 private:
  // Maps the file and checks its header. Requires: file_ is null and failed_ is OK.
  Status MapLocked() const DAAS_REQUIRES(map_mu_);

  env::Env* const env_;  // null for FromContents
  const std::string path_;
  const std::string name_;
  const ShardId shard_;
  const uint32_t collection_id_;
  const ShardFileInfo expected_;  // record_count and lsn; version unused
  mutable core::Mutex map_mu_;    // serializes the mapping; readers then use `mapped_`
  mutable std::unique_ptr<env::FileContents> file_ DAAS_GUARDED_BY(map_mu_);
  mutable Status failed_ DAAS_GUARDED_BY(map_mu_);  // Corruption found by MapLocked, kept
  // Written once by MapLocked before `mapped_` publishes it; read only after seeing `mapped_`.
  mutable ShardFileLayout layout_;
  // file_ once mapped and checked. acquire/release: a reader that sees it sees layout_ and the
  // mapping complete.
  mutable std::atomic<const env::FileContents*> mapped_{nullptr};
  // Bit k: directory chunk k passed its checksum (at most 64 chunks of 1024 slots); and the chunk
  // table did. Relaxed: those bytes never change, so a stale false only costs a second check.
  mutable std::atomic<uint64_t> verified_chunks_{0};
  mutable std::atomic<bool> verified_table_{false};
};

}  // namespace daas::storage
