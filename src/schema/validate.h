// Validation of one document against its collection's schema, the defaults applied on create, and
// the violation list and error shapes the engine and the API report (docs/schema.md, "Validation").
//
// Invariant: validation never stops at the first problem: it reports every violation of the
// document, each with a stable code, the field path, the rule and the offending value (truncated),
// and it never fails on what a user sends: a document that is not a map is one violation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daas/status.h"
#include "schema/schema.h"

namespace daas::expr {
class Evaluator;
}

namespace daas::schema {

// Stable codes, one per kind of violation. Their names (ViolationCodeName) are part of the API.
enum class ViolationCode : uint8_t {
  kRequired,      // validation_required: a required field is missing
  kNull,          // validation_null: null in a field that is not nullable
  kType,          // validation_type: a value of the wrong type
  kUnknownField,  // validation_unknown_field: a key the schema does not declare
  kMin,           // validation_min: a number below min
  kMax,           // validation_max: a number above max
  kMinLength,     // validation_min_length: a string or array shorter than minLength
  kMaxLength,     // validation_max_length: a string or array longer than maxLength
  kPattern,       // validation_pattern: a string the pattern does not match
  kEnum,          // validation_enum: a value not in enum
  kFormat,        // validation_format: not an email / url / uuid
  kReadonly,      // validation_readonly: a readonly field changed on update
  kCheck,         // validation_check: a check constraint is not true
  kUnique,        // validation_unique: a unique key is taken (reported by the engine)
  kRef,           // validation_ref: a ref points at no document (reported by the engine)
};

const char* ViolationCodeName(ViolationCode code);

// Longest rendering of an offending value in a message, in bytes (cut at a UTF-8 boundary, "..."
// appended).
inline constexpr size_t kMaxValueTextBytes = 64;

struct Violation {
  ViolationCode code = ViolationCode::kType;
  // Dotted path from the document root: "age", "address.city", "items.2.price"; empty for a
  // collection-level check.
  std::string path;
  // What was expected, naming the rule: "must be >= 18 (min), found 12".
  std::string message;
};

enum class ValidationMode : uint8_t { kCreate, kUpdate };

struct ValidationContext {
  // The instant expression defaults and checks see as @now (microseconds since the epoch, UTC).
  int64_t now_micros = 0;
};

// Validates documents of one collection and fills in their defaults. Holds one expression
// Evaluator per check and per expression default, built on first use, so validating many
// documents allocates only for the violations found. The schema must outlive the Validator.
// Thread-compatible: one thread at a time per Validator (make one per thread); many Validators may
// share a schema.
class Validator {
 public:
  Validator(const CollectionSchema& schema, const ValidationContext& context);
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  // Appends to `out` every violation of `document` (kCreate), or of `document` replacing
  // `previous` (kUpdate: readonly fields must keep their previous value; `previous` is ignored on
  // create). Returns the number appended. Requires: `document` and a non-empty `previous` passed
  // doc::ValidateDocument (any limits). Errors: only ResourceExhausted when a check exceeds its
  // evaluation budget.
  Result<size_t> Validate(std::string_view document, ValidationMode mode, std::string_view previous,
                          std::vector<Violation>* out);

  // The free ApplyDefaultsIfMissing (below) on this Validator's schema and context, evaluating
  // expression defaults with the Evaluators this Validator keeps rather than new ones per
  // document. Requires and errors as ApplyDefaultsIfMissing.
  Result<std::optional<std::string>> ApplyDefaultsIfMissing(std::string_view document);
  // HasDefaults of the schema, computed once.
  bool has_defaults() const { return has_defaults_; }

  // Moves the context (its @now) for the documents validated from now on, keeping the
  // Evaluators: one Validator may serve many commits.
  void SetContext(const ValidationContext& context);

 private:
  struct State;
  const CollectionSchema& schema_;
  ValidationContext context_;
  const bool has_defaults_;
  std::unique_ptr<State> state_;
};

// One-shot form of Validator::Validate: every violation of `document`.
Result<std::vector<Violation>> Validate(const CollectionSchema& schema, std::string_view document,
                                        ValidationMode mode, std::string_view previous,
                                        const ValidationContext& context);

// The public form (daas::Violation, status.h) of `violations` of document `document_id` (empty:
// not inserted yet) of `collection`.
std::vector<daas::Violation> PublicViolations(std::string_view collection,
                                              std::string_view document_id,
                                              const std::vector<Violation>& violations);

// A JSON array with one object per violation: {"collection", "document", "field", "code",
// "message"}, what Status::detail() holds for a SchemaViolation. Thread-safe.
std::string ViolationsToJson(const std::vector<daas::Violation>& violations);

// A SchemaViolation status naming the collection, the document and every violation:
// "collection 'users', document 'AbC...': 2 violations: age: validation_min: ...; name: ...".
// `document_id` may be empty (a document not yet inserted). Its violations() are
// PublicViolations, its detail() their ViolationsToJson. Requires: !violations.empty().
Status ViolationStatus(std::string_view collection, std::string_view document_id,
                       const std::vector<Violation>& violations);

// The document with every missing field that has a default set to it (literal, or the
// expression's value on the document, with @now at context.now_micros), recursively in present
// nested objects, elements of arrays included; fields present (even null) are kept. Appended
// fields follow the existing keys in declared order. Returns a copy of the input bytes when
// nothing is missing. Requires: `document` passed doc::ValidateDocument. Errors: ResourceExhausted
// from an expression's budget. Thread-safe.
Result<std::string> ApplyDefaults(const CollectionSchema& schema, std::string_view document,
                                  const ValidationContext& context);

// ApplyDefaults without the copy: std::nullopt when nothing is missing (the common insert, which
// then keeps its own bytes; finding out reads the document and allocates nothing), else the filled
// document. Builds an Evaluator per expression default it evaluates: to fill many documents,
// Validator::ApplyDefaultsIfMissing reuses its own. Requires and errors as ApplyDefaults.
// Thread-safe.
Result<std::optional<std::string>> ApplyDefaultsIfMissing(const CollectionSchema& schema,
                                                          std::string_view document,
                                                          const ValidationContext& context);

// Whether any field, at any depth through objects and arrays, has a default: without one
// ApplyDefaults only copies, and a caller may skip it. Thread-safe.
bool HasDefaults(const CollectionSchema& schema);

}  // namespace daas::schema
