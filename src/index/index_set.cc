#include "index/index_set.h"

#include <algorithm>

#include "doc/json.h"
#include "doc/msgpack_reader.h"

namespace daas::index {
namespace {

std::string KeyName(const std::vector<std::string>& fields) {
  std::string out;
  for (const std::string& f : fields) out += (out.empty() ? "" : "+") + f;
  return out;
}

// "email" = "ann@example.com", or (a, b) = (1, "x"), for a message.
std::string KeyText(const std::vector<std::string>& fields, std::string_view document) {
  std::string out;
  for (const std::string& f : fields) {
    std::optional<doc::Value> v = doc::FindField(document, f);
    std::string text;
    if (v) doc::MsgpackToJson(v->raw, &text);
    if (text.size() > schema::kMaxValueTextBytes)
      text = text.substr(0, schema::kMaxValueTextBytes) + "...";
    out += (out.empty() ? "" : ", ") + text;
  }
  return fields.size() == 1 ? out : "(" + out + ")";
}

}  // namespace

IndexSet::IndexSet(std::shared_ptr<const schema::CollectionSchema> schema)
    : schema_(std::move(schema)) {
  for (const schema::Field& f : schema_->root.fields) {
    if (f.unique) unique_.push_back(std::make_unique<UniqueIndex>(std::vector{f.name}));
  }
  for (const schema::UniqueKey& k : schema_->unique) {
    unique_.push_back(std::make_unique<UniqueIndex>(k.fields));
  }
  ref_fields_ = RefFields(*schema_, &ref_paths_);
  for (size_t i = 0; i < ref_fields_.size(); ++i) {
    refs_.push_back(std::make_unique<RefIndex>());
  }
}

std::shared_ptr<IndexSet> IndexSet::For(std::shared_ptr<const schema::CollectionSchema> schema) {
  if (schema == nullptr) return nullptr;
  std::shared_ptr<IndexSet> set(new IndexSet(std::move(schema)));
  if (set->unique_.empty() && set->refs_.empty()) return nullptr;
  return set;
}

std::vector<IndexSet::KeyChange> IndexSet::KeyChanges(std::string_view before,
                                                      std::string_view after) const {
  std::vector<KeyChange> out;
  for (size_t i = 0; i < unique_.size(); ++i) {
    KeyChange c{i, std::nullopt, std::nullopt};
    if (!before.empty()) c.released = unique_[i]->KeyOf(before);
    if (!after.empty()) c.claimed = unique_[i]->KeyOf(after);
    if (c.released != c.claimed) out.push_back(std::move(c));
  }
  return out;
}

void IndexSet::ReleaseKeys(DocId id, const std::vector<KeyChange>& keys, Undo* undo) {
  for (const KeyChange& c : keys) {
    if (!c.released) continue;
    unique_[c.index]->Release(*c.released, id);
    if (undo != nullptr) {
      undo->steps.push_back({Undo::Step::kReleased, this, c.index, *c.released, DocId(), id});
    }
  }
}

bool IndexSet::ClaimKeys(DocId id, std::string_view after, const std::vector<KeyChange>& keys,
                         Undo* undo, std::vector<schema::Violation>* violations) {
  bool ok = true;
  for (const KeyChange& c : keys) {
    if (!c.claimed) continue;
    if (std::optional<DocId> holder = unique_[c.index]->Claim(*c.claimed, id)) {
      const std::vector<std::string>& fields = unique_[c.index]->fields();
      violations->push_back(schema::Violation{
          schema::ViolationCode::kUnique, KeyName(fields),
          "must be unique (unique: " + KeyName(fields) + "), found " + KeyText(fields, after) +
              ", which document '" + holder->ToString() + "' has"});
      ok = false;
      continue;
    }
    if (undo != nullptr) {
      undo->steps.push_back({Undo::Step::kClaimed, this, c.index, *c.claimed, DocId(), id});
    }
  }
  return ok;
}

void IndexSet::UpdateRefs(DocId id, std::string_view before, std::string_view after, Undo* undo) {
  if (refs_.empty()) return;
  std::vector<RefValue> old_refs, new_refs;
  if (!before.empty()) CollectRefs(*schema_, ref_fields_, before, &old_refs);
  if (!after.empty()) CollectRefs(*schema_, ref_fields_, after, &new_refs);
  auto same = [](const RefValue& a, const RefValue& b) {
    return a.ref_slot == b.ref_slot && a.target == b.target;
  };
  if (std::equal(old_refs.begin(), old_refs.end(), new_refs.begin(), new_refs.end(), same)) return;
  for (const RefValue& r : old_refs) {
    refs_[r.ref_slot]->Remove(r.target, id);
    if (undo != nullptr) {
      undo->steps.push_back({Undo::Step::kRefRemoved, this, r.ref_slot, {}, r.target, id});
    }
  }
  for (const RefValue& r : new_refs) {
    refs_[r.ref_slot]->Add(r.target, id);
    if (undo != nullptr) {
      undo->steps.push_back({Undo::Step::kRefAdded, this, r.ref_slot, {}, r.target, id});
    }
  }
}

bool IndexSet::Add(DocId id, std::string_view document,
                   std::vector<schema::Violation>* violations) {
  UpdateRefs(id, {}, document, nullptr);
  return ClaimKeys(id, document, KeyChanges({}, document), nullptr, violations);
}

schema::Violation IndexSet::MissingTarget(size_t slot, DocId target) const {
  return schema::Violation{schema::ViolationCode::kRef, ref_paths_[slot],
                           "points at no document of collection '" +
                               ref_fields_[slot]->ref_collection + "', found '" +
                               target.ToString() + "'"};
}

void IndexSet::Undo::Rollback() {
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    switch (it->kind) {
      case Step::kClaimed:
        it->set->unique_[it->index]->Release(it->key, it->id);
        break;
      case Step::kReleased:
        // Only a commit whose log write failed rolls back (the database is read-only from then
        // on); a key another commit took meanwhile stays with it.
        it->set->unique_[it->index]->Claim(it->key, it->id).reset();
        break;
      case Step::kRefAdded:
        it->set->refs_[it->index]->Remove(it->target, it->id);
        break;
      case Step::kRefRemoved:
        it->set->refs_[it->index]->Add(it->target, it->id);
        break;
    }
  }
  steps.clear();
}

}  // namespace daas::index
