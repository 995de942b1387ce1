#include "doc/msgpack_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>

#include <simdjson.h>
#include <msgpack.hpp>

#include "doc/doc_internal.h"
#include "doc/msgpack_writer.h"

namespace daas::doc {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

std::string Bytes(const msgpack::sbuffer& b) { return std::string(b.data(), b.size()); }

// Packs one top-level map {"v": <value packed by fn>}.
template <typename Fn>
std::string DocWith(Fn fn) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(1);
  pk.pack(std::string("v"));
  fn(pk);
  return Bytes(buf);
}

// A std::string from a literal that may hold NUL bytes.
template <size_t N>
std::string B(const char (&s)[N]) {
  return std::string(s, N - 1);
}

Value FieldV(const std::string& doc) {
  EXPECT_TRUE(ValidateDocument(doc, {}).ok()) << ValidateDocument(doc, {}).ToString();
  auto v = FindField(doc, "v");
  EXPECT_TRUE(v.has_value());
  return v.value_or(Value{});
}

void ExpectInvalid(const std::string& doc, std::string_view needle,
                   StatusCode code = StatusCode::kInvalidArgument, DocumentLimits limits = {}) {
  Status s = ValidateDocument(doc, limits);
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_NE(s.message().find(needle), std::string_view::npos)
      << "message: " << s.message() << "\nexpected to contain: " << needle;
}

// ---- Every type and width -----------------------------------------------------------------------

TEST(MsgpackReader, ReadsEveryIntegerWidth) {
  struct Case {
    std::function<void(Packer&)> pack;
    int64_t want;
  };
  const Case cases[] = {
      {[](Packer& p) { p.pack_fix_uint8(200); }, 200},
      {[](Packer& p) { p.pack_fix_uint16(60000); }, 60000},
      {[](Packer& p) { p.pack_fix_uint32(4000000000u); }, 4000000000LL},
      {[](Packer& p) { p.pack_fix_uint64(5); }, 5},
      {[](Packer& p) { p.pack_fix_uint64(INT64_MAX); }, INT64_MAX},
      {[](Packer& p) { p.pack_fix_int8(-100); }, -100},
      {[](Packer& p) { p.pack_fix_int16(-30000); }, -30000},
      {[](Packer& p) { p.pack_fix_int32(-2000000000); }, -2000000000},
      {[](Packer& p) { p.pack_fix_int64(INT64_MIN); }, INT64_MIN},
      {[](Packer& p) { p.pack_int64(127); }, 127},  // positive fixint
      {[](Packer& p) { p.pack_int64(-32); }, -32},  // negative fixint
      {[](Packer& p) { p.pack_fix_int8(5); }, 5},   // non-canonical width is accepted
  };
  for (const Case& c : cases) {
    const Value v = FieldV(DocWith(c.pack));
    EXPECT_EQ(v.type, Type::kInt);
    EXPECT_EQ(v.int_value, c.want);
  }
}

TEST(MsgpackReader, ReadsUint64AboveInt64MaxAsUint) {
  const Value v = FieldV(DocWith([](Packer& p) { p.pack_uint64(UINT64_MAX); }));
  EXPECT_EQ(v.type, Type::kUint);
  EXPECT_EQ(v.uint_value, UINT64_MAX);
  const Value w = FieldV(DocWith([](Packer& p) { p.pack_uint64(uint64_t{INT64_MAX} + 1); }));
  EXPECT_EQ(w.type, Type::kUint);
  EXPECT_EQ(w.uint_value, uint64_t{INT64_MAX} + 1);
}

TEST(MsgpackReader, WidensFloat32ToDouble) {
  const Value v = FieldV(DocWith([](Packer& p) { p.pack_float(1.5f); }));
  EXPECT_EQ(v.type, Type::kDouble);
  EXPECT_EQ(v.double_value, 1.5);
  const Value w = FieldV(DocWith([](Packer& p) { p.pack_float(0.1f); }));
  EXPECT_EQ(w.double_value, static_cast<double>(0.1f));
  EXPECT_EQ(FieldV(DocWith([](Packer& p) { p.pack_double(-0.25); })).double_value, -0.25);
}

TEST(MsgpackReader, ReadsNilAndBools) {
  EXPECT_EQ(FieldV(DocWith([](Packer& p) { p.pack_nil(); })).type, Type::kNil);
  const Value t = FieldV(DocWith([](Packer& p) { p.pack_true(); }));
  EXPECT_EQ(t.type, Type::kBool);
  EXPECT_TRUE(t.boolean);
  EXPECT_FALSE(FieldV(DocWith([](Packer& p) { p.pack_false(); })).boolean);
}

