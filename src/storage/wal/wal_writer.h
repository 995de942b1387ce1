// WalWriter: appends commit records to the write-ahead log, with group commit.
//
// Append() frames a record into an in-memory buffer under a short mutex and returns its LSN; the
// engine calls it while holding the shard locks of the commit, so LSN order is apply order. Flush()
// writes the buffer out and, for durable commits, fdatasyncs it, without any shard lock held. The
// first waiter becomes the leader and writes everything buffered so far; commits that arrive while
// it syncs wait for the next leader, who takes all of them at once: concurrent committers share
// one write and one fdatasync.
//
//   Append ──> buffer_ ──(leader: WriteOut, no lock held)──> segment file ──fdatasync──> durable
//
// Errors are sticky (STYLE.md §4): after a failed write or sync every Append and Flush fails with
// that error until the database is reopened. A failed fsync is never retried.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/mutex.h"
#include "daas/status.h"
#include "env/env.h"

namespace daas::storage::wal {

class WalWriter {
 public:
  // Starts a new segment for `next_lsn` in `dir` (earlier segments are only read). A segment is
  // closed and a new one started once it holds `segment_bytes`. `empty_segment_exists`: the newest
  // segment in `dir` is named for `next_lsn` and holds no record (a clean close left it); then
  // nothing is written until the first record is, so that opening a database and reading from it
  // writes nothing. That segment is then started afresh, as a new one would be.
  static Result<std::unique_ptr<WalWriter>> Create(env::Env* env, std::string dir,
                                                   uint64_t next_lsn, uint64_t segment_bytes,
                                                   bool empty_segment_exists = false);
  ~WalWriter();
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Buffers `payload` as the next record; returns its LSN, or the sticky error. Thread-safe.
  Result<uint64_t> Append(std::string_view payload) DAAS_EXCLUDES(mu_);
  // Returns once every record up to `lsn` is written to the file, and fdatasync'ed when `sync`.
  // Thread-safe; concurrent callers share the I/O.
  Status Flush(uint64_t lsn, bool sync) DAAS_EXCLUDES(mu_);

  uint64_t last_lsn() const DAAS_EXCLUDES(mu_);     // last LSN handed out
  uint64_t durable_lsn() const DAAS_EXCLUDES(mu_);  // every record up to it is fdatasync'ed
  Status status() const DAAS_EXCLUDES(mu_);         // OK, or the sticky error
  // Bytes appended since the writer was created (for checkpoint triggers).
  uint64_t appended_bytes() const DAAS_EXCLUDES(mu_);

  // Deletes the segments all of whose records have LSN <= `lsn`; never the one being written.
  Status RemoveSegmentsThrough(uint64_t lsn) DAAS_EXCLUDES(mu_, io_mu_);
  // Ends the segment being written and starts an empty one for the next LSN, so that a checkpoint
  // covering every record can delete every segment before it: a clean close leaves a log that
  // the next open reads in no time. Does nothing when records were appended since the caller's
  // Flush (a concurrent writer).
  Status StartNextSegment() DAAS_EXCLUDES(mu_, io_mu_);

 private:
  WalWriter(env::Env* env, std::string dir, uint64_t next_lsn, uint64_t segment_bytes);
  // Writes `bytes` (records first_lsn..) to the file, rotating segments first when the current one
  // is full. Runs on the leader with io_mu_ held and mu_ not held.
  Status WriteOut(std::string_view bytes, uint64_t first_lsn, bool sync) DAAS_REQUIRES(io_mu_);
  Status StartSegment(uint64_t first_lsn) DAAS_REQUIRES(io_mu_);

  env::Env* const env_;
  const std::string dir_;
  const uint64_t segment_bytes_;

  // Lock order: io_mu_ before mu_. io_mu_ is held by the leader for the whole write, so the file
  // and segment list have one user; mu_ is held only for buffer handoffs.
  core::Mutex io_mu_ DAAS_ACQUIRED_BEFORE(mu_);
  // Null until the first write when Create found an empty segment to go on from.
  std::unique_ptr<env::WritableFile> file_ DAAS_GUARDED_BY(io_mu_);
  uint64_t file_bytes_ DAAS_GUARDED_BY(io_mu_) = 0;
  uint64_t file_first_lsn_ DAAS_GUARDED_BY(io_mu_) = 0;

  mutable core::Mutex mu_;
  core::CondVar io_done_;                    // a leader finished (or failed)
  std::string buffer_ DAAS_GUARDED_BY(mu_);  // records written_lsn_+1 .. last_lsn_
  // The buffer the last leader wrote out, emptied, kept for the next swap so that appends do not
  // grow a fresh buffer after every write (kept only up to kSpareBytes).
  std::string spare_ DAAS_GUARDED_BY(mu_);
  static constexpr size_t kSpareBytes = 8 << 20;
  uint64_t last_lsn_ DAAS_GUARDED_BY(mu_);
  uint64_t written_lsn_ DAAS_GUARDED_BY(mu_);
  uint64_t durable_lsn_ DAAS_GUARDED_BY(mu_);
  bool leader_active_ DAAS_GUARDED_BY(mu_) = false;
  uint64_t appended_bytes_ DAAS_GUARDED_BY(mu_) = 0;
  Status error_ DAAS_GUARDED_BY(mu_);
};

}  // namespace daas::storage::wal
