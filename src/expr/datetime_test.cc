#include "expr/datetime.h"

#include <gtest/gtest.h>

#include <string>

namespace daas::expr {
namespace {

std::string Format(int64_t micros) {
  char buf[kDatetimeTextMax];
  return std::string(buf, FormatDatetime(micros, buf));
}

TEST(Datetime, ParsesTheIsoAndPocketBaseForms) {
  EXPECT_EQ(ParseDatetime("1970-01-01"), 0);
  EXPECT_EQ(ParseDatetime("1970-01-01 00:00:01.000Z"), kMicrosPerSecond);
  EXPECT_EQ(ParseDatetime("1970-01-02T00:00:00Z"), kMicrosPerDay);
  EXPECT_EQ(ParseDatetime("1970-01-01t00:01"), 60 * kMicrosPerSecond);
  EXPECT_EQ(ParseDatetime("1969-12-31 23:59:59.999999Z"), -1);
  EXPECT_EQ(ParseDatetime("2024-02-29 12:00:00.5"), FromCivil(2024, 2, 29, 12, 0, 0, 500000));
  EXPECT_EQ(ParseDatetime("2024-05-01T12:00:00+02:00"), FromCivil(2024, 5, 1, 10, 0, 0, 0));
  EXPECT_EQ(ParseDatetime("2024-05-01T12:00:00-0130"), FromCivil(2024, 5, 1, 13, 30, 0, 0));
  EXPECT_EQ(ParseDatetime("2024-05-01T12:00:00.123456789z"),
            FromCivil(2024, 5, 1, 12, 0, 0, 123456));
  EXPECT_EQ(ParseDatetime("0000-01-01"), FromCivil(0, 1, 1, 0, 0, 0, 0));
  EXPECT_EQ(ParseDatetime("9999-12-31 23:59:59.999Z"), FromCivil(9999, 12, 31, 23, 59, 59, 999000));
}

TEST(Datetime, RefusesAnythingElse) {
  for (const char* bad :
       {"", "2024", "2024-1-01", "2024-13-01", "2024-02-30", "2023-02-29", "2024-01-01X",
        "2024-01-01 25:00", "2024-01-01 10", "2024-01-01 10:60", "2024-01-01 10:00:61",
        "2024-01-01 10:00:00.", "2024-01-01 10:00:00.1234567890", "2024-01-01 10:00+1",
        "2024-01-01 10:00Zx", "2024-01-01T", " 2024-01-01", "now", "2024-01-01 10:00:00 Z"}) {
    EXPECT_FALSE(ParseDatetime(bad).has_value()) << bad;
  }
}

TEST(Datetime, FormatsAsPocketBase) {
  EXPECT_EQ(Format(0), "1970-01-01 00:00:00.000Z");
  EXPECT_EQ(Format(-1), "1969-12-31 23:59:59.999999Z");
  EXPECT_EQ(Format(FromCivil(2024, 5, 15, 13, 45, 30, 250000)), "2024-05-15 13:45:30.250Z");
  EXPECT_EQ(Format(INT64_MAX), "294247-01-10 04:00:54.775807Z");
  EXPECT_EQ(Format(INT64_MIN), "-290308-12-21 19:59:05.224192Z");
}

TEST(Datetime, CivilRoundTripsEveryDayOverFourCenturies) {
  int64_t micros = FromCivil(1900, 1, 1, 0, 0, 0, 0);
  int expected_weekday = 1;  // 1900-01-01 was a Monday
  for (int i = 0; i < 146097; ++i, micros += kMicrosPerDay) {
    const CivilTime c = ToCivil(micros + 3723 * kMicrosPerSecond + 7);
    ASSERT_EQ(FromCivil(c.year, c.month, c.day, c.hour, c.minute, c.second, c.micros),
              micros + 3723 * kMicrosPerSecond + 7);
    ASSERT_EQ(c.hour, 1);
    ASSERT_EQ(c.weekday, expected_weekday);
    expected_weekday = (expected_weekday + 1) % 7;
    char buf[kDatetimeTextMax];
    ASSERT_EQ(ParseDatetime(std::string_view(buf, FormatDatetime(micros, buf))), micros);
  }
}

}  // namespace
}  // namespace daas::expr
