#include "engine/catalog.h"

#include <algorithm>
#include <cctype>

#include "core/quote.h"
#include "core/status_macros.h"
#include "index/ref_index.h"
#include "schema/migrate.h"

namespace daas::engine {
namespace {

constexpr size_t kMaxCollectionNameBytes = 128;

}  // namespace

Status Catalog::ValidateName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxCollectionNameBytes &&
            std::isalpha(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (ok) return Status::OK();
  return Status::InvalidArgument("invalid collection name " + core::QuoteForMessage(name) +
                                 ": use 1 to 128 letters, digits or '_', starting with a letter");
}

Result<std::unordered_map<std::string, Catalog::ParsedSchema>> Catalog::Parse(
    const storage::Manifest& m) {
  std::vector<std::string> names;
  for (const storage::ManifestCollection& mc : m.collections) {
    if (!ValidateName(mc.name).ok() ||
        std::find(names.begin(), names.end(), mc.name) != names.end()) {
      return Status::Corruption("MANIFEST: bad or repeated collection " +
                                core::QuoteForMessage(mc.name));
    }
    names.push_back(mc.name);
  }
  // A ref field may name any collection, so schemas are parsed once every name is known.
  auto parse = [&](const std::string& name, const std::string& json,
                   const char* what) -> Result<std::shared_ptr<const schema::CollectionSchema>> {
    Result<schema::CollectionSchema> parsed = schema::ParseCollectionSchema(name, json, names);
    if (!parsed.ok()) {
      return Status::Corruption("MANIFEST: " + std::string(what) + " of collection " +
                                core::QuoteForMessage(name) +
                                " does not parse: " + std::string(parsed.status().message()));
    }
    return std::make_shared<const schema::CollectionSchema>(std::move(*parsed));
  };
  std::unordered_map<std::string, ParsedSchema> out;
  for (const storage::ManifestCollection& mc : m.collections) {
    if (mc.schema.empty()) {
      if (!mc.migrating_from.empty()) {
        return Status::Corruption("MANIFEST: collection " + core::QuoteForMessage(mc.name) +
                                  " is migrating but has no schema");
      }
      continue;
    }
    ParsedSchema& c = out[mc.name];
    DAAS_ASSIGN_OR_RETURN(c.schema, parse(mc.name, mc.schema, "the schema"));
    if (mc.migrating_from.empty()) continue;
    DAAS_ASSIGN_OR_RETURN(auto from, parse(mc.name, mc.migrating_from, "the migration source"));
    Result<schema::SchemaDiff> diff = schema::DiffSchemas(*from, *c.schema);
    if (!diff.ok()) {
      return Status::Corruption("MANIFEST: the migration of collection " +
                                core::QuoteForMessage(mc.name) + ": " +
                                std::string(diff.status().message()));
    }
    c.migration = std::make_shared<const CollectionImpl::Migration>(
        CollectionImpl::Migration{std::move(from), mc.migrating_from, std::move(*diff)});
  }
  return out;
}

Result<CollectionImpl*> Catalog::Find(std::string_view name) const {
  if (CollectionImpl* c = FindLive(name)) return c;
  return Status::NotFound("no collection " + core::QuoteForMessage(name));
}

CollectionImpl* Catalog::FindLive(std::string_view name) const {
  core::MutexLock l(&mu_);
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

CollectionImpl* Catalog::ById(uint32_t id) const {
  core::MutexLock l(&mu_);
  for (const auto& c : all_) {
    if (c->id() == id) return c.get();
  }
  return nullptr;
}

std::vector<CollectionImpl*> Catalog::Live(uint32_t* next_id) const {
  core::MutexLock l(&mu_);
  std::vector<CollectionImpl*> out;
  out.reserve(by_name_.size());
  for (const auto& [name, coll] : by_name_) out.push_back(coll);
  if (next_id != nullptr) *next_id = next_id_;
  return out;
}

std::vector<std::string> Catalog::Names() const {
  core::MutexLock l(&mu_);
  std::vector<std::string> names;
  names.reserve(by_name_.size());
  for (const auto& [name, coll] : by_name_) names.push_back(name);
  return names;
}

std::string Catalog::ReferencedBy(std::string_view name, const CollectionImpl* except) const {
  std::string out;
  for (CollectionImpl* coll : Live()) {
    if (coll == except) continue;
    const auto snap = coll->schema();
    if (snap.schema == nullptr) continue;
    std::vector<std::string> paths;
    const auto fields = index::RefFields(*snap.schema, &paths);
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i]->ref_collection != name) continue;
      out += (out.empty() ? "" : ", ") + coll->name() + "." + paths[i];
    }
  }
  return out.empty() ? out
                     : "collection " + core::QuoteForMessage(name) + " is referenced by " + out;
}

Result<CollectionImpl*> Catalog::Create(std::string_view name) {
  core::MutexLock l(&mu_);
  if (by_name_.count(name) != 0) {
    return Status::AlreadyExists("collection " + core::QuoteForMessage(name) + " already exists");
  }
  all_.push_back(std::make_unique<CollectionImpl>(services_, next_id_++, std::string(name)));
  by_name_.emplace(std::string(name), all_.back().get());
  return all_.back().get();
}

CollectionImpl* Catalog::Restore(uint32_t id, std::string name) {
  core::MutexLock l(&mu_);
  all_.push_back(std::make_unique<CollectionImpl>(services_, id, name));
  by_name_.emplace(std::move(name), all_.back().get());
  return all_.back().get();
}

void Catalog::RestoreNextId(uint32_t next_id) {
  core::MutexLock l(&mu_);
  next_id_ = next_id;
}

Status Catalog::Rename(CollectionImpl* coll, std::string_view to) {
  core::MutexLock l(&mu_);
  if (by_name_.count(to) != 0) {
    return Status::AlreadyExists("collection " + core::QuoteForMessage(to) + " already exists");
  }
  by_name_.erase(by_name_.find(coll->name()));
  by_name_.emplace(std::string(to), coll);
  coll->set_name(std::string(to));
  return Status::OK();
}

void Catalog::Remove(CollectionImpl* coll) {
  {
    core::MutexLock l(&mu_);
    by_name_.erase(by_name_.find(coll->name()));
  }
  coll->MarkDropped();
}

}  // namespace daas::engine
