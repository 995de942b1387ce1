#include "schema/migrate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "doc/msgpack_reader.h"
#include "expr/datetime.h"
#include "schema/schema_test_util.h"

namespace daas::schema {
namespace {

using testing::Doc;
using testing::Json;
using testing::One;

const int64_t kNow = *expr::ParseDatetime("2024-05-15 13:45:30.250Z");

const char* kV1 = R"({"version": 1, "fields": {
    "name": {"type": "string", "required": true},
    "age": {"type": "string"},
    "nick": "string",
    "legacy": "int",
    "score": {"type": "int", "min": 0}}})";

const char* kV2 = R"j({"version": 2, "fields": {
    "name": {"type": "string", "required": true, "maxLength": 5},
    "age": {"type": "int", "convert": "len(age)"},
    "handle": {"type": "string", "renamedFrom": "nick"},
    "score": {"type": "int", "min": 10},
    "status": {"type": "string", "default": "active"},
    "joined": {"type": "datetime", "default": {"$expr": "@now"}}},
    "checks": ["score < 100"]})j";

std::vector<std::string> Summary(const SchemaDiff& d) {
  std::vector<std::string> out;
  for (const Change& c : d.changes) {
    out.push_back(std::string(ChangeKindName(c.kind)) + " " + c.field + ": " + c.description);
  }
  return out;
}

TEST(DiffSchemas, ListsEveryKindOfChange) {
  auto d = DiffSchemas(One(kV1), One(kV2));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->from_version, 1u);
  EXPECT_EQ(d->to_version, 2u);
  EXPECT_TRUE(d->rewrites_documents);
  EXPECT_EQ(Summary(*d), (std::vector<std::string>{
                             "tighten name: maxLength none -> 5",
                             "change_type age: type string -> int (convert: len(age))",
                             "rename_field handle: renamed from 'nick'",
                             "tighten score: min 0 -> 10",
                             "add_field status: new string with a default",
                             "add_field joined: new datetime with a default",
                             "remove_field legacy: removed",
                             "tighten : check 'score < 100' added",
                         }));
}

TEST(DiffSchemas, LoosensAndConstraintOnlyChanges) {
  auto d = DiffSchemas(One(R"({"version": 1, "fields": {"a": {"type": "int", "max": 5,
      "required": true}}})"),
                       One(R"({"version": 2, "fields": {"a": {"type": "int", "max": 9}}})"));
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->rewrites_documents);
  EXPECT_EQ(Summary(*d),
            (std::vector<std::string>{"loosen a: no longer required", "loosen a: max 5 -> 9"}));
}

TEST(DiffSchemas, DescribesBoundsExactly) {
  auto d = DiffSchemas(One(R"({"version": 1, "fields": {"a": {"type": "float", "min": 0.5,
      "max": 1e20}}})"),
                       One(R"({"version": 2, "fields": {"a": {"type": "float", "min": 1e-7,
      "max": 123456.789}}})"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(Summary(*d), (std::vector<std::string>{"loosen a: min 0.5 -> 1e-07",
                                                   "tighten a: max 1e+20 -> 123456.789"}));
}

TEST(DiffSchemas, ComparesIntAndDatetimeBoundsExactly) {
  auto d = DiffSchemas(One(R"({"version": 1, "fields": {
      "i": {"type": "int", "min": 0, "max": 10},
      "big": {"type": "int", "max": 9007199254740993},
      "d": {"type": "datetime", "min": "2024-01-01", "max": "2024-06-01"}}})"),
                       One(R"({"version": 2, "fields": {
      "i": {"type": "int", "min": -1, "max": 9},
      "big": {"type": "int", "max": 9007199254740992},
      "d": {"type": "datetime", "min": "2024-01-01T00:00:00.000001Z", "max": "2024-07-01"}}})"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(Summary(*d),
            (std::vector<std::string>{
                "loosen i: min 0 -> -1",
                "tighten i: max 10 -> 9",
                // Equal as doubles; one apart as the int64s they are.
                "tighten big: max 9007199254740993 -> 9007199254740992",
                "tighten d: min 2024-01-01 00:00:00.000Z -> 2024-01-01 00:00:00.000001Z",
                "loosen d: max 2024-06-01 00:00:00.000Z -> 2024-07-01 00:00:00.000Z",
            }));
}

