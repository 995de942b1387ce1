// FaultInjectionEnv: the real file system, plus the failures the storage layer must survive
// (STYLE.md §8): fail the Nth write or sync, make the Nth write a short one, and lose every byte
// not yet fdatasync'ed, as a power cut would. Tests use it to check that nothing acknowledged is
// lost and that errors are sticky.
//
// It tracks, per file written through it, how many bytes were durable at its last Sync; a file
// created and never synced, or whose directory was not synced after creation, loses everything.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/mutex.h"
#include "env/env.h"

namespace daas::env {

class FaultInjectionEnv final : public Env {
 public:
  // `base` must outlive this object.
  explicit FaultInjectionEnv(Env* base) : base_(base) {}

  // A write is an Append, or the creation, truncation or renaming of a file (removal never fails).
  // The next writes/syncs succeed `after` more times, then every one fails with IOError (ENOSPC
  // style when `no_space`: ResourceExhausted) until ClearFaults(). Thread-safe.
  void FailWritesAfter(int after, bool no_space = false) DAAS_EXCLUDES(mu_);
  void FailSyncsAfter(int after) DAAS_EXCLUDES(mu_);

  // keep_bytes of ShortWriteAfter: half of the data, rounded down.
  static constexpr uint64_t kHalf = ~uint64_t{0};
  // As FailWritesAfter, but the first write that fails, if it is an Append, is short: the first
  // `keep_bytes` of its data (kHalf: half; never all of it) reach the file before it returns the
  // error, as a write(2) that made progress and then hit EIO or ENOSPC would. The writes after it
  // fail whole. A failing write that is not an Append fails whole (see short_write_count()).
  // Thread-safe.
  void ShortWriteAfter(int after, uint64_t keep_bytes = kHalf, bool no_space = false)
      DAAS_EXCLUDES(mu_);

  // From now on only writes and syncs of paths containing `part` count towards, and fail under,
  // the faults above; every other operation succeeds. "" (the default) selects every path. A
  // SyncDir's path is the directory's; a rename is selected by either name. Thread-safe.
  void FaultOnlyPathsContaining(std::string part) DAAS_EXCLUDES(mu_);

  // The next `count` maps (MapFile) of paths containing `part` fail with IOError, as an mmap the OS
  // refused (out of address space, a read error) would. Thread-safe.
  void FailMaps(int count, std::string part) DAAS_EXCLUDES(mu_);

  // Disarms every fault and selects every path again. Thread-safe.
  void ClearFaults() DAAS_EXCLUDES(mu_);
  uint64_t sync_count() const DAAS_EXCLUDES(mu_);
  // Short writes done so far (by ShortWriteAfter), so a test can check that its fault hit an
  // Append.
  uint64_t short_write_count() const DAAS_EXCLUDES(mu_);

  // Simulated power loss: truncates every tracked file to its last synced size, and deletes files
  // whose creation was never made durable by a directory sync. Call with no file open for writing.
  Status DropUnsyncedData() DAAS_EXCLUDES(mu_);

  // Env.
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Result<std::string> ReadFile(const std::string& path) override { return base_->ReadFile(path); }
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status CreateDirIfMissing(const std::string& path) override {
    return base_->CreateDirIfMissing(path);
  }
  Status SyncDir(const std::string& path) override;
  Result<bool> FileExists(const std::string& path) override { return base_->FileExists(path); }
  Result<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return base_->ListDir(dir);
  }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }
  Result<std::unique_ptr<FileContents>> MapFile(const std::string& path, MapAccess access) override;

 private:
  friend class FaultWritableFile;
  struct FileState {
    uint64_t size = 0;          // bytes written
    uint64_t synced_size = 0;   // bytes durable
    bool name_durable = false;  // a SyncDir of its directory happened after creation
  };
  // OK, or the fault injected into this write of `path` (and `other`, for a rename).
  Status BeforeWrite(const std::string& path, const std::string& other = std::string())
      DAAS_EXCLUDES(mu_);
  // As BeforeWrite, for an Append of `n` bytes; on a short write's fault sets *keep (< n) to the
  // bytes to write before returning the fault, else leaves it 0.
  Status BeforeAppend(const std::string& path, uint64_t n, uint64_t* keep) DAAS_EXCLUDES(mu_);
  Status BeforeSync(const std::string& path) DAAS_EXCLUDES(mu_);
  // Counts a write; the fault if it fails, and in *short_write whether it is the short one.
  Status NextWriteFault(const std::string& path, const std::string& other, bool* short_write)
      DAAS_REQUIRES(mu_);
  bool Selected(const std::string& path, const std::string& other) const DAAS_REQUIRES(mu_);
  void Wrote(const std::string& path, uint64_t n) DAAS_EXCLUDES(mu_);
  void Synced(const std::string& path) DAAS_EXCLUDES(mu_);

  Env* const base_;
  mutable core::Mutex mu_;
  std::map<std::string, FileState> files_ DAAS_GUARDED_BY(mu_);
  int writes_left_ DAAS_GUARDED_BY(mu_) = -1;  // -1: no fault armed
  bool no_space_ DAAS_GUARDED_BY(mu_) = false;
  bool short_pending_ DAAS_GUARDED_BY(mu_) = false;  // the next failing write is short
  uint64_t short_keep_bytes_ DAAS_GUARDED_BY(mu_) = kHalf;
  uint64_t short_writes_ DAAS_GUARDED_BY(mu_) = 0;
  std::string path_part_ DAAS_GUARDED_BY(mu_);  // only paths containing it fail; "": all
  int syncs_left_ DAAS_GUARDED_BY(mu_) = -1;
  uint64_t sync_count_ DAAS_GUARDED_BY(mu_) = 0;
  int maps_to_fail_ DAAS_GUARDED_BY(mu_) = 0;
  std::string map_part_ DAAS_GUARDED_BY(mu_);
};

}  // namespace daas::env
