#include "doc/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"

namespace daas::doc {
namespace {

std::string ToJson(std::string_view msgpack) {
  std::string out;
  MsgpackToJson(msgpack, &out);
  return out;
}

// JSON -> MessagePack -> JSON, checking the MessagePack validates on the way.
std::string RoundTrip(std::string_view json, const DocumentLimits& limits = {}) {
  auto mp = JsonToMsgpack(json, limits);
  EXPECT_TRUE(mp.ok()) << json << ": " << mp.status().ToString();
  if (!mp.ok()) return "<error>";
  EXPECT_TRUE(ValidateDocument(*mp, limits).ok()) << ValidateDocument(*mp, limits).ToString();
  return ToJson(*mp);
}

Value Field(const std::string& doc, std::string_view key) {
  auto v = FindField(doc, key);
  EXPECT_TRUE(v.has_value()) << key;
  return v.value_or(Value{});
}

void ExpectError(std::string_view json, StatusCode code, std::string_view needle,
                 const DocumentLimits& limits = {}) {
  auto mp = JsonToMsgpack(json, limits);
  ASSERT_FALSE(mp.ok()) << "accepted: " << json;
  EXPECT_EQ(mp.status().code(), code) << mp.status().ToString();
  EXPECT_NE(mp.status().message().find(needle), std::string_view::npos)
      << "message: " << mp.status().message() << "\nexpected to contain: " << needle;
}

void ExpectInvalidAt(std::string_view json, size_t offset, std::string_view what = "") {
  SCOPED_TRACE(std::string(json));
  ExpectError(json, StatusCode::kInvalidArgument,
              "invalid JSON at byte " + std::to_string(offset) + ": " + std::string(what));
}

// ---- Round trips
// ----------------------------------------------------------------------------------

TEST(Json, RoundTripsATrickyCorpusExactly) {
  const char* const kCorpus[] = {
      R"({})",
      R"({"":""})",
      R"({"a":{},"b":[],"c":""})",
      R"({"min":-9223372036854775808,"max":9223372036854775807})",
      R"({"u":18446744073709551615})",
      R"({"two64":18446744073709551616})",
      R"({"neg":-9223372036854775809})",
      R"({"huge":1234567890123456789012345678901234567890})",
      R"({"big":1e400,"nbig":-1e400,"tiny":1e-400,"exact":1.5E+999})",
      R"({"nz":-0.0})",
      R"({"d":0.1})",
      R"({"sub":1e-320})",
      R"({"min_sub":5e-324})",
      R"({"dmax":1.7976931348623157e+308})",
      R"({"one":1.0,"int":1})",
      R"({"e22":1e+22,"f":123456.789})",
      R"({"t":true,"f":false,"n":null})",
      R"({"esc":"\"\\\n\t\r\b\f\u0001\u001f"})",
      R"({"slash":"a/b","del":")"
      "\x7f"
      R"("})",
      R"({"emoji":"😀","cjk":"漢字","e":"é"})",
      R"({"nul":"a\u0000b","\u0000":1})",
      R"({"nested":[[[]],[{}],{"a":[1,2,{"b":null}]}]})",
      R"({"order":1,"kept":2,"as":3,"given":4})",
  };
  for (const char* json : kCorpus) EXPECT_EQ(RoundTrip(json), json);
}

TEST(Json, KeepsDoubleFractionOnRoundTrip) {
  EXPECT_EQ(RoundTrip(R"({"a":1.0})"), R"({"a":1.0})");
  EXPECT_EQ(Field(*JsonToMsgpack(R"({"a":1.0})", {}), "a").type, Type::kDouble);
  EXPECT_EQ(Field(*JsonToMsgpack(R"({"a":1})", {}), "a").type, Type::kInt);
  EXPECT_EQ(RoundTrip(R"({"a":1e2})"), R"({"a":100.0})");
  EXPECT_EQ(RoundTrip(R"({"a":1E5})"), R"({"a":1e+05})");  // shortest form, still a double
  EXPECT_EQ(RoundTrip(R"({"a":2.50})"), R"({"a":2.5})");
  EXPECT_EQ(RoundTrip(R"({"a":-0})"), R"({"a":0})");  // an integer: -0 is 0
}