TEST(DiffSchemas, RejectsBadVersionsAndRenames) {
  EXPECT_FALSE(DiffSchemas(One(kV2), One(kV1)).ok());
  EXPECT_FALSE(DiffSchemas(One(kV1), One(kV1)).ok());
  auto d = DiffSchemas(One(kV1), One(R"({"version": 2, "fields": {"b": {"type": "int",
      "renamedFrom": "zz"}}})"));
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
}

TEST(MigrateDocument, RewritesPerTheDiff) {
  const CollectionSchema v1 = One(kV1), v2 = One(kV2);
  auto d = DiffSchemas(v1, v2);
  ASSERT_TRUE(d.ok());
  auto m =
      MigrateDocument(*d, v1, v2, Doc(R"({"name": "Ada", "age": "xxx", "nick": "al", "legacy": 1,
                                   "score": 50})"),
                      {kNow});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Json(*m), R"({"name":"Ada","age":3,"handle":"al","score":50,"status":"active",)"
                      R"("joined":"2024-05-15 13:45:30.250Z"})");
  auto migrated = MigrateDocument(*d, v1, v2, Doc(R"({"name": "Ada", "score": 50})"), {kNow});
  ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
  auto p = Validate(v2, *migrated, ValidationMode::kCreate, "", {kNow});
  ASSERT_TRUE(p.ok());
  // len(null) is 0: the converted age is added.
  EXPECT_TRUE(p->empty()) << (p->empty() ? "" : p->at(0).path + " " + p->at(0).message);
}

// Found by fuzz_schema: a document holding both a renamed field and a key named like its new name
// was migrated with that key twice (an invalid document). The renamed value wins.
TEST(MigrateDocument, RenamedFieldReplacesAKeyOfItsNewName) {
  const CollectionSchema v1 = One(kV1), v2 = One(kV2);
  auto d = DiffSchemas(v1, v2);
  ASSERT_TRUE(d.ok());
  for (const char* json : {R"({"name": "Ada", "nick": "al", "handle": {"x": [1, null]}})",
                           R"({"name": "Ada", "handle": "old", "nick": "al"})"}) {
    SCOPED_TRACE(json);
    auto m = MigrateDocument(*d, v1, v2, Doc(json), {kNow});
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_TRUE(daas::doc::ValidateDocument(*m, daas::kCeilingDocumentLimits).ok());
    // (len(null) is 0: the converted age is added, as in RewritesPerTheDiff.)
    EXPECT_EQ(Json(*m), R"({"name":"Ada","handle":"al","age":0,"status":"active",)"
                        R"("joined":"2024-05-15 13:45:30.250Z"})");
  }
}

// The engine's preview of a change: each stored document migrated, then validated.
TEST(MigrateDocument, ItsResultShowsWhatTheNewVersionRejects) {
  const CollectionSchema v1 = One(kV1), v2 = One(kV2);
  auto d = DiffSchemas(v1, v2);
  ASSERT_TRUE(d.ok());
  auto migrated =
      MigrateDocument(*d, v1, v2, Doc(R"({"name": "Adalovelace", "score": 5})"), {kNow});
  ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
  auto p = Validate(v2, *migrated, ValidationMode::kCreate, "", {kNow});
  ASSERT_TRUE(p.ok());
  std::vector<std::string> codes;
  for (const Violation& v : *p) codes.push_back(v.path + ":" + ViolationCodeName(v.code));
  EXPECT_EQ(codes,
            (std::vector<std::string>{"name:validation_max_length", "score:validation_min"}));
}

