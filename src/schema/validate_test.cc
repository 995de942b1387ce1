#include "schema/validate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "daas/doc_id.h"
#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"
#include "expr/datetime.h"
#include "schema/schema_test_util.h"

namespace daas::schema {
namespace {

using testing::Doc;
using testing::Json;
using testing::One;

const int64_t kNow = *expr::ParseDatetime("2024-05-15 13:45:30.250Z");

std::string IdText(uint64_t salt = 42) { return DocId(salt, ShardId{7}, 3).ToString(); }

// "path:code" for each violation, in order.
std::vector<std::string> Codes(const CollectionSchema& c, std::string_view json,
                               ValidationMode mode = ValidationMode::kCreate,
                               std::string_view previous_json = "") {
  const std::string previous = previous_json.empty() ? std::string() : Doc(previous_json);
  auto r = Validate(c, Doc(json), mode, previous, ValidationContext{kNow});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::string> out;
  if (!r.ok()) return out;
  for (const Violation& v : *r) out.push_back(v.path + ":" + ViolationCodeName(v.code));
  return out;
}

std::vector<Violation> Violations(const CollectionSchema& c, std::string_view json) {
  auto r = Validate(c, Doc(json), ValidationMode::kCreate, "", ValidationContext{kNow});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<Violation>();
}

using V = std::vector<std::string>;

TEST(Validate, AcceptsAValidDocument) {
  const CollectionSchema c = One(R"({"fields": {"name": {"type": "string", "required": true},
      "age": "int"}})");
  EXPECT_EQ(Codes(c, R"({"name": "Ada", "age": 36})"), V{});
  EXPECT_EQ(Codes(c, R"({"name": "Ada"})"), V{});
}

TEST(Validate, ReportsEveryViolationTogether) {
  const CollectionSchema c = One(R"({"fields": {"name": {"type": "string", "required": true},
      "age": {"type": "int", "min": 18}, "email": {"type": "string", "format": "email"}}})");
  EXPECT_EQ(Codes(c, R"({"age": 12, "email": "nope", "x": 1})"),
            (V{"age:validation_min", "email:validation_format", "x:validation_unknown_field",
               "name:validation_required"}));
}

TEST(Validate, TypesStringIntFloatBool) {
  const CollectionSchema c =
      One(R"({"fields": {"s": "string", "i": "int", "f": "float", "b": "bool"}})");
  EXPECT_EQ(Codes(c, R"({"s": "x", "i": -5, "f": 1.5, "b": true})"), V{});
  EXPECT_EQ(
      Codes(c, R"({"s": 1, "i": "1", "f": "1.5", "b": 1})"),
      (V{"s:validation_type", "i:validation_type", "f:validation_type", "b:validation_type"}));
  // int rejects fractions but takes integral floats; float takes integers.
  EXPECT_EQ(Codes(c, R"({"i": 1.5})"), V{"i:validation_type"});
  EXPECT_EQ(Codes(c, R"({"i": 2.0, "f": 3})"), V{});
  EXPECT_EQ(Codes(c, R"({"i": 18446744073709551615})"), V{});
  EXPECT_EQ(Codes(c, R"({"i": 1e300})"), V{"i:validation_type"});
  EXPECT_EQ(Codes(c, R"({"f": 100000000000000000000000})"), V{"f:validation_type"});
}

TEST(Validate, TypesDatetime) {
  const CollectionSchema c = One(R"({"fields": {"d": "datetime"}})");
  EXPECT_EQ(Codes(c, R"({"d": "2024-05-01"})"), V{});
  EXPECT_EQ(Codes(c, R"({"d": "2024-05-01 10:00:00.000Z"})"), V{});
  EXPECT_EQ(Codes(c, R"({"d": "2024-05-01T12:00:00+02:00"})"), V{});
  EXPECT_EQ(Codes(c, R"({"d": "2024-02-30"})"), V{"d:validation_type"});
  EXPECT_EQ(Codes(c, R"({"d": 1714557600})"), V{"d:validation_type"});
  // A MessagePack timestamp (ext -1, 32-bit seconds).
  std::string bytes;
  doc::Writer w(&bytes);
  w.MapHeader(1);
  w.String("d");
  w.Ext(-1, std::string("\x66\x32\x10\x00", 4));
  auto r = Validate(c, bytes, ValidationMode::kCreate, "", {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(Validate, TypesIdAndRef) {
  const CollectionSchema c = One(R"({"fields": {"k": "id",
      "r": {"type": "ref", "collection": "c"}}})");
  const std::string id = IdText();
  EXPECT_EQ(Codes(c, R"({"k": ")" + id + R"(", "r": ")" + id + R"("})"), V{});
  EXPECT_EQ(Codes(c, R"({"k": "short", "r": 5})"), (V{"k:validation_type", "r:validation_type"}));
  const std::string null_id = DocId().ToString();
  EXPECT_EQ(Codes(c, R"({"r": ")" + null_id + R"("})"), V{"r:validation_type"});
  auto v = Violations(c, R"({"r": 5})");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].message, "expected ref (a document ID of 'c'), found integer 5");
}

