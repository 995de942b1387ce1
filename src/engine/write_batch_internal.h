// What the engine reads of a WriteBatch, whose operations are private to the public API (LevelDB's
// WriteBatchInternal): only the engine includes this.
#pragma once

#include <cstddef>

#include "daas/daas.hpp"

namespace daas {

class WriteBatchInternal {
 public:
  // Calls fn(type, collection, id, document, if_version) for each operation, in order.
  template <typename Fn>
  static void ForEach(const WriteBatch& batch, Fn&& fn) {
    for (const WriteBatch::Op& op : batch.ops_) {
      fn(op.type, op.collection, op.id, std::string_view(op.document), op.if_version);
    }
  }
};

}  // namespace daas
