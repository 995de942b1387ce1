// Building MessagePack documents (thin layer over msgpack-cxx's packer, so the wire format is the
// library's and never hand-rolled twice; Double is the one exception, see there).
//
// Encodings produced (docs/format/document.md): integers in their smallest form (fixint, int/uint
// 8/16/32/64); doubles as float 64; strings fixstr/str 8/16/32, binaries bin 8/16/32, ext values
// fixext 1/2/4/8/16 or ext 8/16/32, container headers fix/16/32, each by length or count.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace daas::doc {

// Appends encoded values to a std::string. Containers are written as a header with the element
// count followed by the elements; the caller keeps counts right. Thread-compatible: one Writer per
// output string.
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void Nil();
  void Bool(bool v);
  void Int(int64_t v);
  void Uint(uint64_t v);
  // Always float 64 (0xcb), integral values and -0.0 included, so a double reads back as a double.
  void Double(double v);
  void String(std::string_view v);
  void Binary(std::string_view v);
  void Ext(int8_t type, std::string_view payload);
  void ArrayHeader(uint32_t count);
  void MapHeader(uint32_t count);
  // Appends an already encoded value verbatim.
  void Raw(std::string_view encoded) { out_->append(encoded); }

 private:
  std::string* out_;
};

}  // namespace daas::doc