TEST(MsgpackReader, ReadsEveryStringBinaryAndExtWidth) {
  for (size_t n : {0, 5, 31, 32, 255, 256, 65535, 65536}) {
    const std::string payload(n, 'q');
    const std::string doc = DocWith([&](Packer& p) {
      p.pack_str(static_cast<uint32_t>(n));
      p.pack_str_body(payload.data(), static_cast<uint32_t>(n));
    });
    const Value s = FieldV(doc);
    EXPECT_EQ(s.type, Type::kString);
    EXPECT_EQ(s.bytes, payload);
    const std::string bdoc = DocWith([&](Packer& p) {
      p.pack_bin(static_cast<uint32_t>(n));
      p.pack_bin_body(payload.data(), static_cast<uint32_t>(n));
    });
    const Value b = FieldV(bdoc);
    EXPECT_EQ(b.type, Type::kBinary);
    EXPECT_EQ(b.bytes, payload);
  }
  for (size_t n : {0, 1, 2, 3, 4, 8, 16, 17, 255, 256, 65535, 65536}) {
    const std::string payload(n, 'z');
    const std::string edoc = DocWith([&](Packer& p) {
      p.pack_ext(n, 42);
      p.pack_ext_body(payload.data(), static_cast<uint32_t>(n));
    });
    const Value e = FieldV(edoc);
    EXPECT_EQ(e.type, Type::kExt);
    EXPECT_EQ(e.ext_type, 42);
    EXPECT_EQ(e.bytes, payload);
  }
}

TEST(MsgpackReader, ReadsStr8EvenForShortStrings) {
  // d9 03 "abc": non-canonical but valid.
  const std::string doc =
      B("\x81\xa1v\xd9\x03"
        "abc");
  const Value v = FieldV(doc);
  EXPECT_EQ(v.type, Type::kString);
  EXPECT_EQ(v.bytes, "abc");
}

TEST(MsgpackReader, ReadsEveryContainerWidth) {
  for (uint32_t n : {0u, 1u, 15u, 16u, 65535u, 65536u}) {
    const std::string doc = DocWith([&](Packer& p) {
      p.pack_array(n);
      for (uint32_t i = 0; i < n; ++i) p.pack_int64(i % 100);
    });
    const Value a = FieldV(doc);
    EXPECT_EQ(a.type, Type::kArray);
    EXPECT_EQ(a.count, n);
    ArrayIterator it(a);
    Value e;
    uint32_t seen = 0;
    while (it.Next(&e)) {
      EXPECT_EQ(e.int_value, seen % 100);
      ++seen;
    }
    EXPECT_EQ(seen, n);

    const std::string mdoc = DocWith([&](Packer& p) {
      p.pack_map(n);
      for (uint32_t i = 0; i < n; ++i) {
        p.pack(std::to_string(i));
        p.pack_int64(i);
      }
    });
    const Value m = FieldV(mdoc);
    EXPECT_EQ(m.type, Type::kMap);
    EXPECT_EQ(m.count, n);
    MapIterator mit(m);
    std::string_view key;
    seen = 0;
    while (mit.Next(&key, &e)) {
      EXPECT_EQ(key, std::to_string(seen));
      EXPECT_EQ(e.int_value, seen);
      ++seen;
    }
    EXPECT_EQ(seen, n);
  }
}

TEST(MsgpackReader, RawCoversTheWholeValueIncludingNestedElements) {
  const std::string doc =
      B("\x83\xa1"
        "a\x92\x01\x81\xa1x\x02\xa1"
        "b\xc0\xa1"
        "c\xa2hi");
  ASSERT_TRUE(ValidateDocument(doc, {}).ok());
  const Value root = ReadValue(doc);
  EXPECT_EQ(root.raw.size(), doc.size());
  EXPECT_EQ(root.count, 3u);
  auto a = FindField(doc, "a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->raw, B("\x92\x01\x81\xa1x\x02"));
  auto c = FindField(doc, "c");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->raw, B("\xa2hi"));
  EXPECT_FALSE(FindField(doc, "x").has_value());  // nested keys are not top-level fields
  EXPECT_FALSE(FindField(doc, "").has_value());
  EXPECT_EQ(FindField(doc, "b")->type, Type::kNil);
}

TEST(MsgpackReader, FindsFieldsInAnEmptyDocument) {
  EXPECT_FALSE(FindField(B("\x80"), "a").has_value());
}

// ---- Validation errors
// ---------------------------------------------------------------------------

TEST(ValidateDocument, AcceptsTheEmptyMap) { EXPECT_TRUE(ValidateDocument(B("\x80"), {}).ok()); }

TEST(ValidateDocument, RejectsEmptyInput) { ExpectInvalid("", "empty"); }

TEST(ValidateDocument, RejectsANonMapTopLevelValue) {
  ExpectInvalid(B("\x91\x01"), "is array, not a map");
  ExpectInvalid(B("\x01"), "is integer, not a map");
  ExpectInvalid(B("\xa1x"), "is string, not a map");
}

