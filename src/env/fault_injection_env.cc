#include "env/fault_injection_env.h"

#include <algorithm>

#include "core/status_macros.h"

namespace daas::env {
namespace {

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

}  // namespace

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    uint64_t keep = 0;
    if (Status fault = env_->BeforeAppend(path_, data.size(), &keep); !fault.ok()) {
      // A short write: the prefix really reaches the file, as it would have before the error.
      if (keep > 0) {
        DAAS_RETURN_IF_ERROR(base_->Append(data.substr(0, keep)));
        env_->Wrote(path_, keep);
      }
      return fault;
    }
    DAAS_RETURN_IF_ERROR(base_->Append(data));
    env_->Wrote(path_, data.size());
    return Status::OK();
  }
  Status Sync() override {
    DAAS_RETURN_IF_ERROR(env_->BeforeSync(path_));
    DAAS_RETURN_IF_ERROR(base_->Sync());
    env_->Synced(path_);
    return Status::OK();
  }
  Status Close() override { return base_->Close(); }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  std::unique_ptr<WritableFile> base_;
};

void FaultInjectionEnv::FailWritesAfter(int after, bool no_space) {
  core::MutexLock l(&mu_);
  writes_left_ = after;
  no_space_ = no_space;
  short_pending_ = false;
}

void FaultInjectionEnv::ShortWriteAfter(int after, uint64_t keep_bytes, bool no_space) {
  core::MutexLock l(&mu_);
  writes_left_ = after;
  no_space_ = no_space;
  short_pending_ = true;
  short_keep_bytes_ = keep_bytes;
}

void FaultInjectionEnv::FaultOnlyPathsContaining(std::string part) {
  core::MutexLock l(&mu_);
  path_part_ = std::move(part);
}

void FaultInjectionEnv::FailSyncsAfter(int after) {
  core::MutexLock l(&mu_);
  syncs_left_ = after;
}

void FaultInjectionEnv::ClearFaults() {
  core::MutexLock l(&mu_);
  writes_left_ = -1;
  syncs_left_ = -1;
  short_pending_ = false;
  path_part_.clear();
  maps_to_fail_ = 0;
}

void FaultInjectionEnv::FailMaps(int count, std::string part) {
  core::MutexLock l(&mu_);
  maps_to_fail_ = count;
  map_part_ = std::move(part);
}

Result<std::unique_ptr<FileContents>> FaultInjectionEnv::MapFile(const std::string& path,
                                                                 MapAccess access) {
  {
    core::MutexLock l(&mu_);
    if (maps_to_fail_ > 0 && path.find(map_part_) != std::string::npos) {
      --maps_to_fail_;
      return Status::IOError("injected fault: cannot map '" + path + "'");
    }
  }
  return base_->MapFile(path, access);
}

uint64_t FaultInjectionEnv::sync_count() const {
  core::MutexLock l(&mu_);
  return sync_count_;
}

uint64_t FaultInjectionEnv::short_write_count() const {
  core::MutexLock l(&mu_);
  return short_writes_;
}

bool FaultInjectionEnv::Selected(const std::string& path, const std::string& other) const {
  return path_part_.empty() || path.find(path_part_) != std::string::npos ||
         (!other.empty() && other.find(path_part_) != std::string::npos);
}

Status FaultInjectionEnv::NextWriteFault(const std::string& path, const std::string& other,
                                         bool* short_write) {
  *short_write = false;
  if (writes_left_ < 0 || !Selected(path, other)) return Status::OK();
  if (writes_left_ > 0) {
    --writes_left_;
    return Status::OK();
  }
  // Only the first failing write can be the short one; the disk stays broken after it.
  *short_write = short_pending_;
  short_pending_ = false;
  return no_space_ ? Status::ResourceExhausted("injected fault: no space left on device")
                   : Status::IOError("injected fault: write failed");
}

Status FaultInjectionEnv::BeforeWrite(const std::string& path, const std::string& other) {
  core::MutexLock l(&mu_);
  bool short_write;
  return NextWriteFault(path, other, &short_write);
}

Status FaultInjectionEnv::BeforeAppend(const std::string& path, uint64_t n, uint64_t* keep) {
  core::MutexLock l(&mu_);
  bool short_write;
  Status fault = NextWriteFault(path, std::string(), &short_write);
  *keep = 0;
  if (fault.ok() || !short_write) return fault;
  ++short_writes_;
  if (n > 0) *keep = short_keep_bytes_ == kHalf ? n / 2 : std::min(short_keep_bytes_, n - 1);
  return fault.WithContext("short write: " + std::to_string(*keep) + " of " + std::to_string(n) +
                           " bytes of '" + path + "' written");
}

Status FaultInjectionEnv::BeforeSync(const std::string& path) {
  core::MutexLock l(&mu_);
  ++sync_count_;
  if (syncs_left_ < 0 || !Selected(path, std::string())) return Status::OK();
  if (syncs_left_ > 0) {
    --syncs_left_;
    return Status::OK();
  }
  return Status::IOError("injected fault: fdatasync failed");
}

void FaultInjectionEnv::Wrote(const std::string& path, uint64_t n) {
  core::MutexLock l(&mu_);
  files_[path].size += n;
}

void FaultInjectionEnv::Synced(const std::string& path) {
  core::MutexLock l(&mu_);
  FileState& f = files_[path];
  f.synced_size = f.size;
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path) {
  DAAS_RETURN_IF_ERROR(BeforeWrite(path));
  DAAS_ASSIGN_OR_RETURN(auto base, base_->NewWritableFile(path));
  {
    core::MutexLock l(&mu_);
    files_[path] = FileState{};
  }
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, path, std::move(base)));
}

Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  DAAS_RETURN_IF_ERROR(BeforeWrite(path));
  DAAS_RETURN_IF_ERROR(base_->TruncateFile(path, size));
  core::MutexLock l(&mu_);
  auto it = files_.find(path);
  if (it != files_.end()) it->second.size = it->second.synced_size = size;  // truncate syncs
  return Status::OK();
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  DAAS_RETURN_IF_ERROR(BeforeWrite(from, to));
  DAAS_RETURN_IF_ERROR(base_->RenameFile(from, to));
  core::MutexLock l(&mu_);
  auto it = files_.find(from);
  if (it != files_.end()) {
    // Before a directory sync a crash may keep either name; this models the one where the rename
    // survived (modelling the other would need the overwritten file's old bytes).
    FileState moved = it->second;
    moved.name_durable = true;
    files_.erase(it);
    files_[to] = moved;
  }
  return Status::OK();
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  DAAS_RETURN_IF_ERROR(base_->RemoveFile(path));
  core::MutexLock l(&mu_);
  files_.erase(path);
  return Status::OK();
}

Status FaultInjectionEnv::SyncDir(const std::string& path) {
  DAAS_RETURN_IF_ERROR(BeforeSync(path));
  DAAS_RETURN_IF_ERROR(base_->SyncDir(path));
  core::MutexLock l(&mu_);
  for (auto& [name, f] : files_) {
    if (DirOf(name) == path) f.name_durable = true;
  }
  return Status::OK();
}

Status FaultInjectionEnv::DropUnsyncedData() {
  std::map<std::string, FileState> files;
  {
    core::MutexLock l(&mu_);
    files.swap(files_);
  }
  for (const auto& [path, f] : files) {
    if (!f.name_durable) {
      Status s = base_->RemoveFile(path);
      if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
    } else if (f.synced_size < f.size) {
      DAAS_RETURN_IF_ERROR(base_->TruncateFile(path, f.synced_size));
    }
  }
  return Status::OK();
}

}  // namespace daas::env
