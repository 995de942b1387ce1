#include "schema/schema.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <variant>

#include "core/status_macros.h"
#include "doc/json.h"
#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"
#include "expr/datetime.h"
#include "expr/parser.h"
#include "expr/program.h"
#include "expr/semantics.h"
#include "expr/value.h"
#include "schema/schema_internal.h"

namespace daas::schema {

namespace {

constexpr FieldKind kAllKinds[] = {FieldKind::kString, FieldKind::kInt,      FieldKind::kFloat,
                                   FieldKind::kBool,   FieldKind::kDatetime, FieldKind::kId,
                                   FieldKind::kRef,    FieldKind::kArray,    FieldKind::kObject,
                                   FieldKind::kJson};

// Memory RE2 may use for one `pattern`, bounding what a schema file can make the process allocate.
constexpr int64_t kPatternMaxMemBytes = 1 << 20;
// Nesting of object and array types in a schema file, bounding recursion over schemas.
constexpr int kMaxSchemaDepth = 32;

bool IsKeyword(std::string_view name) {
  return name == "true" || name == "false" || name == "null" || name == "in";
}

}  // namespace

const char* FieldKindName(FieldKind kind) {
  switch (kind) {
    case FieldKind::kString:
      return "string";
    case FieldKind::kInt:
      return "int";
    case FieldKind::kFloat:
      return "float";
    case FieldKind::kBool:
      return "bool";
    case FieldKind::kDatetime:
      return "datetime";
    case FieldKind::kId:
      return "id";
    case FieldKind::kRef:
      return "ref";
    case FieldKind::kArray:
      return "array";
    case FieldKind::kObject:
      return "object";
    case FieldKind::kJson:
      return "json";
  }
  return "?";
}

const char* OnDeleteName(OnDelete on_delete) {
  switch (on_delete) {
    case OnDelete::kRestrict:
      return "restrict";
    case OnDelete::kCascade:
      return "cascade";
    case OnDelete::kSetNull:
      return "setNull";
  }
  return "?";
}

const char* StringFormatName(StringFormat format) {
  switch (format) {
    case StringFormat::kNone:
      return "";
    case StringFormat::kEmail:
      return "email";
    case StringFormat::kUrl:
      return "url";
    case StringFormat::kUuid:
      return "uuid";
  }
  return "?";
}

const Field* ObjectSchema::Find(std::string_view name) const {
  for (const Field& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const CollectionSchema* Schema::Find(std::string_view name) const {
  for (const CollectionSchema& c : collections) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

namespace internal {

bool IsIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (!(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

}  // namespace internal

expr::FieldType ExprType(const Field& field) {
  using expr::FieldKind;
  switch (field.kind) {
    case schema::FieldKind::kString:
    case schema::FieldKind::kId:
    case schema::FieldKind::kRef:
      return {FieldKind::kString};
    case schema::FieldKind::kInt:
    case schema::FieldKind::kFloat:
      return {FieldKind::kNumber};
    case schema::FieldKind::kBool:
      return {FieldKind::kBool};
    case schema::FieldKind::kDatetime:
      return {FieldKind::kDatetime};
    case schema::FieldKind::kArray:
      return {FieldKind::kArray,
              field.items.empty() ? FieldKind::kAny : ExprType(field.items[0]).kind};
    case schema::FieldKind::kObject:
      return {FieldKind::kMap};
    case schema::FieldKind::kJson:
      return {FieldKind::kAny};
  }
  return {};
}

std::optional<expr::FieldType> ObjectResolver::ResolveField(
    const std::vector<expr::PathSegment>& path) const {
  const ObjectSchema* object = &object_;
  const Field* field = nullptr;
  size_t i = 0;
  while (i < path.size()) {
    if (object == nullptr) return std::nullopt;
    field = object->Find(path[i].key);
    if (field == nullptr) {
      if (object->additional_fields) return expr::FieldType{};
      return std::nullopt;
    }
    ++i;
    // Descend through arrays: `items.2` is an element.
    while (field->kind == FieldKind::kArray && i < path.size() && path[i].index >= 0 &&
           !field->items.empty()) {
      field = &field->items[0];
      ++i;
    }
    if (i == path.size()) break;
    switch (field->kind) {
      case FieldKind::kObject:
        object = field->object.get();
        break;
      case FieldKind::kJson:
        return expr::FieldType{};
      default:
        return std::nullopt;  // a key of a scalar, or a non-index segment of an array
    }
  }
  if (field == nullptr) return std::nullopt;
  return ExprType(*field);
}

// ---------------------------------------------------------------------------------------------
// Parsing.

namespace {

using doc::Type;

class Parser {
 public:
  explicit Parser(const std::vector<std::string>* known) : known_(known) {}

  Status Error(const std::string& path, std::string_view what) {
    return Status::InvalidArgument(path + ": " + std::string(what));
  }

  Result<CollectionSchema> Collection(const std::string& path, std::string_view name,
                                      const doc::Value& v) {
    CollectionSchema c;
    c.name = std::string(name);
    if (!internal::IsIdentifier(name) || IsKeyword(name)) {
      return Error(path,
                   "a collection name must be letters, digits and '_' (not starting with a "
                   "digit, at most 64 bytes)");
    }
    if (v.type != Type::kMap) return Error(path, "expected an object");
    std::optional<doc::Value> fields, checks, additional, unique;
    doc::MapIterator it(v);
    std::string_view key;
    doc::Value value;
    while (it.Next(&key, &value)) {
      const std::string p = path + "." + std::string(key);
      if (key == "version") {
        if (value.type != Type::kInt || value.int_value < 1 || value.int_value > UINT32_MAX) {
          return Error(p, "expected an integer from 1 to 4294967295");
        }
        c.version = static_cast<uint32_t>(value.int_value);
      } else if (key == "fields") {
        fields = value;
      } else if (key == "checks") {
        checks = value;
      } else if (key == "additionalFields") {
        additional = value;
      } else if (key == "unique") {
        unique = value;
      } else {
        return Error(p,
                     "unknown key (expected version, fields, checks, unique, "
                     "additionalFields)");
      }
    }
    if (!fields) return Error(path + ".fields", "missing");
    DAAS_RETURN_IF_ERROR(Object(path, *fields, checks, additional, /*top=*/true,
                                /*in_array=*/false, 0, &c.root));
    if (unique) {
      const std::string p = path + ".unique";
      if (unique->type != Type::kArray) return Error(p, "expected an array of arrays of names");
      doc::ArrayIterator keys(*unique);
      doc::Value k;
      for (size_t i = 0; keys.Next(&k); ++i) {
        const std::string kp = p + "." + std::to_string(i);
        if (k.type != Type::kArray || k.count == 0) {
          return Error(kp, "expected a non-empty array of field names");
        }
        UniqueKey u;
        doc::ArrayIterator names(k);
        doc::Value n;
        for (size_t j = 0; names.Next(&n); ++j) {
          const std::string np = kp + "." + std::to_string(j);
          if (n.type != Type::kString) return Error(np, "expected a field name");
          if (c.root.Find(n.bytes) == nullptr) {
            return Error(np, "unknown field '" + std::string(n.bytes) + "'");
          }
          if (std::find(u.fields.begin(), u.fields.end(), n.bytes) != u.fields.end()) {
            return Error(np, "field '" + std::string(n.bytes) + "' repeated");
          }
          u.fields.emplace_back(n.bytes);
        }
        c.unique.push_back(std::move(u));
      }
    }
    return c;
  }

  // Parses `fields` (a map of name -> definition), then `checks`, into `out`. `path` is the path
  // of the object holding them; `in_array` says whether it is (inside) an array element.
  Status Object(const std::string& path, const doc::Value& fields,
                const std::optional<doc::Value>& checks,
                const std::optional<doc::Value>& additional, bool top, bool in_array, int depth,
                ObjectSchema* out) {
    if (depth > kMaxSchemaDepth) {
      return Error(path,
                   "object and array types nested deeper than " + std::to_string(kMaxSchemaDepth));
    }
    if (fields.type != Type::kMap) return Error(path + ".fields", "expected an object");
    if (additional) {
      if (additional->type != Type::kBool) {
        return Error(path + ".additionalFields", "expected true or false");
      }
      out->additional_fields = additional->boolean;
    }
    doc::MapIterator it(fields);
    std::string_view name;
    doc::Value def;
    while (it.Next(&name, &def)) {
      const std::string p = path + ".fields." + std::string(name);
      if (!internal::IsIdentifier(name) || IsKeyword(name)) {
        return Error(p,
                     "a field name must be letters, digits and '_' (not starting with a "
                     "digit, at most 64 bytes, not true/false/null/in)");
      }
      if (top && internal::IsSystemField(name)) {
        return Error(p, "'" + std::string(name) + "' is a system field and cannot be declared");
      }
      Field f;
      f.name = std::string(name);
      DAAS_RETURN_IF_ERROR(FieldDef(p, def, top, in_array, depth, &f));
      out->fields.push_back(std::move(f));
    }
    // Expressions are compiled once every sibling is known: a check may name any of them.
    ObjectResolver resolver(*out);
    for (Field& f : out->fields) {
      const std::string p = path + ".fields." + f.name;
      if (f.check) {
        DAAS_RETURN_IF_ERROR(Compile(p + ".check", &resolver, true, &f.check->expr));
      }
      if (f.default_expr) {
        DAAS_RETURN_IF_ERROR(Compile(p + ".default.$expr", &resolver, false, &*f.default_expr));
      }
      if (f.convert) {
        // Runs on the previous version's value of this object, whose schema is not known here:
        // DiffSchemas checks it against that schema (migrate.h).
        DAAS_RETURN_IF_ERROR(Compile(p + ".convert", nullptr, false, &*f.convert));
      }
    }
    if (checks) {
      const std::string p = path + ".checks";
      if (checks->type != Type::kArray) return Error(p, "expected an array");
      doc::ArrayIterator ci(*checks);
      doc::Value c;
      for (size_t i = 0; ci.Next(&c); ++i) {
        const std::string cp = p + "." + std::to_string(i);
        Check check;
        DAAS_RETURN_IF_ERROR(CheckDef(cp, c, &check));
        DAAS_RETURN_IF_ERROR(Compile(cp, &resolver, true, &check.expr));
        out->checks.push_back(std::move(check));
      }
    }
    return Status::OK();
  }

  Status CheckDef(const std::string& path, const doc::Value& v, Check* out) {
    if (v.type == Type::kString) {
      out->expr.text = std::string(v.bytes);
      return Status::OK();
    }
    if (v.type != Type::kMap) return Error(path, "expected an expression or {expr, name, message}");
    doc::MapIterator it(v);
    std::string_view key;
    doc::Value value;
    bool has_expr = false;
    while (it.Next(&key, &value)) {
      const std::string p = path + "." + std::string(key);
      if (value.type != Type::kString) return Error(p, "expected a string");
      if (key == "expr") {
        out->expr.text = std::string(value.bytes);
        has_expr = true;
      } else if (key == "name") {
        out->name = std::string(value.bytes);
      } else if (key == "message") {
        out->message = std::string(value.bytes);
      } else {
        return Error(p, "unknown key (expected expr, name, message)");
      }
    }
    if (!has_expr) return Error(path + ".expr", "missing");
    return Status::OK();
  }

  Status Compile(const std::string& path, const expr::SchemaResolver* resolver, bool condition,
                 CompiledExpr* e) {
    expr::CheckOptions options;
    options.require_condition = condition;
    auto program = expr::CompileExpression(e->text, resolver, expr::Limits(), options);
    if (!program.ok()) return Error(path, program.status().message());
    e->program = std::make_shared<const expr::Program>(std::move(*program));
    return Status::OK();
  }

  // Reads a `min` (is_min) or `max` of a field of kind `k` into `out` (Bound): an int field's is
  // any number, held as the int64 that admits the same int64 values (1.5 as min is 2, as max 1; a
  // max above 2^63-1 is 2^63-1), so a bound an earlier version stored as a double still means
  // what it meant; a float field's is a number a double holds exactly; a datetime field's a string
  // ParseDatetime accepts.
  Status BoundDef(const std::string& path, FieldKind k, bool is_min, const doc::Value& v,
                  std::optional<Bound>* out) {
    if (k == FieldKind::kInt) {
      if (v.type == Type::kInt) {
        *out = v.int_value;
        return Status::OK();
      }
      // 2^63 as a double: every int64 is below it.
      constexpr double kTwo63 = 9223372036854775808.0;
      double d = 0;
      if (v.type == Type::kUint) {
        d = kTwo63;  // a uint is only read when above 2^63-1
      } else if (v.type == Type::kDouble && !std::isnan(v.double_value)) {
        d = is_min ? std::ceil(v.double_value) : std::floor(v.double_value);
      } else {
        return Error(path, "expected a number");
      }
      if (is_min ? d >= kTwo63 : d < -kTwo63) {
        return Error(path, std::string("no int64 value is ") + (is_min ? "at least " : "at most ") +
                               internal::ValueText(v));
      }
      if (d >= kTwo63) {
        *out = std::numeric_limits<int64_t>::max();
      } else if (d < -kTwo63) {
        *out = std::numeric_limits<int64_t>::min();
      } else {
        *out = static_cast<int64_t>(d);
      }
      return Status::OK();
    }
    if (k == FieldKind::kDatetime) {
      const std::optional<int64_t> micros =
          v.type == Type::kString ? expr::ParseDatetime(v.bytes) : std::nullopt;
      if (!micros) {
        return Error(path,
                     "expected a datetime string (\"2024-05-01\", \"2024-05-01 10:00:00.000Z\", "
                     "\"2024-05-01T12:00:00+02:00\")");
      }
      *out = *micros;
      return Status::OK();
    }
    double d = 0;
    if (v.type == Type::kInt) {
      d = static_cast<double>(v.int_value);
    } else if (v.type == Type::kUint) {
      d = static_cast<double>(v.uint_value);
    } else if (v.type == Type::kDouble && std::isfinite(v.double_value)) {
      d = v.double_value;
    } else {
      return Error(path, "expected a number");
    }
    // A float field's values compare exactly against the double, so an integer bound that rounds
    // would silently move the bound.
    if (expr::CompareNumbers(expr::FromDocValue(v), expr::Value::Double(d)) !=
        expr::Ordering::kEqual) {
      return Error(path, "expected a number a double holds exactly: " + internal::ValueText(v) +
                             " would round to " + internal::BoundText(k, d));
    }
    *out = d;
    return Status::OK();
  }

  // Parses the definition of one field; `in_array` says whether it is an array's element type or
  // a field of an object inside an array element, at any depth.
  Status FieldDef(const std::string& path, const doc::Value& v, bool top, bool in_array, int depth,
                  Field* f) {
    if (depth > kMaxSchemaDepth) {
      return Error(path,
                   "object and array types nested deeper than " + std::to_string(kMaxSchemaDepth));
    }
    if (v.type == Type::kString) {
      // Shorthand: "name": "string".
      return Kind(path, v.bytes, true, f);
    }
    if (v.type != Type::kMap) return Error(path, "expected a type name or an object");
    auto type = doc::FindField(v.raw, "type");
    if (!type) return Error(path + ".type", "missing");
    if (type->type != Type::kString) return Error(path + ".type", "expected a type name");
    DAAS_RETURN_IF_ERROR(Kind(path + ".type", type->bytes, false, f));
    const FieldKind k = f->kind;
    const bool numeric = k == FieldKind::kInt || k == FieldKind::kFloat;
    const bool lengthy = k == FieldKind::kString || k == FieldKind::kArray;
    doc::MapIterator it(v);
    std::string_view key;
    doc::Value value;
    std::optional<doc::Value> default_v, enum_v, fields, checks, additional;
    bool has_items = false;
    while (it.Next(&key, &value)) {
      const std::string p = path + "." + std::string(key);
      auto need = [&](bool ok) -> Status {
        if (ok) return Status::OK();
        return Error(p, std::string("not allowed for type ") + FieldKindName(k));
      };
      auto flag = [&](bool* out) -> Status {
        if (value.type != Type::kBool) return Error(p, "expected true or false");
        *out = value.boolean;
        return Status::OK();
      };
      auto string = [&](std::string* out) -> Status {
        if (value.type != Type::kString) return Error(p, "expected a string");
        *out = std::string(value.bytes);
        return Status::OK();
      };
      auto length = [&](std::optional<uint64_t>* out) -> Status {
        DAAS_RETURN_IF_ERROR(need(lengthy));
        if (value.type != Type::kInt || value.int_value < 0) {
          return Error(p, "expected a non-negative integer");
        }
        *out = static_cast<uint64_t>(value.int_value);
        return Status::OK();
      };
      auto bound = [&](std::optional<Bound>* out) -> Status {
        DAAS_RETURN_IF_ERROR(need(numeric || k == FieldKind::kDatetime));
        return BoundDef(p, k, out == &f->min, value, out);
      };
      if (key == "type") {
        continue;
      } else if (key == "required") {
        DAAS_RETURN_IF_ERROR(flag(&f->required));
      } else if (key == "nullable") {
        DAAS_RETURN_IF_ERROR(flag(&f->nullable));
      } else if (key == "hidden") {
        DAAS_RETURN_IF_ERROR(flag(&f->hidden));
      } else if (key == "readonly") {
        DAAS_RETURN_IF_ERROR(flag(&f->readonly));
        if (f->readonly && in_array) {
          return Error(p,
                       "readonly is not supported inside arrays: array elements have no identity "
                       "across updates");
        }
      } else if (key == "unique") {
        DAAS_RETURN_IF_ERROR(flag(&f->unique));
        if (f->unique && !top) return Error(p, "unique is allowed on top-level fields only");
        if (f->unique &&
            (k == FieldKind::kArray || k == FieldKind::kObject || k == FieldKind::kJson)) {
          return Error(p, std::string("not allowed for type ") + FieldKindName(k));
        }
      } else if (key == "default") {
        default_v = value;
      } else if (key == "min") {
        DAAS_RETURN_IF_ERROR(bound(&f->min));
      } else if (key == "max") {
        DAAS_RETURN_IF_ERROR(bound(&f->max));
      } else if (key == "minLength") {
        DAAS_RETURN_IF_ERROR(length(&f->min_length));
      } else if (key == "maxLength") {
        DAAS_RETURN_IF_ERROR(length(&f->max_length));
      } else if (key == "pattern") {
        DAAS_RETURN_IF_ERROR(need(k == FieldKind::kString));
        DAAS_RETURN_IF_ERROR(string(&f->pattern));
        RE2::Options options;
        options.set_log_errors(false);
        options.set_max_mem(kPatternMaxMemBytes);
        auto re = std::make_shared<const RE2>(f->pattern, options);
        if (!re->ok()) return Error(p, "invalid regular expression: " + re->error());
        f->pattern_re = std::move(re);
      } else if (key == "enum") {
        DAAS_RETURN_IF_ERROR(need(numeric || k == FieldKind::kString));
        if (value.type != Type::kArray || value.count == 0) {
          return Error(p, "expected a non-empty array of values");
        }
        enum_v = value;
      } else if (key == "format") {
        DAAS_RETURN_IF_ERROR(need(k == FieldKind::kString));
        if (value.type != Type::kString) return Error(p, "expected email, url or uuid");
        if (value.bytes == "email") {
          f->format = StringFormat::kEmail;
        } else if (value.bytes == "url") {
          f->format = StringFormat::kUrl;
        } else if (value.bytes == "uuid") {
          f->format = StringFormat::kUuid;
        } else {
          return Error(
              p, "unknown format '" + std::string(value.bytes) + "' (expected email, url or uuid)");
        }
      } else if (key == "collection") {
        DAAS_RETURN_IF_ERROR(need(k == FieldKind::kRef));
        DAAS_RETURN_IF_ERROR(string(&f->ref_collection));
        if (known_ != nullptr && !known_->empty() &&
            std::find(known_->begin(), known_->end(), f->ref_collection) == known_->end()) {
          return Error(p, "unknown collection '" + f->ref_collection + "'");
        }
      } else if (key == "onDelete") {
        DAAS_RETURN_IF_ERROR(need(k == FieldKind::kRef));
        if (value.type == Type::kString && value.bytes == "restrict") {
          f->on_delete = OnDelete::kRestrict;
        } else if (value.type == Type::kString && value.bytes == "cascade") {
          f->on_delete = OnDelete::kCascade;
        } else if (value.type == Type::kString && value.bytes == "setNull") {
          f->on_delete = OnDelete::kSetNull;
        } else {
          return Error(p, "expected restrict, cascade or setNull");
        }
      } else if (key == "items") {
        DAAS_RETURN_IF_ERROR(need(k == FieldKind::kArray));
        Field item;
        item.name = f->name;
        DAAS_RETURN_IF_ERROR(FieldDef(p, value, false, /*in_array=*/true, depth + 1, &item));
        if (item.required || item.unique || item.default_literal || item.default_expr ||
            !item.renamed_from.empty() || item.convert || item.check) {
          return Error(p,
                       "array items take no required, unique, default, check, renamedFrom or "
                       "convert");
        }
        f->items.push_back(std::move(item));
        has_items = true;
      } else if (key == "fields") {
        DAAS_RETURN_IF_ERROR(need(k == FieldKind::kObject));
        fields = value;
      } else if (key == "checks") {
        DAAS_RETURN_IF_ERROR(need(k == FieldKind::kObject));
        checks = value;
      } else if (key == "additionalFields") {
        DAAS_RETURN_IF_ERROR(need(k == FieldKind::kObject));
        additional = value;
      } else if (key == "check") {
        f->check.emplace();
        DAAS_RETURN_IF_ERROR(CheckDef(p, value, &*f->check));
      } else if (key == "renamedFrom") {
        DAAS_RETURN_IF_ERROR(string(&f->renamed_from));
        if (!internal::IsIdentifier(f->renamed_from)) return Error(p, "expected a field name");
      } else if (key == "convert") {
        f->convert.emplace();
        DAAS_RETURN_IF_ERROR(string(&f->convert->text));
      } else {
        return Error(p, "unknown option");
      }
    }
    if (k == FieldKind::kRef && f->ref_collection.empty()) {
      return Error(path + ".collection", "missing (a ref names the collection it points to)");
    }
    if (k == FieldKind::kArray && !has_items) return Error(path + ".items", "missing");
    if (k == FieldKind::kObject) {
      auto object = std::make_shared<ObjectSchema>();
      if (!fields) fields = doc::ReadValue("\x80");  // no fields: an empty map
      DAAS_RETURN_IF_ERROR(
          Object(path, *fields, checks, additional, false, in_array, depth + 1, &*object));
      f->object = std::move(object);
    }
    if (f->min && f->max && *f->min > *f->max) return Error(path + ".max", "less than min");
    if (f->min_length && f->max_length && *f->min_length > *f->max_length) {
      return Error(path + ".maxLength", "less than minLength");
    }
    if (enum_v) {
      doc::ArrayIterator ei(*enum_v);
      doc::Value e;
      Field plain = *f;  // the value options without the enum itself
      for (size_t i = 0; ei.Next(&e); ++i) {
        const std::string ep = path + ".enum." + std::to_string(i);
        std::vector<Violation> violations;
        internal::ValidateLiteral(plain, e, ep, &violations);
        if (!violations.empty()) return Error(ep, violations[0].message);
        f->enum_values.emplace_back(e.raw);
      }
    }
    if (default_v) {
      const std::string p = path + ".default";
      auto expr_text = default_v->type == Type::kMap && default_v->count == 1
                           ? doc::FindField(default_v->raw, "$expr")
                           : std::nullopt;
      if (expr_text) {
        if (expr_text->type != Type::kString) return Error(p + ".$expr", "expected a string");
        f->default_expr.emplace();
        f->default_expr->text = std::string(expr_text->bytes);
      } else {
        std::vector<Violation> violations;
        if (!(default_v->type == Type::kNil && f->nullable)) {
          internal::ValidateLiteral(*f, *default_v, p, &violations);
        }
        if (!violations.empty()) return Error(p, violations[0].message);
        f->default_literal = std::string(default_v->raw);
      }
    }
    return Status::OK();
  }

  Status Kind(const std::string& path, std::string_view name, bool shorthand, Field* f) {
    for (FieldKind k : kAllKinds) {
      if (name == FieldKindName(k)) {
        f->kind = k;
        if (shorthand && k == FieldKind::kArray) {
          return Error(path, "an array type needs items: use an object");
        }
        if (shorthand && k == FieldKind::kRef) {
          return Error(path, "a ref needs a collection: use an object");
        }
        if (k == FieldKind::kObject) f->object = std::make_shared<ObjectSchema>();
        return Status::OK();
      }
    }
    return Error(path, "unknown type '" + std::string(name) +
                           "' (expected string, int, float, bool, datetime, id, ref, array, "
                           "object or json)");
  }

 private:
  const std::vector<std::string>* known_;
};

}  // namespace

Result<Schema> ParseSchemaFile(std::string_view json) {
  auto bytes = doc::JsonToMsgpack(json, kCeilingDocumentLimits);
  if (!bytes.ok()) {
    return Status::InvalidArgument("schema file: " + std::string(bytes.status().message()));
  }
  const doc::Value top = doc::ReadValue(*bytes);
  Parser parser(nullptr);
  std::optional<doc::Value> collections;
  {
    doc::MapIterator it(top);
    std::string_view key;
    doc::Value value;
    while (it.Next(&key, &value)) {
      if (key == "collections") {
        collections = value;
      } else {
        return parser.Error(std::string(key), "unknown key (expected collections)");
      }
    }
  }
  if (!collections) return parser.Error("collections", "missing");
  if (collections->type != Type::kMap) return parser.Error("collections", "expected an object");
  std::vector<std::string> names;
  {
    doc::MapIterator it(*collections);
    std::string_view key;
    doc::Value value;
    while (it.Next(&key, &value)) names.emplace_back(key);
  }
  Parser with_names(&names);
  Schema schema;
  doc::MapIterator it(*collections);
  std::string_view key;
  doc::Value value;
  while (it.Next(&key, &value)) {
    DAAS_ASSIGN_OR_RETURN(CollectionSchema c,
                          with_names.Collection("collections." + std::string(key), key, value));
    schema.collections.push_back(std::move(c));
  }
  std::sort(schema.collections.begin(), schema.collections.end(),
            [](const CollectionSchema& a, const CollectionSchema& b) { return a.name < b.name; });
  return schema;
}

Result<CollectionSchema> ParseCollectionSchema(std::string_view name, std::string_view json,
                                               const std::vector<std::string>& known_collections) {
  const std::string path = "collections." + std::string(name);
  auto bytes = doc::JsonToMsgpack(json, kCeilingDocumentLimits);
  if (!bytes.ok())
    return Status::InvalidArgument(path + ": " + std::string(bytes.status().message()));
  Parser parser(&known_collections);
  return parser.Collection(path, name, doc::ReadValue(*bytes));
}

// ---------------------------------------------------------------------------------------------
// Serialization: built as MessagePack, printed by doc::MsgpackToJson (one JSON printer).

namespace {

// Writes a bound of a field of kind `kind` as the schema file spells it: an int field's as a JSON
// integer, a datetime field's as FormatDatetime's text, a float field's as an integer when it is
// one below 2^53 (5, not 5.0) and as a double otherwise.
void WriteBound(FieldKind kind, const Bound& bound, doc::Writer* w) {
  if (kind == FieldKind::kDatetime) {
    char buf[expr::kDatetimeTextMax];
    return w->String(std::string_view(buf, expr::FormatDatetime(std::get<int64_t>(bound), buf)));
  }
  if (const int64_t* i = std::get_if<int64_t>(&bound)) return w->Int(*i);
  const double d = std::get<double>(bound);
  if (std::trunc(d) == d && std::fabs(d) < 9007199254740992.0) {
    w->Int(static_cast<int64_t>(d));
  } else {
    w->Double(d);
  }
}

void WriteObjectBody(const ObjectSchema& o, doc::Writer* w);

void WriteCheck(const Check& c, doc::Writer* w) {
  if (c.name.empty() && c.message.empty()) {
    w->String(c.expr.text);
    return;
  }
  w->MapHeader(1 + (c.name.empty() ? 0 : 1) + (c.message.empty() ? 0 : 1));
  w->String("expr");
  w->String(c.expr.text);
  if (!c.name.empty()) {
    w->String("name");
    w->String(c.name);
  }
  if (!c.message.empty()) {
    w->String("message");
    w->String(c.message);
  }
}

void WriteField(const Field& f, doc::Writer* w) {
  std::string body;
  doc::Writer b(&body);
  uint32_t n = 0;
  auto key = [&](const char* k) {
    b.String(k);
    ++n;
  };
  key("type");
  b.String(FieldKindName(f.kind));
  if (f.required) key("required"), b.Bool(true);
  if (f.nullable) key("nullable"), b.Bool(true);
  if (f.hidden) key("hidden"), b.Bool(true);
  if (f.readonly) key("readonly"), b.Bool(true);
  if (f.unique) key("unique"), b.Bool(true);
  if (f.default_literal) key("default"), b.Raw(*f.default_literal);
  if (f.default_expr) {
    key("default");
    b.MapHeader(1);
    b.String("$expr");
    b.String(f.default_expr->text);
  }
  if (f.min) key("min"), WriteBound(f.kind, *f.min, &b);
  if (f.max) key("max"), WriteBound(f.kind, *f.max, &b);
  if (f.min_length) key("minLength"), b.Uint(*f.min_length);
  if (f.max_length) key("maxLength"), b.Uint(*f.max_length);
  if (!f.pattern.empty() || f.pattern_re) key("pattern"), b.String(f.pattern);
  if (!f.enum_values.empty()) {
    key("enum");
    b.ArrayHeader(static_cast<uint32_t>(f.enum_values.size()));
    for (const std::string& e : f.enum_values) b.Raw(e);
  }
  if (f.format != StringFormat::kNone) key("format"), b.String(StringFormatName(f.format));
  if (f.kind == FieldKind::kRef) {
    key("collection");
    b.String(f.ref_collection);
    if (f.on_delete != OnDelete::kRestrict) key("onDelete"), b.String(OnDeleteName(f.on_delete));
  }
  if (f.kind == FieldKind::kArray && !f.items.empty()) {
    key("items");
    WriteField(f.items[0], &b);
  }
  if (f.check) key("check"), WriteCheck(*f.check, &b);
  if (!f.renamed_from.empty()) key("renamedFrom"), b.String(f.renamed_from);
  if (f.convert) key("convert"), b.String(f.convert->text);
  if (f.kind == FieldKind::kObject && f.object) {
    WriteObjectBody(*f.object, &b);
    const ObjectSchema& o = *f.object;
    n += 1 + (o.checks.empty() ? 0 : 1) + (o.additional_fields ? 1 : 0);
  }
  w->MapHeader(n);
  w->Raw(body);
}

// Writes the keys fields[, checks][, additionalFields] (without a map header).
void WriteObjectBody(const ObjectSchema& o, doc::Writer* w) {
  w->String("fields");
  w->MapHeader(static_cast<uint32_t>(o.fields.size()));
  for (const Field& f : o.fields) {
    w->String(f.name);
    WriteField(f, w);
  }
  if (!o.checks.empty()) {
    w->String("checks");
    w->ArrayHeader(static_cast<uint32_t>(o.checks.size()));
    for (const Check& c : o.checks) WriteCheck(c, w);
  }
  if (o.additional_fields) {
    w->String("additionalFields");
    w->Bool(true);
  }
}

void WriteCollection(const CollectionSchema& c, doc::Writer* w) {
  const ObjectSchema& o = c.root;
  w->MapHeader(2 + (o.checks.empty() ? 0 : 1) + (o.additional_fields ? 1 : 0) +
               (c.unique.empty() ? 0 : 1));
  w->String("version");
  w->Uint(c.version);
  WriteObjectBody(o, w);
  if (!c.unique.empty()) {
    w->String("unique");
    w->ArrayHeader(static_cast<uint32_t>(c.unique.size()));
    for (const UniqueKey& u : c.unique) {
      w->ArrayHeader(static_cast<uint32_t>(u.fields.size()));
      for (const std::string& name : u.fields) w->String(name);
    }
  }
}

}  // namespace

std::string SerializeCollection(const CollectionSchema& collection) {
  std::string bytes;
  doc::Writer w(&bytes);
  WriteCollection(collection, &w);
  std::string json;
  doc::MsgpackToJson(bytes, &json);
  return json;
}

std::string SerializeSchema(const Schema& schema) {
  std::vector<const CollectionSchema*> sorted;
  for (const CollectionSchema& c : schema.collections) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(),
            [](const CollectionSchema* a, const CollectionSchema* b) { return a->name < b->name; });
  std::string bytes;
  doc::Writer w(&bytes);
  w.MapHeader(1);
  w.String("collections");
  w.MapHeader(static_cast<uint32_t>(sorted.size()));
  for (const CollectionSchema* c : sorted) {
    w.String(c->name);
    WriteCollection(*c, &w);
  }
  std::string json;
  doc::MsgpackToJson(bytes, &json);
  return json;
}

}  // namespace daas::schema
