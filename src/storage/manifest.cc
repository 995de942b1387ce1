#include "storage/manifest.h"

#include <cstdio>
#include <unordered_set>

#include "core/coding.h"
#include "core/hash.h"

namespace daas::storage {
namespace {

constexpr char kMagic[8] = {'D', 'A', 'A', 'S', 'M', 'A', 'N', 'I'};
// 1: without covered_lsn or schemas, 2: without migrating_from (both still read).
constexpr uint32_t kVersion = 3;
constexpr uint64_t kManifestSeed = 0x4d414e4946455354ull;  // "MANIFEST"
constexpr size_t kFixedHeader = 16;

Status Corrupt(size_t offset, std::string_view what) {
  return Status::Corruption(std::string(kManifestFileName) + " at byte " + std::to_string(offset) +
                            ": " + std::string(what));
}

}  // namespace

std::string ShardFileName(ShardId shard, uint64_t file_number) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "s%08x-%012llx.shard", shard.value,
                static_cast<unsigned long long>(file_number));
  return buf;
}

bool IsShardFileName(std::string_view name) {
  // s, 8 hex digits, -, at least 12 hex digits (more for a file number above 2^48), .shard
  constexpr std::string_view kSuffix = ".shard";
  if (name.size() < 22 + kSuffix.size() || name[0] != 's' || name[9] != '-' ||
      !name.ends_with(kSuffix)) {
    return false;
  }
  for (size_t i = 1; i < name.size() - kSuffix.size(); ++i) {
    const char c = name[i];
    if (i != 9 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string EncodeManifest(const Manifest& m) {
  std::string out(kMagic, sizeof kMagic);
  core::AppendLittle<uint32_t>(&out, kVersion);
  core::AppendLittle<uint32_t>(&out, 0);  // body_size, patched below
  core::AppendLittle<uint64_t>(&out, m.generation);
  core::AppendLittle<uint32_t>(&out, m.next_collection_id);
  core::AppendLittle<uint32_t>(&out, m.next_shard_id);
  core::AppendLittle<uint64_t>(&out, m.next_file_number);
  core::AppendLittle<uint64_t>(&out, m.covered_lsn);
  core::AppendLittle<uint32_t>(&out, static_cast<uint32_t>(m.collections.size()));
  for (const ManifestCollection& c : m.collections) {
    core::AppendLittle<uint32_t>(&out, c.id);
    core::AppendLittle<uint16_t>(&out, static_cast<uint16_t>(c.name.size()));
    out += c.name;
    core::AppendLittle<uint32_t>(&out, static_cast<uint32_t>(c.shards.size()));
    for (const ManifestShard& s : c.shards) {
      core::AppendLittle<uint32_t>(&out, s.id.value);
      core::AppendLittle<uint64_t>(&out, s.file_number);
      core::AppendLittle<uint64_t>(&out, s.lsn);
      core::AppendLittle<uint32_t>(&out, s.record_count);
    }
    core::AppendLittle<uint32_t>(&out, static_cast<uint32_t>(c.schema.size()));
    out += c.schema;
    core::AppendLittle<uint32_t>(&out, static_cast<uint32_t>(c.migrating_from.size()));
    out += c.migrating_from;
    core::AppendLittle<uint32_t>(&out, c.migrated_below);
  }
  core::PutLittle<uint32_t>(out.data() + 12, static_cast<uint32_t>(out.size() - kFixedHeader));
  core::AppendLittle<uint64_t>(&out, core::Checksum64(out, kManifestSeed));
  return out;
}

Result<uint64_t> PeekManifestGeneration(std::string_view prefix) {
  static_assert(kManifestGenerationPrefixBytes == kFixedHeader + 8);
  if (prefix.size() < kManifestGenerationPrefixBytes) {
    return Corrupt(prefix.size(), "file is truncated");
  }
  if (prefix.substr(0, 8) != std::string_view(kMagic, 8)) {
    return Corrupt(0, "not a DaaS manifest (bad magic)");
  }
  return core::GetLittle<uint64_t>(prefix.data() + kFixedHeader);
}

Result<Manifest> DecodeManifest(std::string_view bytes) {
  if (bytes.size() < kFixedHeader + 8) return Corrupt(bytes.size(), "file is truncated");
  if (bytes.substr(0, 8) != std::string_view(kMagic, 8)) {
    return Corrupt(0, "not a DaaS manifest (bad magic)");
  }
  core::ByteReader r(bytes);
  r.ReadBytes(8);
  const uint32_t version = r.Read<uint32_t>();
  const uint32_t body_size = r.Read<uint32_t>();
  if (static_cast<uint64_t>(body_size) + kFixedHeader + 8 != bytes.size()) {
    return Corrupt(12, "body size " + std::to_string(body_size) + " does not match file size " +
                           std::to_string(bytes.size()));
  }
  const uint64_t checksum = core::GetLittle<uint64_t>(bytes.data() + bytes.size() - 8);
  if (checksum != core::Checksum64(bytes.substr(0, bytes.size() - 8), kManifestSeed)) {
    return Corrupt(bytes.size() - 8, "checksum mismatch");
  }
  if (version < 1 || version > kVersion) {
    return Corrupt(8, "unsupported version " + std::to_string(version));
  }

  core::ByteReader b(bytes.substr(kFixedHeader, body_size));
  Manifest m;
  m.generation = b.Read<uint64_t>();
  m.next_collection_id = b.Read<uint32_t>();
  m.next_shard_id = b.Read<uint32_t>();
  m.next_file_number = b.Read<uint64_t>();
  if (version >= 2) m.covered_lsn = b.Read<uint64_t>();
  const uint32_t collection_count = b.Read<uint32_t>();
  std::unordered_set<uint32_t> collection_ids, shard_ids;
  std::unordered_set<std::string> names;
  for (uint32_t i = 0; i < collection_count && b.ok(); ++i) {
    ManifestCollection c;
    const size_t collection_at = kFixedHeader + b.offset();
    c.id = b.Read<uint32_t>();
    c.name = std::string(b.ReadBytes(b.Read<uint16_t>()));
    if (b.ok() && c.id >= m.next_collection_id) {
      return Corrupt(collection_at, "collection '" + c.name + "' has ID " + std::to_string(c.id) +
                                        ", not below the next collection ID " +
                                        std::to_string(m.next_collection_id));
    }
    if (b.ok() && !collection_ids.insert(c.id).second) {
      return Corrupt(collection_at, "collection '" + c.name + "' has the ID " +
                                        std::to_string(c.id) + " of another collection");
    }
    if (b.ok() && !names.insert(c.name).second) {
      return Corrupt(collection_at, "two collections are named '" + c.name + "'");
    }
    const uint32_t shard_count = b.Read<uint32_t>();
    // Each shard entry is 24 bytes: a count that cannot fit is refused before reserving memory.
    if (!b.ok() || shard_count > b.remaining() / 24) {
      return Corrupt(kFixedHeader + b.offset(),
                     "collection " + std::to_string(i) + " is truncated");
    }
    for (uint32_t j = 0; j < shard_count; ++j) {
      ManifestShard s;
      const size_t shard_at = kFixedHeader + b.offset();
      s.id = ShardId{b.Read<uint32_t>()};
      s.file_number = b.Read<uint64_t>();
      s.lsn = b.Read<uint64_t>();
      s.record_count = b.Read<uint32_t>();
      if (!c.shards.empty() && !(c.shards.back().id < s.id)) {
        return Corrupt(kFixedHeader + b.offset(),
                       "shards of collection '" + c.name + "' are not in ascending order");
      }
      const std::string what = "shard " + std::to_string(s.id.value) + " of collection '" + c.name;
      if (s.id.value == 0 || s.id.value > kMaxShardId || s.id.value >= m.next_shard_id) {
        return Corrupt(shard_at, what + "' is not from 1 to " + std::to_string(kMaxShardId) +
                                     " and below the next shard ID " +
                                     std::to_string(m.next_shard_id));
      }
      if (!shard_ids.insert(s.id.value).second) {
        return Corrupt(shard_at, what + "' is listed in another collection too");
      }
      if (s.file_number >= m.next_file_number) {
        return Corrupt(shard_at + 4, what + "' names file number " + std::to_string(s.file_number) +
                                         ", not below the next file number " +
                                         std::to_string(m.next_file_number));
      }
      c.shards.push_back(s);
    }
    if (version >= 2) {
      const uint32_t schema_size = b.Read<uint32_t>();
      if (!b.ok() || schema_size > b.remaining()) {
        return Corrupt(kFixedHeader + b.offset(),
                       "schema of collection '" + c.name + "' is truncated");
      }
      c.schema = std::string(b.ReadBytes(schema_size));
    }
    if (version >= 3) {
      const uint32_t from_size = b.Read<uint32_t>();
      if (!b.ok() || from_size > b.remaining()) {
        return Corrupt(kFixedHeader + b.offset(),
                       "migration of collection '" + c.name + "' is truncated");
      }
      c.migrating_from = std::string(b.ReadBytes(from_size));
      c.migrated_below = b.Read<uint32_t>();
    }
    m.collections.push_back(std::move(c));
  }
  if (!b.ok()) return Corrupt(kFixedHeader + b.offset(), "body is truncated");
  if (b.remaining() != 0) return Corrupt(kFixedHeader + b.offset(), "bytes after the last entry");
  return m;
}

}  // namespace daas::storage
