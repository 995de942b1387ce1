// Schema versions and migrations (docs/schema.md, "Versions and migrations"): the list of changes
// between two versions of a collection's schema, and the rewrite of one document from the old
// version to the new. The engine drives these over live data; this layer only knows one document
// at a time.
//
// Invariant: MigrateDocument depends only on the two schemas, the document and the context, so
// migrating the same document twice gives the same bytes, so validating its result before a change
// (the engine's preview) reports exactly what the real migration would then reject.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daas/status.h"
#include "schema/schema.h"
#include "schema/validate.h"

namespace daas::schema {

enum class ChangeKind : uint8_t {
  kAddField,     // `field` is new (filled from its default or convert, if any)
  kRemoveField,  // `field` is gone: its values are dropped
  kRenameField,  // `from` is now called `field` (the new field's renamedFrom)
  kChangeType,   // `field`'s type changed (and/or it has a convert expression)
  kTighten,      // a constraint got stricter: documents may now violate it
  kLoosen,       // a constraint got looser or was removed: every valid document stays valid
};

const char* ChangeKindName(ChangeKind kind);  // "add_field", "remove_field", ...

struct Change {
  ChangeKind kind = ChangeKind::kAddField;
  // The field's dotted path: "name", "address.city", "lines.*.sku" (`*`: every element of the
  // array `lines`). A change to an object's own checks or additionalFields names the object;
  // empty for the collection's (and for its unique keys).
  std::string field;
  std::string from;  // kRenameField: the old name, a key of the same object
  // What changed, for people: "type int -> string (convert: ...)", "min 0 -> 18", "required".
  std::string description;
};

struct SchemaDiff {
  uint32_t from_version = 0;
  uint32_t to_version = 0;
  std::vector<Change> changes;
  // Whether stored documents must be rewritten (adds with a default or convert, removes, renames,
  // conversions, at any depth); false when only constraints changed, where a preview is all that
  // is needed.
  bool rewrites_documents = false;
};

// The changes from `from` to `to` (the same collection): top-level fields in `to`'s order, then
// removals, then collection-level changes. A field kept with its type and without a convert is
// followed by the changes inside it, by the same rules: the fields of its objects (paths
// "address.city"), of its arrays' objects ("lines.*.sku") and its element type's constraints
// ("tags.*"). Errors: InvalidArgument when to.version is not greater than from.version, a
// renamedFrom names no field of the previous version of its object or a field the object still
// has, or a convert expression does not type-check against the previous version of its object
// (an unknown field, mismatched operands). Thread-safe.
Result<SchemaDiff> DiffSchemas(const CollectionSchema& from, const CollectionSchema& to);

// `document` (valid under `from`) rewritten for `to` per `diff`, in the document and in every
// object inside it the diff changes (objects of object fields, elements of arrays of objects):
// removed fields dropped, renamed keys renamed in place, fields with a convert expression set to
// its value on the previous version of the object holding them (a null result keeps a present
// value and leaves a missing field missing), then ApplyDefaults(to). Keys neither schema declares
// are kept. Requires: diff came from DiffSchemas(from, to); `document` passed
// doc::ValidateDocument. Errors: ResourceExhausted from an expression's evaluation budget.
// Thread-safe.
Result<std::string> MigrateDocument(const SchemaDiff& diff, const CollectionSchema& from,
                                    const CollectionSchema& to, std::string_view document,
                                    const ValidationContext& context);

}  // namespace daas::schema
