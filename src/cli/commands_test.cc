#include "cli/commands.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "daas/daas.hpp"

namespace daas::cli {
namespace {

// A temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "daas_commands_test_XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Splits text into lines, dropping the final newline.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(Options{});  // in-memory
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }

  // Runs a command with fresh output streams; out_ and err_ hold what it printed.
  Status Run(Command command, CommandArgs args) {
    out_.str("");
    err_.str("");
    if (args.in == nullptr) args.in = &in_;
    return RunCommand(command, *db_, args, out_, err_);
  }

  // Inserts and returns the printed ID.
  std::string Insert(const std::string& collection, const std::string& json) {
    Status s = Run(Command::kInsert, {.collection = collection, .json = json});
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::string id = out_.str();
    if (!id.empty() && id.back() == '\n') id.pop_back();
    return id;
  }

  std::unique_ptr<Database> db_;
  std::istringstream in_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CommandsTest, InsertPrintsIdAndCreatesCollection) {
  const std::string id = Insert("users", R"({"name":"Ada","age":36})");
  EXPECT_EQ(id.size(), DocId::kTextSize);
  EXPECT_TRUE(DocId::Parse(id).ok());
  ASSERT_TRUE(Run(Command::kList, {}).ok());
  EXPECT_EQ(out_.str(), "users\n");
}

TEST_F(CommandsTest, GetPrintsDocumentAsJson) {
  const std::string id = Insert("users", R"({"name":"Ada","age":36,"tags":["a",1.5]})");
  ASSERT_TRUE(Run(Command::kGet, {.collection = "users", .id = id}).ok());
  EXPECT_EQ(out_.str(), "{\"name\":\"Ada\",\"age\":36,\"tags\":[\"a\",1.5]}\n");
}

TEST_F(CommandsTest, InsertWithBadJsonNamesByteOffsetAndCreatesNothing) {
  Status s = Run(Command::kInsert, {.collection = "users", .json = R"({"a":1,})"});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("byte"), std::string_view::npos) << s.message();
  EXPECT_TRUE(db_->ListCollections().empty());
}

TEST_F(CommandsTest, InsertReadsJsonFromStdinForDash) {
  in_.str(R"({"from":"stdin"})");
  const std::string id = Insert("users", "-");
  ASSERT_TRUE(Run(Command::kGet, {.collection = "users", .id = id}).ok());
  EXPECT_EQ(out_.str(), "{\"from\":\"stdin\"}\n");
}

TEST_F(CommandsTest, InsertRejectsNonObject) {
  EXPECT_EQ(Run(Command::kInsert, {.collection = "users", .json = "[1,2]"}).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(CommandsTest, BadIdGivesParseMessage) {
  Insert("users", "{}");
  Status s = Run(Command::kGet, {.collection = "users", .id = "nope"});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), DocId::Parse("nope").status().message());
}

TEST_F(CommandsTest, PatchMergesAndRemovesFields) {
  const std::string id = Insert("users", R"({"name":"Ada","age":36,"email":"a@x"})");
  ASSERT_TRUE(
      Run(Command::kPatch, {.collection = "users", .id = id, .json = R"({"age":37,"email":null})"})
          .ok());
  EXPECT_EQ(out_.str(), "");
  ASSERT_TRUE(Run(Command::kGet, {.collection = "users", .id = id}).ok());
  EXPECT_EQ(out_.str(), "{\"name\":\"Ada\",\"age\":37}\n");
}

TEST_F(CommandsTest, ReplaceSwapsWholeDocument) {
  const std::string id = Insert("users", R"({"name":"Ada","age":36})");
  ASSERT_TRUE(
      Run(Command::kReplace, {.collection = "users", .id = id, .json = R"({"x":true})"}).ok());
  ASSERT_TRUE(Run(Command::kGet, {.collection = "users", .id = id}).ok());
  EXPECT_EQ(out_.str(), "{\"x\":true}\n");
}

TEST_F(CommandsTest, DeleteThenGetIsNotFound) {
  const std::string id = Insert("users", "{}");
  ASSERT_TRUE(Run(Command::kDelete, {.collection = "users", .id = id}).ok());
  EXPECT_EQ(Run(Command::kGet, {.collection = "users", .id = id}).code(), StatusCode::kNotFound);
  EXPECT_EQ(Run(Command::kDelete, {.collection = "users", .id = id}).code(), StatusCode::kNotFound);
}

