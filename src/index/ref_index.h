// Refs between documents (docs/indexes.md, "Refs"): which documents of a collection point at
// each target through one `ref` field (RefIndex), and the ref values of a document (CollectRefs,
// ClearRefs). The engine keeps a RefIndex per ref field of every collection with a schema, and
// reads it when a target is deleted (onDelete restrict, cascade, setNull).
//
// Invariant: Referrers(t) lists each document whose field holds t, once, however many times the
// field holds it (an array of refs may repeat a target). Thread-safe, striped like UniqueIndex.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "daas/doc_id.h"
#include "schema/schema.h"

namespace daas::index {

struct DocIdHash {
  size_t operator()(const DocId& id) const {
    return static_cast<size_t>(id.salt() ^ (uint64_t{id.shard().value} << 16) ^ id.slot());
  }
};

class RefIndex {
 public:
  RefIndex() = default;
  RefIndex(const RefIndex&) = delete;
  RefIndex& operator=(const RefIndex&) = delete;

  // One more / one fewer occurrence of `target` in `referrer`'s field.
  void Add(DocId target, DocId referrer);
  void Remove(DocId target, DocId referrer);
  // The documents whose field holds `target`, in storage order.
  std::vector<DocId> Referrers(DocId target) const;

 private:
  static constexpr size_t kStripes = 16;
  struct Stripe {
    mutable core::Mutex mu;
    // target -> (referrer, occurrences)
    std::unordered_map<DocId, std::vector<std::pair<DocId, uint32_t>>, DocIdHash> map
        DAAS_GUARDED_BY(mu);
  };
  Stripe& StripeOf(DocId target) const { return stripes_[DocIdHash{}(target) % kStripes]; }
  mutable std::array<Stripe, kStripes> stripes_;
};

// One ref a document holds.
struct RefValue {
  const schema::Field* field;  // the ref field (for its target collection and onDelete)
  size_t ref_slot;             // the field's position among the schema's ref fields (RefFields)
  DocId target;
};

// Every ref field of a collection schema, at any depth through objects and arrays, in a fixed
// order: the engine keeps one RefIndex per entry. `paths` receives their dotted paths.
std::vector<const schema::Field*> RefFields(const schema::CollectionSchema& schema,
                                            std::vector<std::string>* paths);

// Appends every non-null ref value of `document`; `fields` is RefFields(schema). Values that are
// not well-formed IDs are skipped (validation reports them). Requires: a validated document.
void CollectRefs(const schema::CollectionSchema& schema,
                 const std::vector<const schema::Field*>& fields, std::string_view document,
                 std::vector<RefValue>* out);

// `document` with every ref to `target` cleared (onDelete setNull): a ref field holding it is set
// to null, and it is removed from arrays of refs. Requires: a validated document.
std::string ClearRefs(const schema::CollectionSchema& schema, std::string_view document,
                      DocId target);

}  // namespace daas::index
