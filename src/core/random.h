// Unpredictable bits for document salts, from the operating system's CSPRNG (getrandom(2)).
#pragma once

#include <cstdint>

namespace daas::core {

// A uniformly random nonzero 64-bit value. Buffered per thread (one getrandom call per 512 values);
// the buffer is discarded in a forked child so parent and child never hand out the same salt.
// Thread-safe.
uint64_t RandomSalt();

}  // namespace daas::core
