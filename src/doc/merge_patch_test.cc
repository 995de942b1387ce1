#include "doc/merge_patch.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>

#include "doc/json.h"
#include "doc/msgpack_reader.h"

namespace daas::doc {
namespace {

std::string Mp(std::string_view json) {
  auto mp = JsonValueToMsgpack(json, {});
  EXPECT_TRUE(mp.ok()) << json << ": " << mp.status().ToString();
  return mp.ok() ? *mp : std::string();
}

std::string Js(std::string_view mp) {
  std::string out;
  MsgpackToJson(mp, &out);
  return out;
}

// Applies a patch given as JSON to a target given as JSON and returns the result as JSON.
std::string Apply(std::string_view target, std::string_view patch,
                  const DocumentLimits& limits = {}) {
  auto result = MergePatch(Mp(target), Mp(patch), limits);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok()) return "<error>";
  EXPECT_TRUE(ValidateDocument(*result, limits).ok());
  return Js(*result);
}

// RFC 7386 Appendix A, every case whose patch is an object (a document patch is always a map).
TEST(MergePatch, MatchesRfc7386AppendixA) {
  EXPECT_EQ(Apply(R"({"a":"b"})", R"({"a":"c"})"), R"({"a":"c"})");
  EXPECT_EQ(Apply(R"({"a":"b"})", R"({"b":"c"})"), R"({"a":"b","b":"c"})");
  EXPECT_EQ(Apply(R"({"a":"b"})", R"({"a":null})"), R"({})");
  EXPECT_EQ(Apply(R"({"a":"b","b":"c"})", R"({"a":null})"), R"({"b":"c"})");
  EXPECT_EQ(Apply(R"({"a":["b"]})", R"({"a":"c"})"), R"({"a":"c"})");
  EXPECT_EQ(Apply(R"({"a":"c"})", R"({"a":["b"]})"), R"({"a":["b"]})");
  EXPECT_EQ(Apply(R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})"), R"({"a":{"b":"d"}})");
  EXPECT_EQ(Apply(R"({"a":[{"b":"c"}]})", R"({"a":[1]})"), R"({"a":[1]})");
  EXPECT_EQ(Apply(R"({"e":null})", R"({"a":1})"), R"({"e":null,"a":1})");
  EXPECT_EQ(Apply(R"({})", R"({"a":{"bb":{"ccc":null}}})"), R"({"a":{"bb":{}}})");
}

TEST(MergePatch, TreatsANonMapTargetAsEmpty) {
  // RFC 7386 Appendix A: ["a","b"] + {"a":"c"} and [1,2] + {"a":"b","c":null}.
  EXPECT_EQ(Apply(R"(["a","b"])", R"({"a":"c"})"), R"({"a":"c"})");
  EXPECT_EQ(Apply(R"([1,2])", R"({"a":"b","c":null})"), R"({"a":"b"})");
  EXPECT_EQ(Apply(R"({"a":5})", R"({"a":{"x":1,"y":null}})"), R"({"a":{"x":1}})");
}

TEST(MergePatch, RejectsANonMapPatch) {
  // RFC 7386 would replace the whole target; for a document that is a put, not a patch.
  for (const char* patch : {R"(["c"])", "null", R"("bar")", "1"}) {
    auto result = MergePatch(Mp(R"({"a":"b"})"), Mp(patch), {});
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << patch;
  }
}

TEST(MergePatch, KeepsTargetOrderAndAppendsNewKeysInPatchOrder) {
  EXPECT_EQ(Apply(R"({"z":1,"y":2,"x":3})", R"({"w":0,"y":20,"v":9,"z":null})"),
            R"({"y":20,"x":3,"w":0,"v":9})");
}

TEST(MergePatch, LeavesTheTargetUnchangedForAnEmptyPatch) {
  const std::string target = Mp(R"({"a":[1,{"b":2.5}],"c":"d","e":1e400})");
  auto result = MergePatch(target, Mp("{}"), {});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, target);
}

TEST(MergePatch, MergesLargeMapsThroughTheHashedPath) {
  std::string target = "{";
  std::string patch = "{";
  std::string want = "{";
  for (int i = 0; i < 40; ++i) {
    target += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    if (i % 3 == 0) patch += "\"k" + std::to_string(i) + "\":null,";
    if (i % 3 == 1) patch += "\"k" + std::to_string(i) + "\":\"p\",";
    if (i % 3 != 0) {
      want += "\"k" + std::to_string(i) + "\":" + (i % 3 == 1 ? "\"p\"" : std::to_string(i)) + ",";
    }
  }
  patch += "\"new\":true}";
  target.back() = '}';
  want += "\"new\":true}";
  EXPECT_EQ(Apply(target, patch), want);
}

TEST(MergePatch, RejectsAResultOverTheSizeLimit) {
  DocumentLimits limits;
  limits.max_size_bytes = 10;
  auto result = MergePatch(Mp(R"({"a":"xxx"})"), Mp(R"({"b":"yyyyyy"})"), limits);
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(result.status().message().find("max_size_bytes 10"), std::string_view::npos)
      << result.status().ToString();
}

