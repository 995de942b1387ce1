// Schema changes: one collection's (Collection::SetSchema) or a whole schema file's, atomically
// (Database::ApplySchemaFile); and the schema file and TypeScript types of what is installed.
//
// A change runs under the Checkpointer's lock, which makes changes one at a time and writes the
// manifest that records them. The stored documents are checked against the new schema (migrated
// first, when the change rewrites them) under the shared locks of the collection's shards and of
// its refs' targets, and the schema is installed while those are held, so no write lands
// unchecked. Changes that rewrite documents then run as migrations (migration.cc).
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/status_macros.h"
#include "engine/database_impl.h"
#include "engine/shard_lock_set.h"
#include "expr/evaluator.h"
#include "index/ref_index.h"
#include "schema/migrate.h"
#include "schema/typescript.h"
#include "schema/validate.h"

namespace daas::engine {
namespace {

// The check of the stored documents before a schema is installed: each document as it will be
// (migrated, when the change rewrites documents) against the schema, its unique keys into the new
// index::IndexSet, its refs' targets in `targets` (whose shards the caller holds read-locked).
class SchemaPreview {
 public:
  SchemaPreview(std::string name, const schema::CollectionSchema& to,
                const CollectionImpl::Migration* migration, index::IndexSet* indexes,
                const std::map<std::string, CollectionImpl*, std::less<>>& targets)
      : name_(std::move(name)),
        to_(to),
        migration_(migration),
        indexes_(indexes),
        targets_(targets),
        validator_(to, context_) {}

  // Records the violations of one stored document. Errors only when it cannot be checked (an
  // expression over its budget).
  Status Check(DocId id, std::string_view document) {
    violations_.clear();
    std::string migrated;
    if (migration_ != nullptr) {
      Result<std::string> m =
          schema::MigrateDocument(migration_->diff, *migration_->from, to_, document, context_);
      if (!m.ok()) return m.status().WithContext("document '" + id.ToString() + "'");
      migrated = std::move(*m);
      document = migrated;
    }
    Result<size_t> n =
        validator_.Validate(document, schema::ValidationMode::kCreate, {}, &violations_);
    if (!n.ok()) return n.status().WithContext("document '" + id.ToString() + "'");
    if (indexes_ != nullptr) {
      indexes_->Add(id, document, &violations_);
      refs_.clear();
      index::CollectRefs(to_, indexes_->ref_fields(), document, &refs_);
      for (const index::RefValue& r : refs_) {
        storage::Shard* ts = targets_.at(r.field->ref_collection)->FindShard(r.target);
        std::string_view unused;
        if (ts == nullptr || !ts->Get(r.target.slot(), r.target.salt(), &unused)) {
          violations_.push_back(indexes_->MissingTarget(r.ref_slot, r.target));
        }
      }
    }
    if (!violations_.empty() && ++bad_ <= 3) {
      report_ +=
          "; " + std::string(schema::ViolationStatus(name_, id.ToString(), violations_).message());
    }
    return Status::OK();
  }

  // SchemaViolation when any document broke the schema: how many, and the first three.
  Status Verdict() const {
    if (bad_ == 0) return Status::OK();
    return Status::SchemaViolation(
        std::to_string(bad_) + " stored document(s) of collection '" + name_ + "' break the " +
        (migration_ != nullptr ? "new schema once migrated" : "new schema") + ", nothing changed" +
        report_);
  }

 private:
  const std::string name_;
  const schema::CollectionSchema& to_;
  const CollectionImpl::Migration* migration_;
  index::IndexSet* indexes_;
  const std::map<std::string, CollectionImpl*, std::less<>>& targets_;
  const schema::ValidationContext context_{expr::SystemNowMicros()};
  schema::Validator validator_;
  std::vector<schema::Violation> violations_;
  std::vector<index::RefValue> refs_;
  std::string report_;
  size_t bad_ = 0;
};

}  // namespace

Status DatabaseImpl::SetSchema(CollectionImpl* coll, std::string_view schema_json) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DAAS_RETURN_IF_ERROR(log_.StickyError());
  const std::string name = coll->name();
  std::shared_ptr<const schema::CollectionSchema> parsed;
  std::string canonical;
  if (!schema_json.empty()) {
    Result<schema::CollectionSchema> p =
        schema::ParseCollectionSchema(name, schema_json, catalog_.Names());
    if (!p.ok()) return p.status().WithContext("schema of collection '" + name + "'");
    canonical = schema::SerializeCollection(*p);
    parsed = std::make_shared<const schema::CollectionSchema>(std::move(*p));
  }
  bool migrate = false;
  for (;;) {
    // A change waits for the migration of the one before it.
    DAAS_RETURN_IF_ERROR(AwaitWritable(coll));
    core::MutexLock cp(checkpointer_.mu());
    if (coll->schema().migration != nullptr) continue;  // another change started meanwhile
    DAAS_RETURN_IF_ERROR(SetSchemaLocked(coll, parsed, canonical, &migrate));
    break;
  }
  if (!migrate) return Status::OK();
  // The change is committed: it stays, and a failure below is resumed by the next open.
  return RunMigration(coll);
}

