// Fuzzes the schema layer on untrusted input: the first byte picks a mode. Mode 0 parses the rest
// as a schema file and, when it parses, serializes it, reparses the canonical text (which must
// parse and serialize to the same bytes) and generates TypeScript. Otherwise the rest is a JSON
// document (or raw MessagePack) which, once doc::ValidateDocument accepts it, is validated
// against a fixed rich schema on create and on update, gets defaults applied (and must still be a
// valid document, lacking none; a document ApplyDefaultsIfMissing calls complete must hold every
// defaulted field), and is migrated to a second version. Nothing may crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "daas/options.h"
#include "doc/json.h"
#include "doc/msgpack_reader.h"
#include "schema/migrate.h"
#include "schema/schema.h"
#include "schema/typescript.h"
#include "schema/validate.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_schema: %s %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

constexpr const char* kRich = R"j({"collections": {
  "users": {"version": 1, "fields": {
    "name": {"type": "string", "required": true, "minLength": 1, "maxLength": 20,
             "pattern": "^[A-Za-z ]+$"},
    "email": {"type": "string", "format": "email"},
    "site": {"type": "string", "format": "url", "nullable": true},
    "uid": {"type": "string", "format": "uuid"},
    "age": {"type": "int", "min": 0, "max": 150, "check": "age != 13"},
    "score": {"type": "float", "default": 0.5},
    "role": {"type": "string", "enum": ["admin", "user"], "default": "user"},
    "active": "bool",
    "joined": {"type": "datetime", "default": {"$expr": "@now"}, "readonly": true},
    "key": "id",
    "manager": {"type": "ref", "collection": "users", "nullable": true},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 8}, "maxLength": 4},
    "items": {"type": "array", "items": {"type": "object", "fields": {
      "price": {"type": "float", "min": 0}, "qty": {"type": "int", "required": true}},
      "checks": ["qty > 0"]}},
    "address": {"type": "object", "fields": {"city": {"type": "string", "required": true},
      "zip": {"type": "string", "readonly": true}}},
    "meta": "json",
    "start": "datetime", "end": "datetime"},
    "checks": ["!has(end) || end > start"]}}})j";

constexpr const char* kV2 = R"j({"version": 2, "fields": {
    "name": {"type": "string", "required": true},
    "age": {"type": "string", "convert": "age + 1"},
    "handle": {"type": "string", "renamedFrom": "email"},
    "status": {"type": "string", "default": "new"}}, "additionalFields": true})j";

struct Fixture {
  daas::schema::Schema schema;
  daas::schema::CollectionSchema v2;
  daas::schema::SchemaDiff diff;
};

const Fixture& GetFixture() {
  static const Fixture* f = [] {
    auto* fx = new Fixture;
    auto s = daas::schema::ParseSchemaFile(kRich);
    if (!s.ok()) Fail("fixture schema:", s.status().message());
    fx->schema = std::move(*s);
    auto v2 = daas::schema::ParseCollectionSchema("users", kV2, {"users"});
    if (!v2.ok()) Fail("fixture v2:", v2.status().message());
    fx->v2 = std::move(*v2);
    auto d = daas::schema::DiffSchemas(fx->schema.collections[0], fx->v2);
    if (!d.ok()) Fail("fixture diff:", d.status().message());
    fx->diff = std::move(*d);
    return fx;
  }();
  return *f;
}

void FuzzSchemaFile(std::string_view text) {
  auto s = daas::schema::ParseSchemaFile(text);
  if (!s.ok()) return;
  const std::string canonical = daas::schema::SerializeSchema(*s);
  auto again = daas::schema::ParseSchemaFile(canonical);
  if (!again.ok()) Fail("canonical text does not parse:", again.status().message());
  if (daas::schema::SerializeSchema(*again) != canonical)
    Fail("canonical text unstable:", canonical);
  (void)daas::schema::GenerateTypeScript(*s).size();
}

void FuzzDocument(std::string_view bytes) {
  using namespace daas::schema;
  const Fixture& fx = GetFixture();
  const CollectionSchema& users = fx.schema.collections[0];
  if (!daas::doc::ValidateDocument(bytes, daas::DocumentLimits()).ok()) return;
  const ValidationContext context{1715780730250000};
  auto v = Validate(users, bytes, ValidationMode::kCreate, "", context);
  if (v.ok() && !v->empty()) {
    (void)ViolationsToJson(PublicViolations("c", "", *v)).size();
    ViolationStatus("users", "", *v).IgnoreError();  // rendering only
  }
  auto u = Validate(users, bytes, ValidationMode::kUpdate, bytes, context);
  if (u.ok()) {
    for (const Violation& x : *u) {
      if (x.code == ViolationCode::kReadonly) Fail("unchanged document broke readonly:", x.path);
    }
  }
  auto with_defaults = ApplyDefaults(users, bytes, context);
  if (with_defaults.ok()) {
    if (!daas::doc::ValidateDocument(*with_defaults, daas::kCeilingDocumentLimits).ok()) {
      Fail("ApplyDefaults wrote an invalid document", "");
    }
    // The fixture's defaults are all top-level scalars, so one pass leaves none missing.
    auto again = ApplyDefaultsIfMissing(users, *with_defaults, context);
    if (again.ok() && again->has_value()) Fail("ApplyDefaults left a default missing", "");
  }
  auto filled = ApplyDefaultsIfMissing(users, bytes, context);
  if (filled.ok() && !filled->has_value()) {
    for (const Field& f : users.root.fields) {
      if ((f.default_literal || f.default_expr) && !daas::doc::FindField(bytes, f.name)) {
        Fail("ApplyDefaultsIfMissing missed a missing default:", f.name);
      }
    }
  }
  auto migrated = MigrateDocument(fx.diff, users, fx.v2, bytes, context);
  if (migrated.ok() && !daas::doc::ValidateDocument(*migrated, daas::kCeilingDocumentLimits).ok()) {
    Fail("MigrateDocument wrote an invalid document", "");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      FuzzSchemaFile(rest);
      break;
    case 1: {
      auto bytes = daas::doc::JsonToMsgpack(rest, daas::DocumentLimits());
      if (bytes.ok()) FuzzDocument(*bytes);
      break;
    }
    default:
      FuzzDocument(rest);
      break;
  }
  return 0;
}