TEST(ValidateValue, AcceptsAnyTopLevelValue) {
  EXPECT_TRUE(ValidateValue(B("\x01"), {}).ok());
  EXPECT_TRUE(ValidateValue(B("\x92\x01\xa1x"), {}).ok());
  EXPECT_FALSE(ValidateValue(B("\x01\x01"), {}).ok());
}

TEST(ValidateDocument, RejectsAMissingValueNamingTheOffset) {
  ExpectInvalid(B("\x81\xa1"
                  "a"),
                "value at byte 3");
}

TEST(ValidateDocument, RejectsAStringLongerThanTheBytesLeft) {
  ExpectInvalid(B("\x81\xa1"
                  "a\xa5"
                  "ab"),
                "string of 5 bytes at byte 3");
  ExpectInvalid(B("\x81\xa1"
                  "a\xdb\xff\xff\xff\xff"
                  "ab"),
                "string of 4294967295 bytes at byte 3");
}

TEST(ValidateDocument, RejectsATruncatedHeader) {
  ExpectInvalid(B("\x81\xa1"
                  "a\xcd\x01"),
                "value header at byte 3");
  ExpectInvalid(B("\x81\xa1"
                  "a\xcb\x00\x00"),
                "value header at byte 3");
  ExpectInvalid(B("\xde\x00"), "value header at byte 0");
}

TEST(ValidateDocument, RejectsCountsLargerThanTheBytesLeft) {
  ExpectInvalid(B("\xdf\xff\xff\xff\xff"), "map of 4294967295 pairs at byte 0");
  ExpectInvalid(B("\x81\xa1"
                  "a\xdd\x7f\xff\xff\xff\x01"),
                "array of 2147483647 elements at byte 3");
  ExpectInvalid(B("\x82\xa1"
                  "a\x01\xa1"
                  "b"),
                "truncated");
}

TEST(ValidateDocument, RejectsTrailingBytes) {
  ExpectInvalid(B("\x80\x00"), "trailing bytes after the document at byte 1 (1 extra)");
  ExpectInvalid(B("\x81\xa1"
                  "a\x01\x80\x80"),
                "at byte 4 (2 extra)");
}

TEST(ValidateDocument, RejectsInvalidUtf8InStrings) {
  ExpectInvalid(B("\x81\xa1"
                  "a\xa1\xff"),
                "invalid UTF-8 in string at byte 3");
  ExpectInvalid(B("\x81\xa1"
                  "a\xa2\xc0\x80"),
                "invalid UTF-8");  // overlong NUL
  ExpectInvalid(B("\x81\xa1"
                  "a\xa3\xed\xa0\x80"),
                "invalid UTF-8");  // surrogate
  ExpectInvalid(B("\x81\xa1"
                  "a\xa4\xf4\x90\x80\x80"),
                "invalid UTF-8");  // beyond U+10FFFF
  ExpectInvalid(B("\x81\xa1"
                  "a\xa2\xe2\x82"),
                "invalid UTF-8");  // cut sequence
  EXPECT_TRUE(ValidateDocument(B("\x81\xa1"
                                 "a\xa4\xf0\x9f\x98\x80"),
                               {})
                  .ok());  // emoji
}

// {"a": <str>} with `text` as a fixstr, str 8 or str 16, and as the map's key.
void ExpectUtf8(std::string_view text, bool valid) {
  SCOPED_TRACE(::testing::PrintToString(std::string(text)));
  msgpack::sbuffer value_doc;
  Packer pk(value_doc);
  pk.pack_map(1);
  pk.pack(std::string("a"));
  pk.pack(std::string(text));
  EXPECT_EQ(ValidateDocument(Bytes(value_doc), {}).ok(), valid);
  msgpack::sbuffer key_doc;
  Packer kp(key_doc);
  kp.pack_map(1);
  kp.pack(std::string(text));
  kp.pack(1);
  EXPECT_EQ(ValidateDocument(Bytes(key_doc), {}).ok(), valid);
}

