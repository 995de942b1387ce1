// Temp directories for benchmark runs, on the machine's disk: the workload drivers put every
// engine's files under one, and the micro benchmarks that write files give each database its own.
// Also what such a directory holds on disk (Du).
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "engine.h"

namespace daas::bench {

// Where a run's temp directories go: `flag` (--tmp) when set, else $TMPDIR, else /tmp.
inline std::string TempParent(const std::string& flag = "") {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("TMPDIR");
  return env != nullptr && *env != '\0' ? env : "/tmp";
}

// Creates a new, empty directory "<parent>/<prefix>_XXXXXX" and returns its path; Die()s when it
// cannot.
inline std::string MakeTempDir(const std::string& parent, const std::string& prefix) {
  std::string path = parent + "/" + prefix + "_XXXXXX";
  if (mkdtemp(path.data()) == nullptr) Die("cannot create a temp dir under " + parent);
  return path;
}

// A new temp directory under TempParent(), removed with everything in it when this is destroyed.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) : path_(MakeTempDir(TempParent(), prefix)) {}
  ~TempDir() {
    std::error_code ec;  // best effort: a leftover temp directory is not worth failing a run for
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct DiskUse {
  uint64_t allocated = 0;  // st_blocks * 512, what du reports
  uint64_t apparent = 0;   // st_size
};

// The regular files under `dir`, at any depth.
inline DiskUse Du(const std::string& dir) {
  DiskUse d;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    struct stat st;
    if (::lstat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    d.allocated += static_cast<uint64_t>(st.st_blocks) * 512;
    d.apparent += static_cast<uint64_t>(st.st_size);
  }
  return d;
}

}  // namespace daas::bench
