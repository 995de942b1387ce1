#include "schema/migrate.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>

#include "core/status_macros.h"
#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"
#include "expr/datetime.h"
#include "expr/evaluator.h"
#include "expr/program.h"
#include "expr/value.h"
#include "schema/schema_internal.h"

namespace daas::schema {

const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAddField:
      return "add_field";
    case ChangeKind::kRemoveField:
      return "remove_field";
    case ChangeKind::kRenameField:
      return "rename_field";
    case ChangeKind::kChangeType:
      return "change_type";
    case ChangeKind::kTighten:
      return "tighten";
    case ChangeKind::kLoosen:
      return "loosen";
  }
  return "?";
}

namespace {

std::string TypeText(const Field& f) {
  std::string t = FieldKindName(f.kind);
  if (f.kind == FieldKind::kArray && !f.items.empty()) t += "<" + TypeText(f.items[0]) + ">";
  if (f.kind == FieldKind::kRef) t += "(" + f.ref_collection + ")";
  return t;
}

std::string Opt(const std::optional<double>& v) { return v ? internal::NumberText(*v) : "none"; }

std::string Opt(const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : "none"; }

// The canonical text of an object's constraints, for a whole-object comparison.
std::string ObjectText(const Field& f) {
  CollectionSchema c;
  if (f.object) c.root = *f.object;
  return SerializeCollection(c);
}

// Appends one kTighten or kLoosen per constraint of `b` that differs from `a`.
void CompareConstraints(const Field& a, const Field& b, std::vector<Change>* out) {
  auto add = [&](bool tighter, std::string what) {
    out->push_back(
        Change{tighter ? ChangeKind::kTighten : ChangeKind::kLoosen, b.name, "", std::move(what)});
  };
  if (a.required != b.required) add(b.required, b.required ? "required" : "no longer required");
  if (a.nullable != b.nullable) add(!b.nullable, b.nullable ? "nullable" : "no longer nullable");
  if (a.min != b.min) {
    add(b.min && (!a.min || *b.min > *a.min), "min " + Opt(a.min) + " -> " + Opt(b.min));
  }
  if (a.max != b.max) {
    add(b.max && (!a.max || *b.max < *a.max), "max " + Opt(a.max) + " -> " + Opt(b.max));
  }
  if (a.min_length != b.min_length) {
    add(b.min_length && (!a.min_length || *b.min_length > *a.min_length),
        "minLength " + Opt(a.min_length) + " -> " + Opt(b.min_length));
  }
  if (a.max_length != b.max_length) {
    add(b.max_length && (!a.max_length || *b.max_length < *a.max_length),
        "maxLength " + Opt(a.max_length) + " -> " + Opt(b.max_length));
  }
  if (a.pattern != b.pattern) add(!b.pattern.empty(), "pattern '" + b.pattern + "'");
  if (a.format != b.format) {
    add(b.format != StringFormat::kNone,
        std::string("format '") + StringFormatName(b.format) + "'");
  }
  if (a.enum_values != b.enum_values) {
    bool subset = !b.enum_values.empty() && !a.enum_values.empty();
    for (const std::string& e : a.enum_values) {
      subset =
          subset && std::find(b.enum_values.begin(), b.enum_values.end(), e) != b.enum_values.end();
    }
    // A superset of the old values loosens; anything else may reject stored values.
    add(!(subset || b.enum_values.empty()), "enum changed");
  }
  const std::string a_check = a.check ? a.check->expr.text : "";
  const std::string b_check = b.check ? b.check->expr.text : "";
  if (a_check != b_check) add(!b_check.empty(), "check '" + b_check + "'");
  if (a.unique != b.unique) add(b.unique, b.unique ? "unique" : "no longer unique");
  if (a.readonly != b.readonly) add(b.readonly, b.readonly ? "readonly" : "no longer readonly");
  if (a.kind == FieldKind::kObject && ObjectText(a) != ObjectText(b)) {
    add(true, "nested fields changed");
  }
  if (a.kind == FieldKind::kRef && a.on_delete != b.on_delete) {
    add(false, std::string("onDelete ") + OnDeleteName(b.on_delete));
  }
}

bool SameType(const Field& a, const Field& b) { return TypeText(a) == TypeText(b); }

// Whether encoded `value` is nil: a conversion to null leaves its field as it was.
bool IsNil(std::string_view value) {
  return value.size() == 1 && static_cast<uint8_t>(value[0]) == 0xc0;
}

}  // namespace