TEST(Validate, JsonAcceptsAnything) {
  const CollectionSchema c = One(R"({"fields": {"j": "json"}})");
  for (const char* d :
       {R"({"j": 1})", R"({"j": [1, {"a": null}]})", R"({"j": {"x": "y"}})", R"({"j": "s"})"}) {
    EXPECT_EQ(Codes(c, d), V{}) << d;
  }
  EXPECT_EQ(Codes(c, R"({"j": null})"), V{"j:validation_null"});
}

TEST(Validate, RequiredAndNullable) {
  const CollectionSchema c = One(R"({"fields": {"a": {"type": "int", "required": true},
      "b": {"type": "int", "nullable": true}, "c": "int",
      "d": {"type": "int", "required": true, "nullable": true}}})");
  EXPECT_EQ(Codes(c, R"({"a": 1, "d": null})"), V{});
  EXPECT_EQ(Codes(c, R"({"a": null, "b": null, "c": null, "d": 1})"),
            (V{"a:validation_null", "c:validation_null"}));
  EXPECT_EQ(Codes(c, R"({})"), (V{"a:validation_required", "d:validation_required"}));
}

TEST(Validate, MinMax) {
  const CollectionSchema c = One(R"({"fields": {"i": {"type": "int", "min": 1, "max": 10},
      "f": {"type": "float", "min": 0.5, "max": 1.5}}})");
  EXPECT_EQ(Codes(c, R"({"i": 1, "f": 0.5})"), V{});
  EXPECT_EQ(Codes(c, R"({"i": 10, "f": 1.5})"), V{});
  EXPECT_EQ(Codes(c, R"({"i": 0, "f": 0.4})"), (V{"i:validation_min", "f:validation_min"}));
  EXPECT_EQ(Codes(c, R"({"i": 11, "f": 2})"), (V{"i:validation_max", "f:validation_max"}));
  auto v = Violations(c, R"({"i": 0})");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].message, "must be >= 1 (min), found 0");
}

TEST(Validate, BoundsPrintInTheirShortestForm) {
  const CollectionSchema c =
      One(R"({"fields": {"f": {"type": "float", "min": 0.1, "max": 1e20}}})");
  auto v = Violations(c, R"({"f": 0.05})");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].message, "must be >= 0.1 (min), found 0.05");
  v = Violations(c, R"({"f": 1e21})");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].message, "must be <= 1e+20 (max), found 1e+21");
}

TEST(Validate, IntBoundsAreExactBeyond2To53) {
  // 2^53 + 1 has no double: as a double bound it would be 2^53.
  const CollectionSchema c = One(R"({"fields": {
      "hi": {"type": "int", "max": 9007199254740993},
      "lo": {"type": "int", "min": 9007199254740993}}})");
  EXPECT_EQ(Codes(c, R"({"hi": 9007199254740993, "lo": 9007199254740993})"), V{});
  EXPECT_EQ(Codes(c, R"({"hi": 9007199254740994, "lo": 9007199254740992})"),
            (V{"hi:validation_max", "lo:validation_min"}));
  auto v = Violations(c, R"({"hi": 9007199254740994})");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].message, "must be <= 9007199254740993 (max), found 9007199254740994");
  // An integral double is compared exactly too: 9007199254740994.0 is above the max.
  EXPECT_EQ(Codes(c, R"({"hi": 9007199254740994.0})"), V{"hi:validation_max"});
}

