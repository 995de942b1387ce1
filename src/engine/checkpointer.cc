#include "engine/checkpointer.h"

#include <algorithm>
#include <tuple>
#include <unordered_set>

#include "core/quote.h"
#include "core/status_macros.h"
#include "storage/shard_file.h"
#include "storage/wal/wal_format.h"

namespace daas::engine {

void Checkpointer::Restore(const storage::Manifest& m) {
  manifest_generation_ = m.generation;
  manifest_covered_lsn_ = m.covered_lsn;
  next_file_number_ = m.next_file_number;
  for (const storage::ManifestCollection& mc : m.collections) {
    for (const storage::ManifestShard& ms : mc.shards) checkpointed_[ms.id.value] = ms;
  }
}

uint64_t Checkpointer::LsnAfterFiles() const {
  uint64_t next = 1;
  for (const auto& [id, entry] : checkpointed_) next = std::max(next, entry.lsn + 1);
  return next;
}

void Checkpointer::Recovered(uint64_t lsn) {
  checkpoint_lsn_ = lsn;
  last_ = std::chrono::steady_clock::now();
}

Status Checkpointer::ReconcileFiles() {
  // Removed: shard files of checkpoints that never reached the manifest, or were superseded, and
  // temp files of interrupted atomic writes. Only names DaaS writes are touched.
  std::unordered_set<std::string> keep;
  for (const auto& [id, ms] : checkpointed_) {
    if (ms.file_number != 0) keep.insert(storage::ShardFileName(ms.id, ms.file_number));
  }
  DAAS_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(options_.dir));
  // Every file the manifest names is there (open reads none of them: a missing one would be found
  // only when its shard is first used). Checked before anything is removed.
  const std::unordered_set<std::string_view> present(names.begin(), names.end());
  for (const std::string& name : keep) {
    if (present.count(name) == 0) {
      return storage::MissingShardFile(name);
    }
  }
  for (const std::string& name : names) {
    const bool temp = name.ends_with(".tmp");
    const std::string_view base = std::string_view(name).substr(0, name.size() - (temp ? 4 : 0));
    const bool ours =
        storage::IsShardFileName(base) || (temp && base == storage::kManifestFileName);
    if (ours && keep.count(name) == 0) {
      DAAS_RETURN_IF_ERROR(env_->RemoveFile(env::JoinPath(options_.dir, name)));
    }
  }
  return Status::OK();
}

Status Checkpointer::Checkpoint() {
  if (in_memory()) return Status::OK();
  DAAS_RETURN_IF_ERROR(log_->StickyError());
  storage::wal::WalWriter* const wal = log_->wal();
  // A log write that failed a moment ago may not be sticky here yet (its committer sets it after
  // the flush returns); its commit is applied in memory but was never acknowledged, so no
  // checkpoint may save it.
  if (Status s = wal->status(); !s.ok()) {
    log_->SetStickyError(s);
    return s;
  }
  // Every record up to `covered` was applied before its LSN was handed out, so the shard files
  // written below include it (and unchanged shards' files already did): after the manifest
  // commits, those log records are no longer needed.
  const uint64_t covered = wal->last_lsn();
  const uint64_t log_mark = wal->appended_bytes();
  std::vector<std::string> superseded;
  bool wrote = false;
  bool changed = false;  // a manifest entry moved: without one, the manifest stays as it is
  for (CollectionImpl* coll : catalog_->Live()) {
    for (storage::Shard* shard : coll->Shards()) {
      auto it = checkpointed_.find(shard->id().value);
      std::string bytes;
      storage::ManifestShard entry{shard->id(), 0, 0, 0};
      {
        core::ReaderLock l(shard->mu());
        if (it != checkpointed_.end() && !shard->dirty()) continue;
        entry.record_count = shard->live_count();
        entry.lsn = shard->lsn();
        if (entry.record_count != 0) bytes = storage::EncodeShardFile(*shard, shard->lsn());
        shard->ClearDirty();
      }
      // The file is written without the shard lock: writers go on meanwhile and mark it dirty
      // again.
      if (entry.record_count != 0) {
        entry.file_number = next_file_number_++;
        const std::string path =
            env::JoinPath(options_.dir, storage::ShardFileName(shard->id(), entry.file_number));
        Status s = [&]() -> Status {
          DAAS_ASSIGN_OR_RETURN(auto file, env_->NewWritableFile(path));
          DAAS_RETURN_IF_ERROR(file->Append(bytes));
          DAAS_RETURN_IF_ERROR(file->Sync());
          return file->Close();
        }();
        if (!s.ok()) {
          shard->MarkDirty();
          s = s.WithContext("checkpoint of shard " + std::to_string(shard->id().value));
          log_->SetStickyError(s);
          return s;
        }
        wrote = true;
      }
      if (it != checkpointed_.end() && it->second.file_number != 0) {
        superseded.push_back(storage::ShardFileName(shard->id(), it->second.file_number));
      }
      checkpointed_[shard->id().value] = entry;
      changed = true;
    }
  }
  if (changed || covered != manifest_covered_lsn_) {
    Status s = wrote ? env_->SyncDir(options_.dir) : Status::OK();
    if (s.ok()) s = WriteManifest(covered);
    if (!s.ok()) {
      log_->SetStickyError(s);
      return s;
    }
  }  // else nothing to write (catalog changes write the manifest themselves)
  last_ = std::chrono::steady_clock::now();
  log_mark_ = log_mark;
  checkpoint_lsn_ = covered;
  // Failing to delete a covered segment loses nothing: the next checkpoint tries again.
  wal->RemoveSegmentsThrough(covered).IgnoreError();
  for (const std::string& f : superseded) {
    // No longer named by the manifest; a file left behind is removed at the next open.
    env_->RemoveFile(env::JoinPath(options_.dir, f)).IgnoreError();
  }
  return Status::OK();
}

