#include "schema/schema.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "expr/datetime.h"
#include "schema/schema_test_util.h"

namespace daas::schema {
namespace {

using testing::One;
using testing::ParseError;

constexpr const char* kRich = R"({"collections": {
  "users": {
    "version": 3,
    "fields": {
      "name": {"type": "string", "required": true, "minLength": 1, "maxLength": 80},
      "email": {"type": "string", "format": "email", "unique": true},
      "age": {"type": "int", "min": 0, "max": 150},
      "score": {"type": "float", "min": -1.5, "default": 0.5},
      "role": {"type": "string", "enum": ["admin", "user"], "default": "user"},
      "active": "bool",
      "joined": {"type": "datetime", "default": {"$expr": "@now"}, "readonly": true},
      "password": {"type": "string", "hidden": true, "pattern": "^.{8,}$"},
      "manager": {"type": "ref", "collection": "users", "onDelete": "setNull", "nullable": true},
      "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxLength": 5},
      "address": {"type": "object", "fields": {"city": {"type": "string", "required": true},
                  "zip": {"type": "string", "check": "zip ~ '%0'"}},
                  "checks": ["city != ''"], "additionalFields": true},
      "meta": "json",
      "balance": {"type": "float", "check": {"expr": "balance >= 0", "name": "non_negative",
                  "message": "balance cannot go negative"}},
      "start": {"type": "datetime", "min": "2000-01-01"},
      "end": "datetime",
      "key": "id"
    },
    "checks": [{"expr": "end > start", "name": "ordered"}],
    "unique": [["name", "age"]]
  },
  "orders": {"fields": {"owner": {"type": "ref", "collection": "users", "onDelete": "cascade"}}}
}})";

TEST(SchemaFile, ParsesEveryTypeAndOption) {
  auto s = ParseSchemaFile(kRich);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->collections.size(), 2u);
  EXPECT_EQ(s->collections[0].name, "orders");  // sorted by name
  const CollectionSchema* users = s->Find("users");
  ASSERT_NE(users, nullptr);
  EXPECT_EQ(users->version, 3u);
  ASSERT_EQ(users->root.fields.size(), 16u);
  EXPECT_EQ(users->root.fields[0].name, "name");  // declared order kept
  const Field* name = users->root.Find("name");
  EXPECT_TRUE(name->required);
  EXPECT_EQ(*name->min_length, 1u);
  EXPECT_EQ(*name->max_length, 80u);
  EXPECT_EQ(users->root.Find("email")->format, StringFormat::kEmail);
  EXPECT_TRUE(users->root.Find("email")->unique);
  EXPECT_EQ(*users->root.Find("age")->max, Bound(int64_t{150}));
  EXPECT_EQ(*users->root.Find("score")->min, Bound(-1.5));
  EXPECT_EQ(users->root.Find("role")->enum_values.size(), 2u);
  EXPECT_TRUE(users->root.Find("role")->default_literal.has_value());
  EXPECT_EQ(users->root.Find("joined")->default_expr->text, "@now");
  EXPECT_TRUE(users->root.Find("joined")->readonly);
  EXPECT_TRUE(users->root.Find("password")->hidden);
  EXPECT_NE(users->root.Find("password")->pattern_re, nullptr);
  const Field* manager = users->root.Find("manager");
  EXPECT_EQ(manager->kind, FieldKind::kRef);
  EXPECT_EQ(manager->ref_collection, "users");
  EXPECT_EQ(manager->on_delete, OnDelete::kSetNull);
  EXPECT_EQ(s->Find("orders")->root.Find("owner")->on_delete, OnDelete::kCascade);
  const Field* tags = users->root.Find("tags");
  ASSERT_EQ(tags->items.size(), 1u);
  EXPECT_EQ(tags->items[0].kind, FieldKind::kString);
  const Field* address = users->root.Find("address");
  ASSERT_NE(address->object, nullptr);
  EXPECT_TRUE(address->object->additional_fields);
  EXPECT_EQ(address->object->checks.size(), 1u);
  EXPECT_TRUE(address->object->Find("zip")->check.has_value());
  EXPECT_EQ(users->root.Find("balance")->check->name, "non_negative");
  EXPECT_EQ(users->root.checks[0].name, "ordered");
  ASSERT_EQ(users->unique.size(), 1u);
  EXPECT_EQ(users->unique[0].fields, (std::vector<std::string>{"name", "age"}));
  EXPECT_EQ(users->root.Find("key")->kind, FieldKind::kId);
  EXPECT_EQ(users->root.Find("meta")->kind, FieldKind::kJson);
}

