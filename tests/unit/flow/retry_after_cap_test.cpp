// retry_after_hold_ms: a gateway's Retry-After holds an account at most retry.backoff_cap_ms.
#include <doctest/doctest.h>

#include <limits>

#include "herald/flow/backoff.hpp"

using herald::flow::retry_after_hold_ms;

TEST_CASE("a Retry-After below the cap is taken as it is, in milliseconds") {
  CHECK(retry_after_hold_ms(1, 60000) == 1000);
  CHECK(retry_after_hold_ms(59, 60000) == 59000);
  CHECK(retry_after_hold_ms(60, 60000) == 60000);
}

TEST_CASE("a Retry-After above the cap holds for the cap") {
  CHECK(retry_after_hold_ms(61, 60000) == 60000);
  CHECK(retry_after_hold_ms(365LL * 24 * 3600, 60000) == 60000);  // the parser's own ceiling, a year
  CHECK(retry_after_hold_ms(std::numeric_limits<std::int64_t>::max(), 60000) == 60000);  // no overflow
  CHECK(retry_after_hold_ms(2, 1500) == 1500);  // a cap that is not whole seconds
  CHECK(retry_after_hold_ms(1, 1500) == 1000);
}

TEST_CASE("no Retry-After, an unparsable one, or one already past holds nothing") {
  CHECK(retry_after_hold_ms(std::nullopt, 60000) == 0);
  CHECK(retry_after_hold_ms(0, 60000) == 0);
  CHECK(retry_after_hold_ms(-3, 60000) == 0);
  CHECK(retry_after_hold_ms(10, 0) == 0);
}
