#include "expr/evaluator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "core/thread_pool.h"
#include "daas/options.h"
#include "doc/json.h"
#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"
#include "expr/datetime.h"
#include "expr/parser.h"
#include "expr/program.h"

// Counts heap allocations, so that tests can check the evaluator's no-allocation contract. Not
// under sanitizers, which have operator new of their own (and check the pairs it hands out).
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DAAS_EXPR_TEST_SANITIZED 1
#endif
#endif

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

#ifndef DAAS_EXPR_TEST_SANITIZED
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);  // a counter only: relaxed is enough
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#endif

namespace daas::expr {
namespace {

// 2024-05-15 13:45:30.250 UTC, a Wednesday.
const int64_t kNow = FromCivil(2024, 5, 15, 13, 45, 30, 250000);

std::string Doc(std::string_view json) {
  auto mp = doc::JsonToMsgpack(json, DocumentLimits());
  EXPECT_TRUE(mp.ok()) << mp.status().ToString() << " in " << json;
  return mp.ok() ? *mp : std::string("\x80");
}

const char* kPerson = R"({
  "name": "Ada Lovelace", "age": 36, "score": 9.5, "active": true, "nick": null, "empty": "",
  "country": "UK", "tags": ["math", "poet", "Engine"], "nums": [1, 5, 10], "none": [],
  "address": {"city": "London", "zip": "W1", "geo": {"lat": 51.5}},
  "matrix": [[1, 2], [3]], "created": "2024-05-01 10:00:00.000Z", "big": 18446744073709551615,
  "neg": -9223372036854775808, "pct": "50% off_now", "items": [{"n": "a", "q": 2}, {"n": "b", "q": 0}]
})";

// The value of `expr` on `json` as JSON text, or "error: <status>".
std::string Eval(std::string_view expr, std::string_view json = kPerson,
                 const Bindings* bindings = nullptr) {
  auto ast = Parse(expr);
  if (!ast.ok()) return "error: " + ast.status().ToString();
  auto program = Compile(*ast);
  if (!program.ok()) return "error: " + program.status().ToString();
  const std::string doc = Doc(json);
  Evaluator ev(*program, EvalContext{bindings, kNow});
  auto v = ev.Evaluate(doc);
  if (!v.ok()) return "error: " + v.status().ToString();
  return ToJson(*v);
}

bool Match(std::string_view expr, std::string_view json = kPerson) {
  auto program = Parse(expr);
  EXPECT_TRUE(program.ok()) << program.status().ToString();
  if (!program.ok()) return false;
  auto compiled = Compile(*program);
  EXPECT_TRUE(compiled.ok()) << compiled.status().ToString();
  if (!compiled.ok()) return false;
  const std::string doc = Doc(json);
  Evaluator ev(*compiled, EvalContext{nullptr, kNow});
  auto m = ev.Matches(doc);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() && *m;
}

// SetNow moves every date macro and now() of an Evaluator already built.
TEST(Evaluator, SetNowMovesTheClockOfABuiltEvaluator) {
  auto program = CompileExpression("@todayStart < now() && @year = 2024 && @month = 5");
  ASSERT_TRUE(program.ok());
  Evaluator ev(*program, EvalContext{nullptr, kNow});
  const std::string doc = Doc("{}");
  EXPECT_TRUE(*ev.Matches(doc));
  ev.SetNow(FromCivil(2025, 5, 15, 0, 0, 0, 0));
  EXPECT_FALSE(*ev.Matches(doc));
  ev.SetNow(FromCivil(2024, 5, 31, 23, 0, 0, 0));
  EXPECT_TRUE(*ev.Matches(doc));
}

TEST(Evaluator, ComparesNumbersAcrossIntAndFloat) {
  EXPECT_TRUE(Match("age = 36"));
  EXPECT_TRUE(Match("age = 36.0"));
  EXPECT_TRUE(Match("age != 35"));
  EXPECT_TRUE(Match("age > 35.5"));
  EXPECT_TRUE(Match("age >= 36"));
  EXPECT_TRUE(Match("age < 36.000001"));
  EXPECT_TRUE(Match("age <= 36"));
  EXPECT_FALSE(Match("age < 36"));
  EXPECT_TRUE(Match("score > 9 && score < 10"));
  // 2^53 + 1 is not a double: compared exactly, it is greater than the double 2^53.
  EXPECT_TRUE(Match("n > 9007199254740992.0", R"({"n": 9007199254740993})"));
  EXPECT_FALSE(Match("n = 9007199254740992.0", R"({"n": 9007199254740993})"));
  EXPECT_TRUE(Match("big > 9223372036854775807"));
  EXPECT_TRUE(Match("big = 18446744073709551615"));
  EXPECT_TRUE(Match("big < 18446744073709551616.0"));
  EXPECT_TRUE(Match("neg = -9223372036854775808"));
  EXPECT_TRUE(Match("neg < -9223372036854775807"));
}