TEST(Validate, IntBoundsAtInt64Extremes) {
  const CollectionSchema c = One(R"({"fields": {
      "all": {"type": "int", "min": -9223372036854775808, "max": 9223372036854775807},
      "top": {"type": "int", "max": 9223372036854775806},
      "bottom": {"type": "int", "min": -9223372036854775807}}})");
  EXPECT_EQ(Codes(c, R"({"all": 9223372036854775807, "top": 9223372036854775806})"), V{});
  EXPECT_EQ(Codes(c, R"({"all": -9223372036854775808, "bottom": -9223372036854775807})"), V{});
  // Each value is one past its bound and the same double as it: only exact comparison tells.
  EXPECT_EQ(Codes(c, R"({"top": 9223372036854775807, "bottom": -9223372036854775808})"),
            (V{"top:validation_max", "bottom:validation_min"}));
  // A uint64 above INT64_MAX is an int value beyond every int64 bound.
  EXPECT_EQ(Codes(c, R"({"all": 9223372036854775808})"), V{"all:validation_max"});
  auto v = Violations(c, R"({"bottom": -9223372036854775808})");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].message, "must be >= -9223372036854775807 (min), found -9223372036854775808");
}

TEST(Validate, FloatBoundsCompareIntValuesExactly) {
  const CollectionSchema c = One(R"({"fields": {
      "f": {"type": "float", "min": 0.5, "max": 9007199254740992}}})");
  EXPECT_EQ(Codes(c, R"({"f": 1})"), V{});
  EXPECT_EQ(Codes(c, R"({"f": 9007199254740992})"), V{});
  EXPECT_EQ(Codes(c, R"({"f": 0})"), V{"f:validation_min"});
  // Converted to a double this int would equal the max.
  EXPECT_EQ(Codes(c, R"({"f": 9007199254740993})"), V{"f:validation_max"});
}

TEST(Validate, NanIsOutsideBothBounds) {
  const CollectionSchema c = One(R"({"fields": {"f": {"type": "float", "min": 0, "max": 1}}})");
  std::string bytes;
  doc::Writer w(&bytes);
  w.MapHeader(1);
  w.String("f");
  w.Double(std::nan(""));
  auto r = Validate(c, bytes, ValidationMode::kCreate, "", {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].code, ViolationCode::kMin);
  EXPECT_EQ((*r)[1].code, ViolationCode::kMax);
}

TEST(Validate, DatetimeBounds) {
  const CollectionSchema c = One(R"({"fields": {"d": {"type": "datetime",
      "min": "2024-01-01", "max": "2024-05-01T12:00:00+02:00"}}})");
  EXPECT_EQ(Codes(c, R"({"d": "2024-03-01"})"), V{});
  // At the bounds, in any accepted form.
  EXPECT_EQ(Codes(c, R"({"d": "2024-01-01 00:00:00.000Z"})"), V{});
  EXPECT_EQ(Codes(c, R"({"d": "2024-05-01T10:00:00Z"})"), V{});
  EXPECT_EQ(Codes(c, R"({"d": "2023-12-31T23:59:59.999999Z"})"), V{"d:validation_min"});
  EXPECT_EQ(Codes(c, R"({"d": "2024-05-01 10:00:00.000001Z"})"), V{"d:validation_max"});
  auto v = Violations(c, R"({"d": "2023-12-31T23:00:00-01:00"})");
  EXPECT_TRUE(v.empty()) << "2024-01-01 00:00 UTC is the min itself";
  v = Violations(c, R"({"d": "2023-06-01"})");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].message, R"(must be >= 2024-01-01 00:00:00.000Z (min), found "2023-06-01")");
  v = Violations(c, R"({"d": "2025-01-01"})");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].message, R"(must be <= 2024-05-01 10:00:00.000Z (max), found "2025-01-01")");
  // MessagePack timestamps (ext -1, 32-bit seconds) are bounded alike: 2024-05-01 09:48:48Z is
  // inside, 2024-05-01 10:00:01Z past the max.
  for (const auto& [seconds, codes] :
       {std::pair{std::string("\x66\x32\x10\x00", 4), V{}},
        std::pair{std::string("\x66\x32\x12\xa1", 4), V{"d:validation_max"}}}) {
    std::string bytes;
    doc::Writer w(&bytes);
    w.MapHeader(1);
    w.String("d");
    w.Ext(-1, seconds);
    auto r = Validate(c, bytes, ValidationMode::kCreate, "", {});
    ASSERT_TRUE(r.ok());
    V got;
    for (const Violation& x : *r) got.push_back(x.path + ":" + ViolationCodeName(x.code));
    EXPECT_EQ(got, codes);
  }
}

