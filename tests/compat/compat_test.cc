// Every database in tests/data/compat/ (one per released on-disk format) opens, holds exactly the
// documents its expected.jsonl lists, passes a write, and reopens. Each runs on a copy.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
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

class CompatTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CompatTest, OpensWithEveryDocumentAndTakesWrites) {
  const fs::path source = fs::path(DAAS_COMPAT_DIR) / GetParam();
  const std::vector<Expected> expected = ReadExpected(source / "expected.jsonl");
  ASSERT_FALSE(expected.empty());
  testing::TempDir tmp;
  const std::string dir = tmp.path() + "/db";
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(source)) {
    if (e.path().filename() != "expected.jsonl") fs::copy_file(e.path(), dir / e.path().filename());
  }
  Options o;
  o.dir = dir;
  o.create_if_missing = false;
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    auto db = Database::Open(o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    std::map<std::string, uint64_t> per_collection;
    for (const Expected& e : expected) {
      auto c = (*db)->GetCollection(e.collection);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      auto id = DocId::Parse(e.id);
      ASSERT_TRUE(id.ok()) << e.id;
      std::string bytes;
      ASSERT_TRUE((*c)->Get(*id, &bytes).ok()) << e.id;
      std::string json;
      doc::MsgpackToJson(bytes, &json);
      EXPECT_EQ(json, e.json);
      ++per_collection[e.collection];
    }
    for (const auto& [name, n] : per_collection) {
      EXPECT_EQ(*(*(*db)->GetCollection(name))->Count(), n + round) << name;
    }
    // A write in today's format lands beside the old files; the next round reopens both.
    if (round == 0) {
      for (const auto& [name, n] : per_collection) {
        ASSERT_TRUE((*(*db)->GetCollection(name))->Insert(*JsonToDocument(R"({"new":1})")).ok());
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
