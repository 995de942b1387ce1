// Constants shared by the WAL's writer and reader; only src/storage/wal includes this.
#pragma once

#include <cstdint>

namespace daas::storage::wal {

inline constexpr char kSegmentMagic[8] = {'D', 'A', 'A', 'S', 'W', 'A', 'L', '1'};
// The version written. Version 1 segments (read) differ only in their records' payloads: no time
// op (commit_record.h).
inline constexpr uint32_t kWalVersion = 2;
inline constexpr uint64_t kWalHeaderSeed = 0x57414c4845414452ull;  // "WALHEADR"
inline constexpr uint64_t kWalRecordSeed = 0x57414c5245434f52ull;  // "WALRECOR"

}  // namespace daas::storage::wal