TEST(SchemaFile, SerializesCanonicallyAndRoundTrips) {
  auto s = ParseSchemaFile(kRich);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::string text = SerializeSchema(*s);
  auto again = ParseSchemaFile(text);
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << text;
  EXPECT_EQ(SerializeSchema(*again), text);
  // Defaults left out, shorthand expanded, options in a fixed order.
  EXPECT_NE(text.find(R"("active":{"type":"bool"})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("joined":{"type":"datetime","readonly":true,"default":{"$expr":"@now"}})"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("owner":{"type":"ref","collection":"users","onDelete":"cascade"})"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("orders"), text.find("{\"orders\"") + 2) << "collections sorted by name";
}

TEST(SchemaFile, SerializesACollectionAlone) {
  const CollectionSchema c = One(R"({"version": 2, "fields": {"a": {"type": "int", "min": 1}}})");
  EXPECT_EQ(SerializeCollection(c), R"({"version":2,"fields":{"a":{"type":"int","min":1}}})");
  auto back = ParseCollectionSchema("c", SerializeCollection(c), {});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(SerializeCollection(*back), SerializeCollection(c));
}

TEST(SchemaFile, IntBoundsAreExactInt64) {
  const CollectionSchema c = One(R"({"fields": {
      "big": {"type": "int", "min": 9007199254740993, "max": 9007199254740993},
      "all": {"type": "int", "min": -9223372036854775808, "max": 9223372036854775807}}})");
  EXPECT_EQ(*c.root.Find("big")->min, Bound(int64_t{9007199254740993}));
  EXPECT_EQ(*c.root.Find("all")->min, Bound(INT64_MIN));
  EXPECT_EQ(*c.root.Find("all")->max, Bound(INT64_MAX));
  const std::string text = SerializeCollection(c);
  EXPECT_EQ(text, R"({"version":1,"fields":{)"
                  R"("big":{"type":"int","min":9007199254740993,"max":9007199254740993},)"
                  R"("all":{"type":"int","min":-9223372036854775808,"max":9223372036854775807}}})");
  auto back = ParseCollectionSchema("c", text, {});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(SerializeCollection(*back), text);
}

// An int field's bound given as any other number is held as the int64 admitting the same int64
// values, so a bound an earlier version stored as a double (1e+18) still means what it meant.
TEST(SchemaFile, OtherIntBoundsAdmitTheSameValues) {
  const CollectionSchema c = One(R"({"fields": {
      "frac": {"type": "int", "min": 1.5, "max": 2.5},
      "wide": {"type": "int", "min": -1e19, "max": 9223372036854775808},
      "old": {"type": "int", "min": 1e+18, "max": 4e+18}}})");
  EXPECT_EQ(*c.root.Find("frac")->min, Bound(int64_t{2}));
  EXPECT_EQ(*c.root.Find("frac")->max, Bound(int64_t{2}));
  EXPECT_EQ(*c.root.Find("wide")->min, Bound(INT64_MIN));
  EXPECT_EQ(*c.root.Find("wide")->max, Bound(INT64_MAX));
  EXPECT_EQ(*c.root.Find("old")->min, Bound(int64_t{1000000000000000000}));
  EXPECT_EQ(SerializeCollection(c),
            R"({"version":1,"fields":{"frac":{"type":"int","min":2,"max":2},)"
            R"("wide":{"type":"int","min":-9223372036854775808,"max":9223372036854775807},)"
            R"("old":{"type":"int","min":1000000000000000000,"max":4000000000000000000}}})");
}

