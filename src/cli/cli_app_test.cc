#include "cli/cli_app.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "daas/doc_id.h"

namespace daas::cli {
namespace {

class CliAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "daas_cli_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    tmp_ = pattern;
    dir_ = tmp_ + "/db";
  }
  void TearDown() override { std::filesystem::remove_all(tmp_); }

  // Runs `daas args...`; out_ and err_ hold what it printed.
  int Run(std::initializer_list<std::string> args, const std::string& stdin_text = "") {
    return RunArgs(std::vector<std::string>(args), stdin_text);
  }
  int RunArgs(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    std::vector<std::string> storage = {"daas"};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const std::string& a : storage) argv.push_back(a.c_str());
    std::istringstream in(stdin_text);
    out_.str("");
    err_.str("");
    return RunCli(static_cast<int>(argv.size()), argv.data(), {in, out_, err_, false});
  }

  std::string Out() const {
    std::string s = out_.str();
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }

  std::string tmp_;
  std::string dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CliAppTest, DirWorksBeforeAndAfterTheCommand) {
  ASSERT_EQ(Run({"--dir", dir_, "insert", "users", R"({"a":1})"}), kExitOk) << err_.str();
  const std::string id = Out();
  ASSERT_EQ(Run({"get", "users", id, "--dir", dir_}), kExitOk) << err_.str();
  EXPECT_EQ(Out(), R"({"a":1})");
  ASSERT_EQ(Run({"count", "--dir=" + dir_, "users"}), kExitOk) << err_.str();
  EXPECT_EQ(Out(), "1");
}

TEST_F(CliAppTest, ChangesPersistAcrossRuns) {
  ASSERT_EQ(Run({"--dir", dir_, "create", "a"}), kExitOk) << err_.str();
  ASSERT_EQ(Run({"--dir", dir_, "rename", "a", "b"}), kExitOk) << err_.str();
  ASSERT_EQ(Run({"--dir", dir_, "list"}), kExitOk) << err_.str();
  EXPECT_EQ(Out(), "b");
}

TEST_F(CliAppTest, NoCommandPrintsStats) {
  ASSERT_EQ(Run({"--dir", dir_, "insert", "users", "{}"}), kExitOk);
  ASSERT_EQ(Run({"--dir", dir_}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str().rfind("collection", 0), 0u);
  EXPECT_NE(out_.str().find("\nusers "), std::string::npos);
}

TEST_F(CliAppTest, ReadingAMissingDatabaseIsNotFoundAndCreatesNothing) {
  EXPECT_EQ(Run({"--dir", dir_, "list"}), kExitError);
  EXPECT_EQ(err_.str().rfind("daas: error: not_found (2): ", 0), 0u) << err_.str();
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

TEST_F(CliAppTest, DatabaseErrorsExitOneWithCodeNameAndNumber) {
  ASSERT_EQ(Run({"--dir", dir_, "create", "users"}), kExitOk);
  EXPECT_EQ(Run({"--dir", dir_, "create", "users"}), kExitError);
  EXPECT_EQ(err_.str().rfind("daas: error: already_exists (3): ", 0), 0u) << err_.str();
  EXPECT_EQ(Run({"--dir", dir_, "insert", "users", R"({"a":})"}), kExitError);
  EXPECT_EQ(err_.str().rfind("daas: error: invalid_argument (1): ", 0), 0u) << err_.str();
  EXPECT_NE(err_.str().find("byte 5"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"--dir", dir_, "get", "users", "short"}), kExitError);
  EXPECT_NE(err_.str().find("document ID must be 19 characters"), std::string::npos);
}

TEST_F(CliAppTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({"--dir", dir_, "insert", "users"}), kExitUsage);
  EXPECT_EQ(err_.str().rfind("daas: error: invalid_argument (1): ", 0), 0u) << err_.str();
  EXPECT_NE(err_.str().find("daas insert --help"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"frobnicate"}), kExitUsage);
  EXPECT_EQ(Run({"list", "--bogus"}), kExitUsage);
  EXPECT_EQ(Run({"--dir", "", "list"}), kExitUsage);
  EXPECT_EQ(Run({"import", "users", "f", "--batch-size", "many"}), kExitUsage);
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

