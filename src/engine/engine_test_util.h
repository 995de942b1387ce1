// Helpers shared by the engine's tests: a temporary directory, and JSON <-> document shorthands.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "core/test_util.h"
#include "daas/daas.hpp"
#include "doc/msgpack_reader.h"

namespace daas::testing {

// The document for `json`; fails the test on bad JSON.
inline std::string Doc(std::string_view json) {
  auto d = JsonToDocument(json);
  EXPECT_TRUE(d.ok()) << d.status().ToString() << " in " << json;
  return d.ok() ? *d : std::string();
}

inline std::string Json(std::string_view document) {
  auto j = DocumentToJson(document);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? *j : std::string();
}

// The integer field `key` of a document (either MessagePack integer form), or INT64_MIN.
inline int64_t IntField(std::string_view document, std::string_view key) {
  std::optional<doc::Value> v = doc::FindField(document, key);
  if (!v) return INT64_MIN;
  return v->type == doc::Type::kUint ? static_cast<int64_t>(v->uint_value) : v->int_value;
}

inline std::unique_ptr<Database> OpenOrDie(const Options& options) {
  auto db = Database::Open(options);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(*db) : nullptr;
}

// The collection's schema JSON, or "<status>" when GetSchema fails.
inline std::string SchemaOf(const Collection* c) {
  std::string json;
  Status s = c->GetSchema(&json);
  return s.ok() ? json : "<" + s.ToString() + ">";
}

inline std::string GetJson(const Collection* c, DocId id) {
  std::string bytes;
  Status s = c->Get(id, &bytes);
  if (!s.ok()) return std::string("<").append(s.ToString()).append(">");
  return Json(bytes);
}

}  // namespace daas::testing
