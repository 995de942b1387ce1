// Helpers of the drivers that write to disk (daas_durable, daas_txn): DaaS sync mode names and the
// rate at which the disk under a run's temp directory completes write + fdatasync, which bounds
// every engine's durable commits there.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

#include "daas/options.h"
#include "engine.h"

namespace daas::bench {

inline const char* SyncName(SyncMode m) {
  switch (m) {
    case SyncMode::kFull:
      return "kFull";
    case SyncMode::kNormal:
      return "kNormal";
    case SyncMode::kOff:
      return "kOff";
  }
  return "?";
}

struct SyncLoop {
  uint64_t syncs = 0;
  double seconds = 0;
  double rate() const { return static_cast<double>(syncs) / seconds; }
};

// Appends `record` bytes and fdatasyncs, over and over for `seconds`: the rate a log that appends
// one record per commit can reach on this disk. With record == 0, rewrites the first 4 KiB instead
// (no size change, so no metadata to sync). The file is made in `dir` and removed afterwards.
inline SyncLoop FdatasyncLoop(const std::string& dir, size_t record, double seconds) {
  using Clock = std::chrono::steady_clock;
  const std::string path = dir + "/fdatasync.tmp";
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) Die("open " + path + ": " + std::strerror(errno));
  std::string buf(record == 0 ? 4096 : record, 'x');
  if (record == 0 && (::pwrite(fd, buf.data(), buf.size(), 0) < 0 || ::fdatasync(fd) != 0)) {
    Die("fdatasync loop: " + std::string(std::strerror(errno)));
  }
  uint64_t n = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while ((elapsed = std::chrono::duration<double>(Clock::now() - start).count()) < seconds) {
    const ssize_t w =
        record == 0 ? ::pwrite(fd, buf.data(), buf.size(), 0) : ::write(fd, buf.data(), buf.size());
    if (w != static_cast<ssize_t>(buf.size()) || ::fdatasync(fd) != 0) {
      Die("fdatasync loop: " + std::string(std::strerror(errno)));
    }
    ++n;
  }
  ::close(fd);
  ::unlink(path.c_str());
  return {n, elapsed};
}

}  // namespace daas::bench