TEST(Evaluator, ComparesStringsByBytes) {
  EXPECT_TRUE(Match("name = 'Ada Lovelace'"));
  EXPECT_TRUE(Match("name != \"ada lovelace\""));
  EXPECT_TRUE(Match("name > 'Ad'"));
  EXPECT_TRUE(Match("name < 'Ada M'"));
  EXPECT_TRUE(Match("'Z' > name"));
  EXPECT_TRUE(Match("s > 'z'", R"({"s": "é"})"));  // UTF-8 bytes above ASCII
}

TEST(Evaluator, MismatchedTypesCompareFalseNotError) {
  EXPECT_FALSE(Match("name > 5"));
  EXPECT_FALSE(Match("name < 5"));
  EXPECT_FALSE(Match("age = '36'"));
  EXPECT_TRUE(Match("age != '36'"));
  EXPECT_FALSE(Match("active = 1"));
  EXPECT_FALSE(Match("active > false"));
  EXPECT_FALSE(Match("address = address"));  // maps compare equal to nothing
}

TEST(Evaluator, MissingNullAndEmptyStringAreOneValueForEquality) {
  EXPECT_TRUE(Match("missing = null"));
  EXPECT_TRUE(Match("nick = null"));
  EXPECT_TRUE(Match("empty = null"));
  EXPECT_TRUE(Match("missing = ''"));
  EXPECT_TRUE(Match("nick = ''"));
  EXPECT_FALSE(Match("missing != null"));
  EXPECT_TRUE(Match("name != null"));
  EXPECT_FALSE(Match("name = null"));
  EXPECT_FALSE(Match("age = null"));
  EXPECT_FALSE(Match("missing = 0"));
  // Ordering against null is never true.
  EXPECT_FALSE(Match("missing < 1"));
  EXPECT_FALSE(Match("missing >= 1"));
  EXPECT_FALSE(Match("nick > null"));
  EXPECT_FALSE(Match("nick >= null"));
}

TEST(Evaluator, LikeContainsIsCaseInsensitiveAndAutoWraps) {
  EXPECT_TRUE(Match("name ~ 'love'"));
  EXPECT_TRUE(Match("name ~ 'LOVE'"));
  EXPECT_FALSE(Match("name ~ 'hate'"));
  EXPECT_TRUE(Match("name !~ 'hate'"));
  EXPECT_FALSE(Match("name !~ 'ada'"));
  EXPECT_TRUE(Match("name ~ ''"));
  // With a %, the pattern is a LIKE pattern: anchored, % any run, _ one character.
  EXPECT_TRUE(Match("name ~ 'ada%'"));
  EXPECT_FALSE(Match("name ~ 'love%'"));
  EXPECT_TRUE(Match("name ~ '%lace'"));
  EXPECT_TRUE(Match("name ~ 'A_a%'"));
  EXPECT_FALSE(Match("name ~ 'A_%z'"));
  // Without a %, _ is literal; escapes make % literal.
  EXPECT_TRUE(Match("pct ~ 'off_now'"));
  EXPECT_FALSE(Match("name ~ 'A_a'"));
  EXPECT_TRUE(Match("pct ~ '50\\%'"));
  EXPECT_TRUE(Match("pct ~ '50\\% off%'"));
  EXPECT_FALSE(Match("pct ~ '49\\%%'"));
  // Non-strings: both ~ and !~ are false.
  EXPECT_FALSE(Match("age ~ '3'"));
  EXPECT_FALSE(Match("age !~ '3'"));
  EXPECT_FALSE(Match("missing !~ 'x'"));
  // A pattern from a field is analyzed at run time, the same way.
  EXPECT_TRUE(Match("'United Kingdom' ~ country", R"({"country": "kingdom"})"));
  EXPECT_TRUE(Match("'United Kingdom' ~ country", R"({"country": "u%m"})"));
  EXPECT_TRUE(Match("s ~ '_'", R"({"s": "a_b"})"));
  EXPECT_TRUE(Match("s ~ 'é%'", R"({"s": "éa"})"));
  EXPECT_TRUE(Match("s ~ '_a%'", R"({"s": "éa"})")) << "_ matches one UTF-8 character";
}

TEST(Evaluator, PlainOperatorOnArrayNeedsEveryElement) {
  EXPECT_TRUE(Match("nums > 0"));
  EXPECT_FALSE(Match("nums > 1"));
  EXPECT_FALSE(Match("tags = 'math'"));
  EXPECT_TRUE(Match("tags != 'chemistry'"));
  EXPECT_FALSE(Match("tags != 'poet'"));  // "does not contain"
  EXPECT_TRUE(Match("tags ~ '%'"));
  // An empty array stands for one null.
  EXPECT_TRUE(Match("none = null"));
  EXPECT_TRUE(Match("none = ''"));
  EXPECT_FALSE(Match("none > 0"));
}

