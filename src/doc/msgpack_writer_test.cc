#include "doc/msgpack_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <msgpack.hpp>

namespace daas::doc {
namespace {

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(kHex[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kHex[static_cast<uint8_t>(c) & 15]);
  }
  return out;
}

template <typename Fn>
std::string Encode(Fn fn) {
  std::string out;
  Writer w(&out);
  fn(w);
  return Hex(out);
}

TEST(Writer, EncodesIntsInTheirSmallestForm) {
  auto i = [](int64_t v) { return Encode([&](Writer& w) { w.Int(v); }); };
  EXPECT_EQ(i(0), "00");
  EXPECT_EQ(i(127), "7f");
  EXPECT_EQ(i(128), "cc80");
  EXPECT_EQ(i(255), "ccff");
  EXPECT_EQ(i(256), "cd0100");
  EXPECT_EQ(i(65535), "cdffff");
  EXPECT_EQ(i(65536), "ce00010000");
  EXPECT_EQ(i(4294967295), "ceffffffff");
  EXPECT_EQ(i(4294967296), "cf0000000100000000");
  EXPECT_EQ(i(std::numeric_limits<int64_t>::max()), "cf7fffffffffffffff");
  EXPECT_EQ(i(-1), "ff");
  EXPECT_EQ(i(-32), "e0");
  EXPECT_EQ(i(-33), "d0df");
  EXPECT_EQ(i(-128), "d080");
  EXPECT_EQ(i(-129), "d1ff7f");
  EXPECT_EQ(i(-32768), "d18000");
  EXPECT_EQ(i(-32769), "d2ffff7fff");
  EXPECT_EQ(i(-2147483648LL), "d280000000");
  EXPECT_EQ(i(-2147483649LL), "d3ffffffff7fffffff");
  EXPECT_EQ(i(std::numeric_limits<int64_t>::min()), "d38000000000000000");
}

TEST(Writer, EncodesUintsInTheirSmallestForm) {
  auto u = [](uint64_t v) { return Encode([&](Writer& w) { w.Uint(v); }); };
  EXPECT_EQ(u(5), "05");
  EXPECT_EQ(u(200), "ccc8");
  EXPECT_EQ(u(std::numeric_limits<uint64_t>::max()), "cfffffffffffffffff");
}

TEST(Writer, EncodesScalars) {
  EXPECT_EQ(Encode([](Writer& w) { w.Nil(); }), "c0");
  EXPECT_EQ(Encode([](Writer& w) { w.Bool(false); }), "c2");
  EXPECT_EQ(Encode([](Writer& w) { w.Bool(true); }), "c3");
}

TEST(Writer, EncodesDoublesAsFloat64Always) {
  EXPECT_EQ(Encode([](Writer& w) { w.Double(1.0); }), "cb3ff0000000000000");
  EXPECT_EQ(Encode([](Writer& w) { w.Double(1.5); }), "cb3ff8000000000000");  // exact in float32
  EXPECT_EQ(Encode([](Writer& w) { w.Double(-0.0); }), "cb8000000000000000");
  EXPECT_EQ(Encode([](Writer& w) { w.Double(0.0); }), "cb0000000000000000");
  EXPECT_EQ(Encode([](Writer& w) { w.Double(18446744073709551616.0); }), "cb43f0000000000000");
}

TEST(Writer, PicksStringHeaderByLength) {
  auto s = [](size_t n) { return Encode([&](Writer& w) { w.String(std::string(n, 'x')); }); };
  EXPECT_EQ(s(0), "a0");
  EXPECT_EQ(s(31).substr(0, 2), "bf");
  EXPECT_EQ(s(32).substr(0, 4), "d920");
  EXPECT_EQ(s(255).substr(0, 4), "d9ff");
  EXPECT_EQ(s(256).substr(0, 6), "da0100");
  EXPECT_EQ(s(65536).substr(0, 10), "db00010000");
}

TEST(Writer, WritesStringsAsThePackerDoes) {
  // Short strings take a hand-written fixstr path; every length around it must match msgpack-cxx.
  for (size_t n : {0, 1, 5, 30, 31, 32, 33, 255, 256}) {
    const std::string v(n, 'k');
    std::string ours;
    Writer(&ours).String(v);
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> packer(buf);
    packer.pack(v);
    EXPECT_EQ(ours, std::string(buf.data(), buf.size())) << n;
  }
}

TEST(Writer, PicksBinaryHeaderByLength) {
  auto b = [](size_t n) { return Encode([&](Writer& w) { w.Binary(std::string(n, 'x')); }); };
  EXPECT_EQ(b(0), "c400");
  EXPECT_EQ(b(255).substr(0, 4), "c4ff");
  EXPECT_EQ(b(256).substr(0, 6), "c50100");
  EXPECT_EQ(b(65536).substr(0, 10), "c600010000");
}

TEST(Writer, PicksFixextOrExtByPayloadLength) {
  auto e = [](size_t n) { return Encode([&](Writer& w) { w.Ext(7, std::string(n, 'x')); }); };
  EXPECT_EQ(e(1).substr(0, 4), "d407");
  EXPECT_EQ(e(2).substr(0, 4), "d507");
  EXPECT_EQ(e(4).substr(0, 4), "d607");
  EXPECT_EQ(e(8).substr(0, 4), "d707");
  EXPECT_EQ(e(16).substr(0, 4), "d807");
  EXPECT_EQ(e(0), "c70007");
  EXPECT_EQ(e(3).substr(0, 6), "c70307");
  EXPECT_EQ(e(256).substr(0, 8), "c8010007");
  EXPECT_EQ(e(65536).substr(0, 12), "c90001000007");
  EXPECT_EQ(Encode([](Writer& w) { w.Ext(-1, "abcd"); }), "d6ff61626364");
}

TEST(Writer, PicksContainerHeaderByCount) {
  EXPECT_EQ(Encode([](Writer& w) { w.ArrayHeader(0); }), "90");
  EXPECT_EQ(Encode([](Writer& w) { w.ArrayHeader(15); }), "9f");
  EXPECT_EQ(Encode([](Writer& w) { w.ArrayHeader(16); }), "dc0010");
  EXPECT_EQ(Encode([](Writer& w) { w.ArrayHeader(65536); }), "dd00010000");
  EXPECT_EQ(Encode([](Writer& w) { w.MapHeader(0); }), "80");
  EXPECT_EQ(Encode([](Writer& w) { w.MapHeader(15); }), "8f");
  EXPECT_EQ(Encode([](Writer& w) { w.MapHeader(16); }), "de0010");
  EXPECT_EQ(Encode([](Writer& w) { w.MapHeader(65536); }), "df00010000");
}

TEST(Writer, AppendsRawBytesVerbatimAfterExistingContent) {
  std::string out = "x";
  Writer w(&out);
  w.Raw(
      std::string_view("\x81\xa1"
                       "a\x01",
                       4));
  w.Int(1);
  EXPECT_EQ(Hex(out), "7881a1610101");
}

}  // namespace
}  // namespace daas::doc