Status DatabaseImpl::ApplySchemaFile(std::string_view schema_file,
                                     std::vector<std::string>* changed) {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  DAAS_RETURN_IF_ERROR(log_.StickyError());
  DAAS_ASSIGN_OR_RETURN(const schema::Schema file, schema::ParseSchemaFile(schema_file));
  for (const schema::CollectionSchema& c : file.collections) {
    DAAS_RETURN_IF_ERROR(Catalog::ValidateName(c.name));
  }
  if (changed != nullptr) changed->clear();
  std::vector<CollectionImpl*> migrate;
  for (;;) {
    // A change waits for the migrations running in its collections, as SetSchema does.
    for (const schema::CollectionSchema& c : file.collections) {
      if (CollectionImpl* coll = catalog_.FindLive(c.name))
        DAAS_RETURN_IF_ERROR(AwaitWritable(coll));
    }
    core::MutexLock cp(checkpointer_.mu());
    bool migrating = false;
    for (const schema::CollectionSchema& c : file.collections) {
      CollectionImpl* coll = catalog_.FindLive(c.name);
      if (coll != nullptr && coll->schema().migration != nullptr) migrating = true;
    }
    if (migrating) continue;  // one started meanwhile
    // Everything in memory first: missing collections, then each changed schema, checked against
    // the stored documents and installed. Then one manifest names all of it, or, on any failure,
    // everything is put back as it was: all or nothing.
    std::vector<CollectionImpl*> created;
    struct Installed {
      CollectionImpl* coll;
      CollectionImpl::SchemaSnapshot old;
      std::string old_json;
      bool migrate = false;
    };
    std::vector<Installed> installed;
    auto undo = [&] {
      for (auto it = installed.rbegin(); it != installed.rend(); ++it) {
        it->coll->InstallSchema(it->old.schema, it->old_json, nullptr, 0, it->old.indexes,
                                it->old.indexes_pending);
      }
      for (CollectionImpl* c : created) catalog_.Remove(c);
    };
    for (const schema::CollectionSchema& c : file.collections) {
      if (catalog_.FindLive(c.name) != nullptr) continue;
      Result<CollectionImpl*> coll = catalog_.Create(c.name);
      if (!coll.ok()) {
        undo();
        return coll.status();
      }
      created.push_back(*coll);
    }
    // No write lands in the file's collections until all of it is in, or all of it undone.
    std::vector<CollectionImpl*> held;
    for (const schema::CollectionSchema& c : file.collections) {
      CollectionImpl* coll = catalog_.FindLive(c.name);
      coll->HoldWrites(true);
      held.push_back(coll);
    }
    struct Release {
      std::vector<CollectionImpl*>& held;
      ~Release() {
        for (CollectionImpl* c : held) c->HoldWrites(false);
      }
    } release{held};
    Status s;
    const std::vector<std::string> names = catalog_.Names();
    for (const schema::CollectionSchema& c : file.collections) {
      CollectionImpl* coll = catalog_.FindLive(c.name);
      const std::string canonical = schema::SerializeCollection(c);
      if (coll->schema_json() == canonical) continue;
      Result<schema::CollectionSchema> parsed =
          schema::ParseCollectionSchema(c.name, canonical, names);
      if (!parsed.ok()) {
        s = parsed.status();
        break;
      }
      Installed in{coll, coll->schema(), coll->schema_json()};
      s = SetSchemaLocked(coll,
                          std::make_shared<const schema::CollectionSchema>(std::move(*parsed)),
                          canonical, &in.migrate, /*commit=*/false);
      if (!s.ok()) break;
      installed.push_back(std::move(in));
    }
    if (s.ok() && (!created.empty() || !installed.empty())) s = checkpointer_.CommitCatalogChange();
    if (!s.ok()) {
      undo();
      return s.WithContext("the schema file was not applied (nothing changed)");
    }
    for (const Installed& in : installed) {
      if (changed != nullptr) changed->push_back(in.coll->name());
      if (in.migrate) migrate.push_back(in.coll);
    }
    break;
  }
  // Committed: migrations that rewrite stored documents run now, as for SetSchema.
  for (CollectionImpl* coll : migrate) DAAS_RETURN_IF_ERROR(RunMigration(coll));
  return Status::OK();
}