TEST(Evaluator, AnyOfOperatorsNeedOneElement) {
  EXPECT_TRUE(Match("tags ?= 'poet'"));
  EXPECT_FALSE(Match("tags ?= 'chemistry'"));
  EXPECT_TRUE(Match("tags ?!= 'poet'"));
  EXPECT_TRUE(Match("nums ?> 9"));
  EXPECT_FALSE(Match("nums ?> 10"));
  EXPECT_TRUE(Match("nums ?>= 10"));
  EXPECT_TRUE(Match("nums ?< 2"));
  EXPECT_TRUE(Match("nums ?<= 1"));
  EXPECT_FALSE(Match("nums ?< 1"));
  EXPECT_TRUE(Match("tags ?~ 'eng'"));
  EXPECT_TRUE(Match("tags ?!~ 'math'"));
  EXPECT_FALSE(Match("none ?= 'x'"));
  EXPECT_TRUE(Match("none ?= null"));
  // On a scalar, the ?-form is the plain form.
  EXPECT_TRUE(Match("age ?= 36"));
  EXPECT_FALSE(Match("age ?> 36"));
  // Array against array: every pair, or some pair.
  EXPECT_TRUE(Match("nums ?= a", R"({"nums": [1, 2], "a": [2, 3]})"));
  EXPECT_FALSE(Match("nums = a", R"({"nums": [1, 2], "a": [2, 3]})"));
  EXPECT_TRUE(Match("nums < a", R"({"nums": [1, 2], "a": [3, 4]})"));
  // Nested arrays are values: compared to a scalar they are not equal.
  EXPECT_FALSE(Match("matrix ?= 1"));
}

TEST(Evaluator, FieldPathsReachIntoMapsAndArrays) {
  EXPECT_EQ(Eval("address.city"), "\"London\"");
  EXPECT_EQ(Eval("address.geo.lat"), "51.5");
  EXPECT_EQ(Eval("tags.0"), "\"math\"");
  EXPECT_EQ(Eval("tags.2"), "\"Engine\"");
  EXPECT_EQ(Eval("tags.3"), "null");
  EXPECT_EQ(Eval("matrix.0.1"), "2");
  EXPECT_EQ(Eval("items.1.n"), "\"b\"");
  EXPECT_EQ(Eval("address.nope"), "null");
  EXPECT_EQ(Eval("name.first"), "null");
  EXPECT_EQ(Eval("m.0", R"({"m": {"0": "zero"}})"), "\"zero\"");
  EXPECT_EQ(Eval("tags"), R"(["math","poet","Engine"])");
}

TEST(Evaluator, LogicShortCircuitsAndYieldsBools) {
  EXPECT_TRUE(Match("age > 30 && country = 'UK'"));
  EXPECT_FALSE(Match("age > 40 && country = 'UK'"));
  EXPECT_TRUE(Match("age > 40 || country = 'UK'"));
  EXPECT_FALSE(Match("age > 40 || country = 'FR'"));
  EXPECT_TRUE(Match("!(age > 40)"));
  EXPECT_TRUE(Match("active"));
  EXPECT_FALSE(Match("!active"));
  EXPECT_TRUE(Match("!missing"));
  EXPECT_EQ(Eval("age && true"), "false");  // only true holds
  EXPECT_EQ(Eval("1 || 0"), "false");
  EXPECT_EQ(Eval("active && 1 < 2"), "true");
  EXPECT_EQ(Eval("false || active"), "true");
  EXPECT_EQ(Eval("!5"), "true");
  // Short circuit: the right side's cost is not paid (a regex with a field pattern would be).
  EXPECT_FALSE(Match("false && regex(name, tags.0)"));
}

TEST(Evaluator, NestedLogicUnderFusedComparisonsKeepsTheStack) {
  // Found by the differential test: an && whose last operand is `field op literal`, inside an
  // ||, must not be fused with the || jump (its own early exits push a value).
  EXPECT_FALSE(Match("(age = 36 && country = 'FR') || name = 'x'"));
  EXPECT_TRUE(Match("(age = 36 && country = 'UK') || name = 'x'"));
  EXPECT_TRUE(Match("(age = 1 && country = 'UK') || name ~ 'ada'"));
  EXPECT_EQ(Eval("((age = 1 && country = 'UK') || name = 'x') = false"), "true");
  EXPECT_EQ(Eval("((age = 36 || country = 'FR') && name = 'x') = false"), "true");
}

TEST(Evaluator, PrecedenceFollowsTheTable) {
  EXPECT_EQ(Eval("1 + 2 * 3"), "7");
  EXPECT_EQ(Eval("(1 + 2) * 3"), "9");
  EXPECT_EQ(Eval("10 - 4 - 3"), "3");
  EXPECT_EQ(Eval("2 * 3 % 4"), "2");
  EXPECT_EQ(Eval("-2 * 3"), "-6");
  EXPECT_EQ(Eval("- age + 1"), "-35");
  EXPECT_EQ(Eval("true || false && false"), "true");
  EXPECT_EQ(Eval("(true || false) && false"), "false");
  EXPECT_EQ(Eval("age + 4 > 39 && age * 2 = 72"), "true");
}

