// Shard files: one shard's live documents as of a checkpoint (docs/format/checkpoint.md).
//
//   file   := header body trailer
//   header := magic "DAASSHRD" (8) | version u32 = 1 | shard_id u32 | collection_id u32
//             | record_count u32 | lsn u64 | body_size u64 | header_checksum u64      (48 bytes)
//   body   := record*   (record_count records, slots strictly increasing)
//   record := slot u16 | salt u64 (nonzero) | length u32 | MessagePack document [length]
//   trailer:= body_checksum u64
// All integers little-endian. header_checksum = XXH3-64 of the 40 bytes before it, seed
// kHeaderSeed; body_checksum = XXH3-64 of the body, seed kBodySeed.
//
// Invariant: a file that decodes is exactly what was encoded; any other file is refused with
// Corruption naming the file and byte offset, and nothing is loaded from it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daas/options.h"
#include "daas/status.h"
#include "storage/shard.h"

namespace daas::storage {

inline constexpr size_t kShardFileHeaderBytes = 48;

// The file contents for `shard`. `lsn` is the last write-ahead-log position the contents include.
// Requires the shard lock (shared is enough).
std::string EncodeShardFile(const Shard& shard, uint64_t lsn);

struct ShardFileInfo {
  uint32_t record_count = 0;
  uint64_t lsn = 0;
};

// Checks the first kShardFileHeaderBytes of a shard file of `file_size` bytes, as DecodeShardFile
// does before reading the body: magic, header checksum, version, that the file belongs to `shard`,
// and the body size against the file size. What open checks of a file it loads lazily (the body
// checksum and the records are checked when it is loaded). Errors: Corruption as DecodeShardFile.
Result<ShardFileInfo> CheckShardFileHeader(std::string_view header, uint64_t file_size,
                                           std::string_view name, const Shard& shard);

// Loads `bytes`, read from file `name`, into `shard`, which must hold no record (it may be cold).
// Checks the grammar, both checksums, that the file belongs to `shard` (id and collection), and
// every document against `limits`. Errors: Corruption "<name> at byte N: <what>". Requires the
// shard lock exclusively.
Result<ShardFileInfo> DecodeShardFile(std::string_view bytes, std::string_view name,
                                      const DocumentLimits& limits, Shard* shard);

}  // namespace daas::storage