TEST(ValidateDocument, ChecksUtf8ByUnicodeTable3_7) {
  // Each case alone, after an ASCII run (the word-at-a-time check must not skip it), and inside
  // text long enough for the vectorized validator.
  const std::string run(13, 'x');
  const std::string long_run(70, 'y');
  const struct {
    const char* text;
    bool valid;
  } cases[] = {
      {"\x7f", true},
      {"\xc2\x80", true},          // U+0080, the first 2-byte form
      {"\xdf\xbf", true},          // U+07FF
      {"\xe0\xa0\x80", true},      // U+0800, the first 3-byte form
      {"\xed\x9f\xbf", true},      // U+D7FF, below the surrogates
      {"\xee\x80\x80", true},      // U+E000, above them
      {"\xef\xbf\xbf", true},      // U+FFFF
      {"\xf0\x90\x80\x80", true},  // U+10000, the first 4-byte form
      {"\xf4\x8f\xbf\xbf", true},  // U+10FFFF, the last code point
      {"\x80", false},             // a lone continuation byte
      {"\xbf", false},
      {"\xc0\x80", false},          // overlong NUL
      {"\xc1\xbf", false},          // overlong U+007F
      {"\xe0\x9f\xbf", false},      // overlong U+07FF
      {"\xf0\x8f\xbf\xbf", false},  // overlong U+FFFF
      {"\xed\xa0\x80", false},      // U+D800, a surrogate
      {"\xed\xbf\xbf", false},      // U+DFFF
      {"\xf4\x90\x80\x80", false},  // U+110000
      {"\xf5\x80\x80\x80", false},  // lead bytes f5..ff never occur
      {"\xff", false},
      {"\xc2", false},  // truncated sequences
      {"\xe2\x82", false},
      {"\xf0\x9f\x98", false},
      {"\xc2\x41", false},  // a sequence cut by an ASCII byte
      {"\xe2\x41\x82", false},
  };
  for (const auto& c : cases) {
    ExpectUtf8(c.text, c.valid);
    ExpectUtf8(run + c.text, c.valid);
    ExpectUtf8(c.text + run, c.valid);
    ExpectUtf8(long_run + c.text + "z", c.valid);
  }
}

TEST(ValidateDocument, AgreesWithSimdjsonOnEveryShortByteSequence) {
  // Every 1- and 2-byte sequence, and every 3-byte one with a multibyte lead and a telling third
  // byte, against simdjson's validator (which the long-text path calls).
  const auto check = [](std::string_view text) {
    ASSERT_EQ(internal::IsValidUtf8(text), simdjson::validate_utf8(text.data(), text.size()))
        << ::testing::PrintToString(std::string(text));
  };
  for (int a = 0; a < 256; ++a) {
    check(std::string(1, static_cast<char>(a)));
    for (int b = 0; b < 256; ++b) {
      check(std::string{static_cast<char>(a), static_cast<char>(b)});
      if (a < 0xc0) continue;
      for (int c : {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff}) {
        check(std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        check(
            std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), '\x80'});
      }
      if (HasFatalFailure()) return;
    }
  }
}

TEST(ValidateDocument, RejectsInvalidUtf8InKeys) {
  ExpectInvalid(B("\x81\xa1\xff\x01"), "invalid UTF-8 in map key at byte 1");
}

TEST(ValidateDocument, RejectsNonStringKeys) {
  ExpectInvalid(B("\x81\x01\x01"), "map key at byte 1 is integer, not a string");
  ExpectInvalid(B("\x81\xc4\x01"
                  "a\x01"),
                "map key at byte 1 is binary");
  ExpectInvalid(B("\x81\xa1"
                  "a\x81\xc0\x01"),
                "map key at byte 4 is nil, not a string (field a)");
}

TEST(ValidateDocument, RejectsDuplicateKeysInSmallMaps) {
  ExpectInvalid(B("\x82\xa1"
                  "a\x01\xa1"
                  "a\x02"),
                "duplicate key \"a\" at byte 4");
  ExpectInvalid(B("\x81\xa1"
                  "x\x82\xa1"
                  "a\x01\xa1"
                  "a\x02"),
                "duplicate key \"a\" at byte 7 (field x)");
}

TEST(ValidateDocument, RejectsDuplicateKeysInLargeMaps) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(40);
  for (int i = 0; i < 39; ++i) {
    pk.pack(std::string("k").append(std::to_string(i)));
    pk.pack_int64(i);
  }
  pk.pack(std::string("k17"));
  pk.pack_int64(0);
  ExpectInvalid(Bytes(buf), "duplicate key \"k17\"");
}

TEST(ValidateDocument, AcceptsTheSameKeyInDifferentMaps) {
  // {"a":{"a":1},"b":{"a":{"a":2}}}: a key repeats only across maps.
  EXPECT_TRUE(ValidateDocument(B("\x82\xa1"
                                 "a\x81\xa1"
                                 "a\x01\xa1"
                                 "b\x81\xa1"
                                 "a\x81\xa1"
                                 "a\x02"),
                               {})
                  .ok());
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(20);
  for (int i = 0; i < 20; ++i) {
    pk.pack(std::string("k").append(std::to_string(i)));
    pk.pack_map(1);
    pk.pack(std::string("k0"));
    pk.pack_int64(i);
  }
  EXPECT_TRUE(ValidateDocument(Bytes(buf), {}).ok());
}

