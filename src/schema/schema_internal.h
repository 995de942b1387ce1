// Declarations shared by the schema module's own files only (STYLE.md §6).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"
#include "expr/value.h"
#include "schema/schema.h"
#include "schema/validate.h"

namespace daas::schema::internal {

// Appends the violations of one value against `field`'s type and value options (not its checks,
// readonly or required: those need the document), with paths under `path`. Used to check literal
// defaults and enum values at schema definition time. Requires: validated `value`.
void ValidateLiteral(const Field& field, const doc::Value& value, const std::string& path,
                     std::vector<Violation>* out);

// The JSON text of a value, cut to kMaxValueTextBytes at a UTF-8 boundary.
std::string ValueText(const doc::Value& value);

// Whether `name` can be a field or collection name: [A-Za-z_][A-Za-z0-9_]*, at most 64 bytes.
bool IsIdentifier(std::string_view name);

// Whether `name` is a top-level field the engine owns (id, created, updated): a schema cannot
// declare it, and validation ignores it.
inline bool IsSystemField(std::string_view name) {
  return name == "id" || name == "created" || name == "updated";
}

// A bound of a field of kind `kind` for people: an int field's as an integer, a float field's
// integral values as integers ("18", not "18.0") and others in the shortest form that reads back
// exactly ("0.1"), a datetime field's as FormatDatetime's text ("2024-05-01 00:00:00.000Z").
std::string BoundText(FieldKind kind, const Bound& bound);

// Writes an expression's value (a default, a migration's conversion) as the stored value of
// `field`: datetimes as PocketBase text (JSON has no date type), integral floats in int fields as
// integers.
void WriteExprValue(const Field& field, const expr::Value& v, doc::Writer* w);

}  // namespace daas::schema::internal
