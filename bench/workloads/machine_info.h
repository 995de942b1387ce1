// The machine and build a benchmark ran on (STYLE.md §8: benchmarks record their machine).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace daas::bench {

struct MachineInfo {
  std::string cpu_model;   // /proc/cpuinfo "model name"
  unsigned cores = 0;      // online hardware threads
  double ram_gib = 0;      // /proc/meminfo MemTotal
  std::string kernel;      // uname -sr
  std::string compiler;    // compiler and version this binary was built with
  std::string build_type;  // CMAKE_BUILD_TYPE
  // The selected mode of /sys/kernel/mm/transparent_hugepage/enabled ("madvise", ...).
  std::string transparent_hugepages;
  std::string glibc_tunables;  // $GLIBC_TUNABLES, "(unset)" when unset
};

MachineInfo CollectMachineInfo();

// Average latency of one dependent random read (a pointer chase, one cache line per hop) over a
// buffer of `bytes`: what a lookup that misses every cache and the TLB pays per memory access on
// this machine. Takes about half a second for 256 MiB.
double RandomReadLatencyNs(size_t bytes);

// Resident set size of this process in bytes, from /proc/self/statm.
uint64_t ResidentBytes();

}  // namespace daas::bench
