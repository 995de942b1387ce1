// RestoreBackup (daas.hpp): checks a backup's files, then copies them into a fresh directory; and
// CheckDatabase (backup.h).
#include "engine/backup.h"

#include "core/status_macros.h"
#include "daas/daas.hpp"
#include "engine/database_impl.h"
#include "env/env.h"
#include "storage/manifest.h"
#include "storage/wal/wal_format.h"

namespace daas {

Status RestoreBackup(const std::string& backup_dir, const std::string& dir) {
  env::Env* env = env::Env::Default();
  DAAS_ASSIGN_OR_RETURN(storage::CheckReport report, engine::CheckDatabase(env, backup_dir));
  if (!report.ok()) {
    return Status::Corruption("backup '" + backup_dir + "' is damaged: " + report.problems.front());
  }
  DAAS_RETURN_IF_ERROR(env->CreateDirIfMissing(dir));
  DAAS_ASSIGN_OR_RETURN(bool taken,
                        env->FileExists(env::JoinPath(dir, storage::kManifestFileName)));
  if (taken) return Status::AlreadyExists("'" + dir + "' already holds a database");
  DAAS_ASSIGN_OR_RETURN(std::string manifest_bytes,
                        env->ReadFile(env::JoinPath(backup_dir, storage::kManifestFileName)));
  DAAS_ASSIGN_OR_RETURN(storage::Manifest manifest, storage::DecodeManifest(manifest_bytes));
  for (const storage::ManifestCollection& c : manifest.collections) {
    for (const storage::ManifestShard& s : c.shards) {
      if (s.file_number == 0) continue;
      const std::string name = storage::ShardFileName(s.id, s.file_number);
      DAAS_ASSIGN_OR_RETURN(std::string bytes, env->ReadFile(env::JoinPath(backup_dir, name)));
      DAAS_RETURN_IF_ERROR(env::WriteFileAtomically(env, env::JoinPath(dir, name), bytes));
    }
  }
  DAAS_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(backup_dir));
  for (const std::string& name : names) {
    uint64_t first;
    if (!storage::wal::ParseSegmentFileName(name, &first)) continue;
    DAAS_ASSIGN_OR_RETURN(std::string bytes, env->ReadFile(env::JoinPath(backup_dir, name)));
    DAAS_RETURN_IF_ERROR(env::WriteFileAtomically(env, env::JoinPath(dir, name), bytes));
  }
  // The manifest last: until it exists, `dir` is not a database.
  return env::WriteFileAtomically(env, env::JoinPath(dir, storage::kManifestFileName),
                                  manifest_bytes);
}

}  // namespace daas

namespace daas::engine {

Result<storage::CheckReport> CheckDatabase(env::Env* env, const std::string& dir) {
  return storage::CheckDirectory(env, dir, &DatabaseImpl::CheckCatalog);
}

}  // namespace daas::engine
