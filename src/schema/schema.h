// The schema model: what a collection's documents must look like (field types and options, check
// constraints, relations, unique keys, a version), and the schema file (`daas.schema.json`,
// docs/schema.md) it is read from and written back to.
//
// Invariant: a Schema or CollectionSchema obtained from ParseSchemaFile / ParseCollectionSchema is
// fully compiled and self-consistent: every pattern is a compiled RE2, every check and expression
// default a Program type-checked against the schema, every field name unique within its object and
// nameable in an expression. Validation (validate.h) relies on that and never re-checks it. The
// objects are immutable after parsing and safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daas/status.h"
#include "expr/checker.h"

namespace re2 {
class RE2;
}

namespace daas::expr {
class Program;
}

namespace daas::schema {

enum class FieldKind : uint8_t {
  kString,
  kInt,
  kFloat,
  kBool,
  kDatetime,
  kId,
  kRef,
  kArray,
  kObject,
  kJson,
};

// "string", "int", ...: the schema file spelling.
const char* FieldKindName(FieldKind kind);

// What deleting a referenced document does to a `ref` field pointing at it (enforced by the
// engine).
enum class OnDelete : uint8_t { kRestrict, kCascade, kSetNull };
const char* OnDeleteName(OnDelete on_delete);  // "restrict", "cascade", "setNull"

enum class StringFormat : uint8_t { kNone, kEmail, kUrl, kUuid };
const char* StringFormatName(StringFormat format);  // "", "email", "url", "uuid"

// A compiled expression with its text. Shared so that schemas copy cheaply; the Program is
// immutable and thread-safe.
struct CompiledExpr {
  std::string text;
  std::shared_ptr<const expr::Program> program;
};

// A `check` constraint: holds when the expression is true.
struct Check {
  std::string name;     // optional; names the rule in errors
  std::string message;  // optional; replaces the default message
  CompiledExpr expr;
};

// A `min` or `max` bound, held exactly for its field's kind: an int field's is an int64, a float
// field's a double, a datetime field's an int64 of microseconds since the epoch (expr/datetime.h).
// Bounds of fields of one kind hold the same alternative, so std::variant's comparisons order them.
using Bound = std::variant<int64_t, double>;

struct Field;

// A map of declared fields: a collection's documents, or a field of type object.
struct ObjectSchema {
  std::vector<Field> fields;  // declared order (kept by serialization and TypeScript output)
  std::vector<Check> checks;  // evaluated on this object's map
  bool additional_fields = false;

  // The field named `name`, or nullptr.
  const Field* Find(std::string_view name) const;
};

struct Field {
  std::string name;
  FieldKind kind = FieldKind::kJson;
  bool required = false;
  bool nullable = false;
  bool hidden = false;
  bool readonly = false;  // may not change after create; never inside arrays
  bool unique = false;    // enforced by the engine's unique index

  // default: a literal (MessagePack bytes of one value) or an expression.
  std::optional<std::string> default_literal;
  std::optional<CompiledExpr> default_expr;

  // int / float / datetime: value bounds (inclusive).
  std::optional<Bound> min;
  std::optional<Bound> max;
  // string: length in code points; array: element count.
  std::optional<uint64_t> min_length;
  std::optional<uint64_t> max_length;
  // string: RE2 partial match (anchor with ^ and $).
  std::string pattern;
  std::shared_ptr<const re2::RE2> pattern_re;
  // string / int / float: allowed values (MessagePack bytes of one value each).
  std::vector<std::string> enum_values;
  StringFormat format = StringFormat::kNone;

  // ref
  std::string ref_collection;
  OnDelete on_delete = OnDelete::kRestrict;
  // array: the element type, exactly one Field (its name is unused). Empty for other kinds.
  std::vector<Field> items;
  // object
  std::shared_ptr<const ObjectSchema> object;

  // Field-level constraint, evaluated on the containing object when this field is present and not
  // null.
  std::optional<Check> check;

  // Migration hints (migrate.h), at any depth but on array items: this field was called
  // `renamed_from` in the previous version of its object; `convert` computes its value from the
  // previous version of the object holding it (the document, for a top-level field).
  std::string renamed_from;
  std::optional<CompiledExpr> convert;
};

// A compound unique key: the tuple of these top-level field values is unique in the collection.
struct UniqueKey {
  std::vector<std::string> fields;
};

struct CollectionSchema {
  std::string name;
  uint32_t version = 1;
  ObjectSchema root;
  std::vector<UniqueKey> unique;  // compound keys; single-field ones are Field::unique
};

struct Schema {
  std::vector<CollectionSchema> collections;  // sorted by name

  const CollectionSchema* Find(std::string_view name) const;
};

// Reads a schema file (docs/schema.md). Errors: InvalidArgument naming the JSON path of the
// offending element, e.g. "collections.users.fields.age.min: expected a number", for bad JSON, an
// unknown key, a wrong value type, a bound its field cannot hold exactly (an int field's must be an
// int64, a float field's a double, a datetime field's a datetime string), an unknown field type or
// format, a bad RE2 pattern, a check that does not parse or type-check against the schema, a ref to
// a collection the file does not define, a unique key naming an unknown field, readonly inside an
// array (on its items or a field of an object in its elements). Thread-safe.
Result<Schema> ParseSchemaFile(std::string_view json);

// Reads one collection's definition (the value under collections.<name> in a schema file).
// `known_collections` lists the names refs may point to (empty: any name is accepted). Errors as
// ParseSchemaFile, paths starting at "collections.<name>". Thread-safe.
Result<CollectionSchema> ParseCollectionSchema(std::string_view name, std::string_view json,
                                               const std::vector<std::string>& known_collections);

// The canonical JSON text of a schema: collections by name, fields in declared order, options in a
// fixed order, options at their default left out, no whitespace. ParseSchemaFile of it gives an
// equal schema and serializing that gives the same bytes. Thread-safe.
std::string SerializeSchema(const Schema& schema);
// One collection's canonical JSON (the value under collections.<name>).
std::string SerializeCollection(const CollectionSchema& collection);

// The checker's view of an object schema, for compiling expressions against it: declared fields
// with their types; nested paths through objects and arrays; unknown names are nullopt unless the
// object allows additional fields (then of unknown type). Holds `object` by reference; it must
// outlive the resolver. Thread-safe.
class ObjectResolver : public expr::SchemaResolver {
 public:
  explicit ObjectResolver(const ObjectSchema& object) : object_(object) {}
  std::optional<expr::FieldType> ResolveField(
      const std::vector<expr::PathSegment>& path) const override;

 private:
  const ObjectSchema& object_;
};

// The checker's type of a field's values.
expr::FieldType ExprType(const Field& field);

}  // namespace daas::schema
