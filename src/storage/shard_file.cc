#include "storage/shard_file.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/coding.h"
#include "core/hash.h"
#include "core/status_macros.h"
#include "doc/msgpack_reader.h"

namespace daas::storage {
namespace {

constexpr char kMagic[8] = {'D', 'A', 'A', 'S', 'S', 'H', 'R', 'D'};
constexpr uint64_t kHeaderSeed = 0x5348524448454144ull;     // "SHRDHEAD"
constexpr uint64_t kBodySeed = 0x53485244424f4459ull;       // "SHRDBODY" (version 1)
constexpr uint64_t kRecordSeed = 0x5348524452454344ull;     // "SHRDRECD"
constexpr uint64_t kTableSeed = 0x5348524454424c45ull;      // "SHRDTBLE"
constexpr uint64_t kDirectorySeed = 0x5348524444495245ull;  // "SHRDDIRE" (+ chunk index)

constexpr size_t kHeaderV1Bytes = 48;  // 40 bytes of fields, header_checksum
constexpr size_t kHeaderV2Bytes = 56;  // 48 bytes of fields, header_checksum
static_assert(kShardFileHeaderBytes == kHeaderV2Bytes);
constexpr size_t kRecordPrefixBytes = 14;    // slot, salt, length
constexpr size_t kRecordPrefixV3Bytes = 38;  // and version, created_ms, updated_ms
constexpr size_t kRecordChecksumBytes = 4;
constexpr uint32_t kChunkSlots = 1024;
constexpr size_t kBitmapBytes = kChunkSlots / 8;
constexpr size_t kBitmapWords = kBitmapBytes / 8;
static_assert(kSlotsPerShard / kChunkSlots <= 64, "ShardFileView keeps one bit per chunk");

Status Corrupt(std::string_view name, uint64_t offset, std::string_view what) {
  std::string msg(name);
  msg += " at byte ";
  msg += std::to_string(offset);
  msg += ": ";
  msg += what;
  return Status::Corruption(msg);
}

uint32_t RecordChecksum(std::string_view record_before_checksum) {
  return static_cast<uint32_t>(core::Checksum64(record_before_checksum, kRecordSeed));
}

uint32_t ChunkCount(uint32_t slot_limit) { return (slot_limit + kChunkSlots - 1) / kChunkSlots; }

// Bytes of the directory for `record_count` records below `slot_limit`.
uint64_t DirectoryBytes(uint32_t slot_limit, uint32_t record_count, uint32_t entry_bytes) {
  const uint64_t chunks = ChunkCount(slot_limit);
  if (chunks == 0) return 0;
  return chunks * 8 + 8 + chunks * (kBitmapBytes + 8) + uint64_t{record_count} * entry_bytes;
}

// Files below this size use 4-byte record offsets (SetShortOffsetLimitForTesting moves it).
std::atomic<uint64_t> short_offset_limit{uint64_t{1} << 32};

// Offsets fit 4 bytes exactly when the file stays below 4 GiB with them: one encoding per file.
uint32_t EntryBytesFor(uint64_t body_size, uint32_t slot_limit, uint32_t record_count) {
  return kHeaderV2Bytes + body_size + DirectoryBytes(slot_limit, record_count, 4) <
                 short_offset_limit.load(std::memory_order_relaxed)
             ? 4
             : 8;
}

uint64_t ReadEntry(const char* at, uint32_t entry_bytes) {
  return entry_bytes == 4 ? core::GetLittle<uint32_t>(at) : core::GetLittle<uint64_t>(at);
}

// Bit `bit` of a chunk's bitmap, and how many bits are set before it.
bool BitmapHas(const char* bitmap, uint32_t bit) {
  return (core::GetLittle<uint64_t>(bitmap + bit / 64 * 8) >> (bit % 64)) & 1;
}
uint32_t BitmapRank(const char* bitmap, uint32_t bit) {
  uint32_t rank = 0;
  for (uint32_t w = 0; w < bit / 64; ++w) {
    rank += static_cast<uint32_t>(__builtin_popcountll(core::GetLittle<uint64_t>(bitmap + w * 8)));
  }
  const uint64_t below = (uint64_t{1} << (bit % 64)) - 1;
  return rank + static_cast<uint32_t>(
                    __builtin_popcountll(core::GetLittle<uint64_t>(bitmap + bit / 64 * 8) & below));
}
uint32_t BitmapCount(const char* bitmap) {
  uint32_t n = 0;
  for (size_t w = 0; w < kBitmapWords; ++w) {
    n += static_cast<uint32_t>(__builtin_popcountll(core::GetLittle<uint64_t>(bitmap + w * 8)));
  }
  return n;
}

using Layout = ShardFileLayout;

// The header of the shard file `file` (all of it), checked against the file's size and against
// `shard` of `collection`; the layout of the rest. Errors: Corruption naming `name` and the byte.
Result<Layout> ParseHeader(std::string_view file, std::string_view name, ShardId shard,
                           uint32_t collection) {
  const std::string_view header = file;
  const uint64_t file_size = file.size();
  if (file_size < 12) return Corrupt(name, file_size, "file is shorter than a header");
  if (std::string_view(header.data(), 8) != std::string_view(kMagic, 8)) {
    return Corrupt(name, 0, "not a DaaS shard file (bad magic)");
  }
  Layout l;
  l.info.version = core::GetLittle<uint32_t>(header.data() + 8);
  if (l.info.version < 1 || l.info.version > 3) {
    return Corrupt(name, 8,
                   "unsupported shard file version " + std::to_string(l.info.version) +
                       " (or a damaged header)");
  }
  const size_t header_bytes = l.info.version == 1 ? kHeaderV1Bytes : kHeaderV2Bytes;
  const size_t trailer_bytes = l.info.version == 1 ? 8 : 0;
  if (file_size < header_bytes + trailer_bytes) {
    return Corrupt(name, file_size, "file is shorter than a header and trailer");
  }
  const size_t fields = header_bytes - 8;
  if (core::GetLittle<uint64_t>(header.data() + fields) !=
      core::Checksum64(header.substr(0, fields), kHeaderSeed)) {
    return Corrupt(name, fields, "header checksum mismatch");
  }
  core::ByteReader r(header.substr(12, fields - 12));
  const uint32_t shard_id = r.Read<uint32_t>();
  const uint32_t collection_id = r.Read<uint32_t>();
  l.info.record_count = r.Read<uint32_t>();
  l.info.lsn = r.Read<uint64_t>();
  l.body_size = r.Read<uint64_t>();
  if (shard_id != shard.value || collection_id != collection) {
    return Corrupt(name, 12,
                   "file belongs to shard " + std::to_string(shard_id) + " of collection " +
                       std::to_string(collection_id) + ", expected shard " +
                       std::to_string(shard.value) + " of collection " +
                       std::to_string(collection));
  }
  l.body_offset = header_bytes;
  l.record_prefix = l.info.version == 3 ? kRecordPrefixV3Bytes : kRecordPrefixBytes;
  if (l.info.version == 1) {
    if (l.body_size != file_size - header_bytes - trailer_bytes) {
      return Corrupt(name, 32,
                     "body size " + std::to_string(l.body_size) + " does not match file size " +
                         std::to_string(file_size));
    }
    return l;
  }
  l.slot_limit = r.Read<uint32_t>();
  l.entry_bytes = r.Read<uint32_t>();
  if (l.slot_limit > kSlotsPerShard || l.info.record_count > l.slot_limit ||
      (l.info.record_count == 0) != (l.slot_limit == 0) ||
      l.body_size < uint64_t{l.info.record_count} * (l.record_prefix + kRecordChecksumBytes)) {
    return Corrupt(name, 20,
                   "record count " + std::to_string(l.info.record_count) + ", slot limit " +
                       std::to_string(l.slot_limit) + " and body size " +
                       std::to_string(l.body_size) + " do not fit together");
  }
  if (l.body_size > file_size - header_bytes ||
      l.entry_bytes != EntryBytesFor(l.body_size, l.slot_limit, l.info.record_count) ||
      header_bytes + l.body_size +
              DirectoryBytes(l.slot_limit, l.info.record_count, l.entry_bytes) !=
          file_size) {
    return Corrupt(name, 32,
                   "body size " + std::to_string(l.body_size) + " and a directory of " +
                       std::to_string(l.info.record_count) + " records below slot " +
                       std::to_string(l.slot_limit) + " in " + std::to_string(l.entry_bytes) +
                       "-byte entries do not match file size " + std::to_string(file_size));
  }
  l.directory_offset = header_bytes + l.body_size;
  l.chunk_count = ChunkCount(l.slot_limit);
  return l;
}

// Version 1: body checksum, then records back to back up to the trailer.
Result<ShardFileInfo> DecodeVersion1(std::string_view bytes, const Layout& l, std::string_view name,
                                     const DocumentLimits& limits, Shard* shard,
                                     const std::atomic<bool>* cancel) {
  const std::string_view body = bytes.substr(l.body_offset, l.body_size);
  const uint64_t body_checksum = core::GetLittle<uint64_t>(bytes.data() + bytes.size() - 8);
  if (body_checksum != core::Checksum64(body, kBodySeed)) {
    return Corrupt(name, bytes.size() - 8, "body checksum mismatch");
  }
  // The checksums passed, so anything wrong below means the file was written wrong or forged:
  // still refused without guessing.
  core::ByteReader br(body);
  int64_t prev_slot = -1;
  for (uint32_t i = 0; i < l.info.record_count; ++i) {
    if (cancel != nullptr && i % kChunkSlots == 0 && cancel->load(std::memory_order_relaxed)) {
      return Status::Aborted("loading " + std::string(name) + " was cancelled");
    }
    const uint64_t at = l.body_offset + br.offset();
    const uint16_t slot = br.Read<uint16_t>();
    const uint64_t salt = br.Read<uint64_t>();
    const uint32_t length = br.Read<uint32_t>();
    const std::string_view doc = br.ReadBytes(length);
    if (!br.ok()) return Corrupt(name, at, "record " + std::to_string(i) + " is truncated");
    if (static_cast<int64_t>(slot) <= prev_slot || salt == 0) {
      return Corrupt(name, at, "record " + std::to_string(i) + " has a bad slot or zero salt");
    }
    if (Status s = doc::ValidateDocument(doc, limits); !s.ok()) {
      return Corrupt(name, at + kRecordPrefixBytes,
                     "record " + std::to_string(i) + ": " + s.ToString());
    }
    prev_slot = slot;
    shard->Put(slot, salt, doc, RecordMeta{l.info.lsn, 0, 0});
  }
  if (br.remaining() != 0) {
    return Corrupt(name, l.body_offset + br.offset(), "bytes after the last record");
  }
  return l.info;
}

// The chunk table: verified, then chunk k's offset.
Status CheckChunkTable(std::string_view bytes, const Layout& l, std::string_view name) {
  const uint64_t size = uint64_t{l.chunk_count} * 8;
  if (core::GetLittle<uint64_t>(bytes.data() + l.directory_offset + size) !=
      core::Checksum64(bytes.substr(l.directory_offset, size), kTableSeed)) {
    return Corrupt(name, l.directory_offset + size, "checksum mismatch in the chunk table");
  }
  return Status::OK();
}
uint64_t ChunkOffset(std::string_view bytes, const Layout& l, uint32_t chunk) {
  return core::GetLittle<uint64_t>(bytes.data() + l.directory_offset + uint64_t{chunk} * 8);
}

// Chunk `chunk` at file offset `at` (from a verified table): where it is and how many records it
// names, with its checksum verified. Corruption when it does not lie in the directory or fails its
// checksum.
Result<uint32_t> CheckChunk(std::string_view bytes, const Layout& l, std::string_view name,
                            uint32_t chunk, uint64_t at) {
  const uint64_t first = l.directory_offset + uint64_t{l.chunk_count} * 8 + 8;
  const std::string what = "directory chunk " + std::to_string(chunk);
  if (at < first || at > bytes.size() || bytes.size() - at < kBitmapBytes + 8) {
    return Corrupt(name, l.directory_offset + uint64_t{chunk} * 8,
                   what + " is said to be outside the directory");
  }
  const uint32_t records = BitmapCount(bytes.data() + at);
  const uint64_t size = kBitmapBytes + uint64_t{records} * l.entry_bytes;
  if (bytes.size() - at - 8 < size) return Corrupt(name, at, what + " is truncated");
  if (core::GetLittle<uint64_t>(bytes.data() + at + size) !=
      core::Checksum64(bytes.substr(at, size), kDirectorySeed + chunk)) {
    return Corrupt(name, at + size, "checksum mismatch in " + what);
  }
  return records;
}

// Names a record in messages ("record 12", "the record of slot 7"); built only for an error.
struct RecordName {
  const char* prefix;
  uint32_t number;
  std::string str() const { return prefix + std::to_string(number); }
};

// One version 2 or 3 record at file offset `at`: its fields, with its checksum verified.
// Corruption when it does not lie in the body or fails its checksum. A version 2 record's meta is
// the file's lsn and no times.
struct Record {
  uint16_t slot;
  uint64_t salt;
  RecordMeta meta;
  std::string_view doc;
  uint64_t end;  // file offset just past it
};
Result<Record> ReadRecord(std::string_view bytes, const Layout& l, std::string_view name,
                          uint64_t at, RecordName what) {
  const uint64_t body_end = l.directory_offset;
  const uint64_t prefix = l.record_prefix;
  if (at < l.body_offset || at > body_end || body_end - at < prefix + kRecordChecksumBytes) {
    return Corrupt(name, at, what.str() + " is truncated or outside the body");
  }
  Record rec;
  rec.slot = core::GetLittle<uint16_t>(bytes.data() + at);
  rec.salt = core::GetLittle<uint64_t>(bytes.data() + at + 2);
  const uint32_t length = core::GetLittle<uint32_t>(bytes.data() + at + 10);
  if (body_end - at - prefix - kRecordChecksumBytes < length) {
    return Corrupt(name, at + 10, what.str() + " is truncated");
  }
  if (l.info.version == 3) {
    rec.meta.version = core::GetLittle<uint64_t>(bytes.data() + at + 14);
    rec.meta.created_ms = core::GetLittle<uint64_t>(bytes.data() + at + 22);
    rec.meta.updated_ms = core::GetLittle<uint64_t>(bytes.data() + at + 30);
  } else {
    rec.meta.version = l.info.lsn;
  }
  rec.doc = bytes.substr(at + prefix, length);
  rec.end = at + prefix + length + kRecordChecksumBytes;
  const uint32_t checksum = core::GetLittle<uint32_t>(bytes.data() + rec.end - 4);
  if (checksum != RecordChecksum(bytes.substr(at, prefix + length))) {
    return Corrupt(name, rec.end - 4, what.str() + ": checksum mismatch");
  }
  if (rec.salt == 0) return Corrupt(name, at + 2, what.str() + " has a zero salt");
  // A version is a commit's LSN (never 0), and times fit the 48 bits memory keeps them in. A
  // version may pass the file's lsn: a commit can land in a shard after the checkpoint read its
  // `covered` (W4).
  if (l.info.version == 3 &&
      (rec.meta.version == 0 || rec.meta.created_ms > RecordMeta::kMaxTimeMs ||
       rec.meta.updated_ms > RecordMeta::kMaxTimeMs)) {
    return Corrupt(name, at + 14, what.str() + " has version 0 or a time out of range");
  }
  return rec;
}

// Versions 2 and 3.
Result<ShardFileInfo> DecodeWithDirectory(std::string_view bytes, const Layout& l,
                                          std::string_view name, const DocumentLimits& limits,
                                          Shard* shard, const std::atomic<bool>* cancel) {
  // The directory first: the table and every chunk verified, back to back, naming as many
  // records as the header says, and no slot at or past slot_limit.
  std::vector<uint64_t> chunk_at(l.chunk_count);
  if (l.chunk_count != 0) {
    DAAS_RETURN_IF_ERROR(CheckChunkTable(bytes, l, name));
    uint64_t expected = l.directory_offset + uint64_t{l.chunk_count} * 8 + 8;
    uint64_t named = 0;
    for (uint32_t k = 0; k < l.chunk_count; ++k) {
      chunk_at[k] = ChunkOffset(bytes, l, k);
      if (chunk_at[k] != expected) {
        return Corrupt(name, l.directory_offset + uint64_t{k} * 8,
                       "directory chunk " + std::to_string(k) +
                           " is not where the one before "
                           "it ends");
      }
      DAAS_ASSIGN_OR_RETURN(const uint32_t records, CheckChunk(bytes, l, name, k, chunk_at[k]));
      named += records;
      expected += kBitmapBytes + uint64_t{records} * l.entry_bytes + 8;
    }
    const uint32_t tail = l.slot_limit % kChunkSlots;
    if (tail != 0) {
      const char* last = bytes.data() + chunk_at.back();
      if (BitmapCount(last) != BitmapRank(last, tail)) {
        return Corrupt(name, chunk_at.back(), "the directory names slots past the slot limit");
      }
    }
    if (named != l.info.record_count) {
      return Corrupt(name, l.directory_offset,
                     "the directory names " + std::to_string(named) + " records, the header " +
                         std::to_string(l.info.record_count));
    }
  }
  uint64_t at = l.body_offset;
  int64_t prev_slot = -1;
  uint32_t rank = 0;  // records of the current chunk before this one
  for (uint32_t i = 0; i < l.info.record_count; ++i) {
    if (cancel != nullptr && i % kChunkSlots == 0 && cancel->load(std::memory_order_relaxed)) {
      return Status::Aborted("loading " + std::string(name) + " was cancelled");
    }
    const RecordName what{"record ", i};
    DAAS_ASSIGN_OR_RETURN(const Record rec, ReadRecord(bytes, l, name, at, what));
    if (static_cast<int64_t>(rec.slot) <= prev_slot || rec.slot >= l.slot_limit) {
      return Corrupt(name, at,
                     what.str() + " has slot " + std::to_string(rec.slot) + " out of order");
    }
    const uint32_t chunk = rec.slot / kChunkSlots;
    if (prev_slot < 0 || static_cast<uint32_t>(prev_slot) / kChunkSlots != chunk) rank = 0;
    const char* bitmap = bytes.data() + chunk_at[chunk];
    const uint64_t entry_at = chunk_at[chunk] + kBitmapBytes + uint64_t{rank} * l.entry_bytes;
    if (!BitmapHas(bitmap, rec.slot % kChunkSlots) ||
        ReadEntry(bytes.data() + entry_at, l.entry_bytes) != at) {
      return Corrupt(name, entry_at,
                     "the directory does not point at " + what.str() + " from slot " +
                         std::to_string(rec.slot));
    }
    if (Status s = doc::ValidateDocument(rec.doc, limits); !s.ok()) {
      return Corrupt(name, at + l.record_prefix, what.str() + ": " + s.ToString());
    }
    prev_slot = rec.slot;
    ++rank;
    shard->Put(rec.slot, rec.salt, rec.doc, rec.meta);
    at = rec.end;
  }
  if (at != l.directory_offset) return Corrupt(name, at, "bytes after the last record");
  if (prev_slot + 1 != static_cast<int64_t>(l.slot_limit)) {
    return Corrupt(name, 40,
                   "slot limit " + std::to_string(l.slot_limit) + " is not one past the last slot");
  }
  return l.info;
}

void AppendHeaderFields(std::string* out, uint32_t version, const Shard& shard, uint32_t count,
                        uint64_t lsn) {
  out->append(kMagic, sizeof kMagic);
  core::AppendLittle<uint32_t>(out, version);
  core::AppendLittle<uint32_t>(out, shard.id().value);
  core::AppendLittle<uint32_t>(out, shard.collection_id());
  core::AppendLittle<uint32_t>(out, count);
  core::AppendLittle<uint64_t>(out, lsn);
}

}  // namespace

namespace {

// Versions 2 and 3.
std::string EncodeWithDirectory(const Shard& shard, uint64_t lsn, uint32_t version) {
  const size_t prefix = version == 3 ? kRecordPrefixV3Bytes : kRecordPrefixBytes;
  std::string out;
  out.reserve(kHeaderV2Bytes + shard.live_bytes() +
              shard.live_count() * uint64_t{prefix + kRecordChecksumBytes + 8});
  AppendHeaderFields(&out, version, shard, shard.live_count(), lsn);
  const size_t sizes_at = out.size();
  out.resize(kHeaderV2Bytes);  // body_size, slot_limit, entry_bytes, checksum: patched below
  std::vector<std::pair<uint16_t, uint64_t>> offsets;  // slot, record offset; ascending slot
  offsets.reserve(shard.live_count());
  for (uint32_t i = 0; i < shard.slot_limit(); ++i) {
    const Slot& s = shard.slot(static_cast<uint16_t>(i));
    if (s.empty()) continue;
    const std::string_view doc = Shard::RecordBytes(s.record);
    const size_t at = out.size();
    core::AppendLittle<uint16_t>(&out, static_cast<uint16_t>(i));
    core::AppendLittle<uint64_t>(&out, s.salt);
    core::AppendLittle<uint32_t>(&out, static_cast<uint32_t>(doc.size()));
    if (version == 3) {
      const RecordMeta meta = Shard::Meta(s.record);
      core::AppendLittle<uint64_t>(&out, meta.version);
      core::AppendLittle<uint64_t>(&out, meta.created_ms);
      core::AppendLittle<uint64_t>(&out, meta.updated_ms);
    }
    out.append(doc);
    core::AppendLittle<uint32_t>(&out, RecordChecksum(std::string_view(out).substr(at)));
    offsets.emplace_back(static_cast<uint16_t>(i), at);
  }
  const uint64_t body_size = out.size() - kHeaderV2Bytes;
  const uint32_t slot_limit = offsets.empty() ? 0 : offsets.back().first + 1u;
  const uint32_t records = static_cast<uint32_t>(offsets.size());
  const uint32_t entry_bytes = EntryBytesFor(body_size, slot_limit, records);
  const uint32_t chunks = ChunkCount(slot_limit);
  out.reserve(out.size() + DirectoryBytes(slot_limit, records, entry_bytes));
  if (chunks != 0) {
    const size_t table_at = out.size();
    out.resize(out.size() + uint64_t{chunks} * 8 + 8);  // the table, filled in below
    size_t next = 0;                                    // the first record not in a chunk yet
    for (uint32_t k = 0; k < chunks; ++k) {
      const size_t at = out.size();
      core::PutLittle<uint64_t>(out.data() + table_at + uint64_t{k} * 8, at);
      uint64_t bitmap[kBitmapWords] = {};
      size_t end = next;
      for (; end < offsets.size() && offsets[end].first / kChunkSlots == k; ++end) {
        const uint32_t bit = offsets[end].first % kChunkSlots;
        bitmap[bit / 64] |= uint64_t{1} << (bit % 64);
      }
      for (uint64_t word : bitmap) core::AppendLittle<uint64_t>(&out, word);
      for (; next < end; ++next) {
        if (entry_bytes == 4) {
          core::AppendLittle<uint32_t>(&out, static_cast<uint32_t>(offsets[next].second));
        } else {
          core::AppendLittle<uint64_t>(&out, offsets[next].second);
        }
      }
      core::AppendLittle<uint64_t>(
          &out, core::Checksum64(std::string_view(out).substr(at), kDirectorySeed + k));
    }
    core::PutLittle<uint64_t>(
        out.data() + table_at + uint64_t{chunks} * 8,
        core::Checksum64(std::string_view(out).substr(table_at, uint64_t{chunks} * 8), kTableSeed));
  }
  core::PutLittle<uint64_t>(out.data() + sizes_at, body_size);
  core::PutLittle<uint32_t>(out.data() + sizes_at + 8, slot_limit);
  core::PutLittle<uint32_t>(out.data() + sizes_at + 12, entry_bytes);
  core::PutLittle<uint64_t>(out.data() + 48,
                            core::Checksum64(std::string_view(out).substr(0, 48), kHeaderSeed));
  return out;
}

}  // namespace

std::string EncodeShardFile(const Shard& shard, uint64_t lsn) {
  return EncodeWithDirectory(shard, lsn, kShardFileVersion);
}

std::string EncodeShardFileVersion2ForTesting(const Shard& shard, uint64_t lsn) {
  return EncodeWithDirectory(shard, lsn, 2);
}

void SetShortOffsetLimitForTesting(uint64_t bytes) {
  short_offset_limit.store(bytes == 0 ? uint64_t{1} << 32 : bytes, std::memory_order_relaxed);
}

std::string EncodeShardFileVersion1ForTesting(const Shard& shard, uint64_t lsn) {
  std::string out;
  AppendHeaderFields(&out, 1, shard, shard.live_count(), lsn);
  const size_t body_size_at = out.size();
  out.resize(kHeaderV1Bytes);  // body_size and header_checksum, patched below
  for (uint32_t i = 0; i < shard.slot_limit(); ++i) {
    const Slot& s = shard.slot(static_cast<uint16_t>(i));
    if (s.empty()) continue;
    const std::string_view doc = Shard::RecordBytes(s.record);
    core::AppendLittle<uint16_t>(&out, static_cast<uint16_t>(i));
    core::AppendLittle<uint64_t>(&out, s.salt);
    core::AppendLittle<uint32_t>(&out, static_cast<uint32_t>(doc.size()));
    out.append(doc);
  }
  const uint64_t body_size = out.size() - kHeaderV1Bytes;
  core::PutLittle<uint64_t>(out.data() + body_size_at, body_size);
  core::PutLittle<uint64_t>(out.data() + 40,
                            core::Checksum64(std::string_view(out).substr(0, 40), kHeaderSeed));
  core::AppendLittle<uint64_t>(
      &out, core::Checksum64(std::string_view(out).substr(kHeaderV1Bytes, body_size), kBodySeed));
  return out;
}

void ResealShardFileForTesting(std::string* file) {
  std::string& f = *file;
  if (f.size() < 12) return;
  const uint32_t version = core::GetLittle<uint32_t>(f.data() + 8);
  if (version == 1) {
    if (f.size() < kHeaderV1Bytes) return;
    core::PutLittle<uint64_t>(f.data() + 40,
                              core::Checksum64(std::string_view(f).substr(0, 40), kHeaderSeed));
    if (f.size() < kHeaderV1Bytes + 8) return;
    core::PutLittle<uint64_t>(
        f.data() + f.size() - 8,
        core::Checksum64(std::string_view(f).substr(kHeaderV1Bytes, f.size() - kHeaderV1Bytes - 8),
                         kBodySeed));
    return;
  }
  if (f.size() < kHeaderV2Bytes) return;
  core::PutLittle<uint64_t>(f.data() + 48,
                            core::Checksum64(std::string_view(f).substr(0, 48), kHeaderSeed));
  const uint64_t body_size = core::GetLittle<uint64_t>(f.data() + 32);
  const uint32_t slot_limit = core::GetLittle<uint32_t>(f.data() + 40);
  const uint32_t entry_bytes = core::GetLittle<uint32_t>(f.data() + 44);
  if (body_size > f.size() - kHeaderV2Bytes) return;
  const uint64_t body_end = kHeaderV2Bytes + body_size;
  const uint64_t prefix = version == 3 ? kRecordPrefixV3Bytes : kRecordPrefixBytes;
  for (uint64_t at = kHeaderV2Bytes; body_end - at >= prefix + kRecordChecksumBytes;) {
    const uint32_t length = core::GetLittle<uint32_t>(f.data() + at + 10);
    if (body_end - at - prefix - kRecordChecksumBytes < length) break;
    const uint64_t sum_at = at + prefix + length;
    core::PutLittle<uint32_t>(f.data() + sum_at,
                              RecordChecksum(std::string_view(f).substr(at, sum_at - at)));
    at = sum_at + kRecordChecksumBytes;
  }
  if ((entry_bytes != 4 && entry_bytes != 8) || slot_limit > kSlotsPerShard) return;
  const uint32_t chunks = ChunkCount(slot_limit);
  if (chunks == 0 || body_end > f.size() || f.size() - body_end < uint64_t{chunks} * 8 + 8) return;
  const uint64_t table_size = uint64_t{chunks} * 8;
  core::PutLittle<uint64_t>(
      f.data() + body_end + table_size,
      core::Checksum64(std::string_view(f).substr(body_end, table_size), kTableSeed));
  for (uint32_t k = 0; k < chunks; ++k) {
    const uint64_t at = core::GetLittle<uint64_t>(f.data() + body_end + uint64_t{k} * 8);
    if (at > f.size() || f.size() - at < kBitmapBytes + 8) continue;
    const uint64_t size = kBitmapBytes + uint64_t{BitmapCount(f.data() + at)} * entry_bytes;
    if (f.size() - at - 8 < size) continue;
    core::PutLittle<uint64_t>(
        f.data() + at + size,
        core::Checksum64(std::string_view(f).substr(at, size), kDirectorySeed + k));
  }
}

Status CheckShardFileAgainstManifest(std::string_view name, const ShardFileInfo& info,
                                     uint64_t record_count, uint64_t lsn) {
  if (info.record_count == record_count && info.lsn == lsn) return Status::OK();
  return Status::Corruption(std::string(name) + ": holds " + std::to_string(info.record_count) +
                            " documents up to log record " + std::to_string(info.lsn) +
                            ", MANIFEST says " + std::to_string(record_count) + " up to " +
                            std::to_string(lsn));
}

Status MissingShardFile(std::string_view name) {
  return Status::Corruption("MANIFEST names shard file " + std::string(name) +
                            ", which is missing");
}

Result<ShardFileInfo> DecodeShardFile(std::string_view bytes, std::string_view name,
                                      const DocumentLimits& limits, Shard* shard,
                                      const std::atomic<bool>* cancel) {
  DAAS_ASSIGN_OR_RETURN(const Layout l,
                        ParseHeader(bytes, name, shard->id(), shard->collection_id()));
  if (shard->slot_limit() != 0) {  // holds no record (a cold shard knows only its count)
    return Status::Internal("DecodeShardFile into a shard that is not empty");
  }
  Result<ShardFileInfo> info = l.info.version == 1
                                   ? DecodeVersion1(bytes, l, name, limits, shard, cancel)
                                   : DecodeWithDirectory(bytes, l, name, limits, shard, cancel);
  if (!info.ok()) {
    shard->Clear();  // nothing half-loaded is kept
    return info;
  }
  shard->ClearDirty();
  shard->set_lsn(l.info.lsn);
  return info;
}

Result<std::shared_ptr<const ShardFileView>> ShardFileView::FromContents(
    std::unique_ptr<env::FileContents> file, std::string name, const Shard& shard) {
  const std::string_view bytes = file->data();
  DAAS_ASSIGN_OR_RETURN(const Layout l,
                        ParseHeader(bytes, name, shard.id(), shard.collection_id()));
  auto view =
      std::make_shared<ShardFileView>(nullptr, "", std::move(name), shard.id(),
                                      shard.collection_id(), l.info.record_count, l.info.lsn);
  core::MutexLock lock(&view->map_mu_);
  view->layout_ = l;
  view->file_ = std::move(file);
  view->mapped_.store(view->file_.get(), std::memory_order_release);
  return std::shared_ptr<const ShardFileView>(std::move(view));
}

Status ShardFileView::MapLocked() const {
  Result<std::unique_ptr<env::FileContents>> mapped = env_->MapFile(path_, env::MapAccess::kSparse);
  if (!mapped.ok()) {
    if (mapped.status().code() != StatusCode::kNotFound) return mapped.status();
    failed_ = MissingShardFile(name_);
    return failed_;
  }
  const std::string_view bytes = (*mapped)->data();
  Result<Layout> l = ParseHeader(bytes, name_, shard_, collection_id_);
  if (l.ok()) {
    if (Status s =
            CheckShardFileAgainstManifest(name_, l->info, expected_.record_count, expected_.lsn);
        !s.ok()) {
      l = s;
    }
  }
  if (!l.ok()) {
    failed_ = l.status();
    return failed_;
  }
  layout_ = *l;
  file_ = std::move(*mapped);
  mapped_.store(file_.get(), std::memory_order_release);
  return Status::OK();
}

Result<std::string_view> ShardFileView::Bytes() const {
  if (const env::FileContents* f = mapped_.load(std::memory_order_acquire)) return f->data();
  core::MutexLock lock(&map_mu_);
  if (file_ == nullptr) {
    DAAS_RETURN_IF_ERROR(failed_);
    DAAS_RETURN_IF_ERROR(MapLocked());
  }
  return file_->data();
}

Result<bool> ShardFileView::PointReads() const {
  DAAS_RETURN_IF_ERROR(Bytes().status());
  return layout_.info.version >= 2;
}

void ShardFileView::WillReadAll() const {
  if (const env::FileContents* f = mapped_.load(std::memory_order_acquire)) f->WillNeed();
}

Result<bool> ShardFileView::Find(uint16_t slot, uint64_t salt, std::string_view* doc,
                                 RecordMeta* meta) const {
  DAAS_ASSIGN_OR_RETURN(const std::string_view bytes, Bytes());
  const Layout& l = layout_;
  if (slot >= l.slot_limit) return false;
  // The table and the chunk are verified once; a record, each time it is read.
  if (!verified_table_.load(std::memory_order_relaxed)) {
    DAAS_RETURN_IF_ERROR(CheckChunkTable(bytes, l, name_));
    verified_table_.store(true, std::memory_order_relaxed);
  }
  const uint32_t chunk = slot / kChunkSlots;
  const uint64_t chunk_at = ChunkOffset(bytes, l, chunk);
  const uint64_t bit = uint64_t{1} << chunk;
  if ((verified_chunks_.load(std::memory_order_relaxed) & bit) == 0) {
    DAAS_RETURN_IF_ERROR(CheckChunk(bytes, l, name_, chunk, chunk_at).status());
    verified_chunks_.fetch_or(bit, std::memory_order_relaxed);
  }
  const char* bitmap = bytes.data() + chunk_at;
  if (!BitmapHas(bitmap, slot % kChunkSlots)) return false;
  const uint64_t at = ReadEntry(
      bitmap + kBitmapBytes + uint64_t{BitmapRank(bitmap, slot % kChunkSlots)} * l.entry_bytes,
      l.entry_bytes);
  const RecordName what{"the record of slot ", slot};
  DAAS_ASSIGN_OR_RETURN(const Record rec, ReadRecord(bytes, l, name_, at, what));
  if (rec.slot != slot) {
    return Corrupt(name_, at, what.str() + " holds slot " + std::to_string(rec.slot));
  }
  if (Status s = doc::ValidateDocument(rec.doc, kCeilingDocumentLimits); !s.ok()) {
    return Corrupt(name_, at + l.record_prefix, what.str() + ": " + s.ToString());
  }
  if (rec.salt != salt) return false;
  *doc = rec.doc;
  *meta = rec.meta;
  return true;
}

}  // namespace daas::storage
