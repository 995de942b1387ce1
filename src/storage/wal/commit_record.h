// The payload of a commit's log record: the commit's effect on each slot, as final bytes, so replay
// is deterministic and applying a record twice changes nothing (docs/format/wal.md).
//
//   payload := op_count u32 | op{op_count}
//   op      := kind u8 = 3 | time_ms u64                  (log format 2: the first op, only there)
//            | kind u8 | collection_id u32 | shard_id u32 | slot u16 | salt u64
//              | length u32 | document [length]          (the last two for kinds 1 and 4)
//   kind    := 1 put (the slot now holds salt and document) | 2 erase (the slot is now empty)
//            | 3 time (the commit's Unix time in ms: the documents it puts were updated then, and
//              those whose slot did not hold the same salt before were created then)
//            | 4 insert (log format 2: a put of a new document; its fields are a put's)
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "daas/doc_id.h"
#include "daas/status.h"

namespace daas::storage::wal {

// On disk kInsert is its own kind; decoded, it is a kPut with `inserted` set.
enum class LoggedOpKind : uint8_t { kPut = 1, kErase = 2, kTime = 3, kInsert = 4 };

struct LoggedOp {
  LoggedOpKind kind;
  uint32_t collection_id = 0;  // kPut and kErase
  DocId id;                    // kPut and kErase
  std::string_view document;   // kPut only; points into the payload
  bool inserted = false;       // kPut: the document is new (kind 4), not a replacement
  uint64_t time_ms = 0;        // kTime only
};

class CommitRecordBuilder {
 public:
  CommitRecordBuilder() { ops_.resize(kHeaderBytes); }
  // Makes room for `ops` more ops holding `document_bytes` of documents in all (an upper bound
  // will do), so that the payload is built in one buffer, never moved.
  void Reserve(size_t ops, size_t document_bytes) {
    ops_.reserve(ops_.size() + ops * (kOpHeadBytes + 4) + document_bytes);
  }
  // The commit's time: Finish writes it as the record's first op.
  void SetTime(uint64_t time_ms) { time_ms_ = time_ms; }
  // A replaced (or patched) document; Insert: a new one.
  void Put(uint32_t collection_id, DocId id, std::string_view document);
  void Insert(uint32_t collection_id, DocId id, std::string_view document);
  void Erase(uint32_t collection_id, DocId id);
  bool empty() const { return count_ == 0; }
  // The payload; the builder is empty again afterwards.
  std::string Finish();

 private:
  // The op count (u32) and the time op (kind, u64), written by Finish in front of the ops.
  static constexpr size_t kHeaderBytes = 4 + 1 + 8;
  static constexpr size_t kOpHeadBytes = 1 + 4 + 4 + 2 + 8;
  void Head(LoggedOpKind kind, uint32_t collection_id, DocId id);
  std::string ops_;  // kHeaderBytes of room for the header, then the ops
  uint32_t count_ = 0;
  uint64_t time_ms_ = 0;
};

// Calls fn for each op of `payload`. Corruption (naming the op) if the payload is malformed: the
// record's checksum passed, so this means it was written wrong, and nothing is guessed.
Status DecodeCommitRecord(std::string_view payload,
                          const std::function<Status(const LoggedOp&)>& fn);

}  // namespace daas::storage::wal
