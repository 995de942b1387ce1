#include "index/ref_index.h"

#include <algorithm>

#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"

namespace daas::index {

void RefIndex::Add(DocId target, DocId referrer) {
  Stripe& s = StripeOf(target);
  core::MutexLock l(&s.mu);
  auto& list = s.map[target];
  for (auto& [id, n] : list) {
    if (id == referrer) {
      ++n;
      return;
    }
  }
  list.emplace_back(referrer, 1);
}

void RefIndex::Remove(DocId target, DocId referrer) {
  Stripe& s = StripeOf(target);
  core::MutexLock l(&s.mu);
  auto it = s.map.find(target);
  if (it == s.map.end()) return;
  auto& list = it->second;
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].first != referrer) continue;
    if (--list[i].second == 0) {
      list[i] = list.back();
      list.pop_back();
    }
    break;
  }
  if (list.empty()) s.map.erase(it);
}

std::vector<DocId> RefIndex::Referrers(DocId target) const {
  Stripe& s = StripeOf(target);
  std::vector<DocId> out;
  {
    core::MutexLock l(&s.mu);
    auto it = s.map.find(target);
    if (it == s.map.end()) return out;
    for (const auto& [id, n] : it->second) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

void CollectFields(const schema::ObjectSchema& object, const std::string& prefix,
                   std::vector<const schema::Field*>* out, std::vector<std::string>* paths) {
  for (const schema::Field& f : object.fields) {
    const std::string path = prefix.empty() ? f.name : prefix + "." + f.name;
    const schema::Field* leaf = &f;
    if (f.kind == schema::FieldKind::kArray && !f.items.empty()) leaf = &f.items[0];
    if (leaf->kind == schema::FieldKind::kRef) {
      out->push_back(leaf);
      if (paths != nullptr) paths->push_back(path);
    } else if (leaf->kind == schema::FieldKind::kObject && leaf->object) {
      CollectFields(*leaf->object, path, out, paths);
    }
  }
}

size_t SlotOf(const std::vector<const schema::Field*>& fields, const schema::Field* f) {
  return static_cast<size_t>(std::find(fields.begin(), fields.end(), f) - fields.begin());
}

void CollectValue(const std::vector<const schema::Field*>& fields, const schema::Field& f,
                  const doc::Value& v, std::vector<RefValue>* out);

void CollectObject(const std::vector<const schema::Field*>& fields,
                   const schema::ObjectSchema& object, const doc::Value& map,
                   std::vector<RefValue>* out) {
  if (map.type != doc::Type::kMap) return;
  std::string_view key;
  doc::Value v;
  for (doc::MapIterator it(map); it.Next(&key, &v);) {
    if (const schema::Field* f = object.Find(key)) CollectValue(fields, *f, v, out);
  }
}

void CollectValue(const std::vector<const schema::Field*>& fields, const schema::Field& f,
                  const doc::Value& v, std::vector<RefValue>* out) {
  switch (f.kind) {
    case schema::FieldKind::kRef:
      if (v.type == doc::Type::kString) {
        if (auto id = DocId::Parse(v.bytes); id.ok() && !id->is_null()) {
          out->push_back(RefValue{&f, SlotOf(fields, &f), *id});
        }
      }
      return;
    case schema::FieldKind::kArray:
      if (v.type == doc::Type::kArray && !f.items.empty()) {
        doc::Value e;
        for (doc::ArrayIterator it(v); it.Next(&e);) CollectValue(fields, f.items[0], e, out);
      }
      return;
    case schema::FieldKind::kObject:
      if (f.object) CollectObject(fields, *f.object, v, out);
      return;
    default:
      return;
  }
}

bool IsRefTo(const doc::Value& v, DocId target) {
  if (v.type != doc::Type::kString) return false;
  auto id = DocId::Parse(v.bytes);
  return id.ok() && *id == target;
}

bool HoldsRefTo(const schema::Field& f, const doc::Value& v, DocId target);

bool ObjectHoldsRefTo(const schema::ObjectSchema& object, const doc::Value& map, DocId target) {
  if (map.type != doc::Type::kMap) return false;
  std::string_view key;
  doc::Value v;
  for (doc::MapIterator it(map); it.Next(&key, &v);) {
    const schema::Field* f = object.Find(key);
    if (f != nullptr && HoldsRefTo(*f, v, target)) return true;
  }
  return false;
}

bool HoldsRefTo(const schema::Field& f, const doc::Value& v, DocId target) {
  switch (f.kind) {
    case schema::FieldKind::kRef:
      return IsRefTo(v, target);
    case schema::FieldKind::kArray: {
      if (v.type != doc::Type::kArray || f.items.empty()) return false;
      doc::Value e;
      for (doc::ArrayIterator it(v); it.Next(&e);) {
        if (HoldsRefTo(f.items[0], e, target)) return true;
      }
      return false;
    }
    case schema::FieldKind::kObject:
      return f.object && ObjectHoldsRefTo(*f.object, v, target);
    default:
      return false;
  }
}

void WriteCleared(const schema::Field& f, const doc::Value& v, DocId target, doc::Writer* w);

void WriteClearedObject(const schema::ObjectSchema& object, const doc::Value& map, DocId target,
                        doc::Writer* w) {
  w->MapHeader(map.count);
  std::string_view key;
  doc::Value v;
  for (doc::MapIterator it(map); it.Next(&key, &v);) {
    w->String(key);
    const schema::Field* f = object.Find(key);
    if (f != nullptr && HoldsRefTo(*f, v, target)) {
      WriteCleared(*f, v, target, w);
    } else {
      w->Raw(v.raw);
    }
  }
}

// Requires HoldsRefTo(f, v, target).
void WriteCleared(const schema::Field& f, const doc::Value& v, DocId target, doc::Writer* w) {
  switch (f.kind) {
    case schema::FieldKind::kRef:
      w->Nil();
      return;
    case schema::FieldKind::kArray: {
      const schema::Field& item = f.items[0];
      std::vector<doc::Value> kept;
      doc::Value e;
      for (doc::ArrayIterator it(v); it.Next(&e);) {
        if (item.kind == schema::FieldKind::kRef && IsRefTo(e, target)) continue;
        kept.push_back(e);
      }
      w->ArrayHeader(static_cast<uint32_t>(kept.size()));
      for (const doc::Value& k : kept) {
        if (HoldsRefTo(item, k, target)) {
          WriteCleared(item, k, target, w);
        } else {
          w->Raw(k.raw);
        }
      }
      return;
    }
    case schema::FieldKind::kObject:
      WriteClearedObject(*f.object, v, target, w);
      return;
    default:
      w->Raw(v.raw);
      return;
  }
}

}  // namespace

std::vector<const schema::Field*> RefFields(const schema::CollectionSchema& schema,
                                            std::vector<std::string>* paths) {
  std::vector<const schema::Field*> out;
  CollectFields(schema.root, "", &out, paths);
  return out;
}

void CollectRefs(const schema::CollectionSchema& schema,
                 const std::vector<const schema::Field*>& fields, std::string_view document,
                 std::vector<RefValue>* out) {
  if (fields.empty()) return;
  CollectObject(fields, schema.root, doc::ReadValue(document), out);
}

std::string ClearRefs(const schema::CollectionSchema& schema, std::string_view document,
                      DocId target) {
  const doc::Value root = doc::ReadValue(document);
  if (!ObjectHoldsRefTo(schema.root, root, target)) return std::string(document);
  std::string out;
  doc::Writer w(&out);
  WriteClearedObject(schema.root, root, target, &w);
  return out;
}

}  // namespace daas::index