TEST(Validate, LengthsCountCodePointsAndElements) {
  const CollectionSchema c = One(R"({"fields": {"s": {"type": "string", "minLength": 2,
      "maxLength": 3}, "a": {"type": "array", "items": "int", "minLength": 1, "maxLength": 2}}})");
  EXPECT_EQ(Codes(c, R"({"s": "été", "a": [1]})"), V{});  // 3 code points, 5 bytes
  EXPECT_EQ(Codes(c, R"({"s": "x", "a": []})"),
            (V{"s:validation_min_length", "a:validation_min_length"}));
  EXPECT_EQ(Codes(c, R"({"s": "abcd", "a": [1, 2, 3]})"),
            (V{"s:validation_max_length", "a:validation_max_length"}));
}

TEST(Validate, PatternEnumFormat) {
  const CollectionSchema c = One(R"({"fields": {
      "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
      "role": {"type": "string", "enum": ["admin", "user"]},
      "level": {"type": "int", "enum": [1, 2, 3]},
      "email": {"type": "string", "format": "email"},
      "site": {"type": "string", "format": "url"},
      "uid": {"type": "string", "format": "uuid"}}})");
  EXPECT_EQ(Codes(c, R"({"code": "ABC", "role": "user", "level": 2.0, "email": "a.b@example.com",
      "site": "https://example.com/x?y=1", "uid": "123e4567-e89b-12d3-a456-426614174000"})"),
            V{});
  EXPECT_EQ(Codes(c, R"({"code": "abcd", "role": "root", "level": 4, "email": "a@b",
      "site": "example.com", "uid": "123e4567e89b12d3a456426614174000"})"),
            (V{"code:validation_pattern", "role:validation_enum", "level:validation_enum",
               "email:validation_format", "site:validation_format", "uid:validation_format"}));
  for (const char* bad : {"@x.com", "a b@x.com", "a@x..com", "a@-x.com", "a@x.com-", "a@@x.com"}) {
    EXPECT_EQ(Codes(c, R"({"email": ")" + std::string(bad) + R"("})"), V{"email:validation_format"})
        << bad;
  }
  auto v = Violations(c, R"({"role": "root"})");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].message, R"(must be one of ["admin", "user"] (enum), found "root")");
}

TEST(Validate, UnknownFieldsAreRejectedUnlessAllowed) {
  const CollectionSchema strict = One(R"({"fields": {"a": "int"}})");
  EXPECT_EQ(Codes(strict, R"({"a": 1, "b": 2})"), V{"b:validation_unknown_field"});
  // System fields are the engine's.
  EXPECT_EQ(Codes(strict, R"({"id": "x", "created": 1, "updated": 2})"), V{});
  const CollectionSchema open = One(R"({"fields": {"a": "int"}, "additionalFields": true})");
  EXPECT_EQ(Codes(open, R"({"a": 1, "b": 2})"), V{});
  EXPECT_EQ(Codes(open, R"({"a": "x", "b": 2})"), V{"a:validation_type"});
}

TEST(Validate, NestedObjectsAndArraysOfObjects) {
  const CollectionSchema c = One(R"({"fields": {
      "address": {"type": "object", "required": true, "fields": {
          "city": {"type": "string", "required": true},
          "geo": {"type": "object", "fields": {"lat": {"type": "float", "min": -90, "max": 90}}}}},
      "items": {"type": "array", "items": {"type": "object", "fields": {
          "price": {"type": "float", "min": 0}, "qty": {"type": "int", "required": true}}}}}})");
  EXPECT_EQ(Codes(c, R"({"address": {"city": "Paris", "geo": {"lat": 48.8}},
      "items": [{"price": 1, "qty": 1}]})"),
            V{});
  EXPECT_EQ(Codes(c, R"({"address": {"geo": {"lat": 100}, "zip": 1},
      "items": [{"price": 1, "qty": 1}, {"qty": 2}, {"price": -1}, 5]})"),
            (V{"address.geo.lat:validation_max", "address.zip:validation_unknown_field",
               "address.city:validation_required", "items.2.price:validation_min",
               "items.2.qty:validation_required", "items.3:validation_type"}));
  EXPECT_EQ(Codes(c, R"({"address": "Paris"})"), V{"address:validation_type"});
}