TEST_F(CommandsTest, UpdatesOnMissingCollectionAreNotFoundAndCreateNothing) {
  const std::string id = Insert("users", "{}");
  EXPECT_EQ(Run(Command::kGet, {.collection = "other", .id = id}).code(), StatusCode::kNotFound);
  EXPECT_EQ(Run(Command::kPatch, {.collection = "other", .id = id, .json = "{}"}).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Run(Command::kCount, {.collection = "other"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(Run(Command::kExport, {.collection = "other"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(db_->ListCollections(), std::vector<std::string>{"users"});
}

TEST_F(CommandsTest, CountPrintsNumber) {
  ASSERT_TRUE(Run(Command::kCreate, {.collection = "users"}).ok());
  ASSERT_TRUE(Run(Command::kCount, {.collection = "users"}).ok());
  EXPECT_EQ(out_.str(), "0\n");
  Insert("users", "{}");
  Insert("users", "{}");
  ASSERT_TRUE(Run(Command::kCount, {.collection = "users"}).ok());
  EXPECT_EQ(out_.str(), "2\n");
}

TEST_F(CommandsTest, CreateDropRename) {
  ASSERT_TRUE(Run(Command::kCreate, {.collection = "b"}).ok());
  ASSERT_TRUE(Run(Command::kCreate, {.collection = "a"}).ok());
  EXPECT_EQ(Run(Command::kCreate, {.collection = "a"}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Run(Command::kCreate, {.collection = "1bad"}).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(Run(Command::kRename, {.collection = "a", .target = "c"}).ok());
  ASSERT_TRUE(Run(Command::kList, {}).ok());
  EXPECT_EQ(out_.str(), "b\nc\n");
  ASSERT_TRUE(Run(Command::kDrop, {.collection = "b"}).ok());
  EXPECT_EQ(Run(Command::kDrop, {.collection = "b"}).code(), StatusCode::kNotFound);
  ASSERT_TRUE(Run(Command::kList, {}).ok());
  EXPECT_EQ(out_.str(), "c\n");
}

TEST_F(CommandsTest, StatsPrintsHeaderAndOneRowPerCollection) {
  Insert("users", R"({"name":"Ada"})");
  Insert("users", R"({"name":"Bob"})");
  ASSERT_TRUE(Run(Command::kCreate, {.collection = "empty"}).ok());
  ASSERT_TRUE(Run(Command::kStats, {}).ok());
  std::vector<std::string> lines = Lines(out_.str());
  // The table, a blank line, then the log and checkpoint lines (zeros: this database is in memory).
  ASSERT_EQ(lines.size(), 6u) << out_.str();
  EXPECT_EQ(lines[3], "");
  EXPECT_EQ(lines[4].rfind("log: 0 segment(s)", 0), 0u) << lines[4];
  EXPECT_EQ(lines[5].rfind("checkpoint: LSN 0", 0), 0u) << lines[5];
  EXPECT_EQ(lines[0].rfind("collection", 0), 0u);
  for (const char* column : {"documents", "document_bytes", "memory_bytes", "shards"}) {
    EXPECT_NE(lines[0].find(column), std::string::npos) << column;
  }
  EXPECT_EQ(lines[1].rfind("empty ", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("users ", 0), 0u) << lines[2];
  std::istringstream row(lines[2]);
  std::string name;
  uint64_t documents = 0, document_bytes = 0;
  row >> name >> documents >> document_bytes;
  EXPECT_EQ(documents, 2u);
  EXPECT_GT(document_bytes, 0u);
  // Columns align: every line has the same length.
  EXPECT_EQ(lines[0].size(), lines[1].size());
  EXPECT_EQ(lines[0].size(), lines[2].size());
}

TEST_F(CommandsTest, ImportJsonLinesFromStdinInBatches) {
  std::string input;
  for (int i = 0; i < 25; ++i) input += "{\"n\":" + std::to_string(i) + "}\n\n";
  in_.str(input);
  ASSERT_TRUE(Run(Command::kImport, {.collection = "nums", .file = "-", .batch_size = 10}).ok());
  EXPECT_EQ(out_.str().rfind("imported 25 documents into 'nums' in ", 0), 0u) << out_.str();
  EXPECT_NE(out_.str().find(" docs/s)\n"), std::string::npos) << out_.str();
  EXPECT_EQ(err_.str(), "");
  ASSERT_TRUE(Run(Command::kCount, {.collection = "nums"}).ok());
  EXPECT_EQ(out_.str(), "25\n");
}

TEST_F(CommandsTest, ImportJsonArray) {
  in_.str(R"( [ {"a":1}, {"a":[2,{"b":"]"}]} , {"a":3} ] )");
  ASSERT_TRUE(Run(Command::kImport, {.collection = "arr", .file = "-"}).ok());
  ASSERT_TRUE(Run(Command::kExport, {.collection = "arr"}).ok());
  EXPECT_EQ(out_.str(), "{\"a\":1}\n{\"a\":[2,{\"b\":\"]\"}]}\n{\"a\":3}\n");
}

TEST_F(CommandsTest, ImportEmptyInputCreatesEmptyCollection) {
  in_.str("");
  ASSERT_TRUE(Run(Command::kImport, {.collection = "empty", .file = "-"}).ok());
  EXPECT_EQ(out_.str().rfind("imported 0 documents into 'empty'", 0), 0u);
  EXPECT_EQ(db_->ListCollections(), std::vector<std::string>{"empty"});
}

TEST_F(CommandsTest, ImportStopsAtBadLineKeepingEverythingBefore) {
  // Line 4 is bad; with batches of 2, documents 1-2 are one batch, 3 is pending at the error.
  in_.str("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":}\n{\"n\":5}\n");
  Status s = Run(Command::kImport, {.collection = "nums", .file = "-", .batch_size = 2});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("<stdin>"), std::string_view::npos) << s.message();
  EXPECT_NE(s.message().find("line 4"), std::string_view::npos) << s.message();
  EXPECT_NE(s.message().find("byte"), std::string_view::npos) << s.message();
  EXPECT_NE(s.message().find("; 3 documents before it were imported into 'nums' and stay"),
            std::string_view::npos)
      << s.message();
  EXPECT_EQ(out_.str(), "");
  ASSERT_TRUE(Run(Command::kCount, {.collection = "nums"}).ok());
  EXPECT_EQ(out_.str(), "3\n");
}

TEST_F(CommandsTest, ImportFailingOnFirstDocumentCreatesNothing) {
  in_.str("not json\n");
  Status s = Run(Command::kImport, {.collection = "nums", .file = "-"});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("nothing was imported"), std::string_view::npos);
  EXPECT_EQ(err_.str(), "");
  EXPECT_TRUE(db_->ListCollections().empty());
}

TEST_F(CommandsTest, ImportRefusedDocumentKeepsThePrefixAndNamesItsOffset) {
  // The engine refuses a document over the database's size limit even though the CLI's own
  // conversion accepted it: the batch is retried one by one and stops exactly at it.
  auto small = Database::Open(Options{.limits = {.max_size_bytes = 64}});
  ASSERT_TRUE(small.ok());
  const std::string big = "{\"s\":\"" + std::string(100, 'x') + "\"}";
  in_.str("{\"n\":1}\n{\"n\":2}\n" + big + "\n{\"n\":4}\n");
  CommandArgs args{.collection = "nums", .file = "-", .batch_size = 10, .in = &in_};
  Status s = RunCommand(Command::kImport, **small, args, out_, err_);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("document at byte 16 (line 3)"), std::string_view::npos)
      << s.message();
  EXPECT_NE(s.message().find("2 documents before it were imported"), std::string_view::npos);
  auto collection = (*small)->GetCollection("nums");
  ASSERT_TRUE(collection.ok());
  EXPECT_EQ(*(*collection)->Count(), 2u);
}

TEST_F(CommandsTest, ImportMissingFileIsNotFound) {
  Status s = Run(Command::kImport, {.collection = "nums", .file = "/nonexistent/x.jsonl"});
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("/nonexistent/x.jsonl"), std::string_view::npos);
}

TEST_F(CommandsTest, ImportRejectsZeroBatchSize) {
  in_.str("{}\n");
  EXPECT_EQ(Run(Command::kImport, {.collection = "n", .file = "-", .batch_size = 0}).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(CommandsTest, ImportDrawsProgressWhenAsked) {
  std::string input;
  for (int i = 0; i < 100; ++i) input += "{\"n\":" + std::to_string(i) + "}\n";
  // From a file, whose size is known, the line shows the total; from a pipe it cannot.
  TempDir tmp;
  const std::string file = tmp.path() + "/nums.jsonl";
  std::ofstream(file) << input;
  in_.str(input);
  for (const std::string& source : {file, std::string("-")}) {
    SCOPED_TRACE(source);
    CommandArgs args{.collection = "nums",
                     .file = source,
                     .progress = true,
                     .progress_interval = std::chrono::milliseconds(0)};
    ASSERT_TRUE(Run(Command::kImport, args).ok());
    const std::string err = err_.str();
    EXPECT_NE(err.find("\rimporting into 'nums': "), std::string::npos);
    EXPECT_NE(err.find(" docs/s"), std::string::npos);
    EXPECT_EQ(err.find(" / 890 B (") != std::string::npos, source == file) << err;
    // The line is erased at the end, so the summary starts clean.
    EXPECT_EQ(err.substr(err.size() - 4), "\r\033[K");
  }
}

TEST_F(CommandsTest, ImportReadsAnInputLargerThanItsReadWindow) {
  // Several reads of the 4 MiB window, with documents cut across them; offsets stay file-absolute.
  TempDir tmp;
  const std::string file = tmp.path() + "/big.jsonl";
  std::string input;
  const std::string pad(300, 'p');
  for (int i = 0; input.size() < (9u << 20); ++i) {
    input += "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}\n";
  }
  const size_t good = input.size();
  const size_t lines = static_cast<size_t>(std::count(input.begin(), input.end(), '\n'));
  input += "{\"n\":}\n";
  std::ofstream(file) << input;
  Status s = Run(Command::kImport, {.collection = "big", .file = file});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("line " + std::to_string(lines + 1) + ": invalid JSON at byte " +
                             std::to_string(good + 5) + ": "),
            std::string_view::npos)
      << s.message();
  EXPECT_NE(s.message().find(std::to_string(lines) + " documents before it were imported"),
            std::string_view::npos)
      << s.message();
  ASSERT_TRUE(Run(Command::kCount, {.collection = "big"}).ok());
  EXPECT_EQ(out_.str(), std::to_string(lines) + "\n");
}

TEST_F(CommandsTest, ImportRefusesADocumentTooLongToBeValidBeforeItEnds) {
  auto small = Database::Open(Options{.limits = {.max_size_bytes = 64}});
  ASSERT_TRUE(small.ok());
  in_.str("{\"n\":1}\n{\"s\":\"" + std::string(100000, 'x'));
  CommandArgs args{.collection = "nums", .file = "-", .in = &in_, .limits = {.max_size_bytes = 64}};
  Status s = RunCommand(Command::kImport, **small, args, out_, err_);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("line 2: the document at byte 8 has more than 256 bytes of JSON text"),
            std::string_view::npos)
      << s.message();
  EXPECT_NE(s.message().find("1 document before it was imported"), std::string_view::npos);
}

TEST_F(CommandsTest, InsertOfTextThatIsNotJsonSaysSo) {
  for (const char* text : {"nope", "12x", "tru"}) {
    Status s = Run(Command::kInsert, {.collection = "users", .json = text});
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message().rfind("invalid JSON at byte 0: invalid ", 0), 0u) << s.message();
  }
  EXPECT_EQ(Run(Command::kInsert, {.collection = "users", .json = "null"}).message(),
            "invalid JSON at byte 0: expected an object, found null");
}

TEST_F(CommandsTest, ExportCreatesItsFileOnlyOnceTheCollectionIsFound) {
  TempDir tmp;
  const std::string file = tmp.path() + "/users.jsonl";
  std::ofstream(file) << "precious\n";
  EXPECT_EQ(Run(Command::kExport, {.collection = "nosuch", .output = file}).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(ReadFile(file), "precious\n");
  // An existing collection, even empty, is an export: the file then holds exactly it.
  ASSERT_TRUE(Run(Command::kCreate, {.collection = "empty"}).ok());
  ASSERT_TRUE(Run(Command::kExport, {.collection = "empty", .output = file}).ok());
  EXPECT_EQ(ReadFile(file), "");
  Insert("users", R"({"a":1})");
  ASSERT_TRUE(Run(Command::kExport, {.collection = "users", .output = file}).ok());
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(ReadFile(file), "{\"a\":1}\n");
}

TEST_F(CommandsTest, ExportToAFullDiskIsResourceExhausted) {
  Insert("users", R"({"a":1})");
  Status s = Run(Command::kExport, {.collection = "users", .output = "/dev/full"});
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("'/dev/full': No space left on device"), std::string_view::npos)
      << s.message();
}

TEST_F(CommandsTest, ExportWritesJsonLinesInIdOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Insert("users", "{\"n\":" + std::to_string(i) + "}"));
  ASSERT_TRUE(Run(Command::kExport, {.collection = "users"}).ok());
  std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 5u);
  // Export is in ID order; pair each line with its ID and compare that order.
  std::vector<std::pair<DocId, std::string>> expected;
  for (int i = 0; i < 5; ++i) {
    expected.push_back({*DocId::Parse(ids[i]), "{\"n\":" + std::to_string(i) + "}"});
  }
  std::sort(expected.begin(), expected.end());
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i], expected[i].second);
}

