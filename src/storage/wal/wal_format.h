// Write-ahead log segments (docs/format/wal.md).
//
//   segment := header record*
//   header  := magic "DAASWAL1" (8) | version u32 = 1 | reserved u32 = 0 | first_lsn u64
//              | header_checksum u64                                                 (32 bytes)
//   record  := checksum u64 | length u32 | lsn u64 | payload [length]      (20 + length bytes)
// header_checksum = XXH3-64 of the 24 bytes before it, seed kWalHeaderSeed; a record's checksum is
// XXH3-64 of length, lsn and payload (the 12 + length bytes after it), seed kWalRecordSeed. LSNs
// are dense: each record's LSN is the previous one's plus 1, and a segment's first record has
// first_lsn. Integers little-endian. Segment files are named "wal-<first_lsn, 16 hex>.log".
//
// Invariant (crash invariant W1): a segment is fdatasync'ed before the next one receives its first
// byte, so only the last segment can end in a torn record.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace daas::storage::wal {

inline constexpr size_t kSegmentHeaderBytes = 32;
inline constexpr size_t kRecordHeaderBytes = 20;
// A record larger than this is refused when written and taken as damage when read.
inline constexpr uint32_t kMaxRecordBytes = 1u << 30;

std::string SegmentFileName(uint64_t first_lsn);
// True and *first_lsn set if `name` is a segment file name.
bool ParseSegmentFileName(std::string_view name, uint64_t* first_lsn);

std::string EncodeSegmentHeader(uint64_t first_lsn);
// Appends one framed record to *out.
void AppendRecord(std::string* out, uint64_t lsn, std::string_view payload);

}  // namespace daas::storage::wal