TEST(Evaluator, IntegerArithmeticIsExactAndPromotesOnOverflow) {
  EXPECT_EQ(Eval("7 + 5"), "12");
  EXPECT_EQ(Eval("7 - 10"), "-3");
  EXPECT_EQ(Eval("6 * 7"), "42");
  EXPECT_EQ(Eval("7 / 2"), "3.5");
  EXPECT_EQ(Eval("6 / 2"), "3.0");
  EXPECT_EQ(Eval("7 % 3"), "1");
  EXPECT_EQ(Eval("-7 % 3"), "-1");
  EXPECT_EQ(Eval("7.5 % 2"), "1.5");
  EXPECT_EQ(Eval("1.5 + 1"), "2.5");
  EXPECT_EQ(Eval("9223372036854775807 + 1"), "9223372036854775808");
  EXPECT_EQ(Eval("18446744073709551615 + 1"), "18446744073709551616.0");
  EXPECT_EQ(Eval("neg - 1"), "-9223372036854775808.0");
  EXPECT_EQ(Eval("-neg"), "9223372036854775808");
  EXPECT_EQ(Eval("neg % -1"), "0");
  EXPECT_EQ(Eval("big - big"), "0");
  EXPECT_EQ(Eval("4294967296 * 4294967296"), "18446744073709551616.0");
  EXPECT_EQ(Eval("-(-9223372036854775808)"), "9223372036854775808");
}

TEST(Evaluator, DivisionByZeroAndNonNumbersAreNull) {
  EXPECT_EQ(Eval("1 / 0"), "null");
  EXPECT_EQ(Eval("1 % 0"), "null");
  EXPECT_EQ(Eval("1.0 / 0.0"), "null");
  EXPECT_EQ(Eval("1 % 0.0"), "null");
  EXPECT_EQ(Eval("name + 1"), "null");
  EXPECT_EQ(Eval("missing * 2"), "null");
  EXPECT_EQ(Eval("-name"), "null");
  EXPECT_FALSE(Match("1 / 0 = 0"));
  EXPECT_TRUE(Match("1 / 0 = null"));
}

TEST(Evaluator, InTestsMembership) {
  EXPECT_TRUE(Match("country in ['FR', 'UK']"));
  EXPECT_FALSE(Match("country in ['FR', 'DE']"));
  EXPECT_FALSE(Match("country in []"));
  EXPECT_TRUE(Match("age in [1, 36.0, 'x']"));
  EXPECT_TRUE(Match("age in [age - 1, age]"));
  EXPECT_TRUE(Match("5 in nums"));
  EXPECT_FALSE(Match("6 in nums"));
  EXPECT_FALSE(Match("6 in none"));
  EXPECT_TRUE(Match("36 in age"));  // a scalar is a one-element list
  EXPECT_TRUE(Match("missing in [null]"));
  EXPECT_EQ(Eval("!(country in ['FR'])"), "true");
}