Result<SchemaDiff> DiffSchemas(const CollectionSchema& from, const CollectionSchema& to) {
  if (to.version <= from.version) {
    return Status::InvalidArgument("collection '" + to.name + "': schema version " +
                                   std::to_string(to.version) + " must be greater than " +
                                   std::to_string(from.version));
  }
  SchemaDiff diff;
  diff.from_version = from.version;
  diff.to_version = to.version;
  std::vector<std::string> consumed;  // old names accounted for
  for (const Field& f : to.root.fields) {
    const Field* old = nullptr;
    if (!f.renamed_from.empty() && from.root.Find(f.name) == nullptr) {
      old = from.root.Find(f.renamed_from);
      if (old == nullptr || to.root.Find(f.renamed_from) != nullptr) {
        return Status::InvalidArgument("collection '" + to.name + "': field '" + f.name +
                                       "' is renamedFrom '" + f.renamed_from +
                                       "', which the previous version lacks or this one keeps");
      }
      diff.changes.push_back(
          Change{ChangeKind::kRenameField, f.name, old->name, "renamed from '" + old->name + "'"});
      diff.rewrites_documents = true;
    } else {
      old = from.root.Find(f.name);
    }
    if (old == nullptr) {
      std::string d = "new " + TypeText(f);
      if (f.default_literal || f.default_expr) d += " with a default";
      if (f.convert) d += " (convert: " + f.convert->text + ")";
      diff.changes.push_back(Change{ChangeKind::kAddField, f.name, "", d});
      if (f.default_literal || f.default_expr || f.convert) diff.rewrites_documents = true;
      if (f.required && !f.default_literal && !f.default_expr && !f.convert) {
        diff.changes.push_back(Change{ChangeKind::kTighten, f.name, "", "required, no default"});
      }
      continue;
    }
    consumed.push_back(old->name);
    if (!SameType(*old, f) || f.convert) {
      std::string d = "type " + TypeText(*old) + " -> " + TypeText(f);
      if (f.convert) d += " (convert: " + f.convert->text + ")";
      diff.changes.push_back(Change{ChangeKind::kChangeType, f.name, "", d});
      if (f.convert) diff.rewrites_documents = true;
    }
    if (SameType(*old, f)) CompareConstraints(*old, f, &diff.changes);
  }
  for (const Field& old : from.root.fields) {
    if (std::find(consumed.begin(), consumed.end(), old.name) != consumed.end()) continue;
    diff.changes.push_back(Change{ChangeKind::kRemoveField, old.name, "", "removed"});
    diff.rewrites_documents = true;
  }
  std::vector<std::string> old_checks, new_checks;
  for (const Check& c : from.root.checks) old_checks.push_back(c.expr.text);
  for (const Check& c : to.root.checks) new_checks.push_back(c.expr.text);
  for (const std::string& c : new_checks) {
    if (std::find(old_checks.begin(), old_checks.end(), c) == old_checks.end()) {
      diff.changes.push_back(Change{ChangeKind::kTighten, "", "", "check '" + c + "' added"});
    }
  }
  for (const std::string& c : old_checks) {
    if (std::find(new_checks.begin(), new_checks.end(), c) == new_checks.end()) {
      diff.changes.push_back(Change{ChangeKind::kLoosen, "", "", "check '" + c + "' removed"});
    }
  }
  if (from.root.additional_fields != to.root.additional_fields) {
    diff.changes.push_back(Change{
        to.root.additional_fields ? ChangeKind::kLoosen : ChangeKind::kTighten, "", "",
        to.root.additional_fields ? "additional fields allowed" : "additional fields rejected"});
  }
  std::vector<std::string> old_unique, new_unique;
  for (const UniqueKey& u : to.unique) {
    std::string k;
    for (const std::string& f : u.fields) k += f + ",";
    new_unique.push_back(k);
  }
  for (const UniqueKey& u : from.unique) {
    std::string k;
    for (const std::string& f : u.fields) k += f + ",";
    old_unique.push_back(k);
  }
  if (old_unique != new_unique) {
    diff.changes.push_back(Change{ChangeKind::kTighten, "", "", "unique keys changed"});
  }
  return diff;
}

