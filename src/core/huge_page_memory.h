// HugePageMemory: memory mapped straight from the OS in 2 MiB-aligned units and offered to the
// kernel for transparent huge pages, for big, long-lived tables read at random (shard slot tables
// and arenas), where a 4 KiB page per access would miss the TLB on nearly every lookup.
//
// Invariant: data() is null exactly when size() is 0; otherwise the mapping is
// [data(), data() + size()), aligned to kHugePageBytes, and owned by this object.
#pragma once

#include <cstddef>
#include <cstdint>

namespace daas::core {

class HugePageMemory {
 public:
  static constexpr size_t kHugePageBytes = size_t{2} << 20;

  HugePageMemory() = default;
  ~HugePageMemory() { Reset(); }
  HugePageMemory(HugePageMemory&& other) noexcept : data_(other.data_), size_(other.size_) {
    other.data_ = nullptr;
    other.size_ = 0;
  }
  HugePageMemory& operator=(HugePageMemory&& other) noexcept;
  HugePageMemory(const HugePageMemory&) = delete;
  HugePageMemory& operator=(const HugePageMemory&) = delete;

  // Maps `bytes` of zeroed memory, rounded up to a multiple of kHugePageBytes and aligned to it,
  // and asks for huge pages (madvise MADV_HUGEPAGE; where the kernel declines, the memory is
  // ordinary pages and works the same). Running out of memory is fatal (STYLE.md §4).
  // Thread-safe.
  static HugePageMemory Allocate(size_t bytes);

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // Unmaps the memory, if any.
  void Reset();

 private:
  HugePageMemory(uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace daas::core
