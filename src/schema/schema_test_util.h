// Helpers for the schema module's tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "daas/options.h"
#include "doc/json.h"
#include "schema/schema.h"

namespace daas::schema::testing {

// The MessagePack of a JSON object; fails the test on bad JSON.
inline std::string Doc(std::string_view json) {
  auto r = doc::JsonToMsgpack(json, kCeilingDocumentLimits);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << " in " << json;
  return r.ok() ? *r : std::string();
}

inline std::string Json(std::string_view msgpack) {
  std::string out;
  doc::MsgpackToJson(msgpack, &out);
  return out;
}

// Parses a one-collection schema file {"collections": {"c": <collection>}} and returns it.
inline CollectionSchema One(std::string_view collection_json) {
  auto s = ParseSchemaFile(R"({"collections": {"c": )" + std::string(collection_json) + "}}");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok() || s->collections.empty()) return CollectionSchema();
  return s->collections[0];
}

// The error message of parsing a one-collection schema file, or "" when it parses.
inline std::string ParseError(std::string_view collection_json) {
  auto s = ParseSchemaFile(R"({"collections": {"c": )" + std::string(collection_json) + "}}");
  return s.ok() ? std::string() : std::string(s.status().message());
}

}  // namespace daas::schema::testing