TEST(ValidateDocument, RejectsReservedByteC1) {
  ExpectInvalid(B("\x81\xa1"
                  "a\xc1"),
                "reserved byte 0xc1 at byte 3");
  ExpectInvalid(B("\xc1"), "reserved byte 0xc1 at byte 0");
}

TEST(ValidateDocument, RejectsReservedExtTypes) {
  ExpectInvalid(B("\x81\xa1"
                  "a\xd4\x00\x00"),
                "reserved ext type 0 at byte 3");
  ExpectInvalid(B("\x81\xa1"
                  "a\xd4\x1f\x00"),
                "reserved ext type 31");
  EXPECT_TRUE(ValidateDocument(B("\x81\xa1"
                                 "a\xd4\x20\x00"),
                               {})
                  .ok());  // 32: not ours
  EXPECT_TRUE(ValidateDocument(B("\x81\xa1"
                                 "a\xd6\xff\x00\x00\x00\x00"),
                               {})
                  .ok());  // timestamp
}

TEST(ValidateDocument, RequiresNumberTextInExtType1) {
  EXPECT_TRUE(ValidateDocument(B("\x81\xa1"
                                 "a\xc7\x05\x01"
                                 "1e400"),
                               {})
                  .ok());
  ExpectInvalid(B("\x81\xa1"
                  "a\xc7\x03\x01"
                  "abc"),
                "does not hold JSON number text");
  ExpectInvalid(B("\x81\xa1"
                  "a\xc7\x00\x01"),
                "does not hold JSON number text");
  ExpectInvalid(B("\x81\xa1"
                  "a\xc7\x02\x01"
                  "01"),
                "does not hold JSON number text");
}

std::string NestedArrays(uint32_t depth) {
  // {"a": [[[...0...]]]}: the map is depth 1, so depth-1 arrays.
  std::string doc =
      B("\x81\xa1"
        "a");
  doc.append(depth - 1, '\x91');
  doc.push_back('\x00');
  return doc;
}

TEST(ValidateDocument, AcceptsNestingAtMaxDepth) {
  DocumentLimits limits;
  limits.max_depth = 5;
  EXPECT_TRUE(ValidateDocument(NestedArrays(5), limits).ok());
  EXPECT_TRUE(ValidateDocument(B("\x80"), DocumentLimits{.max_depth = 1}).ok());
}

TEST(ValidateDocument, RejectsNestingOverMaxDepthAsResourceExhausted) {
  DocumentLimits limits;
  limits.max_depth = 5;
  ExpectInvalid(NestedArrays(6),
                "nesting depth 6 exceeds max_depth 5 at byte 7 (field a[0][0][0][0])",
                StatusCode::kResourceExhausted, limits);
  ExpectInvalid(B("\x80"), "nesting depth 1 exceeds max_depth 0", StatusCode::kResourceExhausted,
                DocumentLimits{.max_depth = 0});
}

TEST(ValidateDocument, RejectsVeryDeepNestingWithoutRecursing) {
  ExpectInvalid(NestedArrays(100000), "exceeds max_depth 100", StatusCode::kResourceExhausted);
  // With the limit lifted, 100000 levels validate: the validator keeps its stack on the heap.
  DocumentLimits unlimited;
  unlimited.max_depth = 1000000;
  EXPECT_TRUE(ValidateDocument(NestedArrays(100000), unlimited).ok());
  EXPECT_EQ(FindField(NestedArrays(100000), "a")->raw.size(), 100000u - 1 + 1);
}

TEST(ValidateDocument, NamesTheFieldPathBeyondTheInlineFrames) {
  // 40 nested maps {"k": {"k": ... "bad UTF-8"}}: more levels than the validator keeps inline.
  std::string doc;
  std::string path;
  for (int i = 0; i < 40; ++i) {
    doc += B("\x81\xa1k");
    path += path.empty() ? "k" : ".k";
  }
  const size_t at = doc.size();
  doc += B("\xa1\xff");
  ExpectInvalid(doc,
                "invalid UTF-8 in string at byte " + std::to_string(at) + " (field " + path + ")");
  doc.back() = 'x';
  EXPECT_TRUE(ValidateDocument(doc, {}).ok());
}

