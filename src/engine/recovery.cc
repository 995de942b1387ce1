#include "engine/recovery.h"

#include <algorithm>

#include "core/quote.h"
#include "core/status_macros.h"
#include "core/thread_pool.h"
#include "doc/msgpack_reader.h"
#include "storage/check.h"
#include "storage/shard_file.h"
#include "storage/wal/commit_record.h"
#include "storage/wal/wal_reader.h"

namespace daas::engine {

Status Recovery::Run() {
  const Options& options = *u_.options;
  const std::string manifest_path = env::JoinPath(options.dir, storage::kManifestFileName);
  DAAS_ASSIGN_OR_RETURN(bool has_manifest, u_.env->FileExists(manifest_path));
  Checkpointer& cp = *u_.checkpointer;
  core::MutexLock l(cp.mu());
  uint64_t checkpoint_lsn = 0;
  if (!has_manifest) {
    // Never start a new database over the files of one whose manifest was lost.
    DAAS_RETURN_IF_ERROR(storage::CheckNoDataWithoutManifest(u_.env, options.dir));
    if (!options.create_if_missing) {
      return Status::NotFound("no database in " +
                              core::QuoteForMessage(options.dir, core::kMaxQuotedPathBytes) +
                              " (no MANIFEST)");
    }
    DAAS_RETURN_IF_ERROR(cp.WriteManifest(0));
    DAAS_RETURN_IF_ERROR(cp.ReconcileFiles());
    DAAS_RETURN_IF_ERROR(ReplayLog(0, 1, &checkpoint_lsn));
    cp.Recovered(checkpoint_lsn);
    return Status::OK();
  }
  DAAS_ASSIGN_OR_RETURN(std::string bytes, u_.env->ReadFile(manifest_path));
  DAAS_ASSIGN_OR_RETURN(storage::Manifest m, storage::DecodeManifest(bytes));
  DAAS_RETURN_IF_ERROR(RestoreCatalog(m));
  cp.Restore(m);
  DAAS_RETURN_IF_ERROR(cp.ReconcileFiles());
  DAAS_RETURN_IF_ERROR(ReplayLog(cp.manifest_covered_lsn(), cp.LsnAfterFiles(), &checkpoint_lsn));
  cp.Recovered(checkpoint_lsn);
  // Replay loaded the shard files its records touched and changed their slots after the load
  // handed their free slots to the allocators: hand them over again, as they are now.
  for (const auto& [id, coll] : by_id_) {
    for (storage::Shard* shard : coll->Shards()) {
      if (!shard->loaded()) continue;
      core::ReaderLock sl(shard->mu());
      coll->ShardLoaded(*shard);
    }
  }
  for (auto& shard : created_) {
    max_shard_id_ = std::max(max_shard_id_, shard->id().value);
    CollectionImpl* owner = by_id_.at(shard->collection_id());
    owner->AdoptShard(u_.shards->Add(std::move(shard)));
  }
  u_.shards->RaiseNextId(std::max(m.next_shard_id, max_shard_id_ + 1));
  return Status::OK();
}

Status Recovery::RestoreCatalog(const storage::Manifest& m) {
  const Options& options = *u_.options;
  u_.catalog->RestoreNextId(m.next_collection_id);
  // Names and schemas first (DecodeManifest checked the IDs): nothing is built from a bad one.
  DAAS_ASSIGN_OR_RETURN(auto schemas, Catalog::Parse(m));
  for (const storage::ManifestCollection& mc : m.collections) {
    CollectionImpl* coll = u_.catalog->Restore(mc.id, mc.name);
    for (const storage::ManifestShard& ms : mc.shards) {
      if (ms.id.value == 0 || ms.id.value >= m.next_shard_id ||
          ms.id.value > ShardTable::kMaxShardId || u_.shards->Find(ms.id) != nullptr ||
          ms.file_number >= m.next_file_number) {
        return Status::Corruption("MANIFEST: bad or repeated shard " + std::to_string(ms.id.value) +
                                  " in collection " + core::QuoteForMessage(mc.name));
      }
      auto shard = std::make_unique<storage::Shard>(ms.id, mc.id);
      if (ms.file_number != 0) {
        // Open is lazy: it reads no shard file (ReconcileFiles checks they are all there). A file's
        // header is checked, against the manifest too, when the shard is first used; a point read
        // then reads just its record from the file, and the documents are loaded when the shard is
        // first written or scanned, or by the background loader.
        const std::string name = storage::ShardFileName(ms.id, ms.file_number);
        shard->SetCold(ms.record_count, std::make_shared<const storage::ShardFileView>(
                                            u_.env, env::JoinPath(options.dir, name), name, ms.id,
                                            mc.id, ms.record_count, ms.lsn));
        u_.loader->AddCold(ms.id);
      }
      shard->set_lsn(ms.lsn);
      max_shard_id_ = std::max(max_shard_id_, ms.id.value);
      coll->AdoptShard(u_.shards->Add(std::move(shard)));
    }
    by_id_[mc.id] = coll;
  }
  for (const storage::ManifestCollection& mc : m.collections) {
    auto it = schemas.find(mc.name);
    if (it == schemas.end()) continue;
    // Indexes are built after open, in the background (writes wait for them, reads do not).
    const bool pending = index::IndexSet::For(it->second.schema) != nullptr;
    by_id_.at(mc.id)->InstallSchema(std::move(it->second.schema), mc.schema,
                                    std::move(it->second.migration), mc.migrated_below, nullptr,
                                    pending);
  }
  return Status::OK();
}

Result<storage::Shard*> Recovery::FindShard(DocId id, uint32_t collection_id) {
  storage::Shard* shard = u_.shards->Find(id.shard());
  if (shard == nullptr) {
    for (const auto& s : created_) {
      if (s->id() == id.shard()) shard = s.get();
    }
  }
  if (shard == nullptr) {
    if (id.shard().value > ShardTable::kMaxShardId) {
      return Status::Corruption("log names shard " + std::to_string(id.shard().value) +
                                ", beyond the largest shard ID");
    }
    created_.push_back(std::make_unique<storage::Shard>(id.shard(), collection_id));
    shard = created_.back().get();
  }
  if (shard->collection_id() != collection_id) {
    return Status::Corruption("log puts shard " + std::to_string(id.shard().value) +
                              " in collection " + std::to_string(collection_id) +
                              ", the manifest in collection " +
                              std::to_string(shard->collection_id()));
  }
  return shard;
}

Status Recovery::Apply(uint64_t lsn, std::string_view payload) {
  std::vector<storage::Shard*> touched;
  uint64_t time_ms = 0;  // not known for records of log format 1
  Status s = storage::wal::DecodeCommitRecord(payload, [&](const storage::wal::LoggedOp& op) {
    if (op.kind == storage::wal::LoggedOpKind::kTime) {
      time_ms = op.time_ms;
      return Status::OK();
    }
    // A collection dropped after this record was written is gone from the manifest: skip.
    auto coll = by_id_.find(op.collection_id);
    if (coll == by_id_.end()) return Status::OK();
    DAAS_ASSIGN_OR_RETURN(storage::Shard * shard, FindShard(op.id, op.collection_id));
    {
      core::ReaderLock l(shard->mu());
      if (lsn <= shard->lsn()) return Status::OK();  // already in the shard's checkpoint
    }
    // The record is newer than the shard's file, so the file's documents load now; a shard no
    // record needs stays cold.
    DAAS_RETURN_IF_ERROR(coll->second->LoadShard(shard));
    core::WriterLock l(shard->mu());
    // The document was checked by ApplyPending.
    if (op.kind == storage::wal::LoggedOpKind::kPut) {
      // As the commit stored it (Transaction::Write): a document that was there keeps its
      // creation time.
      storage::RecordMeta meta{lsn, time_ms, time_ms};
      std::string_view unused;
      storage::RecordMeta before;
      if (shard->Get(op.id.slot(), op.id.salt(), &unused, &before)) {
        meta.created_ms = before.created_ms;
      }
      shard->Retire(shard->Put(op.id.slot(), op.id.salt(), op.document, meta));
    } else {
      shard->Retire(shard->Take(op.id.slot()));
    }
    if (touched.empty() || touched.back() != shard) touched.push_back(shard);
    return Status::OK();
  });
  if (!s.ok()) return s.WithContext("log record " + std::to_string(lsn));
  if (!touched.empty() && first_applied_ == 0) first_applied_ = lsn;
  // Only now: a record may touch one shard several times, and each op must apply.
  for (storage::Shard* shard : touched) {
    core::WriterLock l(shard->mu());
    shard->set_lsn(lsn);
    shard->MaybeCompact();
  }
  max_lsn_ = lsn;
  return Status::OK();
}

Status Recovery::ApplyPending() {
  if (pending_.empty()) return Status::OK();  // (an empty segment: no worker pool to start)
  // Checking the documents is the costly part of replay: it runs on every core first.
  constexpr size_t kChunk = 64;
  const size_t chunks = (pending_.size() + kChunk - 1) / kChunk;
  std::vector<Status> errors(chunks);
  core::ThreadPool::Default().ParallelFor(chunks, [&](size_t chunk, unsigned) {
    for (size_t k = chunk * kChunk; k < std::min(pending_.size(), (chunk + 1) * kChunk); ++k) {
      const auto& [lsn, payload] = pending_[k];
      Status s = storage::wal::DecodeCommitRecord(payload, [](const storage::wal::LoggedOp& op) {
        if (op.kind != storage::wal::LoggedOpKind::kPut) return Status::OK();
        return doc::ValidateDocument(op.document, kCeilingDocumentLimits);
      });
      if (!s.ok()) {
        errors[chunk] = s.WithContext("log record " + std::to_string(lsn));
        return;
      }
    }
  });
  for (const Status& e : errors) DAAS_RETURN_IF_ERROR(e);
  for (const auto& [lsn, payload] : pending_) DAAS_RETURN_IF_ERROR(Apply(lsn, payload));
  pending_.clear();
  return Status::OK();
}

Status Recovery::ReplayLog(uint64_t covered_lsn, uint64_t lsn_after_files,
                           uint64_t* checkpoint_lsn) {
  const Options& options = *u_.options;
  // Records are applied a batch at a time (ApplyPending).
  DAAS_ASSIGN_OR_RETURN(storage::wal::LogReadResult r,
                        storage::wal::ReadLog(
                            u_.env, options.dir,
                            [&](uint64_t lsn, std::string_view payload) {
                              pending_.emplace_back(lsn, payload);
                              return pending_.size() < 8192 ? Status::OK() : ApplyPending();
                            },
                            [&] { return ApplyPending(); }));
  DAAS_RETURN_IF_ERROR(storage::wal::CheckLogReachesBack(covered_lsn, r));
  DAAS_RETURN_IF_ERROR(storage::wal::CutTornTail(u_.env, options.dir, r));
  const uint64_t next_lsn = std::max({r.next_lsn, max_lsn_ + 1, lsn_after_files});
  // Replay applies records in LSN order, each to the shards whose files lack it: everything before
  // the first record it applied is in the shard files, and if it applied none, everything is.
  *checkpoint_lsn = (first_applied_ != 0 ? first_applied_ : next_lsn) - 1;
  // After a clean close the newest segment is empty and named for next_lsn: the writer goes on
  // from it, and opening writes nothing.
  DAAS_ASSIGN_OR_RETURN(auto wal, storage::wal::WalWriter::Create(
                                      u_.env, options.dir, next_lsn, options.wal_segment_bytes,
                                      r.empty_newest_lsn != 0 && r.empty_newest_lsn == next_lsn));
  u_.log->Attach(std::move(wal));
  return Status::OK();
}

}  // namespace daas::engine