TEST(Validate, FieldLevelChecks) {
  const CollectionSchema c = One(R"({"fields": {
      "balance": {"type": "float", "check": "balance >= 0"},
      "nick": {"type": "string", "check": {"expr": "len(nick) <= 3", "name": "short",
                                           "message": "nick is too long"}}}})");
  EXPECT_EQ(Codes(c, R"({"balance": 0, "nick": "abc"})"), V{});
  EXPECT_EQ(Codes(c, R"({})"), V{});  // a field check runs only when the field is present
  auto v = Violations(c, R"({"balance": -1, "nick": "abcd"})");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].path, "balance");
  EXPECT_EQ(v[0].code, ViolationCode::kCheck);
  EXPECT_EQ(v[0].message, "check (balance >= 0) is not true, found -1");
  EXPECT_EQ(v[1].message, "nick is too long, found \"abcd\"");
  // A type violation is not also reported as a failed check.
  EXPECT_EQ(Codes(c, R"({"balance": "x"})"), V{"balance:validation_type"});
}

TEST(Validate, CollectionAndObjectLevelChecks) {
  const CollectionSchema c = One(R"({"fields": {"start": "datetime", "end": "datetime",
      "range": {"type": "object", "fields": {"lo": "int", "hi": "int"}, "checks": ["hi > lo"]}},
      "checks": [{"expr": "end > start", "name": "ordered"}, "end < @now"]})");
  EXPECT_EQ(Codes(c, R"({"start": "2024-01-01", "end": "2024-02-01",
      "range": {"lo": 1, "hi": 2}})"),
            V{});
  auto v = Violations(c, R"({"start": "2024-12-01", "end": "2024-11-01",
      "range": {"lo": 3, "hi": 2}})");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].path, "range");
  EXPECT_EQ(v[0].message, "check (hi > lo) is not true");
  EXPECT_EQ(v[1].path, "");
  EXPECT_EQ(v[1].message, "check 'ordered' (end > start) is not true");
  EXPECT_EQ(v[2].message, "check (end < @now) is not true");
}

TEST(Validate, ReadonlyOnUpdate) {
  const CollectionSchema c = One(R"({"fields": {"owner": {"type": "string", "readonly": true},
      "o": {"type": "object", "fields": {"k": {"type": "int", "readonly": true}, "v": "int"}},
      "n": "int"}})");
  const char* before = R"({"owner": "ada", "o": {"k": 1, "v": 1}, "n": 1})";
  EXPECT_EQ(Codes(c, R"({"owner": "ada", "o": {"k": 1, "v": 2}, "n": 2})", ValidationMode::kUpdate,
                  before),
            V{});
  EXPECT_EQ(Codes(c, R"({"owner": "bob", "o": {"k": 2}})", ValidationMode::kUpdate, before),
            (V{"owner:validation_readonly", "o.k:validation_readonly"}));
  EXPECT_EQ(Codes(c, R"({"n": 1})", ValidationMode::kUpdate, before),
            V{"owner:validation_readonly"});
  // On create (or an update of a document that lacked it) the field may be set.
  EXPECT_EQ(Codes(c, R"({"owner": "bob"})"), V{});
  EXPECT_EQ(Codes(c, R"({"owner": "bob"})", ValidationMode::kUpdate, R"({"n": 1})"), V{});
  EXPECT_EQ(
      Codes(c, R"({"owner": "bob", "o": {"k": 1}})", ValidationMode::kUpdate, R"({"o": {"v": 1}})"),
      V{});
  // Once set, even to null, it is set.
  EXPECT_EQ(Codes(c, R"({"owner": "bob"})", ValidationMode::kUpdate, R"({"owner": null})"),
            V{"owner:validation_readonly"});
}

