// Calendar arithmetic after Howard Hinnant's days_from_civil / civil_from_days (public domain
// algorithms, "chrono-Compatible Low-Level Date Algorithms"): exact over the whole int64 range of
// days, no tables, no time zone database.
#include "expr/datetime.h"

#include <cstdio>

namespace daas::expr {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;                                   // [0, 399]
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           // [0, 146096]
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

// Reads exactly n digits at text[*i]; false when any is not a digit or text is too short.
bool Digits(std::string_view text, size_t* i, int n, int* out) {
  if (text.size() - *i < static_cast<size_t>(n)) return false;
  int v = 0;
  for (int k = 0; k < n; ++k) {
    const char c = text[*i + static_cast<size_t>(k)];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *i += static_cast<size_t>(n);
  *out = v;
  return true;
}

}  // namespace

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

int64_t FromCivil(int64_t year, int month, int day, int hour, int minute, int second, int micros) {
  const int64_t days = DaysFromCivil(year, month, day);
  return days * kMicrosPerDay +
         (int64_t{hour} * 3600 + int64_t{minute} * 60 + second) * kMicrosPerSecond + micros;
}

CivilTime ToCivil(int64_t micros) {
  CivilTime c;
  const int64_t days = FloorDiv(micros, kMicrosPerDay);
  // micros - days * kMicrosPerDay would overflow near INT64_MIN.
  int64_t rest = micros % kMicrosPerDay;
  if (rest < 0) rest += kMicrosPerDay;  // [0, kMicrosPerDay)
  CivilFromDays(days, &c.year, &c.month, &c.day);
  c.micros = static_cast<int>(rest % kMicrosPerSecond);
  rest /= kMicrosPerSecond;
  c.second = static_cast<int>(rest % 60);
  c.minute = static_cast<int>((rest / 60) % 60);
  c.hour = static_cast<int>(rest / 3600);
  // 1970-01-01 was a Thursday (4).
  c.weekday = static_cast<int>(((days % 7) + 7 + 4) % 7);
  return c;
}

std::optional<int64_t> ParseDatetime(std::string_view text) {
  size_t i = 0;
  int year = 0, month = 0, day = 0;
  if (!Digits(text, &i, 4, &year)) return std::nullopt;
  if (i >= text.size() || text[i++] != '-') return std::nullopt;
  if (!Digits(text, &i, 2, &month) || month < 1 || month > 12) return std::nullopt;
  if (i >= text.size() || text[i++] != '-') return std::nullopt;
  if (!Digits(text, &i, 2, &day) || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  int hour = 0, minute = 0, second = 0, micros = 0;
  int64_t offset_minutes = 0;
  if (i < text.size()) {
    const char sep = text[i++];
    if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
    if (!Digits(text, &i, 2, &hour) || hour > 23) return std::nullopt;
    if (i >= text.size() || text[i++] != ':') return std::nullopt;
    if (!Digits(text, &i, 2, &minute) || minute > 59) return std::nullopt;
    if (i < text.size() && text[i] == ':') {
      ++i;
      if (!Digits(text, &i, 2, &second) || second > 59) return std::nullopt;
      if (i < text.size() && text[i] == '.') {
        ++i;
        int n = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
          if (n < 6) micros = micros * 10 + (text[i] - '0');
          ++n;
          ++i;
        }
        if (n == 0 || n > 9) return std::nullopt;
        for (int k = n; k < 6; ++k) micros *= 10;
      }
    }
    if (i < text.size()) {
      const char z = text[i++];
      if (z == 'Z' || z == 'z') {
        // UTC
      } else if (z == '+' || z == '-') {
        int oh, om;
        if (!Digits(text, &i, 2, &oh) || oh > 23) return std::nullopt;
        if (i < text.size() && text[i] == ':') ++i;
        if (!Digits(text, &i, 2, &om) || om > 59) return std::nullopt;
        offset_minutes = (oh * 60 + om) * (z == '-' ? -1 : 1);
      } else {
        return std::nullopt;
      }
    }
  }
  if (i != text.size()) return std::nullopt;
  return FromCivil(year, month, day, hour, minute, second, micros) -
         offset_minutes * 60 * kMicrosPerSecond;
}

size_t FormatDatetime(int64_t micros, char* out) {
  const CivilTime c = ToCivil(micros);
  int n;
  if (c.micros % 1000 == 0) {
    n = std::snprintf(out, kDatetimeTextMax, "%04lld-%02d-%02d %02d:%02d:%02d.%03dZ",
                      static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second,
                      c.micros / 1000);
  } else {
    n = std::snprintf(out, kDatetimeTextMax, "%04lld-%02d-%02d %02d:%02d:%02d.%06dZ",
                      static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second,
                      c.micros);
  }
  return n < 0 ? 0 : static_cast<size_t>(n);
}

}  // namespace daas::expr