TEST(ValidateDocument, ChecksDuplicatesAcrossManyOpenSmallMaps) {
  // {"x": <five nested maps of 16 keys>, "x": 1}: 80 keys open at once, more than the validator
  // keeps inline. Each map's last pair holds the next map; keys repeat across maps, which is fine.
  auto doc = [](bool duplicate_innermost, bool duplicate_after) {
    std::function<void(Packer&, int)> map = [&](Packer& pk, int level) {
      pk.pack_map(16);
      for (int i = 0; i < 15; ++i) {
        pk.pack("key" + std::to_string(duplicate_innermost && level == 4 && i == 14 ? 3 : i));
        pk.pack(i);
      }
      pk.pack(std::string("next"));
      if (level < 4) {
        map(pk, level + 1);
      } else {
        pk.pack(1);
      }
    };
    msgpack::sbuffer buf;
    Packer pk(buf);
    pk.pack_map(2);
    pk.pack(std::string("x"));
    map(pk, 0);
    pk.pack(std::string(duplicate_after ? "x" : "y"));
    pk.pack(1);
    return Bytes(buf);
  };
  EXPECT_TRUE(ValidateDocument(doc(false, false), {}).ok());
  ExpectInvalid(doc(true, false), "duplicate key \"key3\"");
  ExpectInvalid(doc(false, true), "duplicate key \"x\"");
}

TEST(ValidateDocument, RejectsLongKeysAsResourceExhausted) {
  DocumentLimits limits;
  limits.max_key_bytes = 4;
  EXPECT_TRUE(ValidateDocument(B("\x81\xa4"
                                 "abcd\x01"),
                               limits)
                  .ok());
  ExpectInvalid(B("\x81\xa5"
                  "abcde\x01"),
                "key length 5 bytes exceeds max_key_bytes 4 at byte 1",
                StatusCode::kResourceExhausted, limits);
}

TEST(ValidateDocument, RejectsOversizedDocumentsAsResourceExhausted) {
  DocumentLimits limits;
  limits.max_size_bytes = 4;
  EXPECT_TRUE(ValidateDocument(B("\x81\xa1"
                                 "a\x01"),
                               limits)
                  .ok());
  ExpectInvalid(B("\x81\xa1"
                  "a\xa1x"),
                "document size 5 bytes exceeds max_size_bytes 4", StatusCode::kResourceExhausted,
                limits);
}

// A document using every type, nested, for truncation and mutation tests.
std::string RichDocument() {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(12);
  pk.pack(std::string("nil"));
  pk.pack_nil();
  pk.pack(std::string("t"));
  pk.pack_true();
  pk.pack(std::string("i"));
  pk.pack_fix_int32(-70000);
  pk.pack(std::string("u"));
  pk.pack_uint64(UINT64_MAX);
  pk.pack(std::string("f"));
  pk.pack_float(2.5f);
  pk.pack(std::string("d"));
  pk.pack_double(0.1);
  pk.pack(std::string("s"));
  pk.pack(std::string(40, 's'));
  pk.pack(std::string("b"));
  pk.pack_bin(3);
  pk.pack_bin_body("\x00\x01\x02", 3);
  pk.pack(std::string("e"));
  pk.pack_ext(5, 1);
  pk.pack_ext_body("1e400", 5);
  pk.pack(std::string("x"));
  pk.pack_ext(2, 99);
  pk.pack_ext_body("zz", 2);
  pk.pack(std::string("arr"));
  pk.pack_array(3);
  pk.pack_int64(1);
  pk.pack_array(0);
  pk.pack_map(1);
  pk.pack(std::string("deep"));
  pk.pack_array(1);
  pk.pack(std::string("end"));
  pk.pack(std::string("m"));
  pk.pack_map(0);
  return Bytes(buf);
}

TEST(ValidateDocument, RejectsEveryStrictPrefixOfAValidDocument) {
  const std::string doc = RichDocument();
  ASSERT_TRUE(ValidateDocument(doc, {}).ok());
  for (size_t n = 0; n < doc.size(); ++n) {
    // A fresh heap copy, so ASan catches a read one byte past the prefix.
    std::unique_ptr<char[]> copy(new char[n == 0 ? 1 : n]);
    std::memcpy(copy.get(), doc.data(), n);
    const Status s = ValidateDocument(std::string_view(copy.get(), n), {});
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << "prefix of " << n << " bytes accepted";
  }
}

// ---- Differential test against msgpack-cxx's unpacker
// ---------------------------------------------

// Packs random valid values with msgpack-cxx, choosing among all formats and widths.
class RandomDocs {
 public:
  explicit RandomDocs(uint64_t seed) : rng_(seed) {}

  std::string Document() {
    msgpack::sbuffer buf;
    buf_ = &buf;
    Packer pk(buf);
    Map(pk, 1);
    buf_ = nullptr;
    return Bytes(buf);
  }

