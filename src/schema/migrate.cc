#include "schema/migrate.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status_macros.h"
#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"
#include "expr/checker.h"
#include "expr/datetime.h"
#include "expr/evaluator.h"
#include "expr/parser.h"
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
  if (f.kind == FieldKind::kArray && !f.items.empty()) {
    t.append("<").append(TypeText(f.items[0])).append(">");
  }
  if (f.kind == FieldKind::kRef) t += "(" + f.ref_collection + ")";
  return t;
}

std::string Opt(FieldKind kind, const std::optional<Bound>& v) {
  return v ? internal::BoundText(kind, *v) : "none";
}

std::string Opt(const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : "none"; }

// Appends one kTighten or kLoosen per constraint of `b` (at `path`) that differs from `a`, not
// looking inside objects (DiffField does). Requires: a and b of one kind (so their bounds hold the
// same Bound alternative and compare by value).
void CompareConstraints(const Field& a, const Field& b, const std::string& path,
                        std::vector<Change>* out) {
  auto add = [&](bool tighter, std::string what) {
    out->push_back(
        Change{tighter ? ChangeKind::kTighten : ChangeKind::kLoosen, path, "", std::move(what)});
  };
  if (a.required != b.required) add(b.required, b.required ? "required" : "no longer required");
  if (a.nullable != b.nullable) add(!b.nullable, b.nullable ? "nullable" : "no longer nullable");
  if (a.min != b.min) {
    add(b.min && (!a.min || *b.min > *a.min),
        "min " + Opt(a.kind, a.min) + " -> " + Opt(b.kind, b.min));
  }
  if (a.max != b.max) {
    add(b.max && (!a.max || *b.max < *a.max),
        "max " + Opt(a.kind, a.max) + " -> " + Opt(b.kind, b.max));
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
  if (a.kind == FieldKind::kRef && a.on_delete != b.on_delete) {
    add(false, std::string("onDelete ") + OnDeleteName(b.on_delete));
  }
}

bool SameType(const Field& a, const Field& b) { return TypeText(a) == TypeText(b); }

// Whether encoded `value` is nil: a conversion to null leaves its field as it was.
bool IsNil(std::string_view value) {
  return value.size() == 1 && static_cast<uint8_t>(value[0]) == 0xc0;
}

// The path of field `name` of the object at `path` ("" for the document).
std::string ChildPath(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

// Checks the convert expression of `f` (at `path`) against `from`, the previous version of the
// object holding `f`: MigrateDocument evaluates it on that object's stored values.
Status CheckConvert(const std::string& collection, const ObjectSchema& from, const Field& f,
                    const std::string& path) {
  const ObjectResolver resolver(from);
  Result<expr::Ast> ast = expr::Parse(f.convert->text);
  const Status s =
      ast.ok() ? expr::Check(*ast, &resolver, {.require_condition = false}) : ast.status();
  if (s.ok()) return s;
  return Status::InvalidArgument(
      "collection '" + collection + "': field '" + path +
      "': convert, on the previous version: " + std::string(s.message()));
}

Status DiffObject(const std::string& collection, const ObjectSchema& from, const ObjectSchema& to,
                  const std::string& path, SchemaDiff* diff);

// Appends the changes from `old` to `f`, one field of two versions at `path`, then those inside
// its values: the fields of its objects, and its arrays' element type (at `path`.*).
Status DiffField(const std::string& collection, const Field& old, const Field& f,
                 const std::string& path, SchemaDiff* diff) {
  const bool same_type = SameType(old, f);
  if (!same_type || f.convert) {
    std::string d = "type " + TypeText(old) + " -> " + TypeText(f);
    if (f.convert) d += " (convert: " + f.convert->text + ")";
    diff->changes.push_back(Change{ChangeKind::kChangeType, path, "", d});
    if (f.convert) diff->rewrites_documents = true;
  }
  if (!same_type) return Status::OK();
  CompareConstraints(old, f, path, &diff->changes);
  // A converted value is replaced whole: nothing inside it is migrated.
  if (f.convert) return Status::OK();
  if (f.kind == FieldKind::kObject) {
    return DiffObject(collection, *old.object, *f.object, path, diff);
  }
  if (f.kind == FieldKind::kArray) {
    return DiffField(collection, old.items[0], f.items[0], path + ".*", diff);
  }
  return Status::OK();
}

// Appends the changes from `from` to `to`, two versions of the object at `path` ("" for the
// document): its fields in `to`'s order, each followed by the changes inside it, then removed
// fields, then changes to the object's own checks and additionalFields (at `path`).
Status DiffObject(const std::string& collection, const ObjectSchema& from, const ObjectSchema& to,
                  const std::string& path, SchemaDiff* diff) {
  std::vector<std::string_view> consumed;  // names of `from` accounted for
  for (const Field& f : to.fields) {
    const std::string field_path = ChildPath(path, f.name);
    if (f.convert) DAAS_RETURN_IF_ERROR(CheckConvert(collection, from, f, field_path));
    const Field* old = nullptr;
    if (!f.renamed_from.empty() && from.Find(f.name) == nullptr) {
      old = from.Find(f.renamed_from);
      if (old == nullptr || to.Find(f.renamed_from) != nullptr) {
        return Status::InvalidArgument("collection '" + collection + "': field '" + field_path +
                                       "' is renamedFrom '" + f.renamed_from +
                                       "', which the previous version lacks or this one keeps");
      }
      diff->changes.push_back(Change{ChangeKind::kRenameField, field_path, old->name,
                                     "renamed from '" + old->name + "'"});
      diff->rewrites_documents = true;
    } else {
      old = from.Find(f.name);
    }
    if (old == nullptr) {
      std::string d = "new " + TypeText(f);
      if (f.default_literal || f.default_expr) d += " with a default";
      if (f.convert) d += " (convert: " + f.convert->text + ")";
      diff->changes.push_back(Change{ChangeKind::kAddField, field_path, "", d});
      if (f.default_literal || f.default_expr || f.convert) diff->rewrites_documents = true;
      if (f.required && !f.default_literal && !f.default_expr && !f.convert) {
        diff->changes.push_back(
            Change{ChangeKind::kTighten, field_path, "", "required, no default"});
      }
      continue;
    }
    consumed.push_back(old->name);
    DAAS_RETURN_IF_ERROR(DiffField(collection, *old, f, field_path, diff));
  }
  for (const Field& old : from.fields) {
    if (std::find(consumed.begin(), consumed.end(), old.name) != consumed.end()) continue;
    diff->changes.push_back(
        Change{ChangeKind::kRemoveField, ChildPath(path, old.name), "", "removed"});
    diff->rewrites_documents = true;
  }
  std::vector<std::string> old_checks, new_checks;
  for (const Check& c : from.checks) old_checks.push_back(c.expr.text);
  for (const Check& c : to.checks) new_checks.push_back(c.expr.text);
  for (const std::string& c : new_checks) {
    if (std::find(old_checks.begin(), old_checks.end(), c) == old_checks.end()) {
      diff->changes.push_back(Change{ChangeKind::kTighten, path, "", "check '" + c + "' added"});
    }
  }
  for (const std::string& c : old_checks) {
    if (std::find(new_checks.begin(), new_checks.end(), c) == new_checks.end()) {
      diff->changes.push_back(Change{ChangeKind::kLoosen, path, "", "check '" + c + "' removed"});
    }
  }
  if (from.additional_fields != to.additional_fields) {
    diff->changes.push_back(
        Change{to.additional_fields ? ChangeKind::kLoosen : ChangeKind::kTighten, path, "",
               to.additional_fields ? "additional fields allowed" : "additional fields rejected"});
  }
  return Status::OK();
}

// The Evaluators of the convert expressions one document's migration meets, each built on first
// use, so that an expression inside an array's elements has one Evaluator for all of them.
class Converter {
 public:
  explicit Converter(int64_t now_micros) : now_micros_(now_micros) {}

  // The value of `f`'s convert expression on `object`; valid until the next call. Errors as
  // expr::Evaluator::Evaluate. Requires: f.convert.
  Result<expr::Value> Convert(const Field& f, std::string_view object) {
    const expr::Program* program = f.convert->program.get();
    for (const auto& [p, evaluator] : evaluators_) {
      if (p == program) return evaluator->Evaluate(object);
    }
    evaluators_.emplace_back(program, std::make_unique<expr::Evaluator>(
                                          *program, expr::EvalContext{nullptr, now_micros_}));
    return evaluators_.back().second->Evaluate(object);
  }

 private:
  const int64_t now_micros_;
  std::vector<std::pair<const expr::Program*, std::unique_ptr<expr::Evaluator>>> evaluators_;
};

// Whether `diff` changes a field inside the values at `path`: a field of its objects
// (`path`.name) or of its elements' objects (`path`.*.name).
bool ChangesInside(const SchemaDiff& diff, std::string_view path) {
  for (const Change& c : diff.changes) {
    const std::string_view field = c.field;
    if (field.size() > path.size() && field[path.size()] == '.' && field.starts_with(path)) {
      return true;
    }
  }
  return false;
}

Status MigrateObject(const SchemaDiff& diff, const ObjectSchema& to, const std::string& path,
                     const doc::Value& map, Converter* converter, doc::Writer* w);

// Writes `value`, of field `f` at `path`, with the objects inside it migrated when the diff
// changes a field there, else as it is.
Status MigrateValue(const SchemaDiff& diff, const Field& f, const std::string& path,
                    const doc::Value& value, Converter* converter, doc::Writer* w) {
  if (f.kind == FieldKind::kObject && value.type == doc::Type::kMap && ChangesInside(diff, path)) {
    return MigrateObject(diff, *f.object, path, value, converter, w);
  }
  if (f.kind == FieldKind::kArray && value.type == doc::Type::kArray && ChangesInside(diff, path)) {
    const std::string element_path = path + ".*";
    w->ArrayHeader(value.count);
    doc::ArrayIterator it(value);
    doc::Value e;
    while (it.Next(&e)) {
      DAAS_RETURN_IF_ERROR(MigrateValue(diff, f.items[0], element_path, e, converter, w));
    }
    return Status::OK();
  }
  w->Raw(value.raw);
  return Status::OK();
}

// Writes `map`, an object of the previous version at `path` ("" for the document), migrated to
// `to` per `diff` (MigrateDocument's rules), the objects in its values included.
Status MigrateObject(const SchemaDiff& diff, const ObjectSchema& to, const std::string& path,
                     const doc::Value& map, Converter* converter, doc::Writer* w) {
  const std::string prefix = path.empty() ? "" : path + ".";
  // The name, in this object, of the field change `c` is about; nullopt for a field elsewhere.
  auto here = [&](const Change& c) -> std::optional<std::string_view> {
    const std::string_view field = c.field;
    if (!field.starts_with(prefix) || field.find('.', prefix.size()) != std::string_view::npos) {
      return std::nullopt;
    }
    return field.substr(prefix.size());
  };
  auto removed = [&](std::string_view key) {
    for (const Change& c : diff.changes) {
      if (c.kind == ChangeKind::kRemoveField && here(c) == key) return true;
    }
    return false;
  };
  auto renamed = [&](std::string_view key) -> std::optional<std::string_view> {
    for (const Change& c : diff.changes) {
      if (c.kind == ChangeKind::kRenameField && c.from == key) {
        if (std::optional<std::string_view> name = here(c)) return name;
      }
    }
    return std::nullopt;
  };
  // Converted values first (each is computed on the old object).
  std::string converted;
  doc::Writer cw(&converted);
  std::vector<std::pair<const Field*, std::pair<size_t, size_t>>> conversions;
  for (const Field& f : to.fields) {
    if (!f.convert) continue;
    DAAS_ASSIGN_OR_RETURN(const expr::Value v, converter->Convert(f, map.raw));
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
  doc::Writer bw(&body);
  uint32_t count = 0;
  std::vector<std::string_view> written;  // into `map` or `diff`
  std::string_view key;
  doc::Value value;
  // Keys a rename writes into: a key of that name the object already has gives way to the
  // renamed value (else the result would hold the key twice).
  std::vector<std::string_view> rename_targets;
  for (doc::MapIterator pre(map); pre.Next(&key, &value);) {
    if (std::optional<std::string_view> to_name = renamed(key)) rename_targets.push_back(*to_name);
  }
  auto rename_target = [&](std::string_view k) {
    return std::find(rename_targets.begin(), rename_targets.end(), k) != rename_targets.end();
  };
  doc::MapIterator it(map);
  while (it.Next(&key, &value)) {
    std::string_view name = key;
    if (std::optional<std::string_view> to_name = renamed(key)) {
      name = *to_name;
    } else if (removed(key) || rename_target(key)) {
      continue;
    }
    bw.String(name);
    const std::optional<std::string_view> c = conversion(name);
    const Field* f = to.Find(name);
    if (c && !IsNil(*c)) {
      bw.Raw(*c);
    } else if (f != nullptr) {
      DAAS_RETURN_IF_ERROR(MigrateValue(diff, *f, ChildPath(path, name), value, converter, &bw));
    } else {
      bw.Raw(value.raw);
    }
    written.push_back(name);
    ++count;
  }
  for (const auto& [f, span] : conversions) {
    if (std::find(written.begin(), written.end(), f->name) != written.end()) continue;
    const std::string_view c = std::string_view(converted).substr(span.first, span.second);
    if (IsNil(c)) continue;  // leave it missing
    bw.String(f->name);
    bw.Raw(c);
    ++count;
  }
  w->MapHeader(count);
  w->Raw(body);
  return Status::OK();
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
  DAAS_RETURN_IF_ERROR(DiffObject(to.name, from.root, to.root, "", &diff));
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
  DAAS_DCHECK(diff.from_version == from.version && diff.to_version == to.version);
  const doc::Value root = doc::ReadValue(document);
  if (root.type != doc::Type::kMap) return std::string(document);
  Converter converter(context.now_micros);
  std::string out;
  doc::Writer w(&out);
  DAAS_RETURN_IF_ERROR(MigrateObject(diff, to.root, "", root, &converter, &w));
  DAAS_ASSIGN_OR_RETURN(std::optional<std::string> filled,
                        ApplyDefaultsIfMissing(to, out, context));
  if (filled) return std::move(*filled);
  return out;
}

}  // namespace daas::schema