TEST(Json, MapsNumbersToTheNarrowestExactType) {
  const std::string mp = *JsonToMsgpack(
      R"({"i":-5,"max":9223372036854775807,"u":9223372036854775808,"x":18446744073709551616,)"
      R"("d":0.5,"o":1e400,"z":-1e-400})",
      {});
  EXPECT_EQ(Field(mp, "i").type, Type::kInt);
  EXPECT_EQ(Field(mp, "max").int_value, INT64_MAX);
  EXPECT_EQ(Field(mp, "u").type, Type::kUint);
  EXPECT_EQ(Field(mp, "u").uint_value, uint64_t{1} << 63);
  EXPECT_EQ(Field(mp, "x").type, Type::kExt);
  EXPECT_EQ(Field(mp, "x").ext_type, 1);
  EXPECT_EQ(Field(mp, "x").bytes, "18446744073709551616");
  EXPECT_EQ(Field(mp, "d").double_value, 0.5);
  EXPECT_EQ(Field(mp, "o").bytes, "1e400");
  EXPECT_EQ(Field(mp, "z").bytes, "-1e-400");
}

TEST(Json, KeepsSubnormalsAndNegativeZeroAsDoubles) {
  const std::string mp = *JsonToMsgpack(R"({"s":1e-320,"z":-0.0})", {});
  EXPECT_EQ(Field(mp, "s").type, Type::kDouble);
  EXPECT_EQ(Field(mp, "s").double_value, 1e-320);
  EXPECT_EQ(Field(mp, "z").type, Type::kDouble);
  EXPECT_TRUE(std::signbit(Field(mp, "z").double_value));
}

TEST(Json, EncodesIntegersInTheirSmallestForm) {
  // {"a":1,"b":300}: fixmap, fixstr, positive fixint, uint 16.
  EXPECT_EQ(*JsonToMsgpack(R"({"a":1,"b":300})", {}), std::string("\x82\xa1"
                                                                  "a\x01\xa1"
                                                                  "b\xcd\x01\x2c",
                                                                  9));
}

