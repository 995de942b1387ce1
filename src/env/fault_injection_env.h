// FaultInjectionEnv: the real file system, plus the failures the storage layer must survive
// (STYLE.md §8): fail the Nth write or sync, and lose every byte not yet fdatasync'ed, as a power
// cut would. Tests use it to check that nothing acknowledged is lost and that errors are sticky.
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

  // The next writes/syncs succeed `after` more times, then every one fails with IOError (ENOSPC
  // style when `no_space`) until ClearFaults(). Thread-safe.
  void FailWritesAfter(int after, bool no_space = false) DAAS_EXCLUDES(mu_);
  void FailSyncsAfter(int after) DAAS_EXCLUDES(mu_);
  void ClearFaults() DAAS_EXCLUDES(mu_);
  uint64_t sync_count() const DAAS_EXCLUDES(mu_);

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

 private:
  friend class FaultWritableFile;
  struct FileState {
    uint64_t size = 0;          // bytes written
    uint64_t synced_size = 0;   // bytes durable
    bool name_durable = false;  // a SyncDir of its directory happened after creation
  };
  Status BeforeWrite() DAAS_EXCLUDES(mu_);
  Status BeforeSync() DAAS_EXCLUDES(mu_);
  void Wrote(const std::string& path, uint64_t n) DAAS_EXCLUDES(mu_);
  void Synced(const std::string& path) DAAS_EXCLUDES(mu_);

  Env* const base_;
  mutable core::Mutex mu_;
  std::map<std::string, FileState> files_ DAAS_GUARDED_BY(mu_);
  int writes_left_ DAAS_GUARDED_BY(mu_) = -1;  // -1: no fault armed
  bool no_space_ DAAS_GUARDED_BY(mu_) = false;
  int syncs_left_ DAAS_GUARDED_BY(mu_) = -1;
  uint64_t sync_count_ DAAS_GUARDED_BY(mu_) = 0;
};

}  // namespace daas::env
