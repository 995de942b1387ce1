// FaultInjectionEnv's own behaviour: the faults it injects are exactly the ones it promises, since
// every durability test relies on them.
#include "env/fault_injection_env.h"

#include <gtest/gtest.h>

#include <string>

#include "core/test_util.h"

namespace daas::env {
namespace {

class FaultInjectionEnvTest : public ::testing::Test {
 protected:
  std::unique_ptr<WritableFile> Create(const std::string& name) {
    auto f = fenv_.NewWritableFile(Path(name));
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    return f.ok() ? std::move(*f) : nullptr;
  }
  std::string Path(const std::string& name) const { return JoinPath(dir_, name); }
  std::string Contents(const std::string& name) const {
    return daas::testing::ReadWholeFile(Path(name));
  }

  daas::testing::TempDir tmp_;
  const std::string dir_ = tmp_.path();
  FaultInjectionEnv fenv_{Env::Default()};
};

TEST_F(FaultInjectionEnvTest, ShortWriteWritesThePrefixThenFails) {
  auto f = Create("f");
  fenv_.ShortWriteAfter(1, /*keep_bytes=*/3);
  ASSERT_TRUE(f->Append("first").ok());
  Status s = f->Append("abcdefgh");
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_NE(s.message().find("short write: 3 of 8 bytes"), std::string_view::npos) << s.message();
  EXPECT_EQ(Contents("f"), "firstabc");
  EXPECT_EQ(fenv_.short_write_count(), 1u);
  // The disk stays broken: later writes fail whole, until the faults are cleared.
  EXPECT_EQ(f->Append("xyz").code(), StatusCode::kIOError);
  EXPECT_FALSE(fenv_.NewWritableFile(Path("g")).ok());
  EXPECT_EQ(Contents("f"), "firstabc");
  EXPECT_EQ(fenv_.short_write_count(), 1u);
  fenv_.ClearFaults();
  ASSERT_TRUE(f->Append("!").ok());
  EXPECT_EQ(Contents("f"), "firstabc!");
}

TEST_F(FaultInjectionEnvTest, ShortWriteKeepsHalfByDefault) {
  auto f = Create("f");
  fenv_.ShortWriteAfter(0);
  EXPECT_FALSE(f->Append("0123456789").ok());
  EXPECT_EQ(Contents("f"), "01234");
}

TEST_F(FaultInjectionEnvTest, ShortWriteNeverWritesEverything) {
  auto f = Create("f");
  fenv_.ShortWriteAfter(0, /*keep_bytes=*/100);
  EXPECT_FALSE(f->Append("abcd").ok());
  EXPECT_EQ(Contents("f"), "abc");
}

TEST_F(FaultInjectionEnvTest, ShortWriteOutOfSpaceIsResourceExhausted) {
  auto f = Create("f");
  fenv_.ShortWriteAfter(0, 2, /*no_space=*/true);
  Status s = f->Append("abcd");
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("no space left"), std::string_view::npos) << s.message();
  EXPECT_EQ(Contents("f"), "ab");
}

TEST_F(FaultInjectionEnvTest, FailingWriteThatIsNotAnAppendFailsWhole) {
  fenv_.ShortWriteAfter(0);
  EXPECT_EQ(fenv_.NewWritableFile(Path("f")).status().code(), StatusCode::kIOError);
  EXPECT_EQ(fenv_.short_write_count(), 0u);
  auto exists = fenv_.FileExists(Path("f"));
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);
}

TEST_F(FaultInjectionEnvTest, FailWritesAfterCountsEveryKindOfWrite) {
  fenv_.FailWritesAfter(2);
  auto f = Create("f");               // 1
  ASSERT_TRUE(f->Append("a").ok());   // 2
  EXPECT_FALSE(f->Append("b").ok());  // fails
  EXPECT_FALSE(fenv_.RenameFile(Path("f"), Path("g")).ok());
  EXPECT_EQ(fenv_.short_write_count(), 0u);
  EXPECT_EQ(Contents("f"), "a");
}

TEST_F(FaultInjectionEnvTest, FaultsHitOnlySelectedPaths) {
  auto a = Create("a.log");
  auto b = Create("b.shard");
  fenv_.FaultOnlyPathsContaining(".shard");
  fenv_.ShortWriteAfter(1);
  fenv_.FailSyncsAfter(0);
  ASSERT_TRUE(a->Append("aaaa").ok());  // not counted
  ASSERT_TRUE(a->Sync().ok());
  ASSERT_TRUE(b->Append("bbbb").ok());  // counted: the one that succeeds
  ASSERT_TRUE(a->Append("aaaa").ok());
  EXPECT_FALSE(b->Append("1234").ok());  // short
  EXPECT_FALSE(b->Sync().ok());
  EXPECT_TRUE(fenv_.SyncDir(dir_).ok());  // the directory's path does not contain ".shard"
  // A rename is selected by either of its names.
  EXPECT_FALSE(fenv_.RenameFile(Path("a.log"), Path("c.shard")).ok());
  EXPECT_TRUE(fenv_.RenameFile(Path("a.log"), Path("c.log")).ok());
  EXPECT_EQ(Contents("c.log"), "aaaaaaaa");
  EXPECT_EQ(Contents("b.shard"), "bbbb12");
  // ClearFaults also selects every path again.
  fenv_.ClearFaults();
  fenv_.FailWritesAfter(0);
  EXPECT_FALSE(fenv_.NewWritableFile(Path("d.log")).ok());
}

TEST_F(FaultInjectionEnvTest, PowerLossDropsTheUnsyncedPrefixOfAShortWrite) {
  auto f = Create("f");
  ASSERT_TRUE(f->Append("durable").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(fenv_.SyncDir(dir_).ok());
  fenv_.ShortWriteAfter(0);
  EXPECT_FALSE(f->Append("lost-lost").ok());
  EXPECT_EQ(Contents("f"), "durablelost");
  ASSERT_TRUE(f->Close().ok());
  fenv_.ClearFaults();
  ASSERT_TRUE(fenv_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("f"), "durable");
}

}  // namespace
}  // namespace daas::env
