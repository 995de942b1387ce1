#include "daas/doc_id.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "core/random.h"

namespace daas {
namespace {

TEST(DocId, TextFormRoundTripsAndHasFixedLength) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 10000; ++i) {
    DocId id(rng() | 1, ShardId{static_cast<uint32_t>(rng())}, static_cast<uint16_t>(rng()));
    std::string text = id.ToString();
    ASSERT_EQ(text.size(), DocId::kTextSize);
    for (char c : text) ASSERT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    auto back = DocId::Parse(text);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, id);
  }
}

TEST(DocId, TextOrderMatchesBinaryOrder) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    DocId a(rng() | 1, ShardId{static_cast<uint32_t>(rng())}, static_cast<uint16_t>(rng()));
    DocId b(rng() | 1, ShardId{static_cast<uint32_t>(rng())}, static_cast<uint16_t>(rng()));
    EXPECT_EQ(a.ToBinary() < b.ToBinary(), a.ToString() < b.ToString());
  }
}

TEST(DocId, BinaryFormIsSaltShardSlotBigEndian) {
  DocId id(0x0102030405060708ull, ShardId{0x090a0b0c}, 0x0d0e);
  auto bin = id.ToBinary();
  for (int i = 0; i < 14; ++i) EXPECT_EQ(bin[i], i + 1);
  auto back = DocId::FromBinary(bin);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, id);
}

TEST(DocId, ParseRejectsWrongLength) {
  auto r = DocId::Parse("abc");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("19 characters"), std::string_view::npos);
}

TEST(DocId, ParseNamesOffsetOfBadCharacter) {
  std::string text = DocId(5, ShardId{1}, 2).ToString();
  text[7] = '!';
  auto r = DocId::Parse(text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("offset 7"), std::string_view::npos) << r.status().message();
}

TEST(DocId, ParseRejectsNonCanonicalPadding) {
  std::string text = DocId(5, ShardId{1}, 2).ToString();
  text.back() = '0';  // value 1: sets a padding bit
  EXPECT_FALSE(DocId::Parse(text).ok());
}

TEST(DocId, ParseRejectsNullId) {
  EXPECT_FALSE(DocId::Parse(std::string(DocId::kTextSize, '-')).ok());
  std::array<uint8_t, 14> zero{};
  EXPECT_FALSE(DocId::FromBinary(zero).ok());
  EXPECT_FALSE(DocId::FromBinary(std::span<const uint8_t>(zero.data(), 13)).ok());
}

TEST(DocId, IterationOrderIsShardThenSlot) {
  EXPECT_LT(DocId(99, ShardId{1}, 5), DocId(1, ShardId{1}, 6));
  EXPECT_LT(DocId(99, ShardId{1}, 9), DocId(1, ShardId{2}, 0));
}

TEST(RandomSalt, IsNonzeroAndDoesNotRepeat) {
  std::set<uint64_t> seen;
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = core::RandomSalt();
    ASSERT_NE(v, 0u);
    ASSERT_TRUE(seen.insert(v).second);
  }
}

}  // namespace
}  // namespace daas
