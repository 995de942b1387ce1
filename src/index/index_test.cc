#include <gtest/gtest.h>

#include "doc/json.h"
#include "index/key.h"
#include "index/ref_index.h"
#include "index/unique_index.h"
#include "schema/schema.h"

namespace daas::index {
namespace {

std::string Doc(std::string_view json) {
  auto d = doc::JsonToMsgpack(json, DocumentLimits{});
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? *d : std::string();
}

std::string Json(std::string_view document) {
  std::string out;
  doc::MsgpackToJson(document, &out);
  return out;
}

std::optional<std::string> Key(std::string_view json, std::vector<std::string> fields) {
  return KeyOf(Doc(json), fields);
}

TEST(Key, EqualValuesGiveEqualKeys) {
  EXPECT_EQ(Key(R"({"a": 5})", {"a"}), Key(R"({"a": 5.0})", {"a"}));
  EXPECT_EQ(Key(R"({"a": -0.0})", {"a"}), Key(R"({"a": 0})", {"a"}));
  EXPECT_NE(Key(R"({"a": 5})", {"a"}), Key(R"({"a": 5.5})", {"a"}));
  EXPECT_NE(Key(R"({"a": 9007199254740993})", {"a"}), Key(R"({"a": 9007199254740992})", {"a"}));
  EXPECT_NE(Key(R"({"a": "5"})", {"a"}), Key(R"({"a": 5})", {"a"}));
  EXPECT_NE(Key(R"({"a": true})", {"a"}), Key(R"({"a": 1})", {"a"}));
  EXPECT_EQ(Key(R"({"a": [1, 2]})", {"a"}), Key(R"({"b": 0, "a": [1, 2]})", {"a"}));
}

TEST(Key, MissingOrNullFieldsAreNotIndexed) {
  EXPECT_EQ(Key(R"({"a": 1})", {"a", "b"}), std::nullopt);
  EXPECT_EQ(Key(R"({"a": 1, "b": null})", {"a", "b"}), std::nullopt);
  EXPECT_NE(Key(R"({"a": 1, "b": false})", {"a", "b"}), std::nullopt);
}

TEST(Key, TuplesDoNotRunTogether) {
  // ("a\0", "b") and ("a", "\0b") differ although their concatenated bytes would not.
  std::string x = Doc(R"({"p": "a\u0000", "q": "b"})");
  std::string y = Doc(R"({"p": "a", "q": "\u0000b"})");
  EXPECT_NE(KeyOf(x, std::vector<std::string>{"p", "q"}),
            KeyOf(y, std::vector<std::string>{"p", "q"}));
  EXPECT_NE(Key(R"({"p": "ab", "q": "c"})", {"p", "q"}),
            Key(R"({"p": "a", "q": "bc"})", {"p", "q"}));
}

TEST(Key, NumbersAndStringsKeepTheirOrder) {
  const std::vector<std::string> a{"a"};
  EXPECT_LT(*Key(R"({"a": -3})", a), *Key(R"({"a": -2.5})", a));
  EXPECT_LT(*Key(R"({"a": -2.5})", a), *Key(R"({"a": 0})", a));
  EXPECT_LT(*Key(R"({"a": 0})", a), *Key(R"({"a": 1e300})", a));
  EXPECT_LT(*Key(R"({"a": "ab"})", a), *Key(R"({"a": "abc"})", a));
  EXPECT_LT(*Key(R"({"a": "abc"})", a), *Key(R"({"a": "b"})", a));
}

TEST(UniqueIndex, AKeyHasOneHolder) {
  UniqueIndex u({"email"});
  const DocId a(1, ShardId{1}, 0), b(2, ShardId{1}, 1);
  EXPECT_EQ(u.Claim("k", a), std::nullopt);
  EXPECT_EQ(u.Claim("k", a), std::nullopt);  // already a's
  EXPECT_EQ(u.Claim("k", b), a);
  u.Release("k", b);  // not b's: nothing happens
  EXPECT_EQ(u.Find("k"), a);
  u.Release("k", a);
  EXPECT_EQ(u.Find("k"), std::nullopt);
  EXPECT_EQ(u.Claim("k", b), std::nullopt);
  EXPECT_EQ(u.size(), 1u);
}

TEST(RefIndex, CountsOccurrencesPerReferrer) {
  RefIndex r;
  const DocId t(9, ShardId{2}, 0), x(1, ShardId{1}, 0), y(2, ShardId{1}, 1);
  r.Add(t, y);
  r.Add(t, x);
  r.Add(t, x);
  EXPECT_EQ(r.Referrers(t), (std::vector<DocId>{x, y}));
  r.Remove(t, x);
  EXPECT_EQ(r.Referrers(t), (std::vector<DocId>{x, y}));
  r.Remove(t, x);
  r.Remove(t, y);
  EXPECT_TRUE(r.Referrers(t).empty());
}

TEST(Refs, CollectAndClearThroughObjectsAndArrays) {
  auto s = schema::ParseCollectionSchema("posts", R"({"fields": {
      "author": {"type": "ref", "collection": "users", "nullable": true},
      "tags": {"type": "array", "items": {"type": "ref", "collection": "tags"}},
      "meta": {"type": "object", "fields": {"editor": {"type": "ref", "collection": "users"}}},
      "title": "string"}})",
                                         {});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::vector<std::string> paths;
  const auto fields = RefFields(*s, &paths);
  EXPECT_EQ(paths, (std::vector<std::string>{"author", "tags", "meta.editor"}));
  const DocId u(7, ShardId{3}, 4), t1(8, ShardId{5}, 0), t2(9, ShardId{5}, 1);
  const std::string doc =
      Doc(R"({"title": "x", "author": ")" + u.ToString() + R"(", "tags": [")" + t1.ToString() +
          R"(", ")" + t2.ToString() + R"(", ")" + t1.ToString() + R"("], "meta": {"editor": ")" +
          u.ToString() + R"("}})");
  std::vector<RefValue> refs;
  CollectRefs(*s, fields, doc, &refs);
  ASSERT_EQ(refs.size(), 5u);
  EXPECT_EQ(refs[0].target, u);
  EXPECT_EQ(refs[0].ref_slot, 0u);
  EXPECT_EQ(refs[1].target, t1);
  EXPECT_EQ(refs[1].ref_slot, 1u);
  EXPECT_EQ(refs[4].ref_slot, 2u);
  EXPECT_EQ(Json(ClearRefs(*s, doc, u)), R"({"title":"x","author":null,"tags":[")" + t1.ToString() +
                                             R"(",")" + t2.ToString() + R"(",")" + t1.ToString() +
                                             R"("],"meta":{"editor":null}})");
  EXPECT_EQ(Json(ClearRefs(*s, doc, t1)), R"({"title":"x","author":")" + u.ToString() +
                                              R"(","tags":[")" + t2.ToString() +
                                              R"("],"meta":{"editor":")" + u.ToString() + R"("}})");
  EXPECT_EQ(ClearRefs(*s, doc, DocId(1, ShardId{1}, 1)), doc);
}

}  // namespace
}  // namespace daas::index