 private:
  uint32_t Below(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_); }
  std::string Utf8String() {
    static const char* const kPieces[] = {
        "a",  "Z", "0", " ", "\"", "\\", "\n", "", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
        "key"};
    std::string s;
    const uint32_t n = Below(5) == 0 ? 40 + Below(300) : Below(8);
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t k = Below(12);
      if (k == 7) {
        s.push_back('\0');
      } else {
        s.append(kPieces[k]);
      }
    }
    return s;
  }
  void Map(Packer& pk, int depth) {
    const uint32_t n = Below(4) == 0 ? 17 + Below(20) : Below(6);
    pk.pack_map(n);
    std::set<std::string> used;
    for (uint32_t i = 0; i < n; ++i) {
      std::string key;
      do {
        key = Utf8String();
      } while (!used.insert(key).second);
      if (key.size() < 256 && Below(3) == 0) {
        // str 8 even where fixstr would do: the packer only writes canonical forms.
        const char head[2] = {'\xd9', static_cast<char>(key.size())};
        buf_->write(head, 2);
      } else {
        pk.pack_str(static_cast<uint32_t>(key.size()));
      }
      pk.pack_str_body(key.data(), static_cast<uint32_t>(key.size()));
      Any(pk, depth);
    }
  }
  void Any(Packer& pk, int depth) {
    const uint32_t kind = Below(depth < 6 ? 22 : 20);
    switch (kind) {
      case 0:
        pk.pack_nil();
        break;
      case 1:
        pk.pack(Below(2) == 1);
        break;
      case 2:
        pk.pack_int64(static_cast<int64_t>(rng_()));
        break;
      case 3:
        pk.pack_int64(static_cast<int64_t>(Below(300)) - 150);
        break;
      case 4:
        pk.pack_uint64(rng_() | (uint64_t{1} << 63));
        break;
      case 5:
        pk.pack_fix_uint8(static_cast<uint8_t>(rng_()));
        break;
      case 6:
        pk.pack_fix_uint16(static_cast<uint16_t>(rng_()));
        break;
      case 7:
        pk.pack_fix_uint32(static_cast<uint32_t>(rng_()));
        break;
      case 8:
        pk.pack_fix_int8(static_cast<int8_t>(rng_()));
        break;
      case 9:
        pk.pack_fix_int16(static_cast<int16_t>(rng_()));
        break;
      case 10:
        pk.pack_fix_int32(static_cast<int32_t>(rng_()));
        break;
      case 11:
        pk.pack_fix_int64(static_cast<int64_t>(rng_()));
        break;
      case 12:
        pk.pack_float(std::uniform_real_distribution<float>(-1e6f, 1e6f)(rng_));
        break;
      case 13:
        pk.pack_double(std::uniform_real_distribution<double>(-1e300, 1e300)(rng_));
        break;
      case 14:
        pk.pack(Utf8String());
        break;
      case 15: {
        std::string b(Below(20), '\0');
        for (char& c : b) c = static_cast<char>(rng_());
        pk.pack_bin(static_cast<uint32_t>(b.size()));
        pk.pack_bin_body(b.data(), static_cast<uint32_t>(b.size()));
        break;
      }
      case 16: {
        static const size_t kSizes[] = {0, 1, 2, 3, 4, 8, 16, 300};
        std::string b(kSizes[Below(8)], 'x');
        const int8_t type = static_cast<int8_t>(Below(2) == 0 ? -static_cast<int>(Below(128)) - 1
                                                              : 32 + static_cast<int>(Below(96)));
        pk.pack_ext(b.size(), type);
        pk.pack_ext_body(b.data(), static_cast<uint32_t>(b.size()));
        break;
      }
      case 17: {
        static const char* const kNumbers[] = {"1e400", "-0", "123456789012345678901234567890",
                                               "0.5e-999"};
        const std::string_view t = kNumbers[Below(4)];
        pk.pack_ext(t.size(), 1);
        pk.pack_ext_body(t.data(), static_cast<uint32_t>(t.size()));
        break;
      }
      case 18:
        pk.pack_str(0);
        break;
      case 19:
        buf_->write("\xdc\x00\x00", 3);
        break;  // array 16 holding nothing
      case 20: {
        const uint32_t n = Below(4) == 0 ? 16 + Below(4) : Below(5);
        pk.pack_array(n);
        for (uint32_t i = 0; i < n; ++i) Any(pk, depth + 1);
        break;
      }
      default:
        Map(pk, depth + 1);
        break;
    }
  }

  std::mt19937_64 rng_;
  msgpack::sbuffer* buf_ = nullptr;  // the buffer Document() is filling, for hand-written headers
};

