#include "core/huge_page_memory.h"

#include <sys/mman.h>

#include <utility>

#include "core/status_macros.h"

namespace daas::core {

HugePageMemory& HugePageMemory::operator=(HugePageMemory&& other) noexcept {
  if (this != &other) {
    Reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

HugePageMemory HugePageMemory::Allocate(size_t bytes) {
  const size_t size = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  if (size == 0) return HugePageMemory();
  // mmap only promises page alignment: map one huge page more and trim both ends, so the kernel
  // can back every 2 MiB of the range with one huge page. The trimmed ends are returned, so the
  // object holds exactly `size` bytes.
  const size_t mapped = size + kHugePageBytes;
  void* raw = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  DAAS_CHECK(raw != MAP_FAILED);  // out of memory
  const auto start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePageBytes - 1) & ~(uintptr_t{kHugePageBytes} - 1);
  const size_t head = aligned - start;
  const size_t tail = mapped - head - size;
  if (head != 0) DAAS_CHECK(munmap(raw, head) == 0);
  if (tail != 0) DAAS_CHECK(munmap(reinterpret_cast<void*>(aligned + size), tail) == 0);
  auto* data = reinterpret_cast<uint8_t*>(aligned);
#ifdef MADV_HUGEPAGE
  // Advisory: with THP off (or unsupported) the range stays in ordinary pages, which is correct,
  // only slower, so the result is deliberately not checked.
  (void)madvise(data, size, MADV_HUGEPAGE);
#endif
  return HugePageMemory(data, size);
}

void HugePageMemory::Reset() {
  if (data_ == nullptr) return;
  DAAS_CHECK(munmap(data_, size_) == 0);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace daas::core
