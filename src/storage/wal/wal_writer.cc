#include "storage/wal/wal_writer.h"

#include <algorithm>
#include <vector>

#include "core/coding.h"
#include "core/status_macros.h"
#include "storage/wal/wal_format.h"

namespace daas::storage::wal {

WalWriter::WalWriter(env::Env* env, std::string dir, uint64_t next_lsn, uint64_t segment_bytes)
    : env_(env),
      dir_(std::move(dir)),
      segment_bytes_(segment_bytes),
      last_lsn_(next_lsn - 1),
      written_lsn_(next_lsn - 1),
      durable_lsn_(next_lsn - 1) {}

WalWriter::~WalWriter() = default;

Result<std::unique_ptr<WalWriter>> WalWriter::Create(env::Env* env, std::string dir,
                                                     uint64_t next_lsn, uint64_t segment_bytes,
                                                     bool empty_segment_exists) {
  DAAS_CHECK(next_lsn >= 1);
  std::unique_ptr<WalWriter> w(new WalWriter(env, std::move(dir), next_lsn, segment_bytes));
  core::MutexLock io(&w->io_mu_);
  if (empty_segment_exists) {
    // WriteOut starts it (again) before its first record: same name, same header.
    w->file_first_lsn_ = next_lsn;
  } else {
    DAAS_RETURN_IF_ERROR(w->StartSegment(next_lsn));
  }
  return w;
}

Status WalWriter::StartSegment(uint64_t first_lsn) {
  const std::string name = SegmentFileName(first_lsn);
  DAAS_ASSIGN_OR_RETURN(file_, env_->NewWritableFile(env::JoinPath(dir_, name)));
  const std::string header = EncodeSegmentHeader(first_lsn);
  DAAS_RETURN_IF_ERROR(file_->Append(header));
  // The header and the file's name must be durable before any record in it is acknowledged.
  DAAS_RETURN_IF_ERROR(file_->Sync());
  DAAS_RETURN_IF_ERROR(env_->SyncDir(dir_));
  file_bytes_ = header.size();
  file_first_lsn_ = first_lsn;
  return Status::OK();
}

Result<uint64_t> WalWriter::Append(std::string_view payload) {
  if (payload.size() > kMaxRecordBytes) {
    return Status::ResourceExhausted("commit of " + std::to_string(payload.size()) +
                                     " bytes exceeds the log record limit of " +
                                     std::to_string(kMaxRecordBytes));
  }
  core::MutexLock l(&mu_);
  if (!error_.ok()) return error_;
  const uint64_t lsn = ++last_lsn_;
  const size_t before = buffer_.size();
  AppendRecord(&buffer_, lsn, payload);
  appended_bytes_ += buffer_.size() - before;
  return lsn;
}

Status WalWriter::Flush(uint64_t lsn, bool sync) {
  for (;;) {
    std::string batch;
    uint64_t first = 0, upto = 0;
    {
      core::MutexLock l(&mu_);
      for (;;) {
        if (!error_.ok()) return error_;
        if ((sync ? durable_lsn_ : written_lsn_) >= lsn) return Status::OK();
        if (!leader_active_) break;
        io_done_.Wait(&mu_);
      }
      leader_active_ = true;
    }
    // This thread is the leader: it takes everything buffered so far, not just its own record.
    core::MutexLock io(&io_mu_);
    {
      core::MutexLock l(&mu_);
      batch.swap(buffer_);
      buffer_.swap(spare_);
      first = written_lsn_ + 1;
      upto = last_lsn_;
    }
    Status s = WriteOut(batch, first, sync);
    core::MutexLock l(&mu_);
    leader_active_ = false;
    if (batch.capacity() <= kSpareBytes && batch.capacity() > spare_.capacity()) {
      batch.clear();
      spare_.swap(batch);
    }
    if (s.ok()) {
      written_lsn_ = upto;
      if (sync) durable_lsn_ = upto;
    } else {
      error_ = s.WithContext("write-ahead log failed; the database is read-only until reopened");
    }
    io_done_.SignalAll();
  }
}

Status WalWriter::WriteOut(std::string_view bytes, uint64_t first_lsn, bool sync) {
  if (file_ == nullptr) {
    if (bytes.empty()) return Status::OK();  // nothing was ever written: nothing to sync
    DAAS_RETURN_IF_ERROR(StartSegment(file_first_lsn_));
  }
  while (!bytes.empty()) {
    if (file_bytes_ >= segment_bytes_ && first_lsn > file_first_lsn_) {
      // Crash invariant W1: the full segment is durable before the next one gets a byte.
      DAAS_RETURN_IF_ERROR(file_->Sync());
      DAAS_RETURN_IF_ERROR(file_->Close());
      DAAS_RETURN_IF_ERROR(StartSegment(first_lsn));
    }
    // Whole records up to the segment's size, and at least one, so a segment never ends inside a
    // record and never grows much past segment_bytes_.
    size_t take = 0;
    uint64_t records = 0;
    while (take < bytes.size()) {
      const size_t record = kRecordHeaderBytes + core::GetLittle<uint32_t>(bytes.data() + take + 8);
      if (records > 0 && file_bytes_ + take + record > segment_bytes_) break;
      take += record;
      ++records;
    }
    DAAS_RETURN_IF_ERROR(file_->Append(bytes.substr(0, take)));
    file_bytes_ += take;
    first_lsn += records;
    bytes.remove_prefix(take);
  }
  if (sync) DAAS_RETURN_IF_ERROR(file_->Sync());
  return Status::OK();
}

Status WalWriter::StartNextSegment() {
  core::MutexLock io(&io_mu_);
  uint64_t next;
  {
    core::MutexLock l(&mu_);
    if (!error_.ok()) return error_;
    // Records appended since the caller's Flush: they stay in this segment, which stays.
    if (written_lsn_ != last_lsn_) return Status::OK();
    next = last_lsn_ + 1;
  }
  if (next == file_first_lsn_) return Status::OK();  // the current segment is empty already
  DAAS_RETURN_IF_ERROR(file_->Sync());
  DAAS_RETURN_IF_ERROR(file_->Close());
  return StartSegment(next);
}

uint64_t WalWriter::last_lsn() const {
  core::MutexLock l(&mu_);
  return last_lsn_;
}

uint64_t WalWriter::durable_lsn() const {
  core::MutexLock l(&mu_);
  return durable_lsn_;
}

Status WalWriter::status() const {
  core::MutexLock l(&mu_);
  return error_;
}

uint64_t WalWriter::appended_bytes() const {
  core::MutexLock l(&mu_);
  return appended_bytes_;
}

Status WalWriter::RemoveSegmentsThrough(uint64_t lsn) {
  core::MutexLock io(&io_mu_);  // keeps rotation from racing with the listing
  DAAS_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(dir_));
  std::vector<uint64_t> firsts;
  for (const std::string& name : names) {
    uint64_t first;
    if (ParseSegmentFileName(name, &first)) firsts.push_back(first);
  }
  std::sort(firsts.begin(), firsts.end());
  // A segment's records end where the next segment begins.
  for (size_t i = 0; i + 1 < firsts.size(); ++i) {
    if (firsts[i] == file_first_lsn_ || firsts[i + 1] - 1 > lsn) break;
    DAAS_RETURN_IF_ERROR(env_->RemoveFile(env::JoinPath(dir_, SegmentFileName(firsts[i]))));
  }
  return Status::OK();
}

}  // namespace daas::storage::wal
