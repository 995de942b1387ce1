// Catalog: the database's collections by name and by ID.
//
// State, under mu_: the live collections by name, every collection ever opened here (dropped ones
// too, so Collection* handles stay valid until the database is destroyed), and the next collection
// ID. Changes to the catalog are made under the Checkpointer's lock, which writes them to the
// manifest; mu_ only keeps readers consistent.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "engine/collection_impl.h"
#include "storage/manifest.h"

namespace daas::engine {

class Catalog {
 public:
  explicit Catalog(const CollectionServices& services) : services_(services) {}
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // InvalidArgument unless `name` is 1 to 128 letters, digits or '_', starting with a letter.
  static Status ValidateName(std::string_view name);

  // A collection's schema as the manifest records it, parsed: what it is, and, while it migrates,
  // the migration from the one before.
  struct ParsedSchema {
    std::shared_ptr<const schema::CollectionSchema> schema;
    std::shared_ptr<const CollectionImpl::Migration> migration;
  };
  // What open requires of a manifest's catalog beyond storage::DecodeManifest: valid, distinct
  // collection names, and schemas and migration sources that parse and diff. The parsed schemas by
  // collection name (collections without one are left out); Corruption naming the collection.
  static Result<std::unordered_map<std::string, ParsedSchema>> Parse(const storage::Manifest& m);
  // Parse's verdict alone: the CatalogCheck of CheckDatabase (backup.h).
  static Status Check(const storage::Manifest& m) { return Parse(m).status(); }

  // The live collection named `name`; NotFound naming it.
  Result<CollectionImpl*> Find(std::string_view name) const DAAS_EXCLUDES(mu_);
  // The live collection named `name`, or null.
  CollectionImpl* FindLive(std::string_view name) const DAAS_EXCLUDES(mu_);
  // The collection with ID `id`, dropped ones included; null when there is none.
  CollectionImpl* ById(uint32_t id) const DAAS_EXCLUDES(mu_);
  // The live collections by name, and, when `next_id` is not null, the next collection ID, read
  // together (what the manifest records).
  std::vector<CollectionImpl*> Live(uint32_t* next_id = nullptr) const DAAS_EXCLUDES(mu_);
  std::vector<std::string> Names() const DAAS_EXCLUDES(mu_);
  // "collection 'users' is referenced by posts.author": the live schemas with a ref to `name`
  // (other than `except`'s), empty when none.
  std::string ReferencedBy(std::string_view name, const CollectionImpl* except) const;

  // A new live collection named `name` (already validated) with the next ID; AlreadyExists.
  Result<CollectionImpl*> Create(std::string_view name) DAAS_EXCLUDES(mu_);
  // A collection the manifest records (open). Requires: no other thread uses the database yet.
  CollectionImpl* Restore(uint32_t id, std::string name) DAAS_EXCLUDES(mu_);
  // The next collection ID the manifest records (open).
  void RestoreNextId(uint32_t next_id) DAAS_EXCLUDES(mu_);
  // Renames `coll`, live, to `to` (already validated); AlreadyExists.
  Status Rename(CollectionImpl* coll, std::string_view to) DAAS_EXCLUDES(mu_);
  // Takes `coll` out of the live collections and marks it dropped (a drop, or taking back a
  // Create the manifest did not record). Its handle stays valid.
  void Remove(CollectionImpl* coll) DAAS_EXCLUDES(mu_);

 private:
  const CollectionServices services_;
  mutable core::Mutex mu_;
  std::map<std::string, CollectionImpl*, std::less<>> by_name_ DAAS_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<CollectionImpl>> all_ DAAS_GUARDED_BY(mu_);
  uint32_t next_id_ DAAS_GUARDED_BY(mu_) = 1;
};

}  // namespace daas::engine