TEST(MigrateDocument, KeepsUndeclaredKeysAndIsDeterministic) {
  const CollectionSchema v1 = One(R"({"version": 1, "fields": {"a": "int"},
      "additionalFields": true})");
  const CollectionSchema v2 = One(R"({"version": 2, "fields": {"a": "int", "b": {"type": "int",
      "convert": "a * 2"}}, "additionalFields": true})");
  auto d = DiffSchemas(v1, v2);
  ASSERT_TRUE(d.ok());
  const std::string doc = Doc(R"({"a": 2, "x": "kept"})");
  auto m1 = MigrateDocument(*d, v1, v2, doc, {kNow});
  auto m2 = MigrateDocument(*d, v1, v2, doc, {kNow});
  ASSERT_TRUE(m1.ok() && m2.ok());
  EXPECT_EQ(*m1, *m2);
  EXPECT_EQ(Json(*m1), R"({"a":2,"x":"kept","b":4})");
  // A null conversion leaves the field missing.
  auto m3 = MigrateDocument(*d, v1, v2, Doc(R"({"x": 1})"), {kNow});
  ASSERT_TRUE(m3.ok());
  EXPECT_EQ(Json(*m3), R"({"x":1})");
}

// Renames and conversions inside an object field and inside the objects of an array's elements.
const char* kNestedV1 = R"({"version": 1, "fields": {
    "name": "string",
    "address": {"type": "object", "fields": {"city": "string", "zip": "string", "legacy": "int"}},
    "lines": {"type": "array", "items": {"type": "object", "fields": {
        "code": "string", "cents": "int"}}}}})";

const char* kNestedV2 = R"j({"version": 2, "fields": {
    "name": "string",
    "address": {"type": "object", "fields": {
        "town": {"type": "string", "renamedFrom": "city"},
        "zip": {"type": "int", "convert": "len(zip)"},
        "country": {"type": "string", "default": "NZ"}}},
    "lines": {"type": "array", "items": {"type": "object", "fields": {
        "sku": {"type": "string", "renamedFrom": "code"},
        "price": {"type": "float", "convert": "cents / 100"}}}}}})j";

TEST(DiffSchemas, ReportsNestedChangesWithTheirPaths) {
  auto d = DiffSchemas(One(kNestedV1), One(kNestedV2));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->rewrites_documents);
  ASSERT_EQ(Summary(*d), (std::vector<std::string>{
                             "rename_field address.town: renamed from 'city'",
                             "change_type address.zip: type string -> int (convert: len(zip))",
                             "add_field address.country: new string with a default",
                             "remove_field address.legacy: removed",
                             "rename_field lines.*.sku: renamed from 'code'",
                             "add_field lines.*.price: new float (convert: cents / 100)",
                             "remove_field lines.*.cents: removed",
                         }));
  EXPECT_EQ(d->changes[0].from, "city");
}

TEST(DiffSchemas, NestedFieldWithADefaultRewritesDocuments) {
  auto d = DiffSchemas(One(R"({"version": 1, "fields": {"o": {"type": "object", "fields": {
      "a": "int"}}}})"),
                       One(R"({"version": 2, "fields": {"o": {"type": "object", "fields": {
      "a": "int", "b": {"type": "int", "default": 1}}}}})"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->rewrites_documents);
  EXPECT_EQ(Summary(*d), std::vector<std::string>{"add_field o.b: new int with a default"});
}

TEST(DiffSchemas, RejectsNestedRenamesOfFieldsTheOldObjectLacksOrKeeps) {
  const CollectionSchema v1 = One(kNestedV1);
  auto lacks = DiffSchemas(v1, One(R"({"version": 2, "fields": {"address": {"type": "object",
      "fields": {"town": {"type": "string", "renamedFrom": "name"}}}}})"));
  EXPECT_EQ(lacks.status().message(),
            "collection 'c': field 'address.town' is renamedFrom 'name', which the previous "
            "version lacks or this one keeps");
  auto keeps = DiffSchemas(v1, One(R"({"version": 2, "fields": {"lines": {"type": "array",
      "items": {"type": "object", "fields": {"code": "string",
      "sku": {"type": "string", "renamedFrom": "code"}}}}}})"));
  EXPECT_EQ(keeps.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(keeps.status().message().find("'lines.*.sku'"), std::string_view::npos);
}