Result<schema::Schema> DatabaseImpl::CurrentSchemas() const {
  DAAS_RETURN_IF_ERROR(CheckOpen());
  const std::vector<std::string> names = catalog_.Names();
  schema::Schema all;
  for (CollectionImpl* c : catalog_.Live()) {
    const std::string json = c->schema_json();
    if (json.empty()) continue;
    DAAS_ASSIGN_OR_RETURN(schema::CollectionSchema parsed,
                          schema::ParseCollectionSchema(c->name(), json, names));
    all.collections.push_back(std::move(parsed));
  }
  return all;
}

Result<std::string> DatabaseImpl::GetSchemaFile() const {
  DAAS_ASSIGN_OR_RETURN(const schema::Schema all, CurrentSchemas());
  return schema::SerializeSchema(all);
}

Result<std::string> DatabaseImpl::TypeScript() const {
  DAAS_ASSIGN_OR_RETURN(const schema::Schema all, CurrentSchemas());
  return schema::GenerateTypeScript(all);
}

Status DatabaseImpl::SetSchemaLocked(CollectionImpl* coll,
                                     std::shared_ptr<const schema::CollectionSchema> parsed,
                                     std::string canonical, bool* migrate, bool commit) {
  const std::string name = coll->name();
  // The Checkpointer's lock is held from reading the current schema to installing the new one:
  // schema changes run one at a time, so the version check compares against the schema replaced.
  const CollectionImpl::SchemaSnapshot old = coll->schema();
  const std::string old_json = coll->schema_json();
  std::shared_ptr<const CollectionImpl::Migration> migration;
  if (parsed != nullptr && old.schema != nullptr) {
    if (parsed->version <= old.schema->version) {
      return Status::InvalidArgument(
          "schema of collection '" + name + "': version " + std::to_string(parsed->version) +
          " must be above the current " + std::to_string(old.schema->version));
    }
    DAAS_ASSIGN_OR_RETURN(schema::SchemaDiff diff, schema::DiffSchemas(*old.schema, *parsed));
    if (diff.rewrites_documents) {
      migration = std::make_shared<const CollectionImpl::Migration>(
          CollectionImpl::Migration{old.schema, old_json, std::move(diff)});
    }
  }
  if (coll->dropped()) return Status::NotFound(coll->Describe() + " was dropped");
  // Shared locks on every shard of the collection: readers go on, writers wait. The schema is
  // installed only while they are all held and no shard can be added (InstallSchemaIfShards), so
  // no write lands unchecked: a commit that validated against the old schema sees the new
  // generation under its locks and starts over. A shard added during the check is checked on the
  // next round. Each stored document is checked as it will be: migrated, when the change
  // rewrites documents.
  // The collections the new schema's refs point at: their shards are read-locked too, so that no
  // target is deleted between its check and the install.
  std::vector<CollectionImpl*> targets;
  std::map<std::string, CollectionImpl*, std::less<>> target_by_name;
  if (parsed != nullptr) {
    for (const schema::Field* f : index::RefFields(*parsed, nullptr)) {
      CollectionImpl* t = f->ref_collection == name ? coll : catalog_.FindLive(f->ref_collection);
      if (t == nullptr) {
        return Status::InvalidArgument("schema of collection '" + name +
                                       "': a ref points at collection '" + f->ref_collection +
                                       "', which does not exist");
      }
      target_by_name[f->ref_collection] = t;
      if (std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(t);
    }
  }
  std::vector<storage::Shard*> shards = coll->Shards();
  for (bool installed = false; !installed; shards = coll->Shards()) {
    std::vector<storage::Shard*> read = shards;
    for (CollectionImpl* t : targets) {
      for (storage::Shard* shard : t->Shards()) {
        DAAS_RETURN_IF_ERROR(t->LoadShard(shard));
        read.push_back(shard);
      }
    }
    for (storage::Shard* shard : shards) DAAS_RETURN_IF_ERROR(coll->LoadShard(shard));
    ShardLockSet locks(std::vector<storage::Shard*>(), read);
    std::shared_ptr<index::IndexSet> indexes = index::IndexSet::For(parsed);
    if (parsed != nullptr) {
      SchemaPreview preview(name, *parsed, migration.get(), indexes.get(), target_by_name);
      Status error;
      for (const storage::Shard* shard : shards) {
        shard->ForEach([&](DocId id, std::string_view document) {
          error = preview.Check(id, document);
          return error.ok();
        });
        DAAS_RETURN_IF_ERROR(error);
      }
      DAAS_RETURN_IF_ERROR(preview.Verdict());
    }
    installed = coll->InstallSchemaIfShards(shards.size(), parsed, canonical, migration,
                                            std::move(indexes));
  }
  if (!commit) {
    *migrate = migration != nullptr;
    return Status::OK();
  }
  if (Status s = checkpointer_.CommitCatalogChange(); !s.ok()) {
    coll->InstallSchema(old.schema, old_json);
    return s;
  }
  *migrate = migration != nullptr;
  return Status::OK();
}

}  // namespace daas::engine
