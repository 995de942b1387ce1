#include "storage/shard_file.h"

#include <gtest/gtest.h>

#include <random>

namespace daas::storage {
namespace {

// A minimal valid document: {"k": <i>} as MessagePack (fixmap 1, fixstr "k", positive fixint).
std::string SmallDoc(uint8_t i) {
  return std::string("\x81\xa1k", 3) + static_cast<char>(i & 0x7f);
}

std::string EncodeSample(Shard* s) {
  core::WriterLock l(s->mu());
  for (uint16_t i = 0; i < 50; ++i) s->Put(static_cast<uint16_t>(i * 3), 1000 + i, SmallDoc(i));
  return EncodeShardFile(*s, 77);
}

TEST(ShardFile, RoundTripsEveryDocument) {
  Shard original(ShardId{4}, 2);
  const std::string file = EncodeSample(&original);
  Shard loaded(ShardId{4}, 2);
  core::WriterLock l(loaded.mu());
  auto info = DecodeShardFile(file, "f.shard", DocumentLimits{}, &loaded);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->record_count, 50u);
  EXPECT_EQ(info->lsn, 77u);
  EXPECT_EQ(loaded.live_count(), 50u);
  for (uint16_t i = 0; i < 50; ++i) {
    std::string_view out;
    ASSERT_TRUE(loaded.Get(static_cast<uint16_t>(i * 3), 1000 + i, &out));
    EXPECT_EQ(out, SmallDoc(i));
  }
  EXPECT_FALSE(loaded.dirty());
}

TEST(ShardFile, EveryFlippedBitIsCorruption) {
  Shard original(ShardId{4}, 2);
  const std::string file = EncodeSample(&original);
  for (size_t byte = 0; byte < file.size(); ++byte) {
    std::string bad = file;
    bad[byte] = static_cast<char>(bad[byte] ^ (1 << (byte % 8)));
    Shard loaded(ShardId{4}, 2);
    core::WriterLock l(loaded.mu());
    auto info = DecodeShardFile(bad, "f.shard", DocumentLimits{}, &loaded);
    ASSERT_FALSE(info.ok()) << "flip at " << byte;
    EXPECT_EQ(info.status().code(), StatusCode::kCorruption);
    EXPECT_NE(info.status().message().find("f.shard at byte"), std::string_view::npos);
    EXPECT_EQ(loaded.live_count(), 0u);
  }
}

TEST(ShardFile, EveryTruncationIsCorruption) {
  Shard original(ShardId{4}, 2);
  const std::string file = EncodeSample(&original);
  for (size_t len = 0; len < file.size(); ++len) {
    Shard loaded(ShardId{4}, 2);
    core::WriterLock l(loaded.mu());
    auto info = DecodeShardFile(std::string_view(file).substr(0, len), "f.shard", DocumentLimits{},
                                &loaded);
    ASSERT_FALSE(info.ok()) << len;
    EXPECT_EQ(info.status().code(), StatusCode::kCorruption);
  }
}

TEST(ShardFile, FileOfAnotherShardIsRefused) {
  Shard original(ShardId{4}, 2);
  const std::string file = EncodeSample(&original);
  Shard other(ShardId{5}, 2);
  core::WriterLock l(other.mu());
  auto info = DecodeShardFile(file, "f.shard", DocumentLimits{}, &other);
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("belongs to shard 4"), std::string_view::npos);
}

TEST(ShardFile, EmptyShardRoundTrips) {
  Shard empty(ShardId{1}, 1);
  std::string file;
  {
    core::ReaderLock l(empty.mu());
    file = EncodeShardFile(empty, 0);
  }
  EXPECT_EQ(file.size(), kShardFileHeaderBytes + 8);
  Shard loaded(ShardId{1}, 1);
  core::WriterLock l(loaded.mu());
  EXPECT_TRUE(DecodeShardFile(file, "f", DocumentLimits{}, &loaded).ok());
}

}  // namespace
}  // namespace daas::storage