TEST(Json, DecodesUnicodeEscapesToUtf8) {
  const std::string mp = *JsonToMsgpack(R"({"s":"\u00e9\u20ac\ud83d\ude00","k\u00e9":1})", {});
  EXPECT_EQ(Field(mp, "s").bytes, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_TRUE(FindField(mp, "k\xc3\xa9").has_value());
  EXPECT_EQ(ToJson(mp), "{\"s\":\"é€😀\",\"ké\":1}");
}

TEST(Json, UsesHeaderWidthsByCount) {
  std::string json = "{\"a\":[";
  for (int i = 0; i < 70000; ++i) json += i == 0 ? "0" : ",0";
  json += "]}";
  const std::string mp = *JsonToMsgpack(json, {});
  const Value a = Field(mp, "a");
  EXPECT_EQ(a.count, 70000u);
  EXPECT_EQ(static_cast<uint8_t>(a.raw[0]), 0xdd);
  EXPECT_EQ(ToJson(mp), json);
}

TEST(Json, ConvertsAnyValueWithJsonValueToMsgpack) {
  EXPECT_EQ(*JsonValueToMsgpack("1", {}), "\x01");
  EXPECT_EQ(*JsonValueToMsgpack(" null ", {}), "\xc0");
  EXPECT_EQ(*JsonValueToMsgpack("true", {}), "\xc3");
  EXPECT_EQ(*JsonValueToMsgpack("\"hi\"", {}), "\xa2hi");
  EXPECT_EQ(ToJson(*JsonValueToMsgpack("[1,\"x\",2.5]", {})), "[1,\"x\",2.5]");
  EXPECT_EQ(ToJson(*JsonValueToMsgpack("1e999", {})), "1e999");
  EXPECT_EQ(ToJson(*JsonValueToMsgpack("-1.0", {})), "-1.0");
  EXPECT_EQ(JsonValueToMsgpack("1 2", {}).status().message(),
            "invalid JSON at byte 2: unexpected content after the JSON value");
  EXPECT_FALSE(JsonValueToMsgpack("nul", {}).ok());
  EXPECT_FALSE(JsonValueToMsgpack("truex", {}).ok());
  EXPECT_FALSE(JsonValueToMsgpack("01", {}).ok());
  EXPECT_FALSE(JsonValueToMsgpack("\"a\" \"b\"", {}).ok());
  EXPECT_FALSE(JsonValueToMsgpack("[] []", {}).ok());
  EXPECT_FALSE(JsonValueToMsgpack("", {}).ok());
}

// ---- Errors
// --------------------------------------------------------------------------------------

TEST(Json, RejectsEmptyInput) {
  ExpectInvalidAt("", 0, "empty input");
  ExpectInvalidAt(" \n\t", 3, "empty input");
}

TEST(Json, RejectsANonObjectTopLevelNamingWhatWasFound) {
  ExpectInvalidAt("[1]", 0, "expected an object, found an array");
  ExpectInvalidAt("  42", 2, "expected an object, found a number");
  ExpectInvalidAt("\"s\"", 0, "expected an object, found a string");
  ExpectInvalidAt("null", 0, "expected an object, found null");
  ExpectInvalidAt("true", 0, "expected an object, found a boolean");
}

TEST(Json, SaysThatAScalarThatIsNotJsonIsInvalidRatherThanNotAnObject) {
  // simdjson types a value by its first byte: these once read as "found null" and so on.
  ExpectInvalidAt("nope", 0, "invalid literal (expected true, false or null)");
  ExpectInvalidAt("  tru", 2, "invalid literal");
  ExpectInvalidAt("fals", 0, "invalid literal");
  ExpectInvalidAt("12x", 0, "invalid number");
  ExpectInvalidAt("-", 0, "invalid number");
  ExpectInvalidAt("\"a\\q\"", 0, "invalid string");
  ExpectInvalidAt("null x", 5, "unexpected content after the JSON value");
  EXPECT_FALSE(JsonValueToMsgpack("nope", {}).ok());
  EXPECT_TRUE(JsonValueToMsgpack("null", {}).ok());
}

TEST(Json, NamesTheByteOffsetOfSyntaxErrors) {
  ExpectInvalidAt(R"({"a":1,})", 7);
  ExpectInvalidAt(R"({"a" 1})", 5);
  ExpectInvalidAt(R"({"a":1 "b":2})", 7);
  ExpectInvalidAt(R"({"a":[1,2})", 9);
  ExpectInvalidAt(R"({"a":[1,]})", 8);
  ExpectInvalidAt(R"({,})", 1);
  ExpectInvalidAt(R"({"a":,})", 5);
  ExpectInvalidAt(R"({"a":tru})", 5, "invalid literal");
  ExpectInvalidAt(R"({"a":truex})", 5);
  ExpectInvalidAt(R"({"a":nul})", 5);
  ExpectInvalidAt(R"({"a":01})", 5, "invalid number");
  ExpectInvalidAt(R"({"a":1.})", 5, "invalid number");
  ExpectInvalidAt(R"({"a":-})", 5, "invalid number");
  ExpectInvalidAt(R"({"a":1.5x})", 5, "invalid number");
  ExpectInvalidAt(R"({"a":+1})", 5);
  ExpectInvalidAt(R"({"a":x})", 5);
  ExpectInvalidAt(R"({"a":1)", 6, "unexpected end of input");
  ExpectInvalidAt(R"({"a":)", 5);
  ExpectInvalidAt("{", 1, "unexpected end of input");
}

TEST(Json, RejectsTrailingContent) {
  ExpectInvalidAt(R"({"a":1} x)", 8, "unexpected content after the JSON value");
  ExpectInvalidAt(R"({}})", 2);
  ExpectInvalidAt(R"({} {})", 3);
  EXPECT_TRUE(JsonToMsgpack("  {}  \n", {}).ok());
}

TEST(Json, RejectsBadStringsNamingTheirOffset) {
  ExpectInvalidAt("{\"a\":\"\xff\"}", 6, "invalid UTF-8");
  ExpectInvalidAt("{\"a\":\"\xed\xa0\x80\"}", 6, "invalid UTF-8");  // encoded surrogate
  ExpectInvalidAt("{\"a\xc0\":1}", 3, "invalid UTF-8");
  ExpectInvalidAt("{\"a\":\"x\x01y\"}", 7, "unescaped control character");
  ExpectInvalidAt("{\"a\":\"x}", 5, "unterminated string");
  ExpectInvalidAt(R"({"a":"\ud800"})", 5, "invalid string");
  ExpectInvalidAt(R"({"a":"\udc00\ud800"})", 5);
  ExpectInvalidAt(R"({"a":"\x"})", 5, "invalid string");
  ExpectInvalidAt(R"({"\q":1})", 1, "invalid key");
}

TEST(Json, RejectsRepeatedKeysNamingKeyAndOffset) {
  ExpectInvalidAt(R"({"a":1,"a":2})", 7, "duplicate key \"a\"");
  ExpectInvalidAt(R"({"x":{"a":1,"b":{"a":1},"a":2}})", 24, "duplicate key \"a\"");
  // Escapes are decoded before comparing.
  ExpectInvalidAt(R"({"é":1,"\u00e9":2})", 8, "duplicate key");
  std::string big = "{";
  for (int i = 0; i < 40; ++i) big += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  const size_t at = big.size();
  big += "\"k33\":0}";
  ExpectInvalidAt(big, at, "duplicate key \"k33\"");
}

TEST(Json, AcceptsTheSameKeyInDifferentObjects) {
  std::string json = "{";
  for (int i = 0; i < 20; ++i) json += "\"k" + std::to_string(i) + "\":{\"k0\":{\"k0\":1}},";
  json.back() = '}';
  EXPECT_EQ(RoundTrip(json), json);
}

std::string NestedJson(int depth) {
  // {"a":[[...]]}: the object is depth 1.
  std::string json = "{\"a\":";
  json.append(depth - 1, '[');
  json.append(depth - 1, ']');
  json += "}";
  return json;
}

TEST(Json, AcceptsNestingAtMaxDepth) {
  EXPECT_EQ(RoundTrip(NestedJson(100)), NestedJson(100));
  DocumentLimits limits;
  limits.max_depth = 3;
  EXPECT_EQ(RoundTrip(R"({"a":{"b":[]}})", limits), R"({"a":{"b":[]}})");
}

TEST(Json, RejectsNestingOverMaxDepthAsResourceExhausted) {
  ExpectError(NestedJson(101), StatusCode::kResourceExhausted,
              "JSON nesting depth 101 exceeds max_depth 100 at byte 104");
  DocumentLimits limits;
  limits.max_depth = 3;
  ExpectError(R"({"a":{"b":[{}]}})", StatusCode::kResourceExhausted, "max_depth 3 at byte 11",
              limits);
}

TEST(Json, RejectsVeryDeepInputWithoutOverflowingTheStack) {
  std::string deep = "{\"a\":" + std::string(100000, '[');
  ExpectError(deep, StatusCode::kResourceExhausted, "exceeds max_depth 100");
  EXPECT_EQ(JsonValueToMsgpack(std::string(100000, '['), {}).status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(JsonValueToMsgpack(std::string(100000, '{'), {}).status().code(),
            StatusCode::kInvalidArgument);  // "{{": a key was expected
}

TEST(Json, ConvertsNestingUpToItsOwnCapWhenTheLimitAllowsMore) {
  DocumentLimits limits;
  limits.max_depth = 100000;
  const std::string json = NestedJson(kMaxJsonNestingDepth);
  auto mp = JsonToMsgpack(json, limits);
  ASSERT_TRUE(mp.ok()) << mp.status().ToString();
  EXPECT_TRUE(ValidateDocument(*mp, limits).ok());
  EXPECT_EQ(ToJson(*mp), json);
  ExpectError(NestedJson(kMaxJsonNestingDepth + 1), StatusCode::kResourceExhausted,
              "exceeds the converter's limit of 1024", limits);
}

TEST(MsgpackToJson, PrintsNestingDeeperThanJsonInputMayHave) {
  // Printing is iterative: 5000 levels, more than a recursive printer fits on a sanitizer stack.
  std::string doc(
      "\x81\xa1"
      "a",
      3);
  doc.append(4999, '\x91');
  doc.push_back('\x90');
  DocumentLimits limits;
  limits.max_depth = 200000;
  ASSERT_TRUE(ValidateDocument(doc, limits).ok());
  EXPECT_EQ(ToJson(doc), "{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}");
}

TEST(Json, RejectsLongKeysAsResourceExhausted) {
  DocumentLimits limits;
  limits.max_key_bytes = 3;
  EXPECT_TRUE(JsonToMsgpack(R"({"abc":1})", limits).ok());
  ExpectError(R"({"x":{"abcd":1}})", StatusCode::kResourceExhausted,
              "key length 4 bytes exceeds max_key_bytes 3 at byte 6", limits);
  // The decoded length counts: \u00e9 is two bytes.
  ExpectError(R"({"ab\u00e9":1})", StatusCode::kResourceExhausted, "key length 4", limits);
}

TEST(Json, RejectsOversizedDocumentsAsResourceExhausted) {
  DocumentLimits limits;
  limits.max_size_bytes = 8;
  EXPECT_TRUE(JsonToMsgpack(R"({"a":"xxxx"})", limits).ok());  // 8 bytes
  ExpectError(R"({"a":"xxxxx"})", StatusCode::kResourceExhausted, "max_size_bytes 8", limits);
  // A large input fails early, from inside, not after building everything.
  std::string big = "{\"a\":[";
  for (int i = 0; i < 100000; ++i) big += "\"xxxxxxxxxx\",";
  big += "1]}";
  ExpectError(big, StatusCode::kResourceExhausted, "max_size_bytes 8", limits);
}

// ---- MessagePack -> JSON
// ----------------------------------------------------------------------------

template <typename Fn>
std::string Packed(Fn fn) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  fn(pk);
  return std::string(buf.data(), buf.size());
}

TEST(MsgpackToJson, PrintsBinaryAsBase64) {
  auto bin = [](std::string_view b) {
    return ToJson(Packed([&](auto& pk) {
      pk.pack_bin(static_cast<uint32_t>(b.size()));
      pk.pack_bin_body(b.data(), static_cast<uint32_t>(b.size()));
    }));
  };
  EXPECT_EQ(bin(""), "\"\"");
  EXPECT_EQ(bin("f"), "\"Zg==\"");
  EXPECT_EQ(bin("fo"), "\"Zm8=\"");
  EXPECT_EQ(bin("foo"), "\"Zm9v\"");
  EXPECT_EQ(bin("foob"), "\"Zm9vYg==\"");
  EXPECT_EQ(bin("fooba"), "\"Zm9vYmE=\"");
  EXPECT_EQ(bin("foobar"), "\"Zm9vYmFy\"");
  EXPECT_EQ(bin(std::string("\xff\xfe\x00", 3)), "\"//4A\"");
}

TEST(MsgpackToJson, PrintsForeignExtTypesAsTaggedObjects) {
  EXPECT_EQ(ToJson(Packed([](auto& pk) {
              pk.pack_ext(3, 42);
              pk.pack_ext_body("foo", 3);
            })),
            R"({"$ext":42,"$b64":"Zm9v"})");
  EXPECT_EQ(ToJson(Packed([](auto& pk) {
              pk.pack_ext(4, -1);
              pk.pack_ext_body("\0\0\0\1", 4);
            })),
            R"({"$ext":-1,"$b64":"AAAAAQ=="})");
}

TEST(MsgpackToJson, PrintsExtType1Verbatim) {
  EXPECT_EQ(ToJson(Packed([](auto& pk) {
              pk.pack_ext(6, 1);
              pk.pack_ext_body("-1e400", 6);
            })),
            "-1e400");
}

TEST(MsgpackToJson, PrintsNonFiniteDoublesAsNull) {
  EXPECT_EQ(ToJson(Packed([](auto& pk) { pk.pack_double(std::nan("")); })), "null");
  EXPECT_EQ(ToJson(Packed([](auto& pk) { pk.pack_double(-INFINITY); })), "null");
  EXPECT_EQ(ToJson(Packed([](auto& pk) { pk.pack_float(INFINITY); })), "null");
}

TEST(MsgpackToJson, PrintsFloat32WidenedWithAFraction) {
  EXPECT_EQ(ToJson(Packed([](auto& pk) { pk.pack_float(1.5f); })), "1.5");
  // Hand-written: msgpack-cxx would pack an integral 2.0f as the integer 2.
  EXPECT_EQ(ToJson(std::string("\xca\x40\x00\x00\x00", 5)), "2.0");
  EXPECT_EQ(ToJson(Packed([](auto& pk) { pk.pack_float(0.1f); })), "0.10000000149011612");
}

TEST(MsgpackToJson, PrintsEveryIntegerWidth) {
  EXPECT_EQ(ToJson(Packed([](auto& pk) { pk.pack_fix_int8(-5); })), "-5");
  EXPECT_EQ(ToJson(Packed([](auto& pk) { pk.pack_uint64(UINT64_MAX); })), "18446744073709551615");
  EXPECT_EQ(ToJson(Packed([](auto& pk) { pk.pack_int64(INT64_MIN); })), "-9223372036854775808");
}

TEST(MsgpackToJson, EscapesOnlyQuoteBackslashAndControlCharacters) {
  const std::string s = std::string("q\"b\\n\nt\tz", 9) + '\0' + "\x1f\x7f/é";
  EXPECT_EQ(ToJson(Packed([&](auto& pk) { pk.pack(s); })),
            "\"q\\\"b\\\\n\\nt\\tz\\u0000\\u001f\x7f/é\"");
}

TEST(MsgpackToJson, AppendsToExistingOutput) {
  std::string out = "x=";
  MsgpackToJson("\x80", &out);
  EXPECT_EQ(out, "x={}");
}

// ---- ForEachJsonDocument
// ---------------------------------------------------------------------------

struct Seen {
  std::vector<std::string> json;
  std::vector<size_t> offsets;
};

Status Collect(std::string_view input, Seen* seen, const DocumentLimits& limits = {}) {
  return ForEachJsonDocument(input, limits, [&](std::string_view mp, size_t offset) {
    seen->json.push_back(ToJson(mp));
    seen->offsets.push_back(offset);
    return Status::OK();
  });
}

TEST(ForEachJsonDocument, ReadsJsonLinesSkippingBlankLines) {
  Seen seen;
  const std::string input = "{\"a\":1}\n\n  \t\r\n {\"b\":2}\r\n{\"c\":[3]}";
  ASSERT_TRUE(Collect(input, &seen).ok());
  EXPECT_EQ(seen.json, (std::vector<std::string>{R"({"a":1})", R"({"b":2})", R"({"c":[3]})"}));
  EXPECT_EQ(seen.offsets, (std::vector<size_t>{0, 15, 24}));
}

TEST(ForEachJsonDocument, AcceptsEmptyInputAsNoDocuments) {
  Seen seen;
  EXPECT_TRUE(Collect("", &seen).ok());
  EXPECT_TRUE(Collect("\n \n", &seen).ok());
  EXPECT_TRUE(Collect(" [ ] ", &seen).ok());
  EXPECT_TRUE(seen.json.empty());
}

TEST(ForEachJsonDocument, NamesLineAndByteOfAJsonLinesError) {
  Seen seen;
  const Status s = Collect("{\"a\":1}\n\n{\"b\":}\n{\"c\":3}", &seen);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "line 3: invalid JSON at byte 14: expected a value");
  EXPECT_EQ(seen.json.size(), 1u);
  EXPECT_EQ(Collect("{}\n[1]", &seen).message(),
            "line 2: invalid JSON at byte 3: expected an object, found an array");
  EXPECT_EQ(Collect("{}\n{} {}", &seen).message(),
            "line 2: invalid JSON at byte 6: unexpected content after the JSON value");
}

