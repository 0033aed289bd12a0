#include <doctest/doctest.h>

#include "herald/http/retry_after.hpp"

using herald::http::parse_http_date;
using herald::http::retry_after_seconds;

namespace {
// Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::int64_t rfc_example = 784111777;
}  // namespace

TEST_CASE("Retry-After as delay-seconds") {
  CHECK(retry_after_seconds("120", 0) == 120);
  CHECK(retry_after_seconds(" 0 ", 0) == 0);
  CHECK(retry_after_seconds("99999999999999999999999", 0) == 365LL * 24 * 3600);
}

TEST_CASE("the three HTTP-date forms all parse to the same instant") {
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == rfc_example);
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == rfc_example);
  CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == rfc_example);
  CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
  CHECK(parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT") == 1835438400);
}

TEST_CASE("Retry-After as a date is the time from now, never negative") {
  CHECK(retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example - 30) == 30);
  CHECK(retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example + 30) == 0);
}

TEST_CASE("a Retry-After that is neither a number nor a date is rejected") {
  CHECK_FALSE(retry_after_seconds("", 0));
  CHECK_FALSE(retry_after_seconds("soon", 0));
  CHECK_FALSE(retry_after_seconds("12s", 0));
  CHECK_FALSE(retry_after_seconds("-5", 0));
  CHECK_FALSE(retry_after_seconds("Sun, 06 Nov 1994 08:49:37 UTC", 0));
  CHECK_FALSE(retry_after_seconds("Sun, 06 Foo 1994 08:49:37 GMT", 0));
  CHECK_FALSE(retry_after_seconds("Sun, 36 Nov 1994 08:49:37 GMT", 0));
  CHECK_FALSE(retry_after_seconds("Sun, 06 Nov 1994 25:49:37 GMT", 0));
}