// Compares our reading of a value with msgpack-cxx's object tree.
void ExpectSame(const Value& v, const msgpack::object& o, const std::string& path) {
  SCOPED_TRACE(path);
  switch (o.type) {
    case msgpack::type::NIL:
      EXPECT_EQ(v.type, Type::kNil);
      break;
    case msgpack::type::BOOLEAN:
      ASSERT_EQ(v.type, Type::kBool);
      EXPECT_EQ(v.boolean, o.via.boolean);
      break;
    case msgpack::type::POSITIVE_INTEGER:
      if (o.via.u64 > static_cast<uint64_t>(INT64_MAX)) {
        ASSERT_EQ(v.type, Type::kUint);
        EXPECT_EQ(v.uint_value, o.via.u64);
      } else {
        ASSERT_EQ(v.type, Type::kInt);
        EXPECT_EQ(static_cast<uint64_t>(v.int_value), o.via.u64);
      }
      break;
    case msgpack::type::NEGATIVE_INTEGER:
      ASSERT_EQ(v.type, Type::kInt);
      EXPECT_EQ(v.int_value, o.via.i64);
      break;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      ASSERT_EQ(v.type, Type::kDouble);
      EXPECT_EQ(std::memcmp(&v.double_value, &o.via.f64, sizeof(double)), 0);
      break;
    case msgpack::type::STR:
      ASSERT_EQ(v.type, Type::kString);
      EXPECT_EQ(v.bytes, std::string_view(o.via.str.ptr, o.via.str.size));
      break;
    case msgpack::type::BIN:
      ASSERT_EQ(v.type, Type::kBinary);
      EXPECT_EQ(v.bytes, std::string_view(o.via.bin.ptr, o.via.bin.size));
      break;
    case msgpack::type::EXT:
      ASSERT_EQ(v.type, Type::kExt);
      EXPECT_EQ(v.ext_type, o.via.ext.type());
      EXPECT_EQ(v.bytes, std::string_view(o.via.ext.data(), o.via.ext.size));
      break;
    case msgpack::type::ARRAY: {
      ASSERT_EQ(v.type, Type::kArray);
      ASSERT_EQ(v.count, o.via.array.size);
      ArrayIterator it(v);
      Value e;
      for (uint32_t i = 0; i < o.via.array.size; ++i) {
        ASSERT_TRUE(it.Next(&e));
        ExpectSame(e, o.via.array.ptr[i], path + "[" + std::to_string(i) + "]");
      }
      EXPECT_FALSE(it.Next(&e));
      break;
    }
    case msgpack::type::MAP: {
      ASSERT_EQ(v.type, Type::kMap);
      ASSERT_EQ(v.count, o.via.map.size);
      MapIterator it(v);
      std::string_view key;
      Value e;
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        ASSERT_TRUE(it.Next(&key, &e));
        const msgpack::object& k = o.via.map.ptr[i].key;
        ASSERT_EQ(k.type, msgpack::type::STR);
        EXPECT_EQ(key, std::string_view(k.via.str.ptr, k.via.str.size));
        ExpectSame(e, o.via.map.ptr[i].val, path + "." + std::string(key));
      }
      EXPECT_FALSE(it.Next(&key, &e));
      break;
    }
  }
}

uint64_t TestSeed() {
  const uint64_t seed = std::random_device{}();
  std::printf("random seed: %llu (set DAAS_TEST_SEED to repeat)\n",
              static_cast<unsigned long long>(seed));
  if (const char* env = std::getenv("DAAS_TEST_SEED")) return std::strtoull(env, nullptr, 10);
  return seed;
}

TEST(MsgpackReader, AgreesWithMsgpackCxxOnRandomDocuments) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  RandomDocs gen(seed);
  for (int round = 0; round < 300; ++round) {
    const std::string doc = gen.Document();
    ASSERT_TRUE(ValidateDocument(doc, {}).ok()) << ValidateDocument(doc, {}).ToString();
    size_t offset = 0;
    const msgpack::object_handle oh = msgpack::unpack(doc.data(), doc.size(), offset);
    ASSERT_EQ(offset, doc.size());
    const Value root = ReadValue(doc);
    EXPECT_EQ(root.raw.size(), doc.size());
    ExpectSame(root, oh.get(), "$");
    if (HasFatalFailure()) return;
  }
}

TEST(MsgpackReader, AcceptsOnlyWhatMsgpackCxxAcceptsOnMutatedDocuments) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  RandomDocs gen(seed);
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  int accepted = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string doc = gen.Document();
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < flips; ++i) doc[rng() % doc.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) doc.resize(rng() % doc.size());
    if (!ValidateDocument(doc, {}).ok()) continue;
    ++accepted;
    // Whatever we accept is well-formed MessagePack, and we read it as msgpack-cxx does.
    size_t offset = 0;
    msgpack::object_handle oh;
    try {
      oh = msgpack::unpack(doc.data(), doc.size(), offset);
    } catch (const std::exception& e) {
      FAIL() << "accepted bytes msgpack-cxx rejects: " << e.what();
    }
    ASSERT_EQ(offset, doc.size());
    ExpectSame(ReadValue(doc), oh.get(), "$");
    if (HasFatalFailure()) return;
  }
  std::printf("mutated documents still valid: %d of 2000\n", accepted);
}

}  // namespace
}  // namespace daas::doc