TEST(Validate, TruncatesOffendingValues) {
  const CollectionSchema c = One(R"({"fields": {"s": {"type": "string", "maxLength": 3},
      "a": {"type": "array", "items": "int", "maxLength": 1}}})");
  const std::string long_text(500, 'x');
  auto v = Violations(c, R"({"s": ")" + long_text + R"("})");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_LT(v[0].message.size(), 200u);
  EXPECT_NE(v[0].message.find("xxx..."), std::string::npos) << v[0].message;
  std::string big = "[";
  for (int i = 0; i < 2000; ++i) big += (i ? ",1" : "1");
  big += "]";
  v = Violations(c, R"({"a": )" + big + "}");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].message.find("array of 2000 elements"), std::string::npos) << v[0].message;
  // UTF-8 is never cut inside a character.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "é";
  v = Violations(c, R"({"s": ")" + accents + R"("})");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].message.find("éé..."), std::string::npos) << v[0].message;
}

TEST(Validate, ANonMapIsOneViolation) {
  const CollectionSchema c = One(R"({"fields": {"a": "int"}})");
  auto r = Validate(c, std::string("\x01", 1), ValidationMode::kCreate, "", {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].code, ViolationCode::kType);
}

TEST(Validate, ValidatorIsReusable) {
  const CollectionSchema c = One(R"({"fields": {"a": {"type": "int", "check": "a > 0"}}})");
  Validator validator(c, ValidationContext{kNow});
  std::vector<Violation> out;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(validator.Validate(Doc(R"({"a": 1})"), ValidationMode::kCreate, "", &out).ok());
    auto n = validator.Validate(Doc(R"({"a": -1})"), ValidationMode::kCreate, "", &out);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 1u);
  }
  EXPECT_EQ(out.size(), 3u);
}

TEST(Violations, AreValuesOfTheStatusWithTheirJsonAsDetail) {
  const CollectionSchema c = One(R"({"fields": {"name": {"type": "string", "required": true},
      "age": {"type": "int", "min": 18}}, "checks": ["age < 100"]})");
  auto v = Violations(c, R"({"age": 12.5})");
  ASSERT_EQ(v.size(), 2u);
  v = Violations(c, R"({"age": 12})");
  ASSERT_EQ(v.size(), 2u);
  const Status s = ViolationStatus("users", IdText(), v);
  EXPECT_EQ(s.code(), StatusCode::kSchemaViolation);
  EXPECT_EQ(s.message(), "collection 'users', document '" + IdText() +
                             "': 2 violations: age: validation_min: must be >= 18 (min), found "
                             "12; name: validation_required: is required");
  const std::vector<daas::Violation> want = {
      {"users", IdText(), "age", "validation_min", "must be >= 18 (min), found 12"},
      {"users", IdText(), "name", "validation_required", "is required"}};
  EXPECT_EQ(s.violations(), want);
  EXPECT_EQ(s.detail(), R"([{"collection":"users","document":")" + IdText() +
                            R"(","field":"age","code":"validation_min","message":"must be >= 18 )"
                            R"((min), found 12"},{"collection":"users","document":")" +
                            IdText() +
                            R"(","field":"name","code":"validation_required","message":"is )"
                            R"(required"}])");
  // Context keeps them; other errors have none.
  EXPECT_EQ(s.WithContext("operation 2").violations(), want);
  EXPECT_TRUE(Status::NotFound("x").violations().empty());
  v = Violations(c, R"({"name": "x", "age": 200})");
  ASSERT_EQ(v.size(), 1u);
  const Status check = ViolationStatus("users", "", v);
  ASSERT_EQ(check.violations().size(), 1u);
  EXPECT_EQ(check.violations()[0].field, "");
  EXPECT_EQ(check.violations()[0].document, "");
  EXPECT_EQ(check.violations()[0].code, "validation_check");
  EXPECT_EQ(check.violations()[0].message, "check (age < 100) is not true");
}

TEST(ViolationCode, NamesAreStable) {
  EXPECT_STREQ(ViolationCodeName(ViolationCode::kRequired), "validation_required");
  EXPECT_STREQ(ViolationCodeName(ViolationCode::kType), "validation_type");
  EXPECT_STREQ(ViolationCodeName(ViolationCode::kCheck), "validation_check");
  EXPECT_STREQ(ViolationCodeName(ViolationCode::kUnique), "validation_unique");
  EXPECT_STREQ(ViolationCodeName(ViolationCode::kRef), "validation_ref");
  EXPECT_STREQ(ViolationCodeName(ViolationCode::kUnknownField), "validation_unknown_field");
}