TEST(SchemaFile, FloatBoundsAreDoubles) {
  const CollectionSchema c = One(R"({"fields": {"f": {"type": "float", "min": 5,
      "max": 9007199254740992}, "g": {"type": "float", "min": -0.1, "max": 1e300}}})");
  EXPECT_EQ(*c.root.Find("f")->min, Bound(5.0));
  EXPECT_EQ(*c.root.Find("f")->max, Bound(9007199254740992.0));
  const std::string text = SerializeCollection(c);
  EXPECT_EQ(text, R"({"version":1,"fields":{"f":{"type":"float","min":5,"max":9007199254740992.0},)"
                  R"("g":{"type":"float","min":-0.1,"max":1e+300}}})");
  auto back = ParseCollectionSchema("c", text, {});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(SerializeCollection(*back), text);
}

TEST(SchemaFile, DatetimeBoundsAreMicrosAndSerializeCanonically) {
  const CollectionSchema c = One(R"({"fields": {"d": {"type": "datetime",
      "min": "2024-05-01", "max": "2024-05-01T12:00:00.1234567+02:00"}}})");
  const Field* d = c.root.Find("d");
  EXPECT_EQ(*d->min, Bound(*expr::ParseDatetime("2024-05-01 00:00:00Z")));
  EXPECT_EQ(*d->max, Bound(*expr::ParseDatetime("2024-05-01 10:00:00.123456Z")));
  const std::string text = SerializeCollection(c);
  EXPECT_EQ(text, R"({"version":1,"fields":{"d":{"type":"datetime",)"
                  R"("min":"2024-05-01 00:00:00.000Z","max":"2024-05-01 10:00:00.123456Z"}}})");
  auto back = ParseCollectionSchema("c", text, {});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(SerializeCollection(*back), text);
}

struct ErrorCase {
  const char* collection;
  const char* message;
};

