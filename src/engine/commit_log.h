// CommitLog: where commits get their LSNs. A database with a directory appends each commit's record
// to its write-ahead log (storage::wal::WalWriter), which hands out the LSN; an in-memory one only
// counts (the sequencer is not the log). It also holds the database's sticky durability error.
//
// State: the log writer (set once by recovery, before other threads see the database), the
// in-memory sequencer, and the sticky error under error_mu_ (a leaf).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/mutex.h"
#include "daas/status.h"
#include "storage/wal/wal_writer.h"

namespace daas::engine {

class CommitLog {
 public:
  CommitLog() = default;
  CommitLog(const CommitLog&) = delete;
  CommitLog& operator=(const CommitLog&) = delete;

  // Starts logging to `wal` (recovery, once). Requires: no other thread uses the database yet.
  void Attach(std::unique_ptr<storage::wal::WalWriter> wal) { wal_ = std::move(wal); }
  // Whether commits are logged (the database has a directory); in memory they are only sequenced.
  bool logged() const { return wal_ != nullptr; }
  // The log writer, for checkpoints and backups; null in memory.
  storage::wal::WalWriter* wal() const { return wal_.get(); }

  // The commit's LSN: its record (`payload`) appended to the log, or in memory the next number
  // of the sequencer (the payload is then unused and may be empty). Requires the exclusive locks of
  // every shard the commit changed, so LSN order is apply order. Errors: the log's (a sticky error,
  // a record too large); the commit must then roll back.
  Result<uint64_t> Sequence(std::string_view payload);
  // The last LSN handed out, read in the order SnapshotRegistry and ChangeFeedHub rely on: under
  // the log's mutex, or seq-cst from the in-memory sequencer.
  uint64_t LastLsn() const;
  // Every record up to it is fdatasync'ed; 0 in memory.
  uint64_t durable_lsn() const { return wal_ ? wal_->durable_lsn() : 0; }

  // Writes the log out (no fdatasync) up to `lsn`, so that reading the files back sees it. OK in
  // memory.
  Status FlushLog(uint64_t lsn);
  // Returns once the log is fdatasync'ed up to `lsn`; OK at once in memory. A failure is made
  // sticky and returned. Requires: no shard lock held.
  Status AwaitDurable(uint64_t lsn);
  // Writes out every record handed out so far, fdatasync'ed when `sync`; a failure is made sticky.
  // OK in memory.
  Status FlushAll(bool sync);

  // The first durability error (log or checkpoint): once set, every write and checkpoint fails
  // with it until the database is reopened.
  Status StickyError() const DAAS_EXCLUDES(error_mu_);
  void SetStickyError(const Status& s) DAAS_EXCLUDES(error_mu_);

 private:
  std::unique_ptr<storage::wal::WalWriter> wal_;  // null in memory
  // The sequencer of an in-memory database: the last LSN handed out (the log's, otherwise).
  // Seq-cst: the change feed's subscribe and publish rely on it (ChangeFeedHub::active).
  std::atomic<uint64_t> memory_lsn_{0};

  mutable core::Mutex error_mu_;
  Status sticky_error_ DAAS_GUARDED_BY(error_mu_);
  std::atomic<bool> has_error_{false};  // relaxed fast path for StickyError's common OK case
};

}  // namespace daas::engine
