#include "storage/wal/commit_record.h"

#include "core/coding.h"
#include "core/status_macros.h"

namespace daas::storage::wal {

void CommitRecordBuilder::Head(LoggedOpKind kind, uint32_t collection_id, DocId id) {
  ops_.push_back(static_cast<char>(kind));
  core::AppendLittle<uint32_t>(&ops_, collection_id);
  core::AppendLittle<uint32_t>(&ops_, id.shard().value);
  core::AppendLittle<uint16_t>(&ops_, id.slot());
  core::AppendLittle<uint64_t>(&ops_, id.salt());
  ++count_;
}

void CommitRecordBuilder::Put(uint32_t collection_id, DocId id, std::string_view document) {
  Head(LoggedOpKind::kPut, collection_id, id);
  core::AppendLittle<uint32_t>(&ops_, static_cast<uint32_t>(document.size()));
  ops_.append(document);
}

void CommitRecordBuilder::Insert(uint32_t collection_id, DocId id, std::string_view document) {
  Head(LoggedOpKind::kInsert, collection_id, id);
  core::AppendLittle<uint32_t>(&ops_, static_cast<uint32_t>(document.size()));
  ops_.append(document);
}

void CommitRecordBuilder::Erase(uint32_t collection_id, DocId id) {
  Head(LoggedOpKind::kErase, collection_id, id);
}

std::string CommitRecordBuilder::Finish() {
  core::PutLittle<uint32_t>(ops_.data(), count_ + 1);
  ops_[4] = static_cast<char>(LoggedOpKind::kTime);
  core::PutLittle<uint64_t>(ops_.data() + 5, time_ms_);
  std::string out = std::move(ops_);
  ops_.assign(kHeaderBytes, '\0');
  count_ = 0;
  return out;
}

Status DecodeCommitRecord(std::string_view payload,
                          const std::function<Status(const LoggedOp&)>& fn) {
  core::ByteReader r(payload);
  const uint32_t count = r.Read<uint32_t>();
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    LoggedOp op;
    const uint8_t kind = r.Read<uint8_t>();
    if (kind == static_cast<uint8_t>(LoggedOpKind::kTime)) {
      if (i != 0) {
        return Status::Corruption("commit record op " + std::to_string(i) +
                                  " is a time, which only the first op may be");
      }
      op.kind = LoggedOpKind::kTime;
      op.time_ms = r.Read<uint64_t>();
      if (!r.ok()) break;
      DAAS_RETURN_IF_ERROR(fn(op));
      continue;
    }
    op.collection_id = r.Read<uint32_t>();
    const uint32_t shard = r.Read<uint32_t>();
    const uint16_t slot = r.Read<uint16_t>();
    const uint64_t salt = r.Read<uint64_t>();
    op.id = DocId(salt, ShardId{shard}, slot);
    if (kind == static_cast<uint8_t>(LoggedOpKind::kPut) ||
        kind == static_cast<uint8_t>(LoggedOpKind::kInsert)) {
      op.kind = LoggedOpKind::kPut;
      op.inserted = kind == static_cast<uint8_t>(LoggedOpKind::kInsert);
      op.document = r.ReadBytes(r.Read<uint32_t>());
    } else if (kind == static_cast<uint8_t>(LoggedOpKind::kErase)) {
      op.kind = LoggedOpKind::kErase;
    } else {
      return Status::Corruption("commit record op " + std::to_string(i) + " has unknown kind " +
                                std::to_string(kind));
    }
    if (!r.ok()) break;
    if (salt == 0 || shard == 0) {
      return Status::Corruption("commit record op " + std::to_string(i) + " names the null ID");
    }
    DAAS_RETURN_IF_ERROR(fn(op));
  }
  if (!r.ok()) return Status::Corruption("commit record is truncated");
  if (r.remaining() != 0) return Status::Corruption("commit record has bytes after its last op");
  return Status::OK();
}

}  // namespace daas::storage::wal