TEST_F(CliAppTest, HelpAndVersionSucceed) {
  ASSERT_EQ(Run({"--help"}), kExitOk);
  for (const char* command : {"insert", "get", "patch", "replace", "delete", "count", "list",
                              "create", "drop", "rename", "import", "export", "stats"}) {
    EXPECT_NE(out_.str().find(command), std::string::npos) << command;
  }
  EXPECT_NE(out_.str().find("Exit status"), std::string::npos);
  ASSERT_EQ(Run({"import", "--help"}), kExitOk);
  EXPECT_NE(out_.str().find("--batch-size"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("Example"), std::string::npos) << out_.str();
  EXPECT_EQ(out_.str().find("Exit status"), std::string::npos) << "footer leaked into import";
  ASSERT_EQ(Run({"--version"}), kExitOk);
  EXPECT_EQ(out_.str().rfind("daas ", 0), 0u);
}

TEST_F(CliAppTest, ExportToFileAndImportFromStdin) {
  ASSERT_EQ(Run({"--dir", dir_, "import", "a", "-"}, "{\"x\":1}\n{\"x\":2}\n"), kExitOk)
      << err_.str();
  EXPECT_EQ(Out().rfind("imported 2 documents into 'a' in ", 0), 0u) << Out();
  const std::string file = tmp_ + "/out.jsonl";
  ASSERT_EQ(Run({"--dir", dir_, "export", "a", "-o", file}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "");
  std::ifstream in(file);
  std::stringstream contents;
  contents << in.rdbuf();
  EXPECT_EQ(contents.str(), "{\"x\":1}\n{\"x\":2}\n");
}

TEST_F(CliAppTest, IdsStartingWithDashAreNotOptions) {
  // One ID in 64 starts with '-'. This one is well-formed and names nothing.
  const std::string id = "-0WuhJViD3c----0---";
  ASSERT_TRUE(DocId::Parse(id).ok());
  ASSERT_EQ(Run({"--dir", dir_, "create", "users"}), kExitOk);
  EXPECT_EQ(Run({"--dir", dir_, "get", "users", id}), kExitError);
  EXPECT_EQ(err_.str().rfind("daas: error: not_found (2): ", 0), 0u) << err_.str();
  EXPECT_NE(err_.str().find(id), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"delete", "users", id, "--dir", dir_}), kExitError);
  EXPECT_EQ(err_.str().rfind("daas: error: not_found (2): ", 0), 0u) << err_.str();
  EXPECT_EQ(Run({"--dir", dir_, "patch", "users", id, "{}"}), kExitError);
  EXPECT_EQ(err_.str().rfind("daas: error: not_found (2): ", 0), 0u) << err_.str();
  // A misplaced one is reported as typed.
  EXPECT_EQ(Run({"--dir", dir_, "get", "users", id, id}), kExitUsage);
  EXPECT_NE(err_.str().find(id), std::string::npos) << err_.str();
  EXPECT_EQ(err_.str().find('\x1f'), std::string::npos) << err_.str();
}

TEST_F(CliAppTest, ExportToUnwritableFileFails) {
  ASSERT_EQ(Run({"--dir", dir_, "create", "a"}), kExitOk);
  EXPECT_EQ(Run({"--dir", dir_, "export", "a", "-o", tmp_ + "/no/such/dir/x"}), kExitError);
  EXPECT_EQ(err_.str().rfind("daas: error: not_found (2): writing the export: open '", 0), 0u)
      << err_.str();
  EXPECT_EQ(Run({"--dir", dir_, "export", "a", "-o", tmp_}), kExitError);
  EXPECT_EQ(err_.str().rfind("daas: error: io_error (12): writing the export: open '", 0), 0u)
      << err_.str();
}

