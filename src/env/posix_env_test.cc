#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/test_util.h"
#include "env/env.h"

namespace daas::env {
namespace {

class PosixEnvTest : public ::testing::Test {
 protected:
  Env* env() { return Env::Default(); }
  daas::testing::TempDir tmp_;
  const std::string dir_ = tmp_.path();
};

TEST_F(PosixEnvTest, AtomicWriteReplacesWholeFile) {
  const std::string path = JoinPath(dir_, "f");
  ASSERT_TRUE(WriteFileAtomically(env(), path, "first version").ok());
  ASSERT_TRUE(WriteFileAtomically(env(), path, "v2").ok());
  auto data = env()->ReadFile(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "v2");
  auto exists = env()->FileExists(path + ".tmp");
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);
}

TEST_F(PosixEnvTest, ReadOfMissingFileIsNotFound) {
  auto data = env()->ReadFile(JoinPath(dir_, "missing"));
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), StatusCode::kNotFound);
  EXPECT_NE(data.status().message().find("missing"), std::string_view::npos);
}

TEST_F(PosixEnvTest, ListDirNamesEntries) {
  ASSERT_TRUE(WriteFileAtomically(env(), JoinPath(dir_, "a"), "x").ok());
  ASSERT_TRUE(env()->CreateDirIfMissing(JoinPath(dir_, "sub")).ok());
  auto names = env()->ListDir(dir_);
  ASSERT_TRUE(names.ok());
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "sub"}));
}

TEST_F(PosixEnvTest, SecondLockOnSameFileIsBusyAcrossProcesses) {
  const std::string path = JoinPath(dir_, "LOCK");
  auto lock = env()->LockFile(path);
  ASSERT_TRUE(lock.ok());
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto second = Env::Default()->LockFile(path);
    _exit(!second.ok() && second.status().code() == StatusCode::kBusy ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  lock->reset();
  EXPECT_TRUE(env()->LockFile(path).ok());
}

TEST_F(PosixEnvTest, CreateDirOverFileFails) {
  const std::string path = JoinPath(dir_, "file");
  ASSERT_TRUE(WriteFileAtomically(env(), path, "x").ok());
  EXPECT_FALSE(env()->CreateDirIfMissing(path).ok());
}

}  // namespace
}  // namespace daas::env
