#include "engine/commit_log.h"

namespace daas::engine {

Result<uint64_t> CommitLog::Sequence(std::string_view payload) {
  if (wal_ != nullptr) return wal_->Append(payload);
  // The caller's shard locks order the writes the LSN stands for; seq-cst for the change feed.
  return memory_lsn_.fetch_add(1, std::memory_order_seq_cst) + 1;
}

uint64_t CommitLog::LastLsn() const {
  return wal_ != nullptr ? wal_->last_lsn() : memory_lsn_.load(std::memory_order_seq_cst);
}

Status CommitLog::FlushLog(uint64_t lsn) {
  if (wal_ == nullptr) return Status::OK();
  return wal_->Flush(lsn, /*sync=*/false);
}

Status CommitLog::AwaitDurable(uint64_t lsn) {
  if (wal_ == nullptr) return Status::OK();
  if (Status s = wal_->Flush(lsn, /*sync=*/true); !s.ok()) {
    SetStickyError(s);
    return s.WithContext("the write is applied but may not be durable");
  }
  return Status::OK();
}

Status CommitLog::FlushAll(bool sync) {
  if (wal_ == nullptr) return Status::OK();
  Status s = wal_->Flush(wal_->last_lsn(), sync);
  if (!s.ok()) SetStickyError(s);
  return s;
}

Status CommitLog::StickyError() const {
  if (!has_error_.load(std::memory_order_acquire)) return Status::OK();
  core::MutexLock l(&error_mu_);
  return sticky_error_;
}

void CommitLog::SetStickyError(const Status& s) {
  core::MutexLock l(&error_mu_);
  if (!sticky_error_.ok()) return;  // the first error is the one that explains
  sticky_error_ = s.WithContext("the database is read-only until reopened");
  has_error_.store(true, std::memory_order_release);
}

}  // namespace daas::engine