TEST(SchemaFile, ErrorsNameTheJsonPath) {
  const ErrorCase cases[] = {
      {R"({"fields": {"age": {"type": "int", "min": "x"}}})",
       "collections.c.fields.age.min: expected a number"},
      {R"({"fields": {"age": {"type": "int", "min": 9223372036854775808}}})",
       "collections.c.fields.age.min: no int64 value is at least 9223372036854775808"},
      {R"({"fields": {"age": {"type": "int", "max": -1e19}}})",
       "collections.c.fields.age.max: no int64 value is at most -1e+19"},
      {R"({"fields": {"f": {"type": "float", "min": "x"}}})",
       "collections.c.fields.f.min: expected a number"},
      {R"({"fields": {"f": {"type": "float", "max": 9007199254740993}}})",
       "collections.c.fields.f.max: expected a number a double holds exactly: 9007199254740993 "
       "would round to 9007199254740992"},
      {R"({"fields": {"d": {"type": "datetime", "min": "yesterday"}}})",
       "collections.c.fields.d.min: expected a datetime string"},
      {R"({"fields": {"d": {"type": "datetime", "max": 1714557600}}})",
       "collections.c.fields.d.max: expected a datetime string"},
      {R"({"fields": {"d": {"type": "datetime", "min": "2024-05-02", "max": "2024-05-01"}}})",
       "collections.c.fields.d.max: less than min"},
      {R"({"fields": {"a": {"type": "int", "min": 9007199254740993, "max": 9007199254740992}}})",
       "collections.c.fields.a.max: less than min"},
      {R"({"fields": {"a": {"type": "string", "max": 1}}})",
       "collections.c.fields.a.max: not allowed for type string"},
      {R"({"fields": {"a": {"type": "id", "min": "2024-05-01"}}})",
       "collections.c.fields.a.min: not allowed for type id"},
      {R"({"fields": {"age": {"type": "integer"}}})",
       "collections.c.fields.age.type: unknown type 'integer'"},
      {R"({"fields": {"age": {"min": 1}}})", "collections.c.fields.age.type: missing"},
      {R"({"fields": {"a": {"type": "bool", "min": 1}}})",
       "collections.c.fields.a.min: not allowed for type bool"},
      {R"({"fields": {"a": {"type": "string", "pattern": "("}}})",
       "collections.c.fields.a.pattern: invalid regular expression"},
      {R"({"fields": {"a": {"type": "string", "format": "phone"}}})",
       "collections.c.fields.a.format: unknown format 'phone'"},
      {R"({"fields": {"a": {"type": "string", "colour": 1}}})",
       "collections.c.fields.a.colour: unknown option"},
      {R"({"fields": {"a": {"type": "int"}}, "checks": ["a > 'x'"]})",
       "collections.c.checks.0: expression at byte 2: cannot compare number with string"},
      {R"({"fields": {"a": {"type": "int"}}, "checks": ["b > 1"]})",
       "collections.c.checks.0: expression at byte 0: unknown field 'b'"},
      {R"({"fields": {"a": {"type": "int", "check": "a +"}}})", "collections.c.fields.a.check:"},
      {R"({"fields": {"a": {"type": "ref"}}})", "collections.c.fields.a.collection: missing"},
      {R"({"fields": {"a": {"type": "ref", "collection": "nope"}}})",
       "collections.c.fields.a.collection: unknown collection 'nope'"},
      {R"({"fields": {"a": {"type": "ref", "collection": "c", "onDelete": "drop"}}})",
       "collections.c.fields.a.onDelete: expected restrict, cascade or setNull"},
      {R"({"fields": {"a": {"type": "array"}}})", "collections.c.fields.a.items: missing"},
      {R"({"fields": {"a": "array"}})", "collections.c.fields.a: an array type needs items"},
      {R"({"fields": {"a": {"type": "int", "default": "x"}}})",
       "collections.c.fields.a.default: expected int, found string \"x\""},
      {R"({"fields": {"a": {"type": "int", "default": 5, "max": 3}}})",
       "collections.c.fields.a.default: must be <= 3 (max), found 5"},
      {R"({"fields": {"a": {"type": "string", "enum": ["x", 1]}}})",
       "collections.c.fields.a.enum.1: expected string"},
      {R"({"fields": {"a": {"type": "int", "min": 5, "max": 3}}})",
       "collections.c.fields.a.max: less than min"},
      {R"({"fields": {"id": "string"}})", "collections.c.fields.id: 'id' is a system field"},
      {R"({"fields": {"a-b": "string"}})", "collections.c.fields.a-b: a field name must be"},
      {R"({"fields": {"a": "int"}, "unique": [["a", "b"]]})",
       "collections.c.unique.0.1: unknown field 'b'"},
      {R"({"fields": {"a": "int"}, "version": 0})", "collections.c.version: expected an integer"},
      {R"({"fields": {"a": "int"}, "colour": 1})", "collections.c.colour: unknown key"},
      {R"({"version": 1})", "collections.c.fields: missing"},
      {R"({"fields": {"o": {"type": "object", "fields": {"x": {"type": "int", "unique": true}}}}})",
       "collections.c.fields.o.fields.x.unique: unique is allowed on top-level fields only"},
      {R"({"fields": {"o": {"type": "object", "fields": {"x": "int"}, "checks": ["y = 1"]}}})",
       "collections.c.fields.o.checks.0: expression at byte 0: unknown field 'y'"},
      {R"({"fields": {"t": {"type": "array", "items": {"type": "int", "required": true}}}})",
       "collections.c.fields.t.items: array items take no required"},
      {R"({"fields": {"a": {"type": "int", "default": {"$expr": "@nope"}}}})",
       "collections.c.fields.a.default.$expr: expression at byte 0"},
  };
  for (const ErrorCase& c : cases) {
    const std::string error = ParseError(c.collection);
    EXPECT_EQ(error.rfind(c.message, 0), 0u) << "schema: " << c.collection << "\nerror:  " << error;
  }
}

TEST(SchemaFile, RejectsBadTopLevels) {
  EXPECT_FALSE(ParseSchemaFile("[]").ok());
  EXPECT_FALSE(ParseSchemaFile("{").ok());
  auto missing = ParseSchemaFile("{}");
  EXPECT_EQ(missing.status().message(), "collections: missing");
  auto unknown = ParseSchemaFile(R"({"collections": {}, "x": 1})");
  EXPECT_EQ(unknown.status().message().rfind("x: unknown key", 0), 0u);
  auto bad_name = ParseSchemaFile(R"({"collections": {"9x": {"fields": {}}}})");
  EXPECT_EQ(bad_name.status().message().rfind("collections.9x: a collection name", 0), 0u);
  EXPECT_TRUE(ParseSchemaFile(R"({"collections": {}})").ok());
}

TEST(SchemaFile, BoundsNesting) {
  std::string fields = R"({"x": "int"})";
  for (int i = 0; i < 40; ++i) fields = R"({"o": {"type": "object", "fields": )" + fields + "}}";
  const std::string error = ParseError(R"({"fields": )" + fields + "}");
  EXPECT_NE(error.find("nested deeper than"), std::string::npos) << error;
}

TEST(SchemaFile, RefusesReadonlyInsideArrays) {
  const std::string why =
      ": readonly is not supported inside arrays: array elements have no identity across updates";
  EXPECT_EQ(ParseError(R"({"fields": {"lines": {"type": "array", "items": {"type": "object",
      "fields": {"sku": {"type": "string", "readonly": true}}}}}})"),
            "collections.c.fields.lines.items.fields.sku.readonly" + why);
  EXPECT_EQ(ParseError(R"({"fields": {"tags": {"type": "array", "items": {"type": "string",
      "readonly": true}}}})"),
            "collections.c.fields.tags.items.readonly" + why);
  // At any depth below the array, through objects and arrays.
  EXPECT_EQ(ParseError(R"({"fields": {"o": {"type": "object", "fields": {"m": {"type": "array",
      "items": {"type": "array", "items": {"type": "object", "fields": {"p": {"type": "object",
      "fields": {"k": {"type": "int", "readonly": true}}}}}}}}}}})"),
            "collections.c.fields.o.fields.m.items.items.fields.p.fields.k.readonly" + why);
  // Objects outside arrays keep readonly, and `false` is accepted anywhere.
  EXPECT_EQ(ParseError(R"({"fields": {"o": {"type": "object", "fields": {"k": {"type": "int",
      "readonly": true}}}, "t": {"type": "array", "items": {"type": "int", "readonly": false}}}})"),
            "");
}

