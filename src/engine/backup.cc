// CheckDatabase and RestoreBackup (daas.hpp), DatabaseCopy and engine::CheckDatabase (backup.h).
// Database::Backup, which needs the open database's checkpoint, is in database_impl.cc and copies
// with DatabaseCopy.
#include "engine/backup.h"

#include <vector>

#include "core/quote.h"
#include "core/status_macros.h"
#include "daas/daas.hpp"
#include "engine/catalog.h"
#include "storage/manifest.h"
#include "storage/wal/wal_format.h"

namespace daas {

Result<CheckReport> CheckDatabase(const std::string& dir) {
  DAAS_ASSIGN_OR_RETURN(storage::CheckReport r, engine::CheckDatabase(env::Env::Default(), dir));
  CheckReport out;
  out.collections = r.collections;
  out.shards = r.shards;
  out.shard_files = r.shard_files;
  out.checkpoint_documents = r.checkpoint_documents;
  out.log_segments = r.log_segments;
  out.log_records = r.log_records;
  out.log_bytes = r.log_bytes;
  out.last_lsn = r.last_lsn;
  out.torn_tail = std::move(r.torn_tail);
  out.problems = std::move(r.problems);
  return out;
}

Status RestoreBackup(const std::string& backup_dir, const std::string& dir) {
  env::Env* env = env::Env::Default();
  DAAS_ASSIGN_OR_RETURN(storage::CheckReport report, engine::CheckDatabase(env, backup_dir));
  if (!report.ok()) {
    return Status::Corruption("backup " +
                              core::QuoteForMessage(backup_dir, core::kMaxQuotedPathBytes) +
                              " is damaged: " + report.problems.front());
  }
  DAAS_ASSIGN_OR_RETURN(std::string manifest_bytes,
                        env->ReadFile(env::JoinPath(backup_dir, storage::kManifestFileName)));
  DAAS_ASSIGN_OR_RETURN(storage::Manifest manifest, storage::DecodeManifest(manifest_bytes));
  DAAS_ASSIGN_OR_RETURN(auto copy, engine::DatabaseCopy::Begin(env, dir));
  DAAS_RETURN_IF_ERROR(copy->CopyFiles(backup_dir, manifest));
  // The backup was checked before the copy; this checks what was written, which is what will open.
  return copy->Finish(manifest_bytes);
}

}  // namespace daas

