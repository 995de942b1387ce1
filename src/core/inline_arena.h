// InlineArena: a memory resource for the containers of one short-lived operation (a commit, a
// transaction, a set of shard locks). It hands out its N inline bytes first, then heap blocks of
// growing size, and frees nothing until it is destroyed: in the common case the operation's
// containers allocate nothing at all, and a large operation pays a few heap blocks. A container
// that grows leaves its old buffers behind until then, so an operation uses at most about twice
// what its containers hold at the end.
#pragma once

#include <cstddef>
#include <memory_resource>

namespace daas::core {

template <size_t N>
class InlineArena {
 public:
  InlineArena() = default;
  InlineArena(const InlineArena&) = delete;
  InlineArena& operator=(const InlineArena&) = delete;

  std::pmr::memory_resource* get() { return &resource_; }

 private:
  alignas(std::max_align_t) std::byte buffer_[N];
  std::pmr::monotonic_buffer_resource resource_{buffer_, N, std::pmr::new_delete_resource()};
};

}  // namespace daas::core