// A nested convert sees the previous version of its own object: neither the new names nor the
// fields of the objects around it.
TEST(DiffSchemas, ChecksNestedConvertsAgainstThePreviousObject) {
  const CollectionSchema v1 = One(kNestedV1);
  for (const char* convert : {"len(town)", "len(name)"}) {
    SCOPED_TRACE(convert);
    const std::string v2 = R"j({"version": 2, "fields": {"address": {"type": "object", "fields": {
        "town": {"type": "string", "renamedFrom": "city"},
        "n": {"type": "int", "convert": ")j" +
                           std::string(convert) + R"j("}}}}})j";
    auto d = DiffSchemas(v1, One(v2));
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(d.status().message().rfind("collection 'c': field 'address.n': convert, on the "
                                         "previous version: expression at byte 4: unknown field",
                                         0),
              0u)
        << d.status().ToString();
  }
  // Types are the old ones: zip was a string.
  auto typed = DiffSchemas(v1, One(R"({"version": 2, "fields": {"address": {"type": "object",
      "fields": {"zip": {"type": "int", "convert": "zip + 1"}}}}})"));
  EXPECT_EQ(typed.status().code(), StatusCode::kInvalidArgument) << typed.status().ToString();
}

TEST(MigrateDocument, RenamesAndConvertsInsideObjects) {
  const CollectionSchema v1 = One(kNestedV1), v2 = One(kNestedV2);
  auto d = DiffSchemas(v1, v2);
  ASSERT_TRUE(d.ok());
  auto m = MigrateDocument(
      *d, v1, v2,
      Doc(R"({"name": "Ada", "address": {"city": "Oslo", "zip": "0150", "legacy": 1}})"), {kNow});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Json(*m), R"({"name":"Ada","address":{"town":"Oslo","zip":4,"country":"NZ"}})");
}

TEST(MigrateDocument, RenamesAndConvertsInEveryArrayElement) {
  const CollectionSchema v1 = One(kNestedV1), v2 = One(kNestedV2);
  auto d = DiffSchemas(v1, v2);
  ASSERT_TRUE(d.ok());
  // The second element has no cents: its price stays missing.
  auto m = MigrateDocument(
      *d, v1, v2,
      Doc(R"({"lines": [{"code": "a", "cents": 250}, {"code": "b"}, {"cents": 5}], "name": "x"})"),
      {kNow});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Json(*m),
            R"({"lines":[{"sku":"a","price":2.5},{"sku":"b"},{"price":0.05}],"name":"x"})");
  auto p = Validate(v2, *m, ValidationMode::kCreate, "", {kNow});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->empty());
}

// As at the top level, a new required field without a default or convert is left missing, and
// validating the migrated document (the engine's preview) refuses the change.
TEST(MigrateDocument, NestedRequiredFieldWithoutDefaultIsRefused) {
  const CollectionSchema v1 = One(kNestedV1);
  const CollectionSchema v2 = One(R"({"version": 2, "fields": {
      "address": {"type": "object", "fields": {"city": "string", "zip": "string",
          "country": {"type": "string", "required": true}}}}})");
  auto d = DiffSchemas(v1, v2);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(Summary(*d), (std::vector<std::string>{
                             "add_field address.country: new string",
                             "tighten address.country: required, no default",
                             "remove_field address.legacy: removed",
                             "remove_field name: removed",
                             "remove_field lines: removed",
                         }));
  auto m = MigrateDocument(*d, v1, v2, Doc(R"({"address": {"city": "Oslo"}})"), {kNow});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto p = Validate(v2, *m, ValidationMode::kCreate, "", {kNow});
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ(p->at(0).path + ":" + ViolationCodeName(p->at(0).code),
            "address.country:validation_required");
}

}  // namespace
}  // namespace daas::schema