TEST(ApplyDefaults, FillsMissingFieldsWithLiteralsAndExpressions) {
  const CollectionSchema c = One(R"({"fields": {
      "name": "string",
      "role": {"type": "string", "default": "user"},
      "tags": {"type": "array", "items": "string", "default": ["new"]},
      "joined": {"type": "datetime", "default": {"$expr": "@now"}},
      "year": {"type": "int", "default": {"$expr": "@year"}},
      "half": {"type": "int", "default": {"$expr": "4 / 2"}},
      "nick": {"type": "string", "nullable": true, "default": null},
      "o": {"type": "object", "fields": {"x": {"type": "int", "default": 7}}}}})");
  auto r = ApplyDefaults(c, Doc(R"({"name": "Ada", "role": "admin", "o": {}})"), {kNow});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Json(*r), R"({"name":"Ada","role":"admin","o":{"x":7},"tags":["new"],)"
                      R"("joined":"2024-05-15 13:45:30.250Z","year":2024,"half":2,"nick":null})");
  auto v = Validate(c, *r, ValidationMode::kCreate, "", {kNow});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty());
  // Present fields, even null, are kept.
  r = ApplyDefaults(c, Doc(R"({"role": null})"), {kNow});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Json(*r).rfind(R"({"role":null,"tags")", 0), 0u) << Json(*r);
}

TEST(ApplyDefaults, FillsObjectsInsideArrays) {
  const CollectionSchema c = One(R"json({"fields": {
      "lines": {"type": "array", "items": {"type": "object", "fields": {"sku": "string",
          "qty": {"type": "int", "required": true, "default": 1},
          "code": {"type": "int", "default": {"$expr": "len(sku)"}}}}},
      "grid": {"type": "array", "items": {"type": "array", "items": {"type": "object",
          "fields": {"v": {"type": "int", "default": 0}}}}},
      "n": {"type": "array", "items": "int"}}})json");
  EXPECT_TRUE(HasDefaults(c));
  const std::string d =
      Doc(R"({"lines": [{"sku": "ab"}, {"sku": "c", "qty": 5}, 3], "grid": [[{}], []], "n": [1]})");
  auto r = ApplyDefaults(c, d, {kNow});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Json(*r), R"({"lines":[{"sku":"ab","qty":1,"code":2},{"sku":"c","qty":5,"code":1},3],)"
                      R"("grid":[[{"v":0}],[]],"n":[1]})");
}

// A complete document is not re-encoded: bytes a writer encoded with wider headers than needed
// (map 16 for one key) come back as they were, and ApplyDefaultsIfMissing returns nothing.
TEST(ApplyDefaults, KeepsTheBytesOfACompleteDocument) {
  const CollectionSchema c = One(R"({"fields": {
      "role": {"type": "string", "default": "user"},
      "lines": {"type": "array", "items": {"type": "object", "fields": {
          "qty": {"type": "int", "default": 1}}}}}})");
  // {"role": "admin"} with its fixmap header swapped for a map 16 one.
  const std::string wide = std::string("\xde\x00\x01", 3) + Doc(R"({"role": "admin"})").substr(1);
  ASSERT_TRUE(doc::ValidateDocument(wide, kCeilingDocumentLimits).ok());
  for (const std::string& d : {wide, Doc(R"({"role": "x", "lines": [{"qty": 2}, {"qty": 3}]})"),
                               Doc(R"({"role": "x", "lines": [], "other": {}})")}) {
    SCOPED_TRACE(Json(d));
    auto missing = ApplyDefaultsIfMissing(c, d, {kNow});
    ASSERT_TRUE(missing.ok()) << missing.status().ToString();
    EXPECT_FALSE(missing->has_value()) << Json(**missing);
    auto r = ApplyDefaults(c, d, {kNow});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, d);
  }
  // One default missing, here in the second array element: the filled document.
  auto filled =
      ApplyDefaultsIfMissing(c, Doc(R"({"role": "x", "lines": [{"qty": 2}, {}]})"), {kNow});
  ASSERT_TRUE(filled.ok());
  ASSERT_TRUE(filled->has_value());
  EXPECT_EQ(Json(**filled), R"({"role":"x","lines":[{"qty":2},{"qty":1}]})");
  filled = ApplyDefaultsIfMissing(c, Doc("{}"), {kNow});
  ASSERT_TRUE(filled.ok());
  ASSERT_TRUE(filled->has_value());
  EXPECT_EQ(Json(**filled), R"({"role":"user"})");
}

