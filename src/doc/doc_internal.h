// Declarations shared by the doc module's own sources only (STYLE.md §6); nothing outside src/doc
// includes this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>

#include "doc/msgpack_reader.h"

namespace daas::doc::internal {

// True when `text` is exactly one number in JSON's grammar (RFC 8259 §6):
//   -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
// Ext type 1 payloads must match it, so that MsgpackToJson can print them verbatim. Thread-safe.
bool IsJsonNumberText(std::string_view text);

// True when `text` is well-formed UTF-8 (Unicode 15, table 3-7): no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. The same answer as
// simdjson::validate_utf8, which it calls for long non-ASCII text. Thread-safe.
bool IsValidUtf8(std::string_view text);

// ReadValue(bytes) for bytes that hold exactly one validated value: a fix map or array takes `raw`
// as all of them instead of walking its elements. Requires: validated bytes, nothing after the
// value. Thread-safe.
Value ReadWholeValue(std::string_view bytes);

// What a validated value would add to a document's limits (DocumentLimits) wherever it is copied:
// `depth` is its nesting (0 for a scalar, 1 for a map or array holding only scalars, ...) and
// `max_key_bytes` its longest map key at any level (0 when it holds no map key).
struct ValueShape {
  uint64_t depth = 0;
  uint64_t max_key_bytes = 0;
};

// The shape of the validated value at the start of `value`. Never allocates for values nested up
// to 32 deep. Requires: validated bytes. Thread-safe.
ValueShape MeasureValue(std::string_view value);

// A stack of trivially copyable values that lives inline for its first N elements and moves to the
// heap only beyond them: the validator and merge patch keep one per call on the hot path, where a
// std::vector's allocation and release cost more than the work itself. Not copyable or movable
// (it points into itself). Thread-compatible.
template <typename T, size_t N>
class InlineStack {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);

 public:
  InlineStack() = default;
  InlineStack(const InlineStack&) = delete;
  InlineStack& operator=(const InlineStack&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }

  void push_back(const T& v) {
    if (size_ == capacity_) Grow();
    ::new (static_cast<void*>(data_ + size_)) T(v);
    ++size_;
  }
  void pop_back() { --size_; }
  // Drops every element from index n on. Requires: n <= size().
  void truncate(size_t n) { size_ = n; }

 private:
  void Grow() {
    const size_t capacity = capacity_ * 2;
    auto heap = std::make_unique<std::byte[]>(capacity * sizeof(T));
    std::memcpy(heap.get(), static_cast<const void*>(data_), size_ * sizeof(T));
    heap_ = std::move(heap);
    data_ = reinterpret_cast<T*>(heap_.get());
    capacity_ = capacity;
  }

  // Raw storage: the elements need no construction until pushed, so an empty stack costs nothing.
  alignas(T) std::byte inline_[N * sizeof(T)];
  T* data_ = reinterpret_cast<T*>(inline_);
  size_t size_ = 0;
  size_t capacity_ = N;
  std::unique_ptr<std::byte[]> heap_;
};

}  // namespace daas::doc::internal