TEST(MergePatch, RejectsAResultOverTheDepthLimit) {
  DocumentLimits limits;
  limits.max_depth = 2;
  EXPECT_EQ(Apply(R"({"a":{}})", R"({"a":{"b":1}})", limits), R"({"a":{"b":1}})");
  auto result = MergePatch(Mp(R"({"a":{}})"), Mp(R"({"a":{"b":[1]}})"), limits);
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(result.status().message().find("max_depth 2"), std::string_view::npos);
  // Caught while descending the patch's maps, before the result is complete.
  result = MergePatch(Mp(R"({})"), Mp(R"({"a":{"b":{"c":1}}})"), limits);
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(result.status().message().find("nesting depth 3 exceeds max_depth 2"),
            std::string_view::npos)
      << result.status().ToString();
}

TEST(MergePatch, CopiesUntouchedValuesByteForByte) {
  // A float 32 in the target stays float 32: untouched values are copied, not re-encoded.
  const std::string target(
      "\x82\xa1"
      "f\xca\x3f\xc0\x00\x00\xa1"
      "g\x01",
      11);
  auto result = MergePatch(target, Mp(R"({"g":2})"), {});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, std::string("\x82\xa1"
                                 "f\xca\x3f\xc0\x00\x00\xa1"
                                 "g\x02",
                                 11));
}

TEST(MergePatch, RefusesResultsBreakingLimitsTheTargetAlreadyBroke) {
  // A stored document may predate tighter limits (the engine loads documents under none); a patch
  // that keeps the offending part is refused with the error validating the result gives.
  const std::string target = Mp(R"({"deep":{"a":[[1]]},"long_key_here":1,"x":1})");
  const std::string patch = Mp(R"({"x":2})");
  const std::string merged = *MergePatch(target, patch, {});
  for (const DocumentLimits& limits :
       {DocumentLimits{.max_depth = 3}, DocumentLimits{.max_key_bytes = 5}}) {
    auto result = MergePatch(target, patch, limits);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().ToString(),
              ValidateDocument(merged, limits).WithContext("merge patch result").ToString());
  }
}

// A random JSON value: maps and arrays up to `depth` more levels, keys from a small set so patches
// hit the target's keys, nulls to delete them.
std::string RandomJson(std::mt19937_64& rng, int depth, bool map) {
  static const char* const kKeys[] = {"a", "b", "age", "name", "tags", "a_much_longer_key", "é"};
  if (map) {
    std::string out = "{";
    const int n = static_cast<int>(rng() % 6);
    bool used[7] = {};
    for (int i = 0; i < n; ++i) {
      const size_t k = rng() % 7;
      if (used[k]) continue;
      used[k] = true;
      if (out.size() > 1) out += ",";
      out += "\"" + std::string(kKeys[k]) + "\":" + RandomJson(rng, depth - 1, false);
    }
    return out + "}";
  }
  switch (rng() % (depth > 0 ? 7 : 4)) {
    case 0:
      return "null";
    case 1:
      return std::to_string(static_cast<int64_t>(rng() % 2000) - 1000);
    case 2:
      return "\"" + std::string(rng() % 40, 's') + "\"";
    case 3:
      return "2.5";
    case 4: {
      std::string out = "[";
      const int n = static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i) out += (i ? "," : "") + RandomJson(rng, depth - 1, false);
      return out + "]";
    }
    default:
      return RandomJson(rng, depth - 1, true);
  }
}

TEST(MergePatch, RandomMergesValidateUnderTheLimitsTheyPass) {
  const uint64_t seed = std::random_device{}();
  std::printf("random seed: %llu\n", static_cast<unsigned long long>(seed));
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const DocumentLimits tight[] = {
      {.max_depth = 2}, {.max_depth = 3}, {.max_key_bytes = 4}, {.max_size_bytes = 40}};
  for (int round = 0; round < 500; ++round) {
    const std::string target = Mp(RandomJson(rng, 4, true));
    const std::string patch = Mp(RandomJson(rng, 4, true));
    // Both inputs valid under the defaults; the result is too, and is what every limit judges.
    auto merged = MergePatch(target, patch, {});
    ASSERT_TRUE(merged.ok()) << merged.status().ToString();
    ASSERT_TRUE(ValidateDocument(*merged, {}).ok()) << Js(target) << " + " << Js(patch);
    for (const DocumentLimits& limits : tight) {
      auto result = MergePatch(target, patch, limits);
      if (result.ok()) {
        EXPECT_EQ(*result, *merged);
        EXPECT_TRUE(ValidateDocument(*result, limits).ok()) << Js(target) << " + " << Js(patch);
      } else {
        // Refused only for a limit the result really breaks.
        EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
        EXPECT_FALSE(ValidateDocument(*merged, limits).ok()) << result.status().ToString();
      }
    }
  }
}

}  // namespace
}  // namespace daas::doc
