// The indexes a collection's schema asks for (docs/indexes.md): one UniqueIndex per unique field
// and compound key, one RefIndex per ref field. Built from the stored documents when a schema is
// installed (SetSchema) or after open, and maintained by every commit under its shard locks.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daas/doc_id.h"
#include "index/ref_index.h"
#include "index/unique_index.h"
#include "schema/schema.h"
#include "schema/validate.h"

namespace daas::index {

class IndexSet {
 public:
  // The indexes of `schema`, empty; null when it asks for none. `schema` must outlive the set (the
  // collection's snapshot holds both).
  static std::shared_ptr<IndexSet> For(std::shared_ptr<const schema::CollectionSchema> schema);

  const schema::CollectionSchema& schema() const { return *schema_; }
  const std::vector<const schema::Field*>& ref_fields() const { return ref_fields_; }
  const std::string& ref_path(size_t i) const { return ref_paths_[i]; }
  RefIndex& refs(size_t i) { return *refs_[i]; }
  size_t unique_count() const { return unique_.size(); }

  // The changes a write makes to the indexes: `before` and `after` are the document's old and
  // new bytes (empty: it did not exist / no longer does). A commit computes each document's
  // KeyChanges once, releases every key of all its writes, then claims the new ones, so a batch
  // may move a key from one document to another. `undo` may be null (building the set).
  struct Undo;
  struct KeyChange {
    size_t index;                         // of the UniqueIndex
    std::optional<std::string> released;  // the old key, when the document had one
    std::optional<std::string> claimed;   // the new key, when the document has one
  };
  // The unique keys that differ between `before` and `after`.
  std::vector<KeyChange> KeyChanges(std::string_view before, std::string_view after) const;
  void ReleaseKeys(DocId id, const std::vector<KeyChange>& keys, Undo* undo);
  // Claims the new keys; on a taken key appends a validation_unique violation naming the holder
  // (`after` gives the values) and returns false.
  bool ClaimKeys(DocId id, std::string_view after, const std::vector<KeyChange>& keys, Undo* undo,
                 std::vector<schema::Violation>* violations);
  // Moves the document's refs from those of `before` to those of `after`.
  void UpdateRefs(DocId id, std::string_view before, std::string_view after, Undo* undo);

  // Adds a stored document (building the set). False with a violation when a unique key is taken.
  bool Add(DocId id, std::string_view document, std::vector<schema::Violation>* violations);

  // validation_ref for a document whose ref field `slot` points at `target`, which does not exist.
  schema::Violation MissingTarget(size_t slot, DocId target) const;

  struct Undo {
    struct Step {
      enum Kind { kClaimed, kReleased, kRefAdded, kRefRemoved } kind;
      IndexSet* set;
      size_t index;
      std::string key;  // unique steps
      DocId target;     // ref steps
      DocId id;
    };
    std::vector<Step> steps;
    // Reverses every step, newest first.
    void Rollback();
  };

 private:
  explicit IndexSet(std::shared_ptr<const schema::CollectionSchema> schema);

  std::shared_ptr<const schema::CollectionSchema> schema_;
  std::vector<std::unique_ptr<UniqueIndex>> unique_;
  std::vector<const schema::Field*> ref_fields_;
  std::vector<std::string> ref_paths_;
  std::vector<std::unique_ptr<RefIndex>> refs_;
};

}  // namespace daas::index
