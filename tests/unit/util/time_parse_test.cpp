// parse_iso8601_ms: the times an operator types (herald replay-dlq --from/--to), row by row.
#include <doctest/doctest.h>

#include "herald/util/time.hpp"
#include "herald/util/time_parse.hpp"

using herald::time::parse_iso8601_ms;

TEST_CASE("ISO-8601 times with a zone read as Unix milliseconds") {
  struct row {
    const char* text;
    std::int64_t ms;
  };
  const row rows[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2024-06-11T09:30:00Z", 1718098200000},
      {"2024-06-11T09:30:00.123Z", 1718098200123},
      {"2024-06-11T09:30:00.1Z", 1718098200100},
      {"2024-06-11T09:30:00.123456789Z", 1718098200123},
      {"2024-06-11T17:30:00+08:00", 1718098200000},
      {"2024-06-11T17:30:00+0800", 1718098200000},
      {"2024-06-11 17:30+08:00", 1718098200000},
      {"2024-06-11T04:00:00-05:30", 1718098200000},
      {"2024-02-29T00:00:00Z", 1709164800000},
      {"2024-01-01T00:30:00+01:00", 1704065400000},  // the previous UTC day and year
  };
  for (const auto& r : rows) {
    INFO(r.text);
    auto got = parse_iso8601_ms(r.text);
    REQUIRE_MESSAGE(got.has_value(), (got ? std::string() : got.message()));
    CHECK(*got == r.ms);
  }
}

TEST_CASE("a time parsed is the instant format_iso8601_ms prints") {
  for (std::int64_t ms : {0LL, 1718098200123LL, 1893456000999LL, 951782400000LL}) {
    auto got = parse_iso8601_ms(herald::time::format_iso8601_ms(ms));
    REQUIRE(got.has_value());
    CHECK(*got == ms);
  }
}

TEST_CASE("malformed times are refused, saying which part is wrong") {
  struct row {
    const char* text;
    const char* says;
  };
  const row rows[] = {
      {"", "not a date"},
      {"2024-06-11", "no time after the date"},
      {"2024-06-11T09:30:00", "no zone"},
      {"2024-13-01T00:00:00Z", "month out of range"},
      {"2023-02-29T00:00:00Z", "day out of range"},
      {"2024-06-11T24:00:00Z", "time out of range"},
      {"2024-06-11T09:60Z", "time out of range"},
      {"2024-06-11T09:30:00.Z", "fraction"},
      {"2024-06-11T09:30:00+8", "zone offset"},
      {"2024-06-11T09:30:00+19:00", "zone offset out of range"},
      {"2024-06-11T09:30:00Zjunk", "after the zone"},
      {"2024-06-11T09:30:00 UTC", "unexpected text after the time"},
      {"1718098200000", "not a date"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    auto got = parse_iso8601_ms(r.text);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.message().find(r.says) != std::string::npos);
    CHECK(got.message().find(std::string("\"") + r.text + "\"") == 0);
  }
}
