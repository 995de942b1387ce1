// CoarseClock: a monotonic clock for deadlines on hot paths, read in a few nanoseconds.
//
// std::chrono::steady_clock reads the TSC through the vDSO, with an ordering fence before it; on
// a path of independent memory reads (point gets) that fence stops the CPU from overlapping one
// read's cache misses with the next's. CLOCK_MONOTONIC_COARSE is a load of the kernel's last tick
// time, no fence. Its resolution is the kernel tick (1 to 4 ms), so it suits deadlines of tens of
// milliseconds and more: a deadline checked with it fires up to one tick late.
#pragma once

#include <time.h>

#include <chrono>

namespace daas::core {

struct CoarseClock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<CoarseClock>;
  static constexpr bool is_steady = true;

  static time_point now() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
  }
};

}  // namespace daas::core
