#include "expr/semantics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "expr/datetime.h"

namespace daas::expr {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Semantics, NumbersCompareExactlyAcrossTypes) {
  const Value i_max = Value::Int(INT64_MAX);
  const Value two63 = Value::Uint(uint64_t{1} << 63);
  EXPECT_EQ(CompareNumbers(i_max, Value::Double(9223372036854775808.0)), Ordering::kLess);
  EXPECT_EQ(CompareNumbers(two63, Value::Double(9223372036854775808.0)), Ordering::kEqual);
  EXPECT_EQ(CompareNumbers(Value::Int(INT64_MIN), Value::Double(-9223372036854775808.0)),
            Ordering::kEqual);
  EXPECT_EQ(CompareNumbers(Value::Int((int64_t{1} << 53) + 1), Value::Double(9007199254740992.0)),
            Ordering::kGreater);
  EXPECT_EQ(CompareNumbers(Value::Int(3), Value::Double(3.5)), Ordering::kLess);
  EXPECT_EQ(CompareNumbers(Value::Int(-3), Value::Double(-3.5)), Ordering::kGreater);
  EXPECT_EQ(CompareNumbers(Value::Double(-0.0), Value::Int(0)), Ordering::kEqual);
  EXPECT_EQ(CompareNumbers(Value::Int(-1), two63), Ordering::kLess);
  EXPECT_EQ(CompareNumbers(Value::Uint(UINT64_MAX), Value::Double(18446744073709551616.0)),
            Ordering::kLess);
  EXPECT_EQ(CompareNumbers(Value::Uint(UINT64_MAX), Value::Double(-1)), Ordering::kGreater);
  EXPECT_EQ(CompareNumbers(Value::Double(kInf), Value::Uint(UINT64_MAX)), Ordering::kGreater);
  EXPECT_EQ(CompareNumbers(Value::Double(-kInf), Value::Int(INT64_MIN)), Ordering::kLess);
  EXPECT_EQ(CompareNumbers(Value::Double(kNaN), Value::Int(0)), Ordering::kUnordered);
  EXPECT_EQ(CompareNumbers(Value::Double(kNaN), Value::Double(kNaN)), Ordering::kUnordered);
  EXPECT_FALSE(Equal(Value::Double(kNaN), Value::Double(kNaN)));
}

TEST(Semantics, EqualityRules) {
  EXPECT_TRUE(Equal(Value::Null(), Value::String("")));
  EXPECT_TRUE(Equal(Value::String(""), Value::Null()));
  EXPECT_FALSE(Equal(Value::Null(), Value::Int(0)));
  EXPECT_FALSE(Equal(Value::Null(), Value::Bool(false)));
  EXPECT_TRUE(Equal(Value::Bool(true), Value::Bool(true)));
  EXPECT_FALSE(Equal(Value::Bool(true), Value::Int(1)));
  EXPECT_FALSE(Equal(Value::String("1"), Value::Int(1)));
  const int64_t t = FromCivil(2024, 1, 2, 3, 4, 5, 0);
  EXPECT_TRUE(Equal(Value::Datetime(t), Value::String("2024-01-02 03:04:05.000Z")));
  EXPECT_TRUE(Equal(Value::String("2024-01-02T04:04:05+01:00"), Value::Datetime(t)));
  EXPECT_FALSE(Equal(Value::Datetime(t), Value::String("soon")));
  EXPECT_FALSE(Equal(Value::Datetime(0), Value::Int(0)));
  Value a;
  a.type = ValueType::kMap;
  a.bytes = "\x80";
  EXPECT_FALSE(Equal(a, a));
}

TEST(Semantics, OrderingRules) {
  EXPECT_EQ(Order(Value::String("a"), Value::String("b")), Ordering::kLess);
  EXPECT_EQ(Order(Value::String("ab"), Value::String("a")), Ordering::kGreater);
  EXPECT_EQ(Order(Value::String("\xc3\xa9"), Value::String("z")), Ordering::kGreater);
  EXPECT_EQ(Order(Value::String(""), Value::String("")), Ordering::kEqual);
  EXPECT_EQ(Order(Value::Null(), Value::Null()), Ordering::kUnordered);
  EXPECT_EQ(Order(Value::Bool(false), Value::Bool(true)), Ordering::kUnordered);
  EXPECT_EQ(Order(Value::String("2024-01-01"), Value::Datetime(0)), Ordering::kGreater);
  EXPECT_EQ(Order(Value::Datetime(0), Value::String("x")), Ordering::kUnordered);
  uint64_t budget = 100;
  EXPECT_TRUE(CompareScalar(CompareOp::kNe, Value::Int(1), Value::String("1"), &budget));
  EXPECT_FALSE(CompareScalar(CompareOp::kLe, Value::Null(), Value::Null(), &budget));
  EXPECT_FALSE(CompareScalar(CompareOp::kNotLike, Value::Int(1), Value::String("x"), &budget));
}