Result<std::string> MigrateDocument(const SchemaDiff& diff, const CollectionSchema& from,
                                    const CollectionSchema& to, std::string_view document,
                                    const ValidationContext& context) {
  const doc::Value root = doc::ReadValue(document);
  if (root.type != doc::Type::kMap) return std::string(document);
  auto removed = [&](std::string_view key) {
    for (const Change& c : diff.changes) {
      if (c.kind == ChangeKind::kRemoveField && c.field == key) return true;
    }
    return false;
  };
  auto renamed = [&](std::string_view key) -> const std::string* {
    for (const Change& c : diff.changes) {
      if (c.kind == ChangeKind::kRenameField && c.from == key) return &c.field;
    }
    return nullptr;
  };
  // Converted values first (each is computed on the old document).
  std::string converted;
  doc::Writer cw(&converted);
  std::vector<std::pair<const Field*, std::pair<size_t, size_t>>> conversions;
  for (const Field& f : to.root.fields) {
    if (!f.convert) continue;
    expr::Evaluator ev(*f.convert->program, expr::EvalContext{nullptr, context.now_micros});
    DAAS_ASSIGN_OR_RETURN(const expr::Value v, ev.Evaluate(document));
    const size_t start = converted.size();
    internal::WriteExprValue(f, v, &cw);
    conversions.push_back({&f, {start, converted.size() - start}});
  }
  auto conversion = [&](std::string_view name) -> std::optional<std::string_view> {
    for (const auto& [f, span] : conversions) {
      if (f->name == name) return std::string_view(converted).substr(span.first, span.second);
    }
    return std::nullopt;
  };
  std::string body;
  doc::Writer w(&body);
  uint32_t count = 0;
  std::vector<std::string_view> written;  // into `document` or `diff`
  std::string_view key;
  doc::Value value;
  // Keys a rename writes into: a key of that name the document already has gives way to the
  // renamed value (else the result would hold the key twice).
  std::vector<std::string_view> rename_targets;
  for (doc::MapIterator pre(root); pre.Next(&key, &value);) {
    if (const std::string* to_name = renamed(key)) rename_targets.push_back(*to_name);
  }
  auto rename_target = [&](std::string_view k) {
    return std::find(rename_targets.begin(), rename_targets.end(), k) != rename_targets.end();
  };
  doc::MapIterator it(root);
  while (it.Next(&key, &value)) {
    std::string_view name = key;
    if (const std::string* to_name = renamed(key)) {
      name = *to_name;
    } else if (removed(key) || rename_target(key) ||
               (to.root.Find(key) == nullptr && from.root.Find(key) != nullptr &&
                !to.root.additional_fields)) {
      continue;
    }
    w.String(name);
    auto c = conversion(name);
    if (c && !IsNil(*c)) {
      w.Raw(*c);
    } else {
      w.Raw(value.raw);
    }
    written.push_back(name);
    ++count;
  }
  for (const auto& [f, span] : conversions) {
    if (std::find(written.begin(), written.end(), f->name) != written.end()) continue;
    const std::string_view c = std::string_view(converted).substr(span.first, span.second);
    if (IsNil(c)) continue;  // leave it missing
    w.String(f->name);
    w.Raw(c);
    ++count;
  }
  std::string out;
  doc::Writer ow(&out);
  ow.MapHeader(count);
  out += body;
  DAAS_ASSIGN_OR_RETURN(std::optional<std::string> filled,
                        ApplyDefaultsIfMissing(to, out, context));
  if (filled) return std::move(*filled);
  return out;
}

}  // namespace daas::schema