namespace daas::engine {
namespace {

// What an unfinished copy may leave, which the next copy into the directory deletes: shard files,
// log segments, and the temp files of those, of MANIFEST and of INCOMPLETE (an interrupted
// WriteFileAtomically). Never MANIFEST, LOCK or INCOMPLETE itself.
bool IsLeftover(std::string_view name) {
  uint64_t first;
  if (name.ends_with(".tmp")) {
    name.remove_suffix(4);
    if (name == storage::kManifestFileName || name == storage::kIncompleteFileName) return true;
  }
  return storage::IsShardFileName(name) || storage::wal::ParseSegmentFileName(name, &first);
}

}  // namespace

Result<storage::CheckReport> CheckDatabase(env::Env* env, const std::string& dir) {
  return storage::CheckDirectory(env, dir, &Catalog::Check);
}

Result<std::unique_ptr<DatabaseCopy>> DatabaseCopy::Begin(env::Env* env, const std::string& dir) {
  const std::string manifest = env::JoinPath(dir, storage::kManifestFileName);
  const std::string quoted = core::QuoteForMessage(dir, core::kMaxQuotedPathBytes);
  const Status taken = Status::AlreadyExists(quoted + " already holds a database");
  DAAS_RETURN_IF_ERROR(env->CreateDirIfMissing(dir));
  // Before the lock, so that a database open there is reported as what it is.
  DAAS_ASSIGN_OR_RETURN(bool exists, env->FileExists(manifest));
  if (exists) return taken;
  // The directory itself, as open locks it (a deleted LOCK lets no one in); LOCK only once the
  // directory is known to be ours to write, so that one refused is left untouched.
  DAAS_ASSIGN_OR_RETURN(std::unique_ptr<env::FileLock> dir_lock, env->LockFile(dir));
  DAAS_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(dir));
  bool unfinished = false;
  std::vector<std::string> theirs;  // DaaS files no unfinished copy of ours accounts for
  for (const std::string& name : names) {
    if (name == storage::kManifestFileName) return taken;
    if (name == storage::kIncompleteFileName) unfinished = true;
    // INCOMPLETE.tmp alone is ours: a first copy cut while writing its marker.
    if (IsLeftover(name) && name != std::string(storage::kIncompleteFileName) + ".tmp") {
      theirs.push_back(name);
    }
  }
  if (!unfinished && !theirs.empty()) {
    // Not ours to delete: it may be a database whose MANIFEST was lost.
    return Status::AlreadyExists(
        quoted + " holds " + std::to_string(theirs.size()) + " DaaS file(s) (" + theirs.front() +
        (theirs.size() > 1 ? ", ..." : "") +
        ") but neither a MANIFEST nor the INCOMPLETE file of an unfinished backup or restore: it "
        "may be a database that lost its MANIFEST, so nothing was changed; choose another "
        "directory");
  }
  DAAS_ASSIGN_OR_RETURN(std::unique_ptr<env::FileLock> file_lock,
                        env->LockFile(env::JoinPath(dir, storage::kLockFileName)));
  // The marker first, durable with its name: from here on, a kill leaves a directory that open
  // refuses and the next copy clears.
  DAAS_RETURN_IF_ERROR(env::WriteFileAtomically(
      env, env::JoinPath(dir, storage::kIncompleteFileName),
      "A backup or restore into this directory has not finished: it is not a database yet. "
      "Run the backup or restore into it again.\n"));
  DAAS_ASSIGN_OR_RETURN(names, env->ListDir(dir));
  for (const std::string& name : names) {
    if (IsLeftover(name)) {
      DAAS_RETURN_IF_ERROR(env->RemoveFile(env::JoinPath(dir, name)));
    }
  }
  return std::unique_ptr<DatabaseCopy>(
      new DatabaseCopy(env, dir, std::move(dir_lock), std::move(file_lock)));
}

Status DatabaseCopy::CopyFiles(const std::string& from, const storage::Manifest& manifest) {
  for (const storage::ManifestCollection& c : manifest.collections) {
    for (const storage::ManifestShard& s : c.shards) {
      if (s.file_number != 0) {
        DAAS_RETURN_IF_ERROR(Copy(from, storage::ShardFileName(s.id, s.file_number)));
      }
    }
  }
  DAAS_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(from));
  for (const std::string& name : names) {
    uint64_t first;
    if (storage::wal::ParseSegmentFileName(name, &first)) DAAS_RETURN_IF_ERROR(Copy(from, name));
  }
  return Status::OK();
}

Status DatabaseCopy::Copy(const std::string& from, const std::string& name) {
  DAAS_ASSIGN_OR_RETURN(std::string bytes, env_->ReadFile(env::JoinPath(from, name)));
  // Written in place, not through a temp file: until Finish, the marker says none of it counts.
  DAAS_ASSIGN_OR_RETURN(auto file, env_->NewWritableFile(env::JoinPath(dir_, name)));
  DAAS_RETURN_IF_ERROR(file->Append(bytes));
  DAAS_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

Status DatabaseCopy::Finish(std::string_view manifest_bytes) {
  DAAS_RETURN_IF_ERROR(env_->SyncDir(dir_));  // the copied files' names
  storage::CheckReport report = storage::CheckFiles(env_, dir_, manifest_bytes, &Catalog::Check);
  if (!report.ok()) {
    return Status::Corruption(
        "the copy in " + core::QuoteForMessage(dir_, core::kMaxQuotedPathBytes) +
        " fails its check, so it was not made a " +
        "database (a new run into it starts over): " + report.problems.front());
  }
  DAAS_RETURN_IF_ERROR(env::WriteFileAtomically(
      env_, env::JoinPath(dir_, storage::kManifestFileName), manifest_bytes));
  DAAS_RETURN_IF_ERROR(env_->RemoveFile(env::JoinPath(dir_, storage::kIncompleteFileName)));
  return env_->SyncDir(dir_);
}

}  // namespace daas::engine
