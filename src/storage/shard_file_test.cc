#include "storage/shard_file.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>

namespace daas::storage {
namespace {

// A minimal valid document: {"k": <i>} as MessagePack (fixmap 1, fixstr "k", positive fixint).
std::string SmallDoc(uint8_t i) {
  return std::string("\x81\xa1k", 3) + static_cast<char>(i & 0x7f);
}

// Distinct meta per document, so a round trip that mixed them up would show.
RecordMeta MetaFor(uint32_t i) {
  return RecordMeta{10 + i, 1'700'000'000'000u + i, 1'800'000'000'000u + i};
}

std::string EncodeSample(Shard* s) {
  core::WriterLock l(s->mu());
  for (uint16_t i = 0; i < 50; ++i)
    s->Put(static_cast<uint16_t>(i * 3), 1000 + i, SmallDoc(i), MetaFor(i));
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
    RecordMeta meta;
    ASSERT_TRUE(loaded.Get(static_cast<uint16_t>(i * 3), 1000 + i, &out, &meta));
    EXPECT_EQ(out, SmallDoc(i));
    EXPECT_EQ(meta, MetaFor(i));
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
  EXPECT_EQ(file.size(), kShardFileHeaderBytes);
  Shard loaded(ShardId{1}, 1);
  core::WriterLock l(loaded.mu());
  EXPECT_TRUE(DecodeShardFile(file, "f", DocumentLimits{}, &loaded).ok());
}

// The bytes of `file`, as a FileContents a view can own.
class Bytes final : public env::FileContents {
 public:
  explicit Bytes(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string_view data() const override { return bytes_; }

 private:
  std::string bytes_;
};

Result<std::shared_ptr<const ShardFileView>> View(std::string file, const Shard& shard) {
  return ShardFileView::FromContents(std::make_unique<Bytes>(std::move(file)), "f.shard", shard);
}

// Files of the versions DaaS no longer writes load, their documents with the file's LSN as
// version and no times (they kept none); version 2 also answers point reads in place, version 1
// (no directory) is loaded whole.
TEST(ShardFile, OlderVersionsStillLoad) {
  for (uint32_t version : {1u, 2u}) {
    SCOPED_TRACE(version);
    Shard original(ShardId{4}, 2);
    {
      core::WriterLock l(original.mu());
      for (uint16_t i = 0; i < 50; ++i)
        original.Put(static_cast<uint16_t>(i * 3), 1000 + i, SmallDoc(i), MetaFor(i));
    }
    std::string file;
    {
      core::ReaderLock l(original.mu());
      file = version == 1 ? EncodeShardFileVersion1ForTesting(original, 77)
                          : EncodeShardFileVersion2ForTesting(original, 77);
    }
    Shard loaded(ShardId{4}, 2);
    {
      core::WriterLock l(loaded.mu());
      auto info = DecodeShardFile(file, "f.shard", DocumentLimits{}, &loaded);
      ASSERT_TRUE(info.ok()) << info.status().ToString();
      EXPECT_EQ(info->version, version);
      EXPECT_EQ(loaded.live_count(), 50u);
      std::string_view out;
      RecordMeta meta;
      ASSERT_TRUE(loaded.Get(147, 1049, &out, &meta));
      EXPECT_EQ(out, SmallDoc(49));
      EXPECT_EQ(meta, (RecordMeta{77, 0, 0}));
    }
    auto view = View(file, loaded);
    ASSERT_TRUE(view.ok());
    ASSERT_EQ(*(*view)->PointReads(), version == 2);
    if (version == 1) continue;
    std::string_view doc;
    RecordMeta meta;
    ASSERT_TRUE(*(*view)->Find(147, 1049, &doc, &meta));
    EXPECT_EQ(doc, SmallDoc(49));
    EXPECT_EQ(meta, (RecordMeta{77, 0, 0}));
  }
}

TEST(ShardFile, ViewFindsEveryDocumentInPlaceAndNothingElse) {
  Shard original(ShardId{4}, 2);
  const std::string file = EncodeSample(&original);
  auto view = View(file, original);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  ASSERT_TRUE(*(*view)->PointReads());
  for (uint32_t slot = 0; slot < 200; ++slot) {
    std::string_view doc;
    const bool present = slot % 3 == 0 && slot / 3 < 50;
    const uint64_t salt = present ? 1000 + slot / 3 : 1000;
    RecordMeta meta;
    Result<bool> found = (*view)->Find(static_cast<uint16_t>(slot), salt, &doc, &meta);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    ASSERT_EQ(*found, present) << slot;
    if (present) {
      EXPECT_EQ(doc, SmallDoc(static_cast<uint8_t>(slot / 3)));
      EXPECT_EQ(meta, MetaFor(slot / 3));
      // The right slot with another salt (a stale or guessed ID) finds nothing.
      EXPECT_FALSE(*(*view)->Find(static_cast<uint16_t>(slot), salt + 1, &doc, &meta));
    }
  }
}

// Shards of every size and shape, including ones whose slots span several directory chunks with
// empty chunks between them, in both offset widths, round-trip through the file and through the
// view.
TEST(ShardFile, SparseAndFullShardsRoundTripInBothOffsetWidths) {
  std::mt19937 rng(7);
  for (uint64_t short_offset_limit : {uint64_t{0}, uint64_t{64}}) {
    SetShortOffsetLimitForTesting(short_offset_limit);
    for (uint32_t density : {1u, 50u, 100u}) {
      Shard original(ShardId{9}, 3);
      std::vector<uint16_t> slots;
      {
        core::WriterLock l(original.mu());
        for (uint32_t slot = 0; slot < kSlotsPerShard; ++slot) {
          const bool in_gap = slot >= 5000 && slot < 9000;  // whole chunks with no record
          if (in_gap || rng() % 100 >= density) continue;
          original.Put(static_cast<uint16_t>(slot), slot + 1, SmallDoc(slot % 100), MetaFor(slot));
          slots.push_back(static_cast<uint16_t>(slot));
        }
      }
      std::string file;
      {
        core::ReaderLock l(original.mu());
        file = EncodeShardFile(original, 5);
      }
      Shard loaded(ShardId{9}, 3);
      {
        core::WriterLock l(loaded.mu());
        auto info = DecodeShardFile(file, "f.shard", DocumentLimits{}, &loaded);
        ASSERT_TRUE(info.ok()) << info.status().ToString();
        EXPECT_EQ(loaded.live_count(), slots.size());
      }
      auto view = View(file, loaded);
      ASSERT_TRUE(view.ok()) << view.status().ToString();
      for (size_t i = 0; i < slots.size(); i += 7) {
        std::string_view doc;
        RecordMeta meta;
        Result<bool> found = (*view)->Find(slots[i], slots[i] + 1u, &doc, &meta);
        ASSERT_TRUE(found.ok() && *found) << slots[i];
        EXPECT_EQ(doc, SmallDoc(slots[i] % 100));
      }
      std::string_view doc;
      RecordMeta meta;
      EXPECT_FALSE(*(*view)->Find(6000, 6001, &doc, &meta));
      if (density == 1) {
        // The directory costs about 4 bytes per document (8 with long offsets) and 144 per 1024
        // slots, not a fixed size per slot.
        // Record prefix (with version and times), the 4-byte document, record checksum,
        // directory entry.
        const uint64_t per_document = 38 + 4 + 4 + (short_offset_limit != 0 ? 8 : 4);
        EXPECT_LT(file.size(),
                  kShardFileHeaderBytes + slots.size() * per_document + 64 * 144 + 8 + 8);
      }
    }
  }
  SetShortOffsetLimitForTesting(0);
}

TEST(ShardFile, CancelledDecodeLoadsNothing) {
  Shard original(ShardId{4}, 2);
  const std::string file = EncodeSample(&original);
  const std::atomic<bool> cancel{true};
  Shard loaded(ShardId{4}, 2);
  core::WriterLock l(loaded.mu());
  auto info = DecodeShardFile(file, "f.shard", DocumentLimits{}, &loaded, &cancel);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kAborted);
  EXPECT_EQ(loaded.live_count(), 0u);
  EXPECT_EQ(loaded.slot_limit(), 0u);
}

// A point read returns the stored document or Corruption, whatever bit of the file is damaged:
// never another document, and never "absent" for a document that is there.
TEST(ShardFile, PointReadsNeverReturnDamagedBytes) {
  Shard original(ShardId{4}, 2);
  const std::string file = EncodeSample(&original);
  for (size_t byte = 0; byte < file.size(); ++byte) {
    std::string bad = file;
    bad[byte] = static_cast<char>(bad[byte] ^ (1 << (byte % 8)));
    auto view = View(bad, original);
    if (!view.ok()) {
      EXPECT_EQ(view.status().code(), StatusCode::kCorruption);
      continue;
    }
    bool corruption_seen = false;
    for (uint16_t i = 0; i < 50; ++i) {
      std::string_view doc;
      RecordMeta meta;
      Result<bool> found = (*view)->Find(static_cast<uint16_t>(i * 3), 1000 + i, &doc, &meta);
      if (!found.ok()) {
        EXPECT_EQ(found.status().code(), StatusCode::kCorruption) << byte;
        EXPECT_NE(found.status().message().find("f.shard at byte"), std::string_view::npos);
        corruption_seen = true;
        continue;
      }
      ASSERT_TRUE(*found) << "flip at " << byte << " hid slot " << i * 3;
      ASSERT_EQ(doc, SmallDoc(static_cast<uint8_t>(i))) << "flip at " << byte;
    }
    EXPECT_TRUE(corruption_seen) << "flip at " << byte << " went unnoticed by every read";
  }
}

}  // namespace
}  // namespace daas::storage
