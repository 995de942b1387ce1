// Database::ApplySchemaFile (all or nothing across collections), GetSchemaFile and TypeScript.
#include <gtest/gtest.h>

#include <vector>

#include "engine/engine_test_util.h"

namespace daas {
namespace {

using testing::Doc;
using testing::SchemaOf;

constexpr char kFile[] = R"({"collections": {
  "users": {"version": 1, "fields": {"email": {"type": "string", "unique": true},
                                     "age": {"type": "int", "min": 0}}},
  "posts": {"version": 1, "fields": {"author": {"type": "ref", "collection": "users"},
                                     "title": {"type": "string", "required": true}}}}})";

TEST(SchemaFile, AppliesEveryCollectionAndCreatesTheMissingOnes) {
  auto db = testing::OpenOrDie({});
  std::vector<std::string> changed;
  ASSERT_TRUE(db->ApplySchemaFile(kFile, &changed).ok());
  EXPECT_EQ(changed, (std::vector<std::string>{"posts", "users"}));  // the file's order: by name
  EXPECT_EQ(db->ListCollections(), (std::vector<std::string>{"posts", "users"}));
  Collection* users = *db->GetCollection("users");
  DocId ada = *users->Insert(Doc(R"({"email":"a@x","age":3})"));
  EXPECT_EQ(users->Insert(Doc(R"({"email":"a@x"})")).status().code(),
            StatusCode::kSchemaViolation);  // unique, from the file
  Collection* posts = *db->GetCollection("posts");
  ASSERT_TRUE(posts->Insert(Doc(R"({"author":")" + ada.ToString() + R"(","title":"t"})")).ok());
  // The same file again changes nothing.
  ASSERT_TRUE(db->ApplySchemaFile(kFile, &changed).ok());
  EXPECT_TRUE(changed.empty());
  // The schema file reads back, and applies to a fresh database as the same schemas.
  Result<std::string> file = db->GetSchemaFile();
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto other = testing::OpenOrDie({});
  ASSERT_TRUE(other->ApplySchemaFile(*file, nullptr).ok());
  EXPECT_EQ(SchemaOf(*other->GetCollection("users")), SchemaOf(users));
  Result<std::string> ts = db->TypeScript();
  ASSERT_TRUE(ts.ok());
  EXPECT_NE(ts->find("users"), std::string::npos);
  EXPECT_NE(ts->find("posts"), std::string::npos);
}

// The second collection's new schema breaks a stored document: nothing of the file is applied,
// not the first collection's change, not the new collection, and writes go on afterwards.
TEST(SchemaFile, AFailureAnywhereAppliesNothing) {
  Options o;
  ::daas::testing::TempDir dir;
  o.dir = dir.path() + "/db";
  auto db = testing::OpenOrDie(o);
  Collection* users = *db->CreateCollection("users");
  Collection* posts = *db->CreateCollection("posts");
  ASSERT_TRUE(users->SetSchema(R"({"version":1,"fields":{"email":{"type":"string"}}})").ok());
  ASSERT_TRUE(users->Insert(Doc(R"({"email":"a@x"})")).ok());
  ASSERT_TRUE(users->Insert(Doc(R"({"email":"a@x"})")).ok());  // not unique yet
  ASSERT_TRUE(posts->Insert(Doc(R"({"title":"no author"})")).ok());
  const std::string users_before = SchemaOf(users);
  constexpr char kBreaking[] = R"({"collections": {
    "notes": {"version": 1, "fields": {"n": {"type": "int"}}},
    "posts": {"version": 1, "fields": {"title": {"type": "string"}}},
    "users": {"version": 2, "fields": {"email": {"type": "string", "unique": true}}}}})";
  std::vector<std::string> changed = {"stale"};
  Status s = db->ApplySchemaFile(kBreaking, &changed);
  EXPECT_EQ(s.code(), StatusCode::kSchemaViolation) << s.ToString();
  EXPECT_NE(s.message().find("nothing changed"), std::string_view::npos) << s.ToString();
  EXPECT_EQ(SchemaOf(users), users_before);
  EXPECT_EQ(SchemaOf(posts), "");  // its change, checked fine, was put back
  EXPECT_EQ(db->GetCollection("notes").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(changed.empty());
  // Writes were held during the attempt, not after it.
  ASSERT_TRUE(posts->Insert(Doc(R"({"title":7})")).ok());
  // And a reopen agrees: the manifest never saw any of it.
  ASSERT_TRUE(db->Close().ok());
  db = testing::OpenOrDie(o);
  EXPECT_EQ(SchemaOf(*db->GetCollection("posts")), "");
  EXPECT_EQ(db->GetCollection("notes").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(db->ApplySchemaFile("{", nullptr).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace daas
