#include "storage/wal/wal_reader.h"

#include <algorithm>
#include <vector>

#include "core/coding.h"
#include "core/hash.h"
#include "core/status_macros.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_internal.h"

namespace daas::storage::wal {
namespace {

Status Corrupt(const std::string& name, uint64_t offset, std::string_view what) {
  return Status::Corruption(name + " at byte " + std::to_string(offset) + ": " + std::string(what));
}

// The record at `offset` if it is whole and its checksum matches.
bool ParseRecord(std::string_view seg, size_t offset, uint64_t* lsn, std::string_view* payload) {
  if (seg.size() - offset < kRecordHeaderBytes) return false;
  const char* p = seg.data() + offset;
  const uint32_t length = core::GetLittle<uint32_t>(p + 8);
  if (length > kMaxRecordBytes || length > seg.size() - offset - kRecordHeaderBytes) return false;
  const uint64_t checksum = core::GetLittle<uint64_t>(p);
  if (checksum != core::Checksum64(seg.substr(offset + 8, 12 + length), kWalRecordSeed)) {
    return false;
  }
  *lsn = core::GetLittle<uint64_t>(p + 12);
  *payload = seg.substr(offset + kRecordHeaderBytes, length);
  return true;
}

// True if a good record starts anywhere in seg after `offset`: then the damage at `offset` is not a
// torn tail. LSN plausibility is checked before the checksum so scanning garbage stays linear.
bool GoodRecordAfter(std::string_view seg, size_t offset, uint64_t expected_lsn) {
  for (size_t p = offset + 1; p + kRecordHeaderBytes <= seg.size(); ++p) {
    const uint64_t lsn = core::GetLittle<uint64_t>(seg.data() + p + 12);
    if (lsn < expected_lsn || lsn - expected_lsn > (1ull << 32)) continue;
    uint64_t found;
    std::string_view payload;
    if (ParseRecord(seg, p, &found, &payload)) return true;
  }
  return false;
}

}  // namespace

Result<SegmentEnd> ScanSegment(std::string_view seg, const std::string& name,
                               uint64_t name_first_lsn, bool last, uint64_t* expected,
                               const std::function<Status(uint64_t, std::string_view)>& fn) {
  // A last segment whose header never fully reached the disk is a torn creation.
  const bool header_ok = seg.size() >= kSegmentHeaderBytes &&
                         seg.substr(0, 8) == std::string_view(kSegmentMagic, 8) &&
                         core::GetLittle<uint64_t>(seg.data() + 24) ==
                             core::Checksum64(seg.substr(0, 24), kWalHeaderSeed);
  if (!header_ok) {
    if (last && !GoodRecordAfter(seg, 0, *expected == 0 ? name_first_lsn : *expected)) {
      return SegmentEnd{true, 0};
    }
    return Corrupt(name, 0, "bad segment header");
  }
  if (const uint32_t version = core::GetLittle<uint32_t>(seg.data() + 8);
      version < 1 || version > kWalVersion) {
    return Corrupt(name, 8, "unsupported log version");
  }
  const uint64_t first_lsn = core::GetLittle<uint64_t>(seg.data() + 16);
  if (first_lsn != name_first_lsn) {
    return Corrupt(name, 16, "header LSN does not match the file name");
  }
  if (*expected != 0 && first_lsn != *expected) {
    return Corrupt(name, 0,
                   "log records " + std::to_string(*expected) + " to " +
                       std::to_string(first_lsn - 1) + " are missing");
  }
  *expected = first_lsn;
  size_t offset = kSegmentHeaderBytes;
  while (offset < seg.size()) {
    uint64_t lsn;
    std::string_view payload;
    if (!ParseRecord(seg, offset, &lsn, &payload)) {
      if (last && !GoodRecordAfter(seg, offset, *expected)) return SegmentEnd{true, offset};
      return Corrupt(name, offset,
                     last ? "damaged record followed by valid records"
                          : "damaged record in a segment that is not the last");
    }
    if (lsn != *expected) {
      return Corrupt(
          name, offset,
          "record has LSN " + std::to_string(lsn) + ", expected " + std::to_string(*expected));
    }
    DAAS_RETURN_IF_ERROR(fn(lsn, payload));
    ++*expected;
    offset += kRecordHeaderBytes + payload.size();
  }
  return SegmentEnd{false, seg.size()};
}

Result<LogReadResult> ReadLog(env::Env* env, const std::string& dir,
                              const std::function<Status(uint64_t, std::string_view)>& fn,
                              const std::function<Status()>& segment_end) {
  DAAS_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(dir));
  std::vector<std::pair<uint64_t, std::string>> segments;
  for (const std::string& name : names) {
    uint64_t first;
    if (ParseSegmentFileName(name, &first)) segments.emplace_back(first, name);
  }
  std::sort(segments.begin(), segments.end());

  LogReadResult result;
  if (!segments.empty()) result.first_lsn = segments.front().first;
  uint64_t expected = 0;  // next LSN; 0 until the first segment fixes it
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& [first_lsn, name] = segments[i];
    DAAS_ASSIGN_OR_RETURN(std::unique_ptr<env::FileContents> file,
                          env->MapFile(env::JoinPath(dir, name)));
    const std::string_view data = file->data();
    ++result.segments;
    const uint64_t before = expected;
    uint64_t records = 0;
    DAAS_ASSIGN_OR_RETURN(SegmentEnd end,
                          ScanSegment(data, name, first_lsn, i + 1 == segments.size(), &expected,
                                      [&](uint64_t lsn, std::string_view payload) {
                                        DAAS_RETURN_IF_ERROR(fn(lsn, payload));
                                        result.last_lsn = lsn;
                                        result.record_bytes += kRecordHeaderBytes + payload.size();
                                        ++records;
                                        return Status::OK();
                                      }));
    if (segment_end) DAAS_RETURN_IF_ERROR(segment_end());
    if (end.torn) {
      result.torn_segment = name;
      result.torn_offset = end.good_bytes;
      result.torn_bytes = data.size() - end.good_bytes;
      if (end.good_bytes == 0) expected = before;  // a torn creation holds no records
    }
    const bool keeps_header = !end.torn || end.good_bytes >= kSegmentHeaderBytes;
    result.empty_newest_lsn = records == 0 && keeps_header && expected == first_lsn ? first_lsn : 0;
  }
  result.next_lsn = expected;
  return result;
}

Status CheckLogReachesBack(uint64_t covered_lsn, const LogReadResult& result) {
  if (covered_lsn == 0 || (result.segments != 0 && result.first_lsn <= covered_lsn + 1)) {
    return Status::OK();
  }
  return Status::Corruption("log records from " + std::to_string(covered_lsn + 1) +
                            " on are missing: MANIFEST has records up to " +
                            std::to_string(covered_lsn) + " in shard files, and " +
                            (result.segments == 0 ? std::string("no log segment is left")
                                                  : "the first log segment begins at record " +
                                                        std::to_string(result.first_lsn)) +
                            " (log segments were deleted?); restore the directory from a backup");
}

Status CutTornTail(env::Env* env, const std::string& dir, const LogReadResult& result) {
  if (result.torn_segment.empty()) return Status::OK();
  const std::string path = env::JoinPath(dir, result.torn_segment);
  if (result.torn_offset < kSegmentHeaderBytes) return env->RemoveFile(path);
  return env->TruncateFile(path, result.torn_offset);
}

}  // namespace daas::storage::wal
