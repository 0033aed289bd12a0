#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <utility>

#include "herald/flow/marketing_window.hpp"

using herald::flow::marketing_window;
namespace chr = std::chrono;

namespace {

constexpr std::int64_t minute = 60'000;
constexpr std::int64_t hour = 60 * minute;

// Unix ms of a UTC date and time.
std::int64_t utc(int y, unsigned m, unsigned d, int h = 0, int min = 0, int s = 0, int ms = 0) {
  const chr::sys_days day{chr::year{y} / chr::month{m} / chr::day{d}};
  return chr::duration_cast<chr::milliseconds>(day.time_since_epoch()).count() + h * hour + min * minute +
         s * 1000 + ms;
}

marketing_window window(int start_minute, int end_minute, int offset_minutes) {
  return {static_cast<std::uint16_t>(start_minute), static_cast<std::uint16_t>(end_minute), offset_minutes};
}

const marketing_window china = window(8 * 60, 22 * 60, 8 * 60);  // 08:00-22:00 at +08:00

}  // namespace

TEST_CASE("the window opens exactly at its start: the start is inside, the millisecond before is not") {
  // 08:00 at +08:00 on 2024-06-11 is 00:00 UTC.
  CHECK(china.is_open(utc(2024, 6, 11)));
  CHECK(china.next_opening_ms(utc(2024, 6, 11)) == utc(2024, 6, 11));
  CHECK_FALSE(china.is_open(utc(2024, 6, 11) - 1));
  CHECK(china.next_opening_ms(utc(2024, 6, 11) - 1) == utc(2024, 6, 11));
}

TEST_CASE("the window closes exactly at its end and next opens at the next day's start") {
  // 22:00 at +08:00 is 14:00 UTC.
  CHECK(china.is_open(utc(2024, 6, 11, 14) - 1));
  CHECK_FALSE(china.is_open(utc(2024, 6, 11, 14)));
  CHECK(china.next_opening_ms(utc(2024, 6, 11, 14)) == utc(2024, 6, 12));
}

TEST_CASE("around local midnight the next opening is the same morning, on either side of midnight") {
  // 23:59:59.999 local on the 11th, then 00:00 local on the 12th (16:00 UTC on the 11th).
  CHECK_FALSE(china.is_open(utc(2024, 6, 11, 16) - 1));
  CHECK(china.next_opening_ms(utc(2024, 6, 11, 16) - 1) == utc(2024, 6, 12));
  CHECK_FALSE(china.is_open(utc(2024, 6, 11, 16)));
  CHECK(china.next_opening_ms(utc(2024, 6, 11, 16)) == utc(2024, 6, 12));
}

TEST_CASE("the local date, not the UTC date, decides the day at +08:00") {
  // 23:30 UTC on the 11th is already 07:30 local on the 12th: it opens in 30 minutes.
  CHECK(china.next_opening_ms(utc(2024, 6, 11, 23, 30)) == utc(2024, 6, 12));
}

TEST_CASE("at -05:00 the window closes at 03:00 UTC and reopens at 13:00 UTC") {
  const auto eastern = window(8 * 60, 22 * 60, -5 * 60);
  CHECK(eastern.is_open(utc(2024, 6, 12, 3) - 1));  // 21:59:59.999 local on the 11th
  CHECK_FALSE(eastern.is_open(utc(2024, 6, 12, 3)));
  CHECK(eastern.next_opening_ms(utc(2024, 6, 12, 3)) == utc(2024, 6, 12, 13));
  CHECK(eastern.next_opening_ms(utc(2024, 6, 12, 4, 59, 59, 999)) == utc(2024, 6, 12, 13));  // before local midnight
  CHECK(eastern.next_opening_ms(utc(2024, 6, 12, 5)) == utc(2024, 6, 12, 13));               // local midnight
  CHECK(eastern.is_open(utc(2024, 6, 12, 13)));
  CHECK_FALSE(eastern.is_open(utc(2024, 6, 12, 13) - 1));
}