// Validator::ApplyDefaultsIfMissing keeps one Evaluator per expression default (beside those of
// the checks) for every document and array element it fills: the results are the free
// function's, each default reading its own object.
TEST(ApplyDefaults, AValidatorReusesItsEvaluatorsAcrossDocuments) {
  const CollectionSchema c = One(R"json({"fields": {
      "name": {"type": "string", "check": "len(name) > 0"},
      "joined": {"type": "datetime", "default": {"$expr": "@now"}},
      "size": {"type": "int", "default": {"$expr": "len(name)"}},
      "lines": {"type": "array", "items": {"type": "object", "fields": {"sku": "string",
          "code": {"type": "int", "default": {"$expr": "len(sku)"}}}}}}})json");
  Validator validator(c, {kNow});
  const char* kDocs[] = {R"({"name": "Ada", "lines": [{"sku": "ab"}, {"sku": "cde"}, {}]})",
                         R"({"name": "Grace", "size": 1, "lines": [{"sku": "x", "code": 9}]})",
                         R"({"name": "Al", "joined": "2024-01-01", "size": 0, "lines": []})",
                         R"({"name": "Barbara"})"};
  for (int round = 0; round < 2; ++round) {
    for (const char* json : kDocs) {
      SCOPED_TRACE(json);
      const std::string d = Doc(json);
      auto want = ApplyDefaultsIfMissing(c, d, {kNow});
      auto got = validator.ApplyDefaultsIfMissing(d);
      ASSERT_TRUE(want.ok() && got.ok());
      ASSERT_EQ(got->has_value(), want->has_value());
      if (!want->has_value()) continue;
      EXPECT_EQ(**got, **want);
      std::vector<Violation> out;
      auto n = validator.Validate(**got, ValidationMode::kCreate, "", &out);
      ASSERT_TRUE(n.ok());
      EXPECT_EQ(*n, 0u) << Json(**got);
    }
  }
  auto r = validator.ApplyDefaultsIfMissing(Doc(kDocs[0]));
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(Json(**r), R"({"name":"Ada","lines":[{"sku":"ab","code":2},{"sku":"cde","code":3},)"
                       R"({"code":0}],"joined":"2024-05-15 13:45:30.250Z","size":3})");
}

// A Validator kept between commits moves its @now with SetContext: defaults and checks that read
// the clock see the new instant, through the Evaluators it already built.
TEST(ApplyDefaults, SetContextMovesNowForKeptEvaluators) {
  const CollectionSchema c = One(R"json({"fields": {
      "joined": {"type": "datetime", "default": {"$expr": "@now"}},
      "due": {"type": "datetime", "check": "due > @now"}}})json");
  Validator validator(c, {kNow});
  const std::string d = Doc(R"({"due": "2024-05-16"})");
  auto first = validator.ApplyDefaultsIfMissing(d);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ(Json(**first), R"({"due":"2024-05-16","joined":"2024-05-15 13:45:30.250Z"})");
  std::vector<Violation> out;
  ASSERT_EQ(*validator.Validate(d, ValidationMode::kCreate, "", &out), 0u);
  const int64_t kDayLater = kNow + int64_t{86400} * 1000000;
  validator.SetContext({kDayLater});
  auto second = validator.ApplyDefaultsIfMissing(d);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ(Json(**second), R"({"due":"2024-05-16","joined":"2024-05-16 13:45:30.250Z"})");
  ASSERT_EQ(*validator.Validate(d, ValidationMode::kCreate, "", &out), 1u);
  EXPECT_EQ(out[0].code, ViolationCode::kCheck);
}

TEST(ApplyDefaults, LeavesDocumentsAloneWithoutDefaults) {
  const CollectionSchema c = One(R"({"fields": {"a": "int"}})");
  const std::string d = Doc(R"({"b": 1})");
  auto r = ApplyDefaults(c, d, {kNow});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, d);
}

}  // namespace
}  // namespace daas::schema
