// Checksums for persisted bytes: XXH3-64 (xxhash), seeded per use so a block of one kind never
// validates as another.
#pragma once

#include <cstdint>
#include <string_view>

namespace daas::core {

uint64_t Checksum64(std::string_view bytes, uint64_t seed = 0);

}  // namespace daas::core
