#include "storage/shard_file.h"

#include <algorithm>
#include <string>

#include "core/coding.h"
#include "core/hash.h"
#include "core/status_macros.h"
#include "doc/msgpack_reader.h"

namespace daas::storage {
namespace {

constexpr char kMagic[8] = {'D', 'A', 'A', 'S', 'S', 'H', 'R', 'D'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kHeaderSeed = 0x5348524448454144ull;  // "SHRDHEAD"
constexpr uint64_t kBodySeed = 0x53485244424f4459ull;    // "SHRDBODY"

Status Corrupt(std::string_view name, size_t offset, std::string_view what) {
  std::string msg(name);
  msg += " at byte ";
  msg += std::to_string(offset);
  msg += ": ";
  msg += what;
  return Status::Corruption(msg);
}

}  // namespace

std::string EncodeShardFile(const Shard& shard, uint64_t lsn) {
  std::string out;
  out.reserve(kShardFileHeaderBytes + shard.live_bytes() + shard.live_count() * 14ull + 8);
  out.append(kMagic, sizeof kMagic);
  core::AppendLittle<uint32_t>(&out, kVersion);
  core::AppendLittle<uint32_t>(&out, shard.id().value);
  core::AppendLittle<uint32_t>(&out, shard.collection_id());
  core::AppendLittle<uint32_t>(&out, shard.live_count());
  core::AppendLittle<uint64_t>(&out, lsn);
  const size_t body_size_at = out.size();
  core::AppendLittle<uint64_t>(&out, 0);  // body_size, patched below
  core::AppendLittle<uint64_t>(&out, 0);  // header_checksum, patched below
  const size_t body_start = out.size();
  for (uint32_t i = 0; i < shard.slot_limit(); ++i) {
    const Slot& s = shard.slot(static_cast<uint16_t>(i));
    if (s.empty()) continue;
    std::string_view doc = Shard::RecordBytes(s.record);
    core::AppendLittle<uint16_t>(&out, static_cast<uint16_t>(i));
    core::AppendLittle<uint64_t>(&out, s.salt);
    core::AppendLittle<uint32_t>(&out, static_cast<uint32_t>(doc.size()));
    out.append(doc);
  }
  const uint64_t body_size = out.size() - body_start;
  core::PutLittle<uint64_t>(out.data() + body_size_at, body_size);
  core::PutLittle<uint64_t>(out.data() + body_size_at + 8,
                            core::Checksum64(std::string_view(out).substr(0, 40), kHeaderSeed));
  core::AppendLittle<uint64_t>(
      &out, core::Checksum64(std::string_view(out).substr(body_start, body_size), kBodySeed));
  return out;
}

Result<ShardFileInfo> CheckShardFileHeader(std::string_view header, uint64_t file_size,
                                           std::string_view name, const Shard& shard) {
  if (file_size < kShardFileHeaderBytes + 8 || header.size() < kShardFileHeaderBytes) {
    return Corrupt(name, std::min<uint64_t>(file_size, header.size()),
                   "file is shorter than a header and trailer");
  }
  if (std::string_view(header.data(), 8) != std::string_view(kMagic, 8)) {
    return Corrupt(name, 0, "not a DaaS shard file (bad magic)");
  }
  core::ByteReader r(header);
  r.ReadBytes(8);
  const uint32_t version = r.Read<uint32_t>();
  const uint32_t shard_id = r.Read<uint32_t>();
  const uint32_t collection_id = r.Read<uint32_t>();
  ShardFileInfo info;
  info.record_count = r.Read<uint32_t>();
  info.lsn = r.Read<uint64_t>();
  const uint64_t body_size = r.Read<uint64_t>();
  const uint64_t header_checksum = r.Read<uint64_t>();
  if (header_checksum != core::Checksum64(header.substr(0, 40), kHeaderSeed)) {
    return Corrupt(name, 40, "header checksum mismatch");
  }
  if (version != kVersion) {
    return Corrupt(name, 8, "unsupported shard file version " + std::to_string(version));
  }
  if (shard_id != shard.id().value || collection_id != shard.collection_id()) {
    return Corrupt(name, 12,
                   "file belongs to shard " + std::to_string(shard_id) + " of collection " +
                       std::to_string(collection_id) + ", expected shard " +
                       std::to_string(shard.id().value) + " of collection " +
                       std::to_string(shard.collection_id()));
  }
  if (body_size != file_size - kShardFileHeaderBytes - 8) {
    return Corrupt(name, 32,
                   "body size " + std::to_string(body_size) + " does not match file size " +
                       std::to_string(file_size));
  }
  return info;
}

Result<ShardFileInfo> DecodeShardFile(std::string_view bytes, std::string_view name,
                                      const DocumentLimits& limits, Shard* shard) {
  DAAS_ASSIGN_OR_RETURN(const ShardFileInfo info,
                        CheckShardFileHeader(bytes, bytes.size(), name, *shard));
  const uint32_t record_count = info.record_count;
  const uint64_t lsn = info.lsn;
  const uint64_t body_size = bytes.size() - kShardFileHeaderBytes - 8;
  const std::string_view body = bytes.substr(kShardFileHeaderBytes, body_size);
  const uint64_t body_checksum = core::GetLittle<uint64_t>(bytes.data() + bytes.size() - 8);
  if (body_checksum != core::Checksum64(body, kBodySeed)) {
    return Corrupt(name, bytes.size() - 8, "body checksum mismatch");
  }
  if (shard->slot_limit() != 0) {  // holds no record (a cold shard knows only its count)
    return Status::Internal("DecodeShardFile into a shard that is not empty");
  }

  // The checksums passed, so anything wrong below means the file was written wrong or forged:
  // still refused without guessing, and nothing half-loaded is kept.
  core::ByteReader br(body);
  int64_t prev_slot = -1;
  Status error;
  for (uint32_t i = 0; i < record_count; ++i) {
    const size_t at = kShardFileHeaderBytes + br.offset();
    const uint16_t slot = br.Read<uint16_t>();
    const uint64_t salt = br.Read<uint64_t>();
    const uint32_t length = br.Read<uint32_t>();
    const std::string_view doc = br.ReadBytes(length);
    if (!br.ok()) {
      error = Corrupt(name, at, "record " + std::to_string(i) + " is truncated");
      break;
    }
    if (static_cast<int64_t>(slot) <= prev_slot || salt == 0) {
      error = Corrupt(name, at, "record " + std::to_string(i) + " has a bad slot or zero salt");
      break;
    }
    if (Status s = doc::ValidateDocument(doc, limits); !s.ok()) {
      error = Corrupt(name, at + 14, "record " + std::to_string(i) + ": " + s.ToString());
      break;
    }
    prev_slot = slot;
    shard->Put(slot, salt, doc);
  }
  if (error.ok() && br.remaining() != 0) {
    error = Corrupt(name, kShardFileHeaderBytes + br.offset(), "bytes after the last record");
  }
  if (!error.ok()) {
    shard->Clear();
    return error;
  }
  shard->ClearDirty();
  shard->set_lsn(lsn);
  return ShardFileInfo{record_count, lsn};
}

}  // namespace daas::storage