void Checkpointer::DropCoveredLog() {
  storage::wal::WalWriter* const wal = log_->wal();
  if (wal == nullptr) return;
  // Records a writer appends meanwhile keep the segment they land in (StartNextSegment then does
  // nothing); RemoveSegmentsThrough never deletes a record the checkpoint did not cover.
  if (wal->Flush(wal->last_lsn(), /*sync=*/true).ok() && wal->StartNextSegment().ok()) {
    wal->RemoveSegmentsThrough(manifest_covered_lsn_).IgnoreError();
  }
}

bool Checkpointer::Due() const {
  const storage::wal::WalWriter* const wal = log_->wal();
  if (wal == nullptr) return false;
  const uint64_t appended = wal->appended_bytes() - log_mark_;
  const auto since = std::chrono::steady_clock::now() - last_;
  return (options_.checkpoint_wal_bytes != 0 && appended >= options_.checkpoint_wal_bytes) ||
         (options_.checkpoint_interval_ms != 0 &&
          since >= std::chrono::milliseconds(options_.checkpoint_interval_ms) && appended != 0);
}

Status Checkpointer::CommitCatalogChange() {
  if (in_memory()) return Status::OK();
  Status s = WriteManifest(manifest_covered_lsn_);
  if (!s.ok()) log_->SetStickyError(s);
  return s;
}

Status Checkpointer::WriteManifest(uint64_t covered_lsn) {
  const std::string path = env::JoinPath(options_.dir, storage::kManifestFileName);
  if (manifest_generation_ != 0) {
    // The directory lock keeps other processes out, but not one that ignores it (an earlier
    // version after LOCK was deleted, a copy of the directory on another machine sharing it):
    // replacing a manifest this process did not write would drop what the other one committed.
    // Fail loudly instead, before anything is overwritten.
    // A MANIFEST that is gone or not one is a change too; failing to read it is only that.
    Result<std::string> prefix =
        env_->ReadFilePrefix(path, storage::kManifestGenerationPrefixBytes);
    if (!prefix.ok() && prefix.status().code() != StatusCode::kNotFound) {
      return prefix.status().WithContext("reading MANIFEST before replacing it");
    }
    Result<uint64_t> on_disk =
        prefix.ok() ? storage::PeekManifestGeneration(*prefix) : Result<uint64_t>(prefix.status());
    if (!on_disk.ok() || *on_disk != manifest_generation_) {
      return Status::Conflict(
          "MANIFEST in " + core::QuoteForMessage(options_.dir, core::kMaxQuotedPathBytes) +
          " was " +
          (on_disk.ok() ? "rewritten (generation " + std::to_string(*on_disk) + ", expected " +
                              std::to_string(manifest_generation_) + ")"
                        : "changed (" + std::string(on_disk.status().message()) + ")") +
          " by something other than this process while it had the database open; nothing more "
          "is written");
    }
  }
  storage::Manifest m;
  m.generation = manifest_generation_ + 1;
  m.covered_lsn = covered_lsn;
  m.next_shard_id = shards_->next_id();
  m.next_file_number = next_file_number_;
  for (CollectionImpl* coll : catalog_->Live(&m.next_collection_id)) {
    storage::ManifestCollection mc{coll->id(), coll->name(), {}, coll->schema_json(), "", 0};
    std::tie(mc.migrating_from, mc.migrated_below) = coll->MigrationState();
    for (storage::Shard* shard : coll->Shards()) {
      auto it = checkpointed_.find(shard->id().value);
      // A shard created since the last checkpoint is listed empty: its documents reach disk with
      // the next checkpoint (and, with the write-ahead log, are replayed from it).
      mc.shards.push_back(it != checkpointed_.end() ? it->second
                                                    : storage::ManifestShard{shard->id(), 0, 0, 0});
    }
    m.collections.push_back(std::move(mc));
  }
  DAAS_RETURN_IF_ERROR(env::WriteFileAtomically(env_, path, storage::EncodeManifest(m)));
  manifest_generation_ = m.generation;
  manifest_covered_lsn_ = covered_lsn;
  return Status::OK();
}

std::vector<std::string> Checkpointer::Forget(std::span<storage::Shard* const> shards) {
  std::vector<std::string> files;
  for (const storage::Shard* s : shards) {
    auto it = checkpointed_.find(s->id().value);
    if (it == checkpointed_.end()) continue;
    if (it->second.file_number != 0) {
      files.push_back(storage::ShardFileName(s->id(), it->second.file_number));
    }
    checkpointed_.erase(it);
  }
  return files;
}

Status Checkpointer::AddStats(DatabaseStats* st) const {
  st->checkpoint_lsn = checkpoint_lsn_;
  for (const auto& [id, entry] : checkpointed_) {
    if (entry.file_number == 0) continue;
    DAAS_ASSIGN_OR_RETURN(uint64_t size,
                          env_->GetFileSize(env::JoinPath(
                              options_.dir, storage::ShardFileName(entry.id, entry.file_number))));
    ++st->checkpoint_files;
    st->checkpoint_bytes += size;
  }
  return Status::OK();
}

}  // namespace daas::engine
