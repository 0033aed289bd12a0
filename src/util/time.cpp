#include "herald/util/time.hpp"

#include <chrono>
#include <cstdio>

namespace herald::time {
namespace {

// Howard Hinnant's civil-from-days: days since 1970-01-01 to y/m/d.
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yy + (m <= 2));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct broken_down {
  int year;
  unsigned month, day;
  int hour, minute, second;
};

broken_down split(std::int64_t local_seconds) {
  broken_down b{};
  std::int64_t days = floor_div(local_seconds, 86400);
  std::int64_t rem = local_seconds - days * 86400;
  civil_from_days(days, b.year, b.month, b.day);
  b.hour = static_cast<int>(rem / 3600);
  b.minute = static_cast<int>(rem % 3600 / 60);
  b.second = static_cast<int>(rem % 60);
  return b;
}

}  // namespace

std::int64_t unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool parse_utc_offset(std::string_view text, int& minutes_out) {
  if (text == "Z" || text == "z") {
    minutes_out = 0;
    return true;
  }
  if (text.size() != 6 && text.size() != 5) return false;
  int sign = text[0] == '+' ? 1 : text[0] == '-' ? -1 : 0;
  if (sign == 0) return false;
  auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  std::size_t mm = text.size() == 6 ? 4 : 3;
  if (!digit(1) || !digit(2) || !digit(mm) || !digit(mm + 1)) return false;
  if (text.size() == 6 && text[3] != ':') return false;
  int h = (text[1] - '0') * 10 + (text[2] - '0');
  int m = (text[mm] - '0') * 10 + (text[mm + 1] - '0');
  if (h > 14 || m > 59) return false;
  minutes_out = sign * (h * 60 + m);
  return true;
}

std::int32_t calendar_day(std::int64_t unix_seconds, int offset_minutes) {
  auto b = split(unix_seconds + offset_minutes * 60LL);
  return b.year * 10000 + static_cast<int>(b.month) * 100 + static_cast<int>(b.day);
}

std::int64_t seconds_until_day_end(std::int64_t unix_seconds, int offset_minutes) {
  std::int64_t local = unix_seconds + offset_minutes * 60LL;
  return (floor_div(local, 86400) + 1) * 86400 - local;
}

int minute_of_day(std::int64_t unix_seconds, int offset_minutes) {
  std::int64_t local = unix_seconds + offset_minutes * 60LL;
  return static_cast<int>((local - floor_div(local, 86400) * 86400) / 60);
}

std::string format_datetime(std::int64_t unix_seconds, int offset_minutes) {
  auto b = split(unix_seconds + offset_minutes * 60LL);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d", b.year, b.month, b.day, b.hour, b.minute, b.second);
  return buf;
}

std::string format_iso8601(std::int64_t unix_seconds) {
  auto b = split(unix_seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", b.year, b.month, b.day, b.hour, b.minute, b.second);
  return buf;
}

std::string format_iso8601_ms(std::int64_t unix_ms) {
  std::string out;
  append_iso8601_ms(out, unix_ms);
  return out;
}

void append_iso8601_ms(std::string& text, std::int64_t unix_ms) {
  std::int64_t secs = floor_div(unix_ms, 1000);
  auto b = split(secs);
  if (b.year < 0 || b.year > 9999) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", b.year, b.month, b.day, b.hour, b.minute,
                  b.second, static_cast<int>(unix_ms - secs * 1000));
    text += buf;
    return;
  }
  // Every outcome record carries one: written by hand into the record, snprintf's format parsing
  // showed in profiles.
  const std::size_t start = text.size();
  text += "0000-00-00T00:00:00.000Z";
  char* out = text.data() + start;
  auto put = [out](std::size_t at, unsigned value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(0, static_cast<unsigned>(b.year), 4);
  put(5, b.month, 2);
  put(8, b.day, 2);
  put(11, static_cast<unsigned>(b.hour), 2);
  put(14, static_cast<unsigned>(b.minute), 2);
  put(17, static_cast<unsigned>(b.second), 2);
  put(20, static_cast<unsigned>(unix_ms - secs * 1000), 3);
}

}  // namespace herald::time
