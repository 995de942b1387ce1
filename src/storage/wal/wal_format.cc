#include "storage/wal/wal_format.h"

#include <cstdio>
#include <cstring>

#include "core/coding.h"
#include "core/hash.h"
#include "storage/wal/wal_internal.h"

namespace daas::storage::wal {

std::string SegmentFileName(uint64_t first_lsn) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "wal-%016llx.log", static_cast<unsigned long long>(first_lsn));
  return buf;
}

bool ParseSegmentFileName(std::string_view name, uint64_t* first_lsn) {
  if (name.size() != 24 || name.substr(0, 4) != "wal-" || name.substr(20) != ".log") return false;
  uint64_t v = 0;
  for (char c : name.substr(4, 16)) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *first_lsn = v;
  return true;
}

std::string EncodeSegmentHeader(uint64_t first_lsn) {
  std::string out(kSegmentMagic, 8);
  core::AppendLittle<uint32_t>(&out, kWalVersion);
  core::AppendLittle<uint32_t>(&out, 0);
  core::AppendLittle<uint64_t>(&out, first_lsn);
  core::AppendLittle<uint64_t>(&out, core::Checksum64(out, kWalHeaderSeed));
  return out;
}

void AppendRecord(std::string* out, uint64_t lsn, std::string_view payload) {
  const size_t at = out->size();
  core::AppendLittle<uint64_t>(out, 0);  // checksum, patched below
  core::AppendLittle<uint32_t>(out, static_cast<uint32_t>(payload.size()));
  core::AppendLittle<uint64_t>(out, lsn);
  out->append(payload);
  const std::string_view covered = std::string_view(*out).substr(at + 8);
  core::PutLittle<uint64_t>(out->data() + at, core::Checksum64(covered, kWalRecordSeed));
}

}  // namespace daas::storage::wal