TEST_F(CommandsTest, ExportWithIdsWrapsEachDocument) {
  const std::string id = Insert("users", R"({"name":"Ada"})");
  ASSERT_TRUE(Run(Command::kExport, {.collection = "users", .with_ids = true}).ok());
  EXPECT_EQ(out_.str(), "{\"id\":\"" + id + "\",\"document\":{\"name\":\"Ada\"}}\n");
}

TEST_F(CommandsTest, ExportImportRoundTrip) {
  for (int i = 0; i < 50; ++i) {
    Insert("src", "{\"i\":" + std::to_string(i) + ",\"s\":\"caf\\u00e9 \\\"q\\\"\",\"f\":0.5}");
  }
  ASSERT_TRUE(Run(Command::kExport, {.collection = "src"}).ok());
  const std::string exported = out_.str();
  in_.str(exported);
  ASSERT_TRUE(Run(Command::kImport, {.collection = "dst", .file = "-", .batch_size = 7}).ok());
  ASSERT_TRUE(Run(Command::kExport, {.collection = "dst"}).ok());
  std::vector<std::string> a = Lines(exported), b = Lines(out_.str());
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a.size(), 50u);
  EXPECT_EQ(a, b);
}

TEST_F(CommandsTest, DashWithoutStdinIsAnError) {
  CommandArgs args{.collection = "users", .json = "-"};
  Status s = RunCommand(Command::kInsert, *db_, args, out_, err_);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST(PrintErrorTest, NamesCodeAndNumber) {
  std::ostringstream err;
  PrintError(Status::NotFound("no collection 'x'"), err);
  EXPECT_EQ(err.str(), "daas: error: not_found (2): no collection 'x'\n");
}

TEST(PrintErrorTest, PrintsOneLineWhateverTheMessageHolds) {
  std::ostringstream err;
  PrintError(Status::IOError("open 'a\nb\r\x1b[31m': failed"), err);
  EXPECT_EQ(err.str(), "daas: error: io_error (12): open 'a\\nb\\r\\x1b[31m': failed\n");
}

TEST(ThousandsTest, GroupsDigits) {
  EXPECT_EQ(WithThousandsSeparators(0), "0");
  EXPECT_EQ(WithThousandsSeparators(999), "999");
  EXPECT_EQ(WithThousandsSeparators(1000), "1,000");
  EXPECT_EQ(WithThousandsSeparators(432000), "432,000");
  EXPECT_EQ(WithThousandsSeparators(1234567), "1,234,567");
}

TEST(CommandTest, OnlyInsertImportAndCreateCreateTheDatabase) {
  const CommandArgs none;
  EXPECT_TRUE(CommandCreatesDatabase(Command::kInsert, none));
  EXPECT_TRUE(CommandCreatesDatabase(Command::kImport, none));
  EXPECT_TRUE(CommandCreatesDatabase(Command::kCreate, none));
  EXPECT_TRUE(CommandCreatesDatabase(Command::kSchema, CommandArgs{.file = "schema.json"}));
  EXPECT_FALSE(CommandCreatesDatabase(Command::kSchema, none));  // prints: a read
  EXPECT_FALSE(CommandCreatesDatabase(Command::kStats, none));
  EXPECT_FALSE(CommandCreatesDatabase(Command::kGet, none));
  EXPECT_FALSE(CommandCreatesDatabase(Command::kDrop, none));
}

}  // namespace
}  // namespace daas::cli
