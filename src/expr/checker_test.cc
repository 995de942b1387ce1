#include "expr/checker.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>

#include "expr/parser.h"

namespace daas::expr {
namespace {

// A schema of a few typed fields; `meta` is an untyped JSON field whose sub-paths are unknown.
class FakeSchema : public SchemaResolver {
 public:
  std::optional<FieldType> ResolveField(const std::vector<PathSegment>& path) const override {
    const std::string p = PathText(path);
    if (path[0].key == "meta") return FieldType{};
    static const std::map<std::string, FieldType> kFields = {
        {"age", {FieldKind::kNumber}},
        {"name", {FieldKind::kString}},
        {"active", {FieldKind::kBool}},
        {"created", {FieldKind::kDatetime}},
        {"blob", {FieldKind::kBinary}},
        {"address", {FieldKind::kMap}},
        {"address.city", {FieldKind::kString}},
        {"tags", {FieldKind::kArray, FieldKind::kString}},
        {"scores", {FieldKind::kArray, FieldKind::kNumber}},
    };
    auto it = kFields.find(p);
    if (it == kFields.end()) return std::nullopt;
    return it->second;
  }
  std::optional<FieldType> ResolveBinding(std::string_view name,
                                          const std::vector<PathSegment>& path) const override {
    if (name == "request" && !path.empty() && path[0].key == "nope") return std::nullopt;
    return FieldType{};
  }
};

Status CheckText(std::string_view text, const SchemaResolver* resolver,
                 CheckOptions options = CheckOptions()) {
  auto ast = Parse(text);
  EXPECT_TRUE(ast.ok()) << ast.status().ToString();
  if (!ast.ok()) return ast.status();
  return Check(*ast, resolver, options);
}

void ExpectOk(std::string_view text, const SchemaResolver* resolver = nullptr) {
  const Status s = CheckText(text, resolver);
  EXPECT_TRUE(s.ok()) << text << ": " << s.ToString();
}

void ExpectError(std::string_view text, std::string_view message,
                 const SchemaResolver* resolver = nullptr, CheckOptions options = CheckOptions()) {
  const Status s = CheckText(text, resolver, options);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << text;
  EXPECT_EQ(s.message(), message) << text;
}

TEST(Checker, AcceptsWellTypedExpressions) {
  FakeSchema schema;
  for (const char* text :
       {"age > 18 && name ~ 'ada' && active", "created > @now && created < '2030-01-01'",
        "tags ?= 'x' && scores ?> 3 && tags != 'y'", "address.city = 'Paris'",
        "meta.anything.at.all > 3", "age = null && name != ''", "lower(name) = 'x'",
        "len(tags) + len(name) > 2 && abs(age - 5) < 1", "min(age, 3) = max(1, 2.5)",
        "date(name) < @now", "has(address.zip) && has(nope)", "regex(name, '^a')",
        "age in [1, 2, 3] && name in ['a'] && 'x' in tags", "@request.auth.id = name",
        "!(age > 3) || @request.x", "blob = blob", "created = @todayStart"}) {
    ExpectOk(text, &schema);
  }
}

TEST(Checker, ReportsUnknownFieldsWithAResolver) {
  FakeSchema schema;
  ExpectError("agee > 1", "expression at byte 0: unknown field 'agee'", &schema);
  ExpectError("age > 1 && address.zip = 'x'", "expression at byte 11: unknown field 'address.zip'",
              &schema);
  ExpectError("@request.nope.x = 1", "expression at byte 0: unknown parameter '@request.nope.x'",
              &schema);
  ExpectOk("agee > 1");  // no resolver: fields are of unknown type
}

TEST(Checker, ReportsComparisonsThatCanNeverHold) {
  FakeSchema schema;
  ExpectError("age > 'x'", "expression at byte 4: cannot compare number with string using '>'",
              &schema);
  ExpectError("age = 'x'", "expression at byte 4: cannot compare number with string using '='",
              &schema);
  ExpectError("name < 3", "expression at byte 5: cannot compare string with number using '<'",
              &schema);
  ExpectError("active > false", "expression at byte 7: cannot compare bool with bool using '>'",
              &schema);
  ExpectError("tags ?= 1", "expression at byte 5: cannot compare string with number using '?='",
              &schema);
  ExpectError("age ~ 'x'", "expression at byte 4: '~' needs strings, found number and string",
              &schema);
  ExpectError("age > null", "expression at byte 4: '>' against null is never true", &schema);
  ExpectError("address = address", "expression at byte 8: cannot compare map with map using '='",
              &schema);
  ExpectError("age in ['a', 'b']",
              "expression at byte 4: cannot compare number with string using '='", &schema);
  // Literals alone are enough to see some mismatches.
  ExpectError("1 > 'a'", "expression at byte 2: cannot compare number with string using '>'");
  ExpectError("'a' ~ 1", "expression at byte 4: '~' needs strings, found string and number");
}

TEST(Checker, ReportsOperandsOfTheWrongType) {
  FakeSchema schema;
  ExpectError("name + 1 > 2", "expression at byte 0: '+' needs numbers, found string", &schema);
  ExpectError("-name = 1", "expression at byte 1: unary '-' needs a number, found string", &schema);
  ExpectError("lower(age) = 'x'", "expression at byte 6: lower() needs a string, found number",
              &schema);
  ExpectError("upper(1) = 'x'", "expression at byte 6: upper() needs a string, found number");
  ExpectError("abs('x') = 1", "expression at byte 4: abs() needs a number, found string");
  ExpectError("len(age) = 1",
              "expression at byte 4: len() needs a string, array, map or binary, found number",
              &schema);
  ExpectError(
      "min(active, 1) = 1",
      "expression at byte 4: min() needs numbers, strings, datetimes or binaries, found bool",
      &schema);
  ExpectError("date(age) < @now",
              "expression at byte 5: date() needs a string or datetime, found number", &schema);
  ExpectError("regex(age, 'x')", "expression at byte 6: regex() needs a string, found number",
              &schema);
  ExpectError("regex(name, 1)",
              "expression at byte 12: regex() needs a string pattern, found number", &schema);
  ExpectError("age && active", "expression at byte 0: '&&' needs a condition, found number",
              &schema);
  ExpectError("active || 'x'", "expression at byte 10: '||' needs a condition, found string",
              &schema);
  ExpectError("!age", "expression at byte 1: '!' needs a condition, found number", &schema);
  ExpectError("@now - 1 > 0", "expression at byte 0: '-' needs numbers, found datetime");
}

TEST(Checker, TheWholeExpressionMustBeAConditionUnlessAsked) {
  FakeSchema schema;
  ExpectError("age + 1", "expression at byte 4: the expression is a number, not a condition",
              &schema);
  ExpectError("'x'", "expression at byte 0: the expression is a string, not a condition");
  CheckOptions value;
  value.require_condition = false;
  EXPECT_TRUE(CheckText("age + 1", &schema, value).ok());
  ExpectOk("meta.flag", &schema);  // unknown type: may be a bool
}

}  // namespace
}  // namespace daas::expr
