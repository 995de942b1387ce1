// CursorImpl: the Cursor of daas.hpp. It copies one step's documents out of one shard under the
// shard's read lock (CollectionImpl::ScanShard from the resume slot), releases it, and hands them
// out one by one; between steps it holds nothing but its position (and the snapshot it reads, if
// any: then every step reads as of the snapshot's LSN, so the whole walk sees one state).
//
// Invariant: every document before (next_shard_, next_slot_) in ID order was returned or did not
// match; none after it was returned.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daas/daas.hpp"
#include "engine/snapshot_registry.h"
#include "expr/evaluator.h"
#include "expr/program.h"

namespace daas::engine {

class CollectionImpl;

// Not thread-safe (daas.hpp).
class CursorImpl final : public Cursor {
 public:
  // Per step: at most this many documents, or about this many bytes (at least one document).
  static constexpr size_t kStepDocuments = 512;
  static constexpr size_t kStepBytes = 256 << 10;

  // With `snapshot` (not null), the cursor reads the collection as of the snapshot's LSN, and
  // fails once the snapshot expired or closed; without, each step reads its shard as it is then.
  CursorImpl(const CollectionImpl* coll, std::optional<expr::Program> filter,
             std::optional<DocId> after,
             std::shared_ptr<const SnapshotRegistry::State> snapshot = nullptr);

  Result<bool> Next(DocId* id, std::string_view* document) override;

 private:
  // Reads the next step into the buffer; leaves it empty at the end of the collection.
  Status Fill();

  const CollectionImpl* const coll_;
  const std::optional<expr::Program> filter_;
  const std::shared_ptr<const SnapshotRegistry::State> snapshot_;
  std::optional<expr::Evaluator> evaluator_;
  uint32_t next_shard_ = 0;  // the position: the next document is at or after this shard and slot
  uint32_t next_slot_ = 0;
  bool done_ = false;
  // The step's documents: IDs and their bytes, back to back in one string.
  std::vector<DocId> ids_;
  std::vector<size_t> ends_;
  std::string bytes_;
  size_t next_ = 0;
};

}  // namespace daas::engine
