// The manifest: which collections exist, which shards each owns, and which shard file holds each
// shard's checkpoint (docs/format/checkpoint.md). It is the commit point of a checkpoint: shard
// files are written under new names first, and only a manifest naming them makes them current.
//
//   file       := magic "DAASMANI" (8) | version u32 = 3 | body_size u32 | body | checksum u64
//   body       := generation u64 | next_collection_id u32 | next_shard_id u32
//                 | next_file_number u64 | covered_lsn u64 | collection_count u32 | collection*
//   collection := id u32 | name_length u16 | name | shard_count u32 | shard*
//                 | schema_length u32 | schema | migrating_from_length u32 | migrating_from
//                 | migrated_below u32
//   shard      := shard_id u32 | file_number u64 (0: no file, the shard is empty) | lsn u64
//                 | record_count u32
// checksum = XXH3-64 of everything before it, seed kManifestSeed. Integers little-endian.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daas/doc_id.h"
#include "daas/status.h"

namespace daas::storage {

inline constexpr char kManifestFileName[] = "MANIFEST";
inline constexpr char kLockFileName[] = "LOCK";
// Written into a directory before a backup or restore copies anything into it, removed after the
// copy is complete and verified (docs/format/checkpoint.md): while it exists, the directory holds
// an unfinished copy whose files the next backup or restore into it may delete.
inline constexpr char kIncompleteFileName[] = "INCOMPLETE";

// Shard IDs run from 1 to kMaxShardId (docs/format/ids.md).
inline constexpr uint32_t kMaxShardId = (1u << 24) - 1;

struct ManifestShard {
  ShardId id;
  uint64_t file_number = 0;
  uint64_t lsn = 0;
  uint32_t record_count = 0;
};

struct ManifestCollection {
  uint32_t id = 0;
  std::string name;
  std::vector<ManifestShard> shards;  // ascending id
  // The collection's schema as its canonical JSON (docs/schema.md); empty when it has none.
  // Opaque here: the engine parses it (version 2; none in version 1).
  std::string schema;
  // While a schema change rewrites the collection's documents: the schema they are migrated from
  // (canonical JSON); empty otherwise (version 3; none before).
  std::string migrating_from;
  // With migrating_from: the shards with a lower ID are migrated.
  uint32_t migrated_below = 0;
};

struct Manifest {
  uint64_t generation = 0;  // +1 on every manifest written
  // Every log record up to this LSN is in the shard files the manifest names, so the log must
  // reach back to covered_lsn + 1 (version 2; a version 1 manifest reads as 0: unknown).
  uint64_t covered_lsn = 0;
  uint32_t next_collection_id = 1;
  uint32_t next_shard_id = 1;
  uint64_t next_file_number = 1;
  std::vector<ManifestCollection> collections;
};

std::string EncodeManifest(const Manifest& manifest);
// Checks the grammar, the checksum, and that the catalog is consistent: collection IDs below
// next_collection_id and names, both unique; shard IDs from 1 to kMaxShardId, below
// next_shard_id, each in one collection only; file numbers below next_file_number. Errors:
// Corruption "MANIFEST at byte N: <what>".
Result<Manifest> DecodeManifest(std::string_view bytes);

// The generation of a manifest from its first kManifestGenerationPrefixBytes bytes, without the
// rest of the file (so without its checksum): what an open database compares with the generation
// it wrote last, before it writes the next one, to notice a manifest it did not write.
// Errors: Corruption when the prefix is short or not a manifest's.
inline constexpr size_t kManifestGenerationPrefixBytes = 24;
Result<uint64_t> PeekManifestGeneration(std::string_view prefix);

// "s<shard id, 8 hex>-<file number, 12 hex>.shard", e.g. "s00000001-000000000003.shard".
std::string ShardFileName(ShardId shard, uint64_t file_number);
// True if `name` is a name ShardFileName gives.
bool IsShardFileName(std::string_view name);

}  // namespace daas::storage