TEST_CASE("at +05:45 the boundaries fall on a quarter past the UTC hour") {
  const auto nepal = window(8 * 60, 22 * 60, 5 * 60 + 45);
  CHECK_FALSE(nepal.is_open(utc(2024, 6, 11, 2, 15) - 1));
  CHECK(nepal.next_opening_ms(utc(2024, 6, 11, 2, 15) - 1) == utc(2024, 6, 11, 2, 15));
  CHECK(nepal.is_open(utc(2024, 6, 11, 2, 15)));
  CHECK(nepal.is_open(utc(2024, 6, 11, 16, 15) - 1));
  CHECK_FALSE(nepal.is_open(utc(2024, 6, 11, 16, 15)));
  CHECK(nepal.next_opening_ms(utc(2024, 6, 11, 16, 15)) == utc(2024, 6, 12, 2, 15));
  // 18:14 UTC is 23:59 local; 18:15 UTC is local midnight: both open at 02:15 UTC the next day.
  CHECK(nepal.next_opening_ms(utc(2024, 6, 11, 18, 14)) == utc(2024, 6, 12, 2, 15));
  CHECK(nepal.next_opening_ms(utc(2024, 6, 11, 18, 15)) == utc(2024, 6, 12, 2, 15));
}

TEST_CASE("a window ending at 24:00 is open until local midnight") {
  const auto late = window(8 * 60, 1440, 0);
  CHECK(late.is_open(utc(2024, 6, 11, 23, 59, 59, 999)));
  CHECK_FALSE(late.is_open(utc(2024, 6, 12)));
  CHECK(late.next_opening_ms(utc(2024, 6, 12)) == utc(2024, 6, 12, 8));
}

TEST_CASE("start equal to end, or the whole day, means no window: always open") {
  for (const auto& w : {window(0, 0, 480), window(600, 600, 480), window(0, 1440, -300)}) {
    CHECK(w.is_unrestricted());
    CHECK(w.is_open(utc(2024, 6, 11, 3)));
    CHECK(w.next_opening_ms(utc(2024, 6, 11, 3)) == utc(2024, 6, 11, 3));
  }
  CHECK_FALSE(china.is_unrestricted());
}

TEST_CASE("a window across midnight is open late and early, closed in between") {
  const auto night = window(22 * 60, 8 * 60, 0);
  CHECK(night.is_open(utc(2024, 6, 11, 23)));
  CHECK(night.is_open(utc(2024, 6, 11, 0)));
  CHECK(night.is_open(utc(2024, 6, 11, 8) - 1));
  CHECK_FALSE(night.is_open(utc(2024, 6, 11, 8)));
  CHECK(night.next_opening_ms(utc(2024, 6, 11, 8)) == utc(2024, 6, 11, 22));
  CHECK(night.is_open(utc(2024, 6, 11, 22)));
}

TEST_CASE("times before 1970 are floored to the right local day") {
  const auto utc_day = window(8 * 60, 22 * 60, 0);
  CHECK_FALSE(utc_day.is_open(-1));  // 23:59:59.999 on 1969-12-31
  CHECK(utc_day.next_opening_ms(-1) == 8 * hour);
  CHECK(utc_day.is_open(-3 * hour));  // 21:00 on 1969-12-31
}

TEST_CASE("for every minute of several days, is_open and next_opening agree with a minute-by-minute scan") {
  for (const int offset : {480, -300, 345, 0, -720, 840}) {
    for (const auto& bounds : {std::pair{480, 1320}, std::pair{0, 60}, std::pair{1380, 1440}, std::pair{1320, 480}}) {
      const int start = bounds.first, end = bounds.second;
      const auto w = window(start, end, offset);
      auto naive_open = [&](std::int64_t t) {
        const std::int64_t local_minute = (((t / minute + offset) % 1440) + 1440) % 1440;
        return start < end ? (local_minute >= start && local_minute < end)
                           : (local_minute >= start || local_minute < end);
      };
      const std::int64_t from = utc(2024, 6, 10);
      const std::int64_t to = from + 3 * 24 * hour;
      std::int64_t next_open = -1;
      for (std::int64_t t = to + 24 * hour; t >= from; t -= minute) {  // backwards: remember the next open minute
        if (naive_open(t)) next_open = t;
        if (t > to) continue;
        REQUIRE(w.is_open(t) == naive_open(t));
        REQUIRE(w.next_opening_ms(t) == (naive_open(t) ? t : next_open));
        // Within a minute the answer does not change, except that an open minute is "now".
        REQUIRE(w.next_opening_ms(t + 59'999) == (naive_open(t) ? t + 59'999 : next_open));
      }
    }
  }
}
