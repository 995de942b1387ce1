#include "engine/cursor.h"

#include "core/status_macros.h"
#include "engine/collection_impl.h"
#include "storage/shard.h"

namespace daas::engine {

CursorImpl::CursorImpl(const CollectionImpl* coll, std::optional<expr::Program> filter,
                       std::optional<DocId> after,
                       std::shared_ptr<const SnapshotRegistry::State> snapshot)
    : coll_(coll), filter_(std::move(filter)), snapshot_(std::move(snapshot)) {
  if (filter_) {
    evaluator_.emplace(
        *filter_, expr::EvalContext{.bindings = nullptr, .now_micros = expr::SystemNowMicros()});
  }
  if (after) {
    // After a document's ID: its slot + 1 in its shard (past the shard's last slot: the next one).
    next_shard_ = after->shard().value;
    next_slot_ = uint32_t{after->slot()} + 1;
  }
}

Result<bool> CursorImpl::Next(DocId* id, std::string_view* document) {
  if (next_ == ids_.size()) {
    if (done_) return false;
    DAAS_RETURN_IF_ERROR(Fill());
    if (ids_.empty()) return false;
  }
  const size_t begin = next_ == 0 ? 0 : ends_[next_ - 1];
  *id = ids_[next_];
  *document = std::string_view(bytes_).substr(begin, ends_[next_] - begin);
  ++next_;
  return true;
}

Status CursorImpl::Fill() {
  ids_.clear();
  ends_.clear();
  bytes_.clear();
  next_ = 0;
  while (ids_.empty()) {
    // The first shard at or after the position (shards are listed in ascending ID order).
    storage::Shard* shard = nullptr;
    for (storage::Shard* s : coll_->Shards()) {
      if (s->id().value >= next_shard_) {
        shard = s;
        break;
      }
    }
    if (shard == nullptr) {
      done_ = true;
      return Status::OK();
    }
    if (shard->id().value != next_shard_) {
      next_shard_ = shard->id().value;
      next_slot_ = 0;
    }
    bool stopped = false;
    Status error;
    uint64_t unused_lsn;
    DAAS_RETURN_IF_ERROR(coll_->ScanShard(
        shard, next_slot_,
        [&](DocId id, std::string_view document) {
          if (ids_.size() == kStepDocuments || (!ids_.empty() && bytes_.size() >= kStepBytes)) {
            stopped = true;
            next_slot_ = id.slot();  // the first one not taken
            return false;
          }
          if (evaluator_) {
            Result<bool> match = evaluator_->Matches(document);
            if (!match.ok()) {
              error = match.status().WithContext(coll_->Describe() + ", document '" +
                                                 id.ToString() + "'");
              return false;
            }
            if (!*match) return true;
          }
          ids_.push_back(id);
          bytes_.append(document);
          ends_.push_back(bytes_.size());
          return true;
        },
        &unused_lsn, snapshot_ != nullptr ? snapshot_->lsn() : CollectionImpl::kLatest));
    DAAS_RETURN_IF_ERROR(error);
    // After the read: one that raced with the snapshot's expiry may have missed a pruned version.
    if (snapshot_ != nullptr) {
      if (Status s = snapshot_->Usable(); !s.ok()) {
        ids_.clear();
        done_ = true;
        return s;
      }
    }
    if (!stopped) {  // the shard is done
      next_shard_ = shard->id().value + 1;
      next_slot_ = 0;
    }
  }
  return Status::OK();
}

}  // namespace daas::engine
