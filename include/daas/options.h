// Options for opening a database, and the document limits it enforces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace daas {

// Limits every stored document must respect; a document over any of them is refused with
// ResourceExhausted naming the limit, and nothing is stored.
// Hard ceilings: Database::Open refuses limits above them (InvalidArgument).
inline constexpr size_t kMaxDocumentBytesCeiling = (size_t{1} << 31) - 1;
inline constexpr uint32_t kMaxDocumentDepthCeiling = 1000;

struct DocumentLimits {
  // Encoded MessagePack size of one document. 16 MiB, as MongoDB's BSON limit.
  size_t max_size_bytes = 16u << 20;
  // Nesting depth of maps and arrays; the document's own map is depth 1.
  uint32_t max_depth = 100;
  // Length of one map key, in bytes.
  uint32_t max_key_bytes = 1024;
};

struct Options {
  // Directory holding the database. Empty means in-memory: nothing is read or written to disk, and
  // everything is gone when the Database is closed.
  std::string dir;
  // Create `dir` (and the database in it) when missing. When false, opening a directory without a
  // database fails with NotFound.
  bool create_if_missing = true;
  DocumentLimits limits;
};

}  // namespace daas
