// SchemaChecks: the schemas one commit checks its writes against. For each collection the commit
// touches it takes one snapshot (schema, generation, indexes) at the collection's first operation,
// with a Validator borrowed from the thread's pool, and confirms under the shard locks that the
// snapshot is still current: a commit never applies a write checked against a schema that was
// replaced meanwhile.
#pragma once

#include <memory>
#include <memory_resource>
#include <string_view>
#include <vector>

#include "daas/doc_id.h"
#include "daas/status.h"
#include "engine/collection_impl.h"
#include "schema/validate.h"

namespace daas::engine {

// Not thread-safe: one per commit, used by the thread that commits.
class SchemaChecks {
 public:
  // The time the commit's checks and defaults see as @now.
  const schema::ValidationContext context;

  // `mr`: where the list of collections allocates (the commit's arena).
  explicit SchemaChecks(std::pmr::memory_resource* mr = std::pmr::get_default_resource());
  SchemaChecks(const SchemaChecks&) = delete;
  SchemaChecks& operator=(const SchemaChecks&) = delete;
  // Gives the borrowed Validators back to the thread's pool.
  ~SchemaChecks();

  // The validator for `coll`'s schema, or null when it has none.
  schema::Validator* For(CollectionImpl* coll) { return EntryOf(coll).validator.get(); }
  // SchemaViolation naming the collection, the document (when it has an ID yet) and every
  // violation of `document` (replacing `previous` when not empty).
  Status Check(schema::Validator* v, CollectionImpl* coll, DocId id, std::string_view document,
               std::string_view previous);
  // Makes sure `coll` has its snapshot, so that StillCurrent watches its schema.
  void Watch(CollectionImpl* coll) { EntryOf(coll); }
  // Adds to *out the collections whose snapshot takes no writes yet (a migration runs, or their
  // indexes are being built): a commit waits for those before it writes.
  void Paused(std::vector<CollectionImpl*>* out) const;
  // `coll`'s unique and ref indexes in its snapshot, or null.
  index::IndexSet* Indexes(CollectionImpl* coll) { return EntryOf(coll).snapshot.indexes.get(); }
  // Conflict when a collection's schema changed since its snapshot; those collections are added
  // to *changed. Call under the shard locks.
  Status StillCurrent(std::vector<CollectionImpl*>* changed) const;

 private:
  struct Entry {
    CollectionImpl* coll;
    CollectionImpl::SchemaSnapshot snapshot;
    std::unique_ptr<schema::Validator> validator;
  };
  Entry& EntryOf(CollectionImpl* coll);

  std::pmr::vector<Entry> entries_;
  std::vector<schema::Violation> violations_;
};

}  // namespace daas::engine
