// Env: every file-system operation DaaS performs, behind one interface, so tests can swap in an
// implementation that injects faults (failed writes and syncs, short writes, lost unsynced bytes).
//
// Invariant: a durability error is returned to the caller as is and never retried here (STYLE.md
// §4).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daas/status.h"

namespace daas::env {

// A file open for appending. Not thread-safe: one writer at a time.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // fdatasync: data and the metadata needed to read it back.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

// A whole file's bytes in memory, read-only, valid while the object lives. PosixEnv maps the file
// (no copy); the file must not shrink meanwhile, which holds for the files of a database this
// process has open (the directory lock keeps others out).
class FileContents {
 public:
  virtual ~FileContents() = default;
  virtual std::string_view data() const = 0;
  // Hints that every byte will be read soon, so the OS can read ahead. No-op by default.
  virtual void WillNeed() const {}
};

// How a mapped file will be read (MapFile).
enum class MapAccess {
  kWhole,  // every byte, front to back, right away: read it all in now
  kSparse  // a few places, later: read a page when it is first touched, and no more around it
};

// Held while a database directory is open; released by destruction. Keeps a second process (or a
// second Database in this one) from opening the same directory.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// Thread-safe: every method may be called from any thread.
class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX implementation. Never null; lives for the whole process.
  static Env* Default();

  // Creates (or truncates) `path` for appending.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Cuts `path` to `size` bytes and fdatasyncs it (used to drop a torn log tail).
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  // The first `max_bytes` bytes of `path` (fewer if the file is shorter). The default reads the
  // whole file; implementations read only the prefix.
  virtual Result<std::string> ReadFilePrefix(const std::string& path, size_t max_bytes);
  // The whole of `path` (FileContents), to be read as `access` says. The default holds a ReadFile
  // copy.
  virtual Result<std::unique_ptr<FileContents>> MapFile(const std::string& path,
                                                        MapAccess access = MapAccess::kWhole);
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status CreateDirIfMissing(const std::string& path) = 0;
  // fsync on the directory, so renames and creations inside it survive a crash.
  virtual Status SyncDir(const std::string& path) = 0;
  virtual Result<bool> FileExists(const std::string& path) = 0;
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;
  // Names (not paths) of the entries in `dir`, without "." and "..".
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Takes an exclusive advisory lock on `path`: the directory itself when `path` names one, else a
  // lock file (created if missing). Busy if another holder (another process, or another lock of
  // this process) has it.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

// Replaces `path` with `contents` so that a crash leaves either the old file or the new one, never
// a mix: write `path`.tmp, fsync it, rename over `path`, fsync the directory.
Status WriteFileAtomically(Env* env, const std::string& path, std::string_view contents);

// `dir` + "/" + `name`.
std::string JoinPath(std::string_view dir, std::string_view name);

// The Status of a system call that failed with `err` on `path`: "<what> '<path>': <strerror>", the
// path escaped as core::QuoteForMessage does. NotFound for ENOENT; ResourceExhausted for ENOSPC and
// EDQUOT (the file system is full or the quota is used up: space ran out, the device did not
// fail); IOError for anything else. The one mapping from errno to a StatusCode, for every file
// DaaS or its tools read or write.
Status ErrnoToStatus(std::string_view what, const std::string& path, int err);

}  // namespace daas::env
