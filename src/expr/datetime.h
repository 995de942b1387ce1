// Datetimes of the expression language: a count of microseconds since 1970-01-01T00:00:00Z (UTC,
// proleptic Gregorian calendar, no leap seconds), and the ISO 8601 / PocketBase text forms they are
// parsed from and printed as (docs/expressions.md, "Datetimes").
//
// Invariant: every function here is total and allocation-free: text that is not a datetime in the
// accepted grammar gives nullopt, never a partial or guessed value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace daas::expr {

inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

// Parses one datetime, the whole of `text`:
//   date     = YYYY "-" MM "-" DD
//   datetime = date [ ("T" | "t" | " ") hh ":" mm [ ":" ss [ "." fraction ] ] [ zone ] ]
//   zone     = "Z" | "z" | ("+" | "-") hh [":"] mm
// Years 0000-9999; fields in range for their month (leap years included); 1 to 9 fraction digits,
// truncated to microseconds; no zone means UTC. Examples: "2024-05-01", "2024-05-01 10:00:00.000Z"
// (PocketBase), "2024-05-01T12:00:00+02:00". Thread-safe.
std::optional<int64_t> ParseDatetime(std::string_view text);

// Writes `micros` as "YYYY-MM-DD HH:MM:SS.sssZ" (PocketBase's form), or with six fraction digits
// when the value is not a whole number of milliseconds, into `out` and returns its length (24 or
// 27). Years outside 0000-9999 print with more digits or a sign. Requires: out has room for
// kDatetimeTextMax bytes. Thread-safe.
inline constexpr size_t kDatetimeTextMax = 40;
size_t FormatDatetime(int64_t micros, char* out);

// The civil (UTC) fields of a datetime.
struct CivilTime {
  int64_t year = 1970;
  int month = 1;    // 1..12
  int day = 1;      // 1..31
  int hour = 0;     // 0..23
  int minute = 0;   // 0..59
  int second = 0;   // 0..59
  int micros = 0;   // 0..999999
  int weekday = 4;  // 0 = Sunday .. 6 = Saturday
};

CivilTime ToCivil(int64_t micros);
// Microseconds at the given UTC fields. Requires: fields in range (day valid for the month).
int64_t FromCivil(int64_t year, int month, int day, int hour, int minute, int second, int micros);
int DaysInMonth(int64_t year, int month);

}  // namespace daas::expr
