#include "herald/util/time_parse.hpp"

#include <string>

namespace herald::time {
namespace {

// Howard Hinnant's days-from-civil: y/m/d to days since 1970-01-01 (time.cpp has the inverse).
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// Reads exactly n digits at pos; false when they are not all digits.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

error bad(std::string_view text, std::string_view what) {
  return make_error("\"" + std::string(text) + "\": " + std::string(what) +
                    " (expected e.g. 2024-06-11T09:30:00Z or 2024-06-11T09:30:00.123+08:00)");
}

}  // namespace

result<std::int64_t> parse_iso8601_ms(std::string_view text) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(text, pos, 4, year) || !expect(text, pos, '-') || !digits(text, pos, 2, month) ||
      !expect(text, pos, '-') || !digits(text, pos, 2, day))
    return bad(text, "not a date YYYY-MM-DD");
  if (month < 1 || month > 12) return bad(text, "month out of range");
  if (day < 1 || static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month)))
    return bad(text, "day out of range");
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' '))
    return bad(text, "no time after the date (write THH:MM[:SS] and a zone)");
  ++pos;
  if (!digits(text, pos, 2, hour) || !expect(text, pos, ':') || !digits(text, pos, 2, minute))
    return bad(text, "not a time HH:MM[:SS[.fff]]");
  std::int64_t millis = 0;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    if (!digits(text, pos, 2, second)) return bad(text, "not a time HH:MM[:SS[.fff]]");
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      std::size_t n = 0;
      for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++n) {
        if (n < 3) millis = millis * 10 + (text[pos] - '0');
      }
      if (n == 0 || n > 9) return bad(text, "a fraction of a second must have 1 to 9 digits");
      for (; n < 3; ++n) millis *= 10;
    }
  }
  if (hour > 23 || minute > 59 || second > 59) return bad(text, "time out of range");
  int offset_minutes = 0;
  if (pos >= text.size()) return bad(text, "no zone: end it with Z or an offset such as +08:00");
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!digits(text, pos, 2, oh)) return bad(text, "not a zone offset +HH:MM");
    if (pos < text.size() && text[pos] == ':') ++pos;
    if (!digits(text, pos, 2, om)) return bad(text, "not a zone offset +HH:MM");
    if (oh > 18 || om > 59) return bad(text, "zone offset out of range");
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return bad(text, "unexpected text after the time (end it with Z or an offset such as +08:00)");
  }
  if (pos != text.size()) return bad(text, "unexpected text after the zone");
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60LL;
  return seconds * 1000 + millis;
}

}  // namespace herald::time