TEST(ForEachJsonDocument, ReadsAnArrayOfObjects) {
  Seen seen;
  ASSERT_TRUE(Collect(" [ {\"a\":\"],[\"} ,\n{\"b\":[{}]},{\"c\":\"\\\"]\"}]\n", &seen).ok());
  EXPECT_EQ(seen.json,
            (std::vector<std::string>{R"({"a":"],["})", R"({"b":[{}]})", R"({"c":"\"]"})"}));
  EXPECT_EQ(seen.offsets, (std::vector<size_t>{3, 17, 28}));
}

TEST(ForEachJsonDocument, NamesElementAndByteOfAnArrayError) {
  Seen seen;
  EXPECT_EQ(Collect("[{},{\"a\":tru}]", &seen).message(),
            "array element 1: invalid JSON at byte 9: invalid literal (expected true, false or "
            "null)");
  EXPECT_EQ(Collect("[{},1]", &seen).message(),
            "array element 1: invalid JSON at byte 4: expected an object, found a number");
  EXPECT_EQ(Collect("[{},]", &seen).message(),
            "array element 1: invalid JSON at byte 4: expected an object");
  EXPECT_EQ(Collect("[{}", &seen).message(),
            "invalid JSON at byte 3: unexpected end of input, expected ',' or ']'");
  EXPECT_EQ(Collect("[{}}]", &seen).message(), "invalid JSON at byte 3: expected ',' or ']'");
  EXPECT_EQ(Collect("[{}] x", &seen).message(),
            "invalid JSON at byte 5: unexpected content after the array");
  EXPECT_EQ(Collect("[{\"a\":[1}]", &seen).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Collect("[{\"a\":\"x]", &seen).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Collect("[,{}]", &seen).message(),
            "array element 0: invalid JSON at byte 1: expected an object");
}

TEST(ForEachJsonDocument, AppliesLimitsToEachDocument) {
  Seen seen;
  DocumentLimits limits;
  limits.max_depth = 2;
  EXPECT_EQ(Collect("{\"a\":[]}\n{\"a\":[[]]}", &seen, limits).code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(Collect("[{\"a\":[]},{\"a\":[[]]}]", &seen, limits).code(),
            StatusCode::kResourceExhausted);
}

TEST(ForEachJsonDocument, StopsAtTheFirstCallbackError) {
  int calls = 0;
  const Status s = ForEachJsonDocument("{}\n{}\n{}", {}, [&](std::string_view, size_t) {
    return ++calls == 2 ? Status::Aborted("enough") : Status::OK();
  });
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(calls, 2);
}

TEST(ForEachJsonDocument, AllowsTheCallbackToConvertJsonItself) {
  int calls = 0;
  const Status s =
      ForEachJsonDocument("[{\"a\":1},{\"b\":2}]", {}, [&](std::string_view mp, size_t) {
        auto inner = JsonToMsgpack(R"({"inner":[1,2,3]})", {});
        EXPECT_TRUE(inner.ok());
        EXPECT_EQ(ToJson(mp), calls == 0 ? R"({"a":1})" : R"({"b":2})");
        ++calls;
        return Status::OK();
      });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(calls, 2);
}

// ---- JsonDocumentStream
// ----------------------------------------------------------------------------

// What a stream produced: each document as JSON with its offset and line, then the final status.
struct StreamResult {
  std::vector<std::string> documents;
  Status status;

  std::string ToString() const {
    std::string out;
    for (const std::string& d : documents) out += d + "\n";
    return out + status.ToString();
  }
};

// Feeds `input` cut at `cuts` (ascending offsets), then finishes.
StreamResult StreamInPieces(std::string_view input, const std::vector<size_t>& cuts,
                            const DocumentLimits& limits = {}) {
  StreamResult result;
  JsonDocumentStream stream(limits, [&](std::string_view mp, JsonDocumentStream::Position at) {
    result.documents.push_back(ToJson(mp) + " @" + std::to_string(at.offset) + " line " +
                               std::to_string(at.line));
    return Status::OK();
  });
  size_t from = 0;
  for (size_t cut : cuts) {
    result.status = stream.Feed(input.substr(from, cut - from));
    if (!result.status.ok()) return result;
    from = cut;
  }
  result.status = stream.Feed(input.substr(from));
  if (result.status.ok()) result.status = stream.Finish();
  return result;
}

TEST(JsonDocumentStream, GivesTheSameResultWhereverTheInputIsCut) {
  const std::vector<std::string> inputs = {
      "{\"a\":1}\n\n  \t\r\n {\"b\":2}\r\n{\"c\":[3]}",
      "{\"a\":1}\n{\"b\":}\n{\"c\":3}\n",
      "{}\n[1]\n",
      "{}\n{} {}",
      "\n\n{\"s\":\"x\\\"y\"}\nnope\n",
      " [ {\"a\":\"],[\"} ,\n{\"b\":[{}]},{\"c\":\"\\\"]\"}]\n",
      "[{},{\"a\":tru}]",
      "[{},1]",
      "[{},]",
      "[{}",
      "[{}}]",
      "[{}] x",
      "[,{}]",
      "[\n{\"a\":\n[1,\n2]},\n{\"b\":\"\\\\\"}\n]",
      "[{\"a\":\"x]",
      "[",
      "[ ",
      "{\"a\":1}\n{\"b\":\"\x01\"}\n",
      "[{\"a\":1},{\"b\":\"\x00\"}]",
      std::string("\0\0\0", 3),
      "{\"last\":\"no newline\"}",
      "",
      "  \n ",
  };
  for (const std::string& input : inputs) {
    SCOPED_TRACE(input);
    const StreamResult whole = StreamInPieces(input, {});
    // The whole-input function agrees with the stream.
    Seen seen;
    EXPECT_EQ(Collect(input, &seen).ToString(), whole.status.ToString());
    // Every single cut, and one byte at a time.
    for (size_t cut = 0; cut <= input.size(); ++cut) {
      EXPECT_EQ(StreamInPieces(input, {cut}).ToString(), whole.ToString()) << "cut at " << cut;
    }
    std::vector<size_t> bytes;
    for (size_t cut = 1; cut < input.size(); ++cut) bytes.push_back(cut);
    EXPECT_EQ(StreamInPieces(input, bytes).ToString(), whole.ToString()) << "byte by byte";
  }
}

TEST(JsonDocumentStream, NamesTheLineOfEachDocument) {
  const StreamResult lines = StreamInPieces("\n{\"a\":1}\n\n{\"b\":2}", {3, 9});
  ASSERT_TRUE(lines.status.ok()) << lines.status.ToString();
  EXPECT_EQ(lines.documents,
            (std::vector<std::string>{R"({"a":1} @1 line 2)", R"({"b":2} @10 line 4)"}));
  const StreamResult array = StreamInPieces("[\n  {\"a\":\"\\n\"},\n  {\"b\":\n2}\n]", {5});
  ASSERT_TRUE(array.status.ok()) << array.status.ToString();
  EXPECT_EQ(array.documents,
            (std::vector<std::string>{R"({"a":"\n"} @4 line 2)", R"({"b":2} @18 line 3)"}));
}

TEST(JsonDocumentStream, RefusesAControlByteWhereItIsFound) {
  // /dev/zero as input: refused at the first byte, not after a line that never ends.
  const std::string zeros(1 << 16, '\0');
  JsonDocumentStream stream(
      {}, [](std::string_view, JsonDocumentStream::Position) { return Status::OK(); });
  const Status s = stream.Feed(zeros);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "line 1: invalid JSON at byte 0: unescaped control character 0x00");
  EXPECT_EQ(StreamInPieces("[{\"a\":1},\n{\"b\":\"\x1f\"}]", {}).status.message(),
            "array element 1: invalid JSON at byte 16: unescaped control character 0x1f");
}

TEST(JsonDocumentStream, RefusesADocumentTooLongToBeValidBeforeItEnds) {
  DocumentLimits limits;
  limits.max_size_bytes = 16;  // JSON text up to 64 bytes
  ASSERT_EQ(MaxDocumentJsonBytes(limits), 64u);
  for (const std::string& start : {std::string("{\"a\":\""), std::string("[{\"a\":\"")}) {
    SCOPED_TRACE(start);
    int documents = 0;
    JsonDocumentStream stream(limits, [&](std::string_view, JsonDocumentStream::Position) {
      ++documents;
      return Status::OK();
    });
    Status s = stream.Feed(start);
    uint64_t fed = start.size();
    // Ten bytes at a time of a string that never ends: refused once past 64 bytes.
    while (s.ok() && fed < 1000) {
      s = stream.Feed(std::string(10, 'x'));
      fed += 10;
    }
    EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
    EXPECT_LE(fed, 64u + 10u + start.size());
    EXPECT_NE(s.message().find("has more than 64 bytes of JSON text"), std::string_view::npos)
        << s.message();
    EXPECT_EQ(documents, 0);
  }
  // A document just within the bound is converted (and then judged by its MessagePack size).
  const std::string pretty = "{\"a\":" + std::string(50, ' ') + "1}";
  EXPECT_TRUE(StreamInPieces(pretty, {10, 20}, limits).status.ok());
}

TEST(ForEachJsonDocument, HandlesLargeInputsInLinearTime) {
  // 50k documents (~2.5 MB) each way; a quadratic split would take minutes here. (Unoptimized
  // sanitizer builds are slow; 100 MB was measured separately in a release build.)
  std::string lines;
  std::string array = "[";
  for (int i = 0; i < 50000; ++i) {
    const std::string doc =
        "{\"i\":" + std::to_string(i) + ",\"s\":\"some text here\",\"a\":[1,2.5,null]}";
    lines += doc + "\n";
    array += (i == 0 ? "" : ",") + doc;
  }
  array += "]";
  for (const std::string* input : {&lines, &array}) {
    size_t count = 0;
    size_t last_offset = 0;
    const Status s = ForEachJsonDocument(*input, {}, [&](std::string_view mp, size_t offset) {
      EXPECT_EQ(FindField(mp, "i")->int_value, static_cast<int64_t>(count));
      last_offset = offset;
      ++count;
      return Status::OK();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(count, 50000u);
    EXPECT_EQ((*input)[last_offset], '{');
  }
}

}  // namespace
}  // namespace daas::doc