TEST(Evaluator, Functions) {
  EXPECT_EQ(Eval("len(name)"), "12");
  EXPECT_EQ(Eval("len('héllo')"), "5");
  EXPECT_EQ(Eval("len(tags)"), "3");
  EXPECT_EQ(Eval("len(address)"), "3");
  EXPECT_EQ(Eval("len(missing)"), "0");
  EXPECT_EQ(Eval("len(age)"), "null");
  EXPECT_EQ(Eval("lower(name)"), "\"ada lovelace\"");
  EXPECT_EQ(Eval("upper(name)"), "\"ADA LOVELACE\"");
  EXPECT_EQ(Eval("upper('héllo')"), "\"HéLLO\"");  // ASCII letters only
  EXPECT_EQ(Eval("lower(age)"), "null");
  EXPECT_EQ(Eval("abs(-5)"), "5");
  EXPECT_EQ(Eval("abs(neg)"), "9223372036854775808");
  EXPECT_EQ(Eval("abs(-2.5)"), "2.5");
  EXPECT_EQ(Eval("abs(name)"), "null");
  EXPECT_EQ(Eval("min(3, 1, 2)"), "1");
  EXPECT_EQ(Eval("max(3, 1.5, 2)"), "3");
  EXPECT_EQ(Eval("min(1, 1.0)"), "1") << "the first of equal values";
  EXPECT_EQ(Eval("max('b', 'a')"), "\"b\"");
  EXPECT_EQ(Eval("min(1, 'a')"), "null");
  EXPECT_EQ(Eval("max(missing, 1)"), "null");
  EXPECT_EQ(Eval("min(age)"), "36");
  EXPECT_EQ(Eval("now()"), "\"2024-05-15 13:45:30.250Z\"");
  EXPECT_EQ(Eval("date('2024-01-02')"), "\"2024-01-02 00:00:00.000Z\"");
  EXPECT_EQ(Eval("date('2024-01-02T03:04:05+01:00')"), "\"2024-01-02 02:04:05.000Z\"");
  EXPECT_EQ(Eval("date('yesterday')"), "null");
  EXPECT_EQ(Eval("date(5)"), "null");
  EXPECT_EQ(Eval("has(name)"), "true");
  EXPECT_EQ(Eval("has(nick)"), "true");  // present, though null
  EXPECT_EQ(Eval("has(missing)"), "false");
  EXPECT_EQ(Eval("has(address.geo.lat)"), "true");
  EXPECT_EQ(Eval("has(tags.5)"), "false");
  EXPECT_EQ(Eval("regex(name, '^Ada\\\\s+L')"), "true");
  EXPECT_EQ(Eval("regex(name, '^ada')"), "false");
  EXPECT_EQ(Eval("regex(name, '(?i)^ada')"), "true");
  EXPECT_EQ(Eval("regex(age, '3')"), "null");
  EXPECT_EQ(Eval("regex(name, tags.0)"), "false");  // a pattern from the document
  EXPECT_EQ(Eval("regex(name, s)", R"({"name": "x", "s": "("})"), "null");  // invalid at run time
}

TEST(Evaluator, ModifiersAreSugarForFunctions) {
  EXPECT_TRUE(Match("tags:length = 3"));
  EXPECT_TRUE(Match("name:lower = 'ada lovelace'"));
  EXPECT_TRUE(Match("nick:isset"));
  EXPECT_FALSE(Match("missing:isset"));
  EXPECT_TRUE(Match("nums:each > 0"));
}

TEST(Evaluator, DateMacrosComeFromTheContextClock) {
  EXPECT_EQ(Eval("@now"), "\"2024-05-15 13:45:30.250Z\"");
  EXPECT_EQ(Eval("@yesterday"), "\"2024-05-14 13:45:30.250Z\"");
  EXPECT_EQ(Eval("@tomorrow"), "\"2024-05-16 13:45:30.250Z\"");
  EXPECT_EQ(Eval("@second"), "30");
  EXPECT_EQ(Eval("@minute"), "45");
  EXPECT_EQ(Eval("@hour"), "13");
  EXPECT_EQ(Eval("@weekday"), "3");
  EXPECT_EQ(Eval("@day"), "15");
  EXPECT_EQ(Eval("@month"), "5");
  EXPECT_EQ(Eval("@year"), "2024");
  EXPECT_EQ(Eval("@todayStart"), "\"2024-05-15 00:00:00.000Z\"");
  EXPECT_EQ(Eval("@todayEnd"), "\"2024-05-15 23:59:59.999999Z\"");
  EXPECT_EQ(Eval("@monthStart"), "\"2024-05-01 00:00:00.000Z\"");
  EXPECT_EQ(Eval("@monthEnd"), "\"2024-05-31 23:59:59.999999Z\"");
  EXPECT_EQ(Eval("@yearStart"), "\"2024-01-01 00:00:00.000Z\"");
  EXPECT_EQ(Eval("@yearEnd"), "\"2024-12-31 23:59:59.999999Z\"");
}

TEST(Evaluator, DatetimesCompareWithDateStrings) {
  EXPECT_TRUE(Match("created < @now"));
  EXPECT_TRUE(Match("created >= @monthStart"));
  EXPECT_TRUE(Match("created = date('2024-05-01T10:00:00Z')"));
  EXPECT_TRUE(Match("@now > '2024-05-15'"));
  EXPECT_TRUE(Match("@now != 'not a date'"));
  EXPECT_FALSE(Match("@now > 'not a date'"));
  EXPECT_FALSE(Match("@now < 'not a date'"));
  EXPECT_FALSE(Match("@now = 5"));
  // Between two strings the comparison is by bytes, as in PocketBase.
  EXPECT_TRUE(Match("created > '2024-05-01'"));
  EXPECT_TRUE(Match("created = '2024-05-01 10:00:00.000Z'"));
}

// A MessagePack timestamp 96 (ext -1: nanoseconds, then seconds, both big-endian) of `micros`.
std::string Timestamp(int64_t micros) {
  const int64_t seconds = micros >= 0 ? micros / kMicrosPerSecond
                                      : -((-micros + kMicrosPerSecond - 1) / kMicrosPerSecond);
  const auto nanos = static_cast<uint32_t>((micros - seconds * kMicrosPerSecond) * 1000);
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(nanos >> shift));
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>(static_cast<uint64_t>(seconds) >> shift));
  }
  return out;
}

