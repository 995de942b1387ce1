#include "core/huge_page_memory.h"

#include <gtest/gtest.h>

#include <cstring>
#include <utility>

namespace daas::core {
namespace {

constexpr size_t kHuge = HugePageMemory::kHugePageBytes;

TEST(HugePageMemory, RoundsUpAlignsAndZeroes) {
  HugePageMemory m = HugePageMemory::Allocate(kHuge + 1);
  ASSERT_NE(m.data(), nullptr);
  EXPECT_EQ(m.size(), 2 * kHuge);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(m.data()) % kHuge, 0u);
  for (size_t i = 0; i < m.size(); i += 4096) ASSERT_EQ(m.data()[i], 0) << i;
  std::memset(m.data(), 0xab, m.size());  // all of it is writable
  EXPECT_EQ(m.data()[m.size() - 1], 0xab);
}

TEST(HugePageMemory, ZeroBytesIsEmpty) {
  HugePageMemory m = HugePageMemory::Allocate(0);
  EXPECT_EQ(m.data(), nullptr);
  EXPECT_EQ(m.size(), 0u);
}

TEST(HugePageMemory, MoveTransfersOwnership) {
  HugePageMemory a = HugePageMemory::Allocate(1);
  uint8_t* data = a.data();
  HugePageMemory b = std::move(a);
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from state is defined
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(b.data(), data);
  b = HugePageMemory::Allocate(kHuge);
  EXPECT_NE(b.data(), nullptr);
  b.Reset();
  EXPECT_EQ(b.data(), nullptr);
  EXPECT_EQ(b.size(), 0u);
}

}  // namespace
}  // namespace daas::core
