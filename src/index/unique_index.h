// UniqueIndex: which document holds each key of a unique constraint (a field, or a compound key
// of several), for one collection. Maintained by the engine inside commits (docs/indexes.md).
//
// Invariant: a key maps to at most one document. Thread-safe: the map is split into stripes by
// key hash, each under its own mutex, so commits on different shards claim keys concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "daas/doc_id.h"

namespace daas::index {

class UniqueIndex {
 public:
  // `fields`: the top-level field names whose values form the key, in order.
  explicit UniqueIndex(std::vector<std::string> fields) : fields_(std::move(fields)) {}
  UniqueIndex(const UniqueIndex&) = delete;
  UniqueIndex& operator=(const UniqueIndex&) = delete;

  const std::vector<std::string>& fields() const { return fields_; }
  // The key of `document` (KeyOf), nullopt when it is not indexed (a field missing or null).
  std::optional<std::string> KeyOf(std::string_view document) const;

  // Claims `key` for `id`: nullopt when it was free (it is `id`'s now) or already `id`'s;
  // otherwise the document that holds it, and nothing changes.
  std::optional<DocId> Claim(const std::string& key, DocId id);
  // Frees `key` if `id` holds it.
  void Release(const std::string& key, DocId id);
  std::optional<DocId> Find(const std::string& key) const;
  size_t size() const;

 private:
  static constexpr size_t kStripes = 16;
  struct Stripe {
    mutable core::Mutex mu;
    std::unordered_map<std::string, DocId> map DAAS_GUARDED_BY(mu);
  };
  Stripe& StripeOf(const std::string& key) const;

  const std::vector<std::string> fields_;
  mutable std::array<Stripe, kStripes> stripes_;
};

}  // namespace daas::index