TEST(Semantics, LikeMatching) {
  uint64_t budget = 1 << 20;
  EXPECT_TRUE(Like("Hello World", "lo w", &budget));
  EXPECT_TRUE(Like("Hello World", "", &budget));
  EXPECT_FALSE(Like("", "x", &budget));
  EXPECT_TRUE(Like("", "%", &budget));
  EXPECT_TRUE(Like("Hello", "h%o", &budget));
  EXPECT_FALSE(Like("Hello!", "h%o", &budget));
  EXPECT_TRUE(Like("Hello", "_ell_%", &budget));
  EXPECT_FALSE(Like("Hello", "_ell_", &budget));  // no %: a substring, _ literal
  EXPECT_FALSE(Like("Hello", "_ell%o_%", &budget));
  EXPECT_TRUE(Like("a%b", "a\\%b", &budget));  // no unescaped %: substring "a%b"
  EXPECT_FALSE(Like("axb", "a\\%b", &budget));
  EXPECT_TRUE(Like("a%b", "a\\%%", &budget));  // LIKE: "a%" then anything
  EXPECT_TRUE(Like("a_b", "_\\_%", &budget));
  EXPECT_FALSE(Like("abb", "_\\_%", &budget));
  EXPECT_TRUE(Like("back\\slash", "k\\", &budget));  // a trailing backslash is literal
  EXPECT_TRUE(Like("ÉCOLE", "%COLE", &budget));
  EXPECT_FALSE(Like("École", "é%", &budget));  // case folding is ASCII only
  EXPECT_TRUE(Like("日本語", "_本_%", &budget));
  EXPECT_FALSE(Like("日本語", "__本%", &budget));
  EXPECT_TRUE(HasUnescapedPercent("a%"));
  EXPECT_FALSE(HasUnescapedPercent("a\\%"));
  EXPECT_TRUE(HasUnescapedPercent("a\\\\%"));
  EXPECT_TRUE(ContainsFolded("Hello World", "o w", &budget));
  EXPECT_FALSE(ContainsFolded("Hello", "hello!", &budget));
  uint64_t small = 10;
  EXPECT_FALSE(Like(std::string(1000, 'a'), "%a%a%b", &small));
  EXPECT_EQ(small, 0u);
}

TEST(Semantics, Arithmetic) {
  auto eq = [](const Value& v, const Value& want) {
    return v.type == want.type && (v.type == ValueType::kNull || Equal(v, want));
  };
  EXPECT_TRUE(eq(Arithmetic(ArithOp::kAdd, Value::Int(2), Value::Int(3)), Value::Int(5)));
  EXPECT_TRUE(eq(Arithmetic(ArithOp::kAdd, Value::Int(INT64_MAX), Value::Int(1)),
                 Value::Uint(uint64_t{1} << 63)));
  EXPECT_TRUE(eq(Arithmetic(ArithOp::kSub, Value::Uint(uint64_t{1} << 63), Value::Int(1)),
                 Value::Int(INT64_MAX)));
  EXPECT_TRUE(eq(Arithmetic(ArithOp::kSub, Value::Int(INT64_MIN), Value::Int(1)),
                 Value::Double(-9223372036854775809.0)));
  EXPECT_TRUE(eq(Arithmetic(ArithOp::kMul, Value::Uint(UINT64_MAX), Value::Uint(UINT64_MAX)),
                 Value::Double(18446744073709551615.0 * 18446744073709551615.0)));
  EXPECT_TRUE(eq(Arithmetic(ArithOp::kMul, Value::Int(-4), Value::Double(0.5)), Value::Double(-2)));
  EXPECT_TRUE(eq(Arithmetic(ArithOp::kDiv, Value::Int(1), Value::Int(4)), Value::Double(0.25)));
  EXPECT_TRUE(eq(Arithmetic(ArithOp::kDiv, Value::Int(1), Value::Double(-0.0)), Value::Null()));
  EXPECT_TRUE(eq(Arithmetic(ArithOp::kMod, Value::Int(INT64_MIN), Value::Int(-1)), Value::Int(0)));
  EXPECT_TRUE(
      eq(Arithmetic(ArithOp::kMod, Value::Uint(UINT64_MAX), Value::Int(10)), Value::Int(5)));
  EXPECT_TRUE(eq(Arithmetic(ArithOp::kMod, Value::Int(-7), Value::Int(2)), Value::Int(-1)));
  EXPECT_TRUE(
      eq(Arithmetic(ArithOp::kMod, Value::Double(-7.5), Value::Int(2)), Value::Double(-1.5)));
  EXPECT_TRUE(eq(Arithmetic(ArithOp::kAdd, Value::String("a"), Value::Int(1)), Value::Null()));
  EXPECT_TRUE(eq(Arithmetic(ArithOp::kAdd, Value::Datetime(0), Value::Int(1)), Value::Null()));
  EXPECT_TRUE(eq(Negate(Value::Int(INT64_MIN)), Value::Uint(uint64_t{1} << 63)));
  EXPECT_TRUE(eq(Negate(Value::Uint(uint64_t{1} << 63)), Value::Int(INT64_MIN)));
  EXPECT_TRUE(eq(Negate(Value::Uint(UINT64_MAX)), Value::Double(-18446744073709551615.0)));
  EXPECT_TRUE(eq(Negate(Value::Bool(true)), Value::Null()));
  const Value nan = Arithmetic(ArithOp::kSub, Value::Double(kInf), Value::Double(kInf));
  EXPECT_TRUE(nan.type == ValueType::kDouble && std::isnan(nan.double_value));
}

}  // namespace
}  // namespace daas::expr
