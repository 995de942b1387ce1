#include "storage/check.h"

#include <unordered_map>
#include <unordered_set>

#include "core/quote.h"
#include "core/status_macros.h"
#include "doc/msgpack_reader.h"
#include "storage/shard_file.h"
#include "storage/wal/commit_record.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_reader.h"

namespace daas::storage {
namespace {

// The log's records against the catalog, as recovery replays them: an op of a collection the
// manifest lists must name a shard ID in range, and a shard of that collection (or one no
// collection has yet, which the op creates there).
class LogOwnership {
 public:
  explicit LogOwnership(const Manifest& m) {
    for (const ManifestCollection& c : m.collections) {
      live_.insert(c.id);
      for (const ManifestShard& s : c.shards) owner_[s.id.value] = c.id;
    }
  }
  Status Check(const wal::LoggedOp& op) {
    // A collection dropped after the record was written is gone from the manifest: recovery skips
    // its ops.
    if (live_.count(op.collection_id) == 0) return Status::OK();
    const uint32_t shard = op.id.shard().value;
    if (shard > kMaxShardId) {
      return Status::Corruption("log names shard " + std::to_string(shard) +
                                ", beyond the largest shard ID");
    }
    auto [it, created] = owner_.emplace(shard, op.collection_id);
    if (!created && it->second != op.collection_id) {
      return Status::Corruption("log puts shard " + std::to_string(shard) + " in collection " +
                                std::to_string(op.collection_id) + ", the manifest in collection " +
                                std::to_string(it->second));
    }
    return Status::OK();
  }

 private:
  std::unordered_set<uint32_t> live_;             // collection IDs
  std::unordered_map<uint32_t, uint32_t> owner_;  // shard ID -> collection ID
};

}  // namespace

Status CheckNoDataWithoutManifest(env::Env* env, const std::string& dir) {
  DAAS_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(dir));
  size_t shard_files = 0, segments = 0;
  bool incomplete = false;
  for (const std::string& name : names) {
    uint64_t first;
    if (IsShardFileName(name)) ++shard_files;
    if (wal::ParseSegmentFileName(name, &first)) ++segments;
    if (name == kIncompleteFileName) incomplete = true;
  }
  if (incomplete) {
    return Status::Corruption(core::QuoteForMessage(dir, core::kMaxQuotedPathBytes) +
                              " holds an unfinished backup or restore (it has an INCOMPLETE "
                              "file): run the backup or restore into it again");
  }
  if (shard_files == 0 && segments == 0) return Status::OK();
  return Status::Corruption(
      "MANIFEST is missing from " + core::QuoteForMessage(dir, core::kMaxQuotedPathBytes) +
      ", which holds " + std::to_string(shard_files) + " shard file(s) and " +
      std::to_string(segments) + " log segment(s): restore the directory from a backup");
}

Result<CheckReport> CheckDirectory(env::Env* env, const std::string& dir,
                                   const CatalogCheck& catalog) {
  DAAS_ASSIGN_OR_RETURN(bool exists, env->FileExists(env::JoinPath(dir, kManifestFileName)));
  if (!exists) {
    DAAS_RETURN_IF_ERROR(CheckNoDataWithoutManifest(env, dir));
    return Status::NotFound("no database in " +
                            core::QuoteForMessage(dir, core::kMaxQuotedPathBytes) +
                            " (no MANIFEST)");
  }
  DAAS_ASSIGN_OR_RETURN(std::string bytes, env->ReadFile(env::JoinPath(dir, kManifestFileName)));
  return CheckFiles(env, dir, bytes, catalog);
}

CheckReport CheckFiles(env::Env* env, const std::string& dir, std::string_view manifest_bytes,
                       const CatalogCheck& catalog) {
  CheckReport report;
  Result<Manifest> manifest = DecodeManifest(manifest_bytes);
  if (!manifest.ok()) {
    report.problems.emplace_back(manifest.status().message());
    return report;
  }
  if (catalog) {
    if (Status s = catalog(*manifest); !s.ok()) report.problems.emplace_back(s.message());
  }
  for (const ManifestCollection& c : manifest->collections) {
    ++report.collections;
    for (const ManifestShard& s : c.shards) {
      ++report.shards;
      if (s.file_number == 0) continue;
      ++report.shard_files;
      const std::string name = ShardFileName(s.id, s.file_number);
      Result<std::string> data = env->ReadFile(env::JoinPath(dir, name));
      if (!data.ok()) {
        report.problems.emplace_back(data.status().code() == StatusCode::kNotFound
                                         ? MissingShardFile(name).message()
                                         : name + ": " + std::string(data.status().message()));
        continue;
      }
      Shard shard(s.id, c.id);
      core::WriterLock l(shard.mu());
      Result<ShardFileInfo> info = DecodeShardFile(*data, name, kCeilingDocumentLimits, &shard);
      Status agrees = info.ok() ? CheckShardFileAgainstManifest(name, *info, s.record_count, s.lsn)
                                : info.status();
      if (!agrees.ok()) {
        report.problems.emplace_back(agrees.message());
      } else {
        report.checkpoint_documents += info->record_count;
      }
    }
  }
  Status record_problem;
  LogOwnership ownership(*manifest);
  Result<wal::LogReadResult> log =
      wal::ReadLog(env, dir, [&](uint64_t lsn, std::string_view payload) {
        Status s = wal::DecodeCommitRecord(payload, [&](const wal::LoggedOp& op) {
          if (op.kind == wal::LoggedOpKind::kTime) return Status::OK();
          DAAS_RETURN_IF_ERROR(ownership.Check(op));
          if (op.kind != wal::LoggedOpKind::kPut) return Status::OK();
          return doc::ValidateDocument(op.document, kCeilingDocumentLimits);
        });
        ++report.log_records;
        if (!s.ok() && record_problem.ok()) {
          record_problem = s.WithContext("log record " + std::to_string(lsn));
        }
        return Status::OK();  // keep reading: report every segment's state
      });
  if (!log.ok()) {
    report.problems.emplace_back(log.status().message());
  } else {
    if (Status s = wal::CheckLogReachesBack(manifest->covered_lsn, *log); !s.ok()) {
      report.problems.emplace_back(s.message());
    }
    report.log_segments = log->segments;
    report.log_bytes = log->record_bytes;
    report.last_lsn = log->last_lsn;
    if (!log->torn_segment.empty()) {
      report.torn_tail = log->torn_segment + ": " + std::to_string(log->torn_bytes) +
                         " bytes after byte " + std::to_string(log->torn_offset) +
                         " are a torn tail (an unacknowledged commit); opening cuts them";
    }
  }
  if (!record_problem.ok()) report.problems.emplace_back(record_problem.message());
  return report;
}

}  // namespace daas::storage