// The compiler parses a string literal compared with something once, into a datetime constant
// beside it; the evaluator uses it only against datetimes. The results must be exactly those of
// the same string read from the document, which the evaluator parses at every comparison.
TEST(Evaluator, DateLiteralsParsedOnceCompareAsTheStringWould) {
  const int64_t t = FromCivil(2024, 5, 1, 10, 0, 0, 250000);
  const char* kLiterals[] = {"2024-05-01",
                             "2024-05-01 10:00:00.250Z",
                             "2024-05-01T12:00:00.25+02:00",
                             "2024-05-01T10:00:00.250001Z",
                             "2024-06-01",
                             "2024-05-01 10:00:00.250Z ",  // trailing space: not a datetime
                             "2024-02-30",                 // no such day
                             "not a date",
                             "",
                             "a"};
  const char* kLeft[] = {"dt", "dts", "none", "s", "missing", "@now", "@todayStart"};
  const char* kOps[] = {"=", "!=", "<", "<=", ">", ">=", "?=", "?!=", "?<", "?>="};
  int compared = 0;
  for (const char* lit : kLiterals) {
    std::string d;
    doc::Writer w(&d);
    w.MapHeader(5);
    w.String("dt");
    w.Ext(-1, Timestamp(t));
    w.String("dts");
    w.ArrayHeader(3);
    w.Ext(-1, Timestamp(t - kMicrosPerDay));
    w.String("2024-05-01");
    w.Ext(-1, Timestamp(t + kMicrosPerDay));
    w.String("none");
    w.ArrayHeader(0);
    w.String("s");
    w.String("2024-05-01 10:00:00.250Z");
    w.String("lit");  // the literal as a field: compared at run time, parsed every time
    w.String(lit);
    ASSERT_TRUE(doc::ValidateDocument(d, DocumentLimits()).ok());
    for (const char* left : kLeft) {
      for (const char* op : kOps) {
        const std::string folded = std::string(left) + " " + op + " '" + lit + "'";
        const std::string reference = std::string(left) + " " + op + " lit";
        // Also the fused `&&` / `||` forms of a field compared with a constant.
        const std::string fused_and = folded + " && true";
        const std::string fused_or = folded + " || false";
        bool results[4];
        const std::string* texts[] = {&reference, &folded, &fused_and, &fused_or};
        for (int k = 0; k < 4; ++k) {
          auto ast = Parse(*texts[k]);
          ASSERT_TRUE(ast.ok()) << *texts[k] << ": " << ast.status().ToString();
          auto program = Compile(*ast);
          ASSERT_TRUE(program.ok()) << *texts[k] << ": " << program.status().ToString();
          Evaluator ev(*program, EvalContext{nullptr, kNow});
          auto m = ev.Matches(d);
          ASSERT_TRUE(m.ok()) << *texts[k];
          results[k] = *m;
        }
        for (int k = 1; k < 4; ++k) EXPECT_EQ(results[k], results[0]) << *texts[k];
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 10 * 7 * 10);

  // Spot checks of the cases above.
  std::string d;
  doc::Writer w(&d);
  w.MapHeader(2);
  w.String("dt");
  w.Ext(-1, Timestamp(t));
  w.String("s");
  w.String("2024-05-01 10:00:00.250Z");
  auto match = [&](std::string_view text) {
    auto ast = Parse(text);
    EXPECT_TRUE(ast.ok()) << text;
    if (!ast.ok()) return false;
    auto program = Compile(*ast);
    EXPECT_TRUE(program.ok()) << text;
    if (!program.ok()) return false;
    Evaluator ev(*program, EvalContext{nullptr, kNow});
    auto m = ev.Matches(d);
    return m.ok() && *m;
  };
  EXPECT_TRUE(match("dt = '2024-05-01T12:00:00.25+02:00'"));
  EXPECT_TRUE(match("dt > '2024-05-01' && dt < '2024-05-02'"));
  EXPECT_FALSE(match("dt > '2024-05-01T10:00:00.250001Z'"));
  EXPECT_TRUE(match("@now > '2024-05-15' && @now < '2030-01-01'"));
  // Not datetimes: mismatched types, as before.
  EXPECT_TRUE(match("dt != 'not a date'"));
  EXPECT_FALSE(match("dt < 'not a date'") || match("dt >= 'not a date'"));
  EXPECT_FALSE(match("dt = ''"));
  // A string field still compares by bytes with a literal that is a datetime too.
  EXPECT_FALSE(match("s = '2024-05-01T10:00:00.25Z'"));
  EXPECT_TRUE(match("dt > '2024-05-01T10:00'"));
  EXPECT_TRUE(match("s < '2024-05-01T10:00'"));  // ' ' sorts before 'T'
}

TEST(Evaluator, ParametersAreBoundAtEvaluation) {
  Bindings b;
  ASSERT_TRUE(
      b.SetJson("request", R"({"auth": {"id": "u1", "role": "admin"}, "query": {"n": 3}})").ok());
  ASSERT_TRUE(b.SetField("param", "min", Value::Int(30)).ok());
  ASSERT_TRUE(
      b.SetField("param", "since", Value::Datetime(FromCivil(2024, 1, 1, 0, 0, 0, 0))).ok());
  ASSERT_TRUE(b.SetField("param", "name", Value::String("Ada Lovelace")).ok());
  EXPECT_EQ(Eval("@request.auth.id", kPerson, &b), "\"u1\"");
  EXPECT_EQ(Eval("@request.auth.role = 'admin' && age > @param.min", kPerson, &b), "true");
  EXPECT_EQ(Eval("created > @param.since", kPerson, &b), "true");
  EXPECT_EQ(Eval("name = @param.name", kPerson, &b), "true");
  EXPECT_EQ(Eval("@request.query.n + 1", kPerson, &b), "4");
  EXPECT_EQ(Eval("@request.nope", kPerson, &b), "null");
  EXPECT_EQ(Eval("@auth.id", kPerson, &b), "null");  // unbound
  EXPECT_EQ(Eval("@auth.id = ''", kPerson, &b), "true");
  EXPECT_EQ(Eval("has(@request.auth.id)", kPerson, &b), "true");
  EXPECT_EQ(Eval("@request.auth:isset", kPerson, &b), "true");
  EXPECT_EQ(Eval("@auth:isset", kPerson, &b), "false");
  EXPECT_EQ(Eval("@auth.id", kPerson, nullptr), "null");
}

TEST(Evaluator, BindingsRefuseBadInput) {
  Bindings b;
  EXPECT_EQ(b.Set("request", "\xc1").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.Set("nope", "\xc0").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.SetJson("auth", "{").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.SetField("param", "k\xff", Value::Int(1)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.SetField("param", "k", Value::String("\xff")).code(), StatusCode::kInvalidArgument);
  Value arr;
  arr.type = ValueType::kArray;
  EXPECT_EQ(b.SetField("param", "k", arr).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.Find("param"), nullptr);
}

TEST(Evaluator, MessagePackTimestampsAreDatetimes) {
  std::string d;
  doc::Writer w(&d);
  w.MapHeader(2);
  w.String("t32");
  w.Ext(-1, std::string("\x66\x30\x52\x80", 4));  // 1714442880 = 2024-04-30 02:08:00Z
  w.String("bad");
  w.Ext(-1, std::string("\x01\x02\x03", 3));
  ASSERT_TRUE(doc::ValidateDocument(d, DocumentLimits()).ok());
  auto program = CompileExpression("t32", nullptr, Limits(), CheckOptions{false});
  ASSERT_TRUE(program.ok());
  Evaluator ev(*program, EvalContext{});
  auto v = ev.Evaluate(d);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->type, ValueType::kDatetime);
  EXPECT_EQ(ToJson(*v), "\"2024-04-30 02:08:00.000Z\"");
  auto bad = CompileExpression("bad", nullptr, Limits(), CheckOptions{false});
  Evaluator ev2(*bad, EvalContext{});
  EXPECT_EQ(ev2.Evaluate(d)->type, ValueType::kExt);
}

TEST(Evaluator, BudgetStopsPathologicalEvaluations) {
  // 2,000 x 2,000 element pairs against a budget of 100,000 steps.
  std::string json = R"({"a": [)";
  for (int i = 0; i < 2000; ++i) json += (i ? ",1" : "1");
  json += "]}";
  Limits limits;
  limits.max_evaluation_steps = 100000;
  auto program = CompileExpression("a ?= a && a = 2", nullptr, limits);
  ASSERT_TRUE(program.ok());
  const std::string d = Doc(json);
  Evaluator ev(*program, EvalContext{});
  auto m = ev.Matches(d);
  EXPECT_TRUE(m.ok());  // ?= stops at the first pair; = 2 at the first element
  auto p2 = CompileExpression("a != 2 && a = a", nullptr, limits);
  Evaluator ev2(*p2, EvalContext{});
  auto m2 = ev2.Matches(d);
  EXPECT_EQ(m2.status().code(), StatusCode::kResourceExhausted) << m2.status().ToString();
  // A backtracking LIKE pattern on a long string.
  std::string s(5000, 'a');
  auto p3 = CompileExpression("s ~ '%" + std::string(100, 'a') + "b'", nullptr, limits);
  Evaluator ev3(*p3, EvalContext{});
  const std::string d3 = Doc(R"({"s": ")" + s + "\"}");
  EXPECT_EQ(ev3.Matches(d3).status().code(), StatusCode::kResourceExhausted);
}

TEST(Evaluator, CommonPathsDoNotAllocatePerDocument) {
#ifdef DAAS_EXPR_TEST_SANITIZED
  GTEST_SKIP() << "allocations are counted only without sanitizers";
#endif
  const std::string docs[] = {Doc(kPerson), Doc(R"({"age": 70, "country": "FR", "tags": ["a"]})"),
                              Doc(R"({"name": "x", "country": "FR", "age": 51.5})"), Doc("{}")};
  for (const char* expr : {
           "age > 50 && country = 'FR'",
           "(age + 1) * 2 > 100 || name ~ 'love' || tags ?= 'a'",
           "country in ['FR', 'UK'] && !(age < 18) && address.city != 'Paris'",
           "lower(name) = 'ada lovelace' || len(tags) > 2 || has(address.geo)",
           "created > @todayStart || items.1.q = 0 || name ~ 'a%e'",
       }) {
    auto program = CompileExpression(expr, nullptr, Limits(), CheckOptions{false});
    ASSERT_TRUE(program.ok()) << expr << ": " << program.status().ToString();
    Evaluator ev(*program, EvalContext{nullptr, kNow});
    for (const std::string& d : docs) ASSERT_TRUE(ev.Matches(d).ok());  // warm the scratch
    const uint64_t before = g_allocations.load();
    for (int round = 0; round < 100; ++round) {
      for (const std::string& d : docs) {
        auto m = ev.Matches(d);
        if (!m.ok()) FAIL() << m.status().ToString();
      }
    }
    EXPECT_EQ(g_allocations.load() - before, 0u) << expr;
  }
}

TEST(Evaluator, CompileErrors) {
  auto bad_regex = CompileExpression("regex(name, '(')");
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_EQ(bad_regex.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_regex.status().message(),
            "expression at byte 12: invalid regular expression: missing ): (");
  Limits tiny;
  tiny.max_program_instructions = 4;
  auto big = CompileExpression("a + b + c + d > 1", nullptr, tiny);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(big.status().message(),
            "expression compiles to more than max_program_instructions (4) instructions");
  auto unknown = CompileExpression("zz > 1", nullptr);
  EXPECT_TRUE(unknown.ok());
  auto mismatch = CompileExpression("1 > 'a'");
  EXPECT_EQ(mismatch.status().code(), StatusCode::kInvalidArgument);
  auto syntax = CompileExpression("a >");
  EXPECT_EQ(syntax.status().message(),
            "expression at byte 3: expected an operand after '>', found end of expression");
}

TEST(Evaluator, OneProgramServesManyEvaluators) {
  auto program = CompileExpression("age > @param.min");
  ASSERT_TRUE(program.ok());
  Bindings low, high;
  ASSERT_TRUE(low.SetField("param", "min", Value::Int(10)).ok());
  ASSERT_TRUE(high.SetField("param", "min", Value::Int(100)).ok());
  Evaluator a(*program, EvalContext{&low, 0});
  Evaluator b(*program, EvalContext{&high, 0});
  const std::string d = Doc(kPerson);
  EXPECT_TRUE(*a.Matches(d));
  EXPECT_FALSE(*b.Matches(d));
  EXPECT_TRUE(*a.Matches(d));
}

TEST(Evaluator, EvaluatorsOnManyThreadsShareOneProgram) {
  auto program = CompileExpression(
      "(age > @param.min && country in ['FR', 'UK']) || regex(name, '^Ada') || lower(name) ~ 'x'");
  ASSERT_TRUE(program.ok());
  Bindings b;
  ASSERT_TRUE(b.SetField("param", "min", Value::Int(30)).ok());
  std::vector<std::string> docs;
  for (int i = 0; i < 200; ++i) {
    docs.push_back(Doc("{\"age\": " + std::to_string(i % 60) + R"(, "country": ")" +
                       (i % 3 ? "UK" : "DE") + R"(", "name": ")" + (i % 7 ? "Bob" : "Ada") +
                       "\"}"));
  }
  std::vector<bool> want;
  {
    Evaluator ev(*program, EvalContext{&b, 0});
    for (const std::string& d : docs) want.push_back(*ev.Matches(d));
  }
  core::ThreadPool pool(4);
  std::vector<std::unique_ptr<Evaluator>> evaluators;
  for (unsigned t = 0; t < pool.size(); ++t) {
    evaluators.push_back(std::make_unique<Evaluator>(*program, EvalContext{&b, 0}));
  }
  std::vector<int> mismatches(pool.size());
  pool.ParallelFor(docs.size() * 10, [&](size_t i, unsigned worker) {
    const size_t k = i % docs.size();
    auto m = evaluators[worker]->Matches(docs[k]);
    if (!m.ok() || *m != want[k]) ++mismatches[worker];
  });
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

TEST(Evaluator, DisassemblyShowsTheFastPath) {
  auto program = CompileExpression("age > 50 && country = 'FR'");
  ASSERT_TRUE(program.ok());
  EXPECT_EQ(program->Disassemble(),
            "0 and_field_const > age 50 2\n"
            "1 compare_field_const = country \"FR\"\n");
  auto mixed = CompileExpression("a = 1 || b.c > 2 || f(x)", nullptr);
  EXPECT_FALSE(mixed.ok());  // unknown function
  auto chain = CompileExpression("a = 1 || b.c > 2 || (c + 1) = 3");
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->Disassemble(),
            "0 or_field_const = a 1 6\n"
            "1 or_field_const > b.c 2 6\n"
            "2 load_field c\n"
            "3 push_const 1\n"
            "4 arith +\n"
            "5 compare_const = 3\n");
  // A string literal that is a datetime carries its parsed form; one that is not, nothing.
  auto dates = CompileExpression("created > '2024-05-01T12:00:00+02:00' && @now < 'soon'");
  ASSERT_TRUE(dates.ok());
  EXPECT_EQ(dates->Disassemble(),
            "0 and_field_const > created \"2024-05-01T12:00:00+02:00\" datetime "
            "\"2024-05-01 10:00:00.000Z\" 3\n"
            "1 push_macro @now\n"
            "2 compare_const < \"soon\"\n");
}

}  // namespace
}  // namespace daas::expr