TEST_F(CliAppTest, ACollectionStartingWithDashIsANameForEveryCommand) {
  ASSERT_EQ(Run({"--dir", dir_, "create", "users"}), kExitOk);
  const std::string id = "y0WuhJViD3c----0---";  // well-formed; the collection is judged first
  const std::string file = tmp_ + "/in.jsonl";
  std::ofstream(file) << "{}\n";
  const std::vector<std::vector<std::string>> commands = {
      {"create", "-abc"},
      {"drop", "-abc"},
      {"count", "-abc"},
      {"insert", "-abc", "{}"},
      {"get", "-abc", id},
      {"replace", "-abc", id, "{}"},
      {"patch", "-abc", id, "{}"},
      {"delete", "-abc", id},
      {"import", "-abc", file},
      {"export", "-abc"},
      {"rename", "-abc", "x"},
      {"rename", "users", "-abc"},
      {"count", "--dir", dir_, "-abc"},
      {"export", "-o", tmp_ + "/out", "-abc", "--ids"},
      {"create", "-"},
  };
  for (const std::vector<std::string>& command : commands) {
    std::vector<std::string> argv;
    if (std::find(command.begin(), command.end(), "--dir") == command.end()) {
      argv = {"--dir", dir_};
    }
    argv.insert(argv.end(), command.begin(), command.end());
    const std::string shown = ::testing::PrintToString(argv);
    EXPECT_EQ(RunArgs(argv), kExitError) << shown << ": " << err_.str();
    const std::string name = command[0] == "create" && command[1] == "-" ? "'-'" : "'-abc'";
    // The engine judges the name: invalid, or (for a read) no such collection.
    const bool named = err_.str().find("invalid collection name " + name) != std::string::npos ||
                       err_.str().find("no collection " + name) != std::string::npos;
    EXPECT_TRUE(named) << shown << ": " << err_.str();
  }
  // The command's own options stay options.
  EXPECT_EQ(Run({"create", "-h"}), kExitOk);
  EXPECT_NE(out_.str().find("COLLECTION"), std::string::npos);
  EXPECT_EQ(Run({"--dir", dir_, "export", "--ids", "users"}), kExitOk) << err_.str();
  EXPECT_EQ(Run({"--dir", dir_, "import", "--batch-size", "5", "users", file}), kExitOk)
      << err_.str();
  EXPECT_EQ(Run({"--dir", dir_, "count", "users", "-abc"}), kExitUsage);
}

TEST_F(CliAppTest, BadNumericOptionValuesAreUsageErrors) {
  const std::string file = tmp_ + "/in.jsonl";
  std::ofstream(file) << "{}\n{}\n";
  for (const char* value : {"-1", "-5", "0", "99999999999999999999999", "1000001", "1.5", "+3",
                            " 3", "3x", "", "0x10"}) {
    EXPECT_EQ(Run({"--dir", dir_, "import", "a", file, "--batch-size", value}), kExitUsage)
        << "'" << value << "': " << err_.str();
    EXPECT_NE(err_.str().find("--batch-size: must be a whole number from 1 to 1,000,000"),
              std::string::npos)
        << err_.str();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_));
  for (const char* value : {"1", "1000000", "007"}) {
    EXPECT_EQ(Run({"--dir", dir_, "import", "a", file, "--batch-size", value}), kExitOk)
        << value << ": " << err_.str();
  }
}

TEST_F(CliAppTest, ErrorsAreOneLineWhateverTheUserTyped) {
  ASSERT_EQ(Run({"--dir", dir_, "create", "users"}), kExitOk);
  const std::string evil = "a\nb\r\x1b[2Jc\xff";
  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{{"create", evil},
                                             {"count", evil},
                                             {"rename", evil, "x"},
                                             {"rename", "users", evil},
                                             {"import", "users", tmp_ + "/" + evil},
                                             {"export", "users", "-o", tmp_ + "/" + evil + "/x"},
                                             {"schema", tmp_ + "/" + evil}}) {
    std::vector<std::string> argv = {"--dir", dir_};
    argv.insert(argv.end(), command.begin(), command.end());
    EXPECT_EQ(RunArgs(argv), kExitError) << err_.str();
    const std::string err = err_.str();
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_EQ(err.find('\r'), std::string::npos) << err;
    EXPECT_EQ(err.find('\x1b'), std::string::npos) << err;
    EXPECT_NE(err.find("a\\nb\\r\\x1b[2Jc\\xff"), std::string::npos) << err;
  }
  // A name is cut after 200 bytes, its length shown.
  EXPECT_EQ(Run({"--dir", dir_, "count", std::string(5000, 'n')}), kExitError);
  EXPECT_NE(err_.str().find("'... (5000 bytes)"), std::string::npos) << err_.str();
  EXPECT_LT(err_.str().size(), 400u) << err_.str();
}

TEST_F(CliAppTest, NoCommandWithAnExplicitDirStillRefusesAMissingDatabase) {
  // Only `daas` on the default ./data starts a database (tests/cli/cli_test.sh runs it in an empty
  // directory); with --dir a typo must not leave an empty database behind.
  EXPECT_EQ(Run({"--dir", dir_}), kExitError);
  EXPECT_EQ(err_.str().rfind("daas: error: not_found (2): ", 0), 0u) << err_.str();
  EXPECT_FALSE(std::filesystem::exists(dir_));
  EXPECT_EQ(Run({"--dir", dir_, "stats"}), kExitError);
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

}  // namespace
}  // namespace daas::cli
