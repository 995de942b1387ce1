// Constants shared by the WAL's writer and reader; only src/storage/wal includes this.
#pragma once

#include <cstdint>

namespace daas::storage::wal {

inline constexpr char kSegmentMagic[8] = {'D', 'A', 'A', 'S', 'W', 'A', 'L', '1'};
inline constexpr uint32_t kWalVersion = 1;
inline constexpr uint64_t kWalHeaderSeed = 0x57414c4845414452ull;  // "WALHEADR"
inline constexpr uint64_t kWalRecordSeed = 0x57414c5245434f52ull;  // "WALRECOR"

}  // namespace daas::storage::wal
