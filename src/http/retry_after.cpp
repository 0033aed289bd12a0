#include "herald/http/retry_after.hpp"

#include <array>
#include <charconv>

namespace herald::http {
namespace {

constexpr std::int64_t max_delay_seconds = 365LL * 24 * 3600;

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Exactly n digits at the front of s, consumed.
bool take_digits(std::string_view& s, std::size_t n, int& out) noexcept {
  if (s.size() < n) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_digit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  s.remove_prefix(n);
  return true;
}

bool take(std::string_view& s, std::string_view what) noexcept {
  if (s.substr(0, what.size()) != what) return false;
  s.remove_prefix(what.size());
  return true;
}

bool take_month(std::string_view& s, int& month) noexcept {
  static constexpr std::array<std::string_view, 12> names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (take(s, names[i])) {
      month = static_cast<int>(i) + 1;
      return true;
    }
  }
  return false;
}

// Skips a day name (short or long) up to and including `until`.
bool skip_day_name(std::string_view& s, char until) noexcept {
  const auto pos = s.find(until);
  if (pos == std::string_view::npos || pos < 3 || pos > 9) return false;
  s.remove_prefix(pos + 1);
  return true;
}

bool take_time(std::string_view& s, int& h, int& m, int& sec) noexcept {
  return take_digits(s, 2, h) && take(s, ":") && take_digits(s, 2, m) && take(s, ":") &&
         take_digits(s, 2, sec);
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, int m, int d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = static_cast<unsigned>((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> to_unix(int year, int month, int day, int h, int m, int s) noexcept {
  if (month < 1 || month > 12 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return std::nullopt;
  return days_from_civil(year, month, day) * 86400 + h * 3600 + m * 60 + s;
}

}  // namespace

std::optional<std::int64_t> parse_http_date(std::string_view text) {
  std::string_view s = trim(text);
  int year = 0, month = 0, day = 0, h = 0, m = 0, sec = 0;
  const auto comma = s.find(',');
  if (comma == 3) {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    s.remove_prefix(4);
    if (take(s, " ") && take_digits(s, 2, day) && take(s, " ") && take_month(s, month) && take(s, " ") &&
        take_digits(s, 4, year) && take(s, " ") && take_time(s, h, m, sec) && take(s, " GMT") && s.empty()) {
      return to_unix(year, month, day, h, m, sec);
    }
    return std::nullopt;
  }
  if (comma != std::string_view::npos) {
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year within 50 years of 2000.
    if (!skip_day_name(s, ',')) return std::nullopt;
    if (take(s, " ") && take_digits(s, 2, day) && take(s, "-") && take_month(s, month) && take(s, "-") &&
        take_digits(s, 2, year) && take(s, " ") && take_time(s, h, m, sec) && take(s, " GMT") && s.empty()) {
      year += year < 50 ? 2000 : 1900;
      return to_unix(year, month, day, h, m, sec);
    }
    return std::nullopt;
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (!skip_day_name(s, ' ')) return std::nullopt;
  if (!take_month(s, month) || !take(s, " ")) return std::nullopt;
  if (take(s, " ")) {
    if (!take_digits(s, 1, day)) return std::nullopt;
  } else if (!take_digits(s, 2, day)) {
    return std::nullopt;
  }
  if (take(s, " ") && take_time(s, h, m, sec) && take(s, " ") && take_digits(s, 4, year) && s.empty()) {
    return to_unix(year, month, day, h, m, sec);
  }
  return std::nullopt;
}

std::optional<std::int64_t> retry_after_seconds(std::string_view value, std::int64_t now_unix_seconds) {
  const std::string_view s = trim(value);
  if (s.empty()) return std::nullopt;
  if (is_digit(s.front())) {
    std::int64_t delay = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), delay);
    if (end != s.data() + s.size()) return std::nullopt;
    if (ec == std::errc::result_out_of_range) return max_delay_seconds;
    if (ec != std::errc{}) return std::nullopt;
    return delay < max_delay_seconds ? delay : max_delay_seconds;
  }
  const auto at = parse_http_date(s);
  if (!at) return std::nullopt;
  const std::int64_t delay = *at - now_unix_seconds;
  if (delay <= 0) return 0;
  return delay < max_delay_seconds ? delay : max_delay_seconds;
}

}  // namespace herald::http
