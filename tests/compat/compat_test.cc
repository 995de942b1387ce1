// Every database in tests/data/compat/ (one per released on-disk format) opens, holds exactly the
// documents its expected.jsonl lists and the schemas its expected_schemas.json lists (none when it
// has no such file), still enforces those schemas (unique keys too: a copy of a document is
// refused where accepted.json names a document to write instead), passes a write, and reopens.
// Each runs on a copy.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/test_util.h"
#include "daas/daas.hpp"
#include "doc/json.h"
#include "doc/msgpack_reader.h"

namespace daas {
namespace {

namespace fs = std::filesystem;

struct Expected {
  std::string collection, id, json;
};

// The lines of expected.jsonl, each {"collection": c, "id": i, "document": {...}}.
std::vector<Expected> ReadExpected(const fs::path& file) {
  std::vector<Expected> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto d = JsonToDocument(line);
    EXPECT_TRUE(d.ok()) << d.status().ToString() << " in " << file;
    if (!d.ok()) continue;
    Expected e;
    auto c = doc::FindField(*d, "collection");
    auto i = doc::FindField(*d, "id");
    auto body = doc::FindField(*d, "document");
    EXPECT_TRUE(c && i && body) << line;
    if (!c || !i || !body) continue;
    e.collection = std::string(c->bytes);
    e.id = std::string(i->bytes);
    doc::MsgpackToJson(body->raw, &e.json);
    out.push_back(std::move(e));
  }
  return out;
}

// Canonical JSON of a JSON value as MsgpackToJson prints it, so that two texts of the same value
// compare equal. "" stays "" (no schema).
std::string Normalized(std::string_view json) {
  if (json.empty()) return "";
  auto d = JsonToDocument(json);
  EXPECT_TRUE(d.ok()) << d.status().ToString() << ": " << json;
  if (!d.ok()) return "";
  std::string out;
  doc::MsgpackToJson(*d, &out);
  return out;
}

// A file {"<collection>": <object>, ...} as each object's normalized JSON; empty when the folder
// has no such file. expected_schemas.json holds each schema as GetSchema returns it;
// accepted.json, a document the collection takes (for one whose unique keys refuse a copy).
std::map<std::string, std::string> ReadCollectionMap(const fs::path& file) {
  std::map<std::string, std::string> out;
  if (!fs::exists(file)) return out;
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto d = JsonToDocument(text);
  EXPECT_TRUE(d.ok()) << d.status().ToString() << " in " << file;
  if (!d.ok()) return out;
  doc::MapIterator it(doc::ReadValue(*d));
  std::string_view name;
  doc::Value schema;
  while (it.Next(&name, &schema)) {
    EXPECT_EQ(schema.type, doc::Type::kMap) << name << " in " << file;
    doc::MsgpackToJson(schema.raw, &out[std::string(name)]);
  }
  EXPECT_FALSE(out.empty()) << file;
  return out;
}

class CompatTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CompatTest, OpensWithEveryDocumentAndTakesWrites) {
  const fs::path source = fs::path(DAAS_COMPAT_DIR) / GetParam();
  const std::vector<Expected> expected = ReadExpected(source / "expected.jsonl");
  ASSERT_FALSE(expected.empty());
  const std::map<std::string, std::string> schemas =
      ReadCollectionMap(source / "expected_schemas.json");
  const std::map<std::string, std::string> accepted = ReadCollectionMap(source / "accepted.json");
  testing::TempDir tmp;
  const std::string dir = tmp.path() + "/db";
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(source)) {
    const std::string name = e.path().filename().string();
    if (name != "expected.jsonl" && name != "expected_schemas.json" && name != "accepted.json") {
      fs::copy_file(e.path(), fs::path(dir) / name);
    }
  }
  Options o;
  o.dir = dir;
  o.create_if_missing = false;
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    auto db = Database::Open(o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    std::map<std::string, uint64_t> per_collection;
    std::map<std::string, std::string> first_document;  // a document each collection accepts
    for (const Expected& e : expected) {
      auto c = (*db)->GetCollection(e.collection);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      auto id = DocId::Parse(e.id);
      ASSERT_TRUE(id.ok()) << e.id;
      std::string bytes;
      DocumentMeta meta;
      ASSERT_TRUE((*c)->Get(*id, &bytes, &meta).ok()) << e.id;
      // Every document has a version; times are stored from the v4 formats on (README.md).
      EXPECT_GE(meta.version, 1u) << e.id;
      EXPECT_LE(meta.version, (*db)->visible_lsn()) << e.id;
      if (GetParam() >= "v4") {
        EXPECT_GT(meta.created_ms, 0) << e.id;
        EXPECT_GE(meta.updated_ms, meta.created_ms) << e.id;
      } else {  // also in round 1, after round 0 rewrote their files in today's format
        EXPECT_EQ(meta.created_ms, 0) << e.id;
        EXPECT_EQ(meta.updated_ms, 0) << e.id;
      }
      std::string json;
      doc::MsgpackToJson(bytes, &json);
      EXPECT_EQ(json, e.json);
      ++per_collection[e.collection];
      first_document.try_emplace(e.collection, bytes);
    }
    for (const auto& [name, n] : per_collection) {
      EXPECT_EQ(*(*(*db)->GetCollection(name))->Count(), n + round) << name;
    }
    // Every schema survived (and, in round 1, its re-encoding in today's manifest), and no other
    // collection has one.
    for (const auto& [name, schema] : schemas) {
      EXPECT_TRUE((*db)->GetCollection(name).ok()) << name << " of expected_schemas.json";
    }
    for (const std::string& name : (*db)->ListCollections()) {
      auto c = (*db)->GetCollection(name);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      auto want = schemas.find(name);
      std::string schema;
      ASSERT_TRUE((*c)->GetSchema(&schema).ok()) << name;
      EXPECT_EQ(Normalized(schema), want == schemas.end() ? "" : want->second) << name;
    }
    // ...and is still enforced: {"new":1} breaks each of them (a field it does not declare, its
    // required fields missing).
    for (const auto& [name, schema] : schemas) {
      auto c = (*db)->GetCollection(name);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      auto broken = (*c)->Insert(*JsonToDocument(R"({"new":1})"));
      ASSERT_FALSE(broken.ok()) << name;
      EXPECT_EQ(broken.status().code(), StatusCode::kSchemaViolation)
          << name << ": " << broken.status().ToString();
    }
    // A write in today's format lands beside the old files; the next round reopens both. A
    // collection with a schema takes a copy of one of its documents, or what accepted.json
    // gives it.
    if (round == 0) {
      for (const auto& [name, document] : accepted) {
        // Its unique keys were rebuilt from the stored documents: a copy breaks them.
        auto copy = (*(*db)->GetCollection(name))->Insert(first_document.at(name));
        ASSERT_FALSE(copy.ok()) << name;
        EXPECT_NE(copy.status().message().find("validation_unique"), std::string_view::npos)
            << copy.status().ToString();
      }
      for (const auto& [name, n] : per_collection) {
        const std::string document = accepted.contains(name)  ? *JsonToDocument(accepted.at(name))
                                     : schemas.contains(name) ? first_document.at(name)
                                                              : *JsonToDocument(R"({"new":1})");
        auto id = (*(*db)->GetCollection(name))->Insert(document);
        ASSERT_TRUE(id.ok()) << name << ": " << id.status().ToString();
      }
    }
    ASSERT_TRUE((*db)->Close().ok());
  }
}

std::vector<std::string> CompatDirs() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(DAAS_COMPAT_DIR)) {
    if (e.is_directory()) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Formats, CompatTest, ::testing::ValuesIn(CompatDirs()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace daas