TEST(ObjectResolver, TypesPathsThroughObjectsAndArrays) {
  const CollectionSchema c = One(R"({"fields": {
      "n": "int", "o": {"type": "object", "fields": {"s": "string"}},
      "items": {"type": "array", "items": {"type": "object", "fields": {"price": "float"}}},
      "j": "json"}})");
  ObjectResolver r(c.root);
  auto path = [](std::vector<std::string> keys) {
    std::vector<expr::PathSegment> p;
    for (auto& k : keys) {
      expr::PathSegment s;
      s.key = k;
      if (!k.empty() && std::isdigit(static_cast<unsigned char>(k[0]))) s.index = std::stoll(k);
      p.push_back(s);
    }
    return p;
  };
  EXPECT_EQ(r.ResolveField(path({"n"}))->kind, expr::FieldKind::kNumber);
  EXPECT_EQ(r.ResolveField(path({"o", "s"}))->kind, expr::FieldKind::kString);
  EXPECT_EQ(r.ResolveField(path({"items", "2", "price"}))->kind, expr::FieldKind::kNumber);
  EXPECT_EQ(r.ResolveField(path({"items"}))->element, expr::FieldKind::kMap);
  EXPECT_EQ(r.ResolveField(path({"j", "anything"}))->kind, expr::FieldKind::kAny);
  EXPECT_FALSE(r.ResolveField(path({"o", "zz"})).has_value());
  EXPECT_FALSE(r.ResolveField(path({"n", "x"})).has_value());
  EXPECT_FALSE(r.ResolveField(path({"missing"})).has_value());
}

}  // namespace
}  // namespace daas::schema
