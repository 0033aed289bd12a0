#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "herald/flow/backoff.hpp"

using herald::flow::backoff_ceiling_ms;
using herald::flow::backoff_delay_ms;

TEST_CASE("the ceiling doubles from base with each attempt and stops at cap") {
  std::vector<std::int64_t> ceilings;
  for (std::uint32_t attempt = 0; attempt < 8; ++attempt) ceilings.push_back(backoff_ceiling_ms(attempt, 100, 5000));
  CHECK(ceilings == std::vector<std::int64_t>{100, 200, 400, 800, 1600, 3200, 5000, 5000});
}

TEST_CASE("full jitter: the delay is anywhere from 0 to just under the ceiling") {
  CHECK(backoff_delay_ms(3, 100, 5000, 0, 0.0) == 0);
  CHECK(backoff_delay_ms(3, 100, 5000, 0, 0.5) == 400);
  CHECK(backoff_delay_ms(3, 100, 5000, 0, 0.25) == 200);
  CHECK(backoff_delay_ms(3, 100, 5000, 0, std::nextafter(1.0, 0.0)) == 799);
}

TEST_CASE("a uniform value outside [0, 1) is clamped, so the delay stays in range") {
  CHECK(backoff_delay_ms(0, 1000, 5000, 0, 1.0) == 999);
  CHECK(backoff_delay_ms(0, 1000, 5000, 0, 7.0) == 999);
  CHECK(backoff_delay_ms(0, 1000, 5000, 0, -0.5) == 0);
  CHECK(backoff_delay_ms(0, 1000, 5000, 0, std::numeric_limits<double>::quiet_NaN()) == 0);
}

TEST_CASE("a Retry-After longer than the jittered delay wins") {
  CHECK(backoff_delay_ms(0, 100, 5000, 3000, 0.5) == 3000);
}

TEST_CASE("a Retry-After shorter than the jittered delay is already honoured by it") {
  CHECK(backoff_delay_ms(5, 100, 5000, 100, 0.5) == 1600);
}

TEST_CASE("a Retry-After is honoured even above the cap") {
  CHECK(backoff_delay_ms(10, 100, 5000, 60'000, 0.99) == 60'000);
}

TEST_CASE("no Retry-After (0 or negative) leaves the jittered delay alone") {
  CHECK(backoff_delay_ms(1, 100, 5000, 0, 0.5) == 100);
  CHECK(backoff_delay_ms(1, 100, 5000, -1, 0.5) == 100);
}

TEST_CASE("a huge attempt count never overflows: the ceiling is the cap") {
  CHECK(backoff_ceiling_ms(40, 1000, 3'600'000) == 3'600'000);
  CHECK(backoff_ceiling_ms(63, 1, INT64_MAX) == INT64_MAX);
  CHECK(backoff_ceiling_ms(62, 1, INT64_MAX) == std::int64_t{1} << 62);
  CHECK(backoff_ceiling_ms(62, 2, INT64_MAX) == INT64_MAX);
  CHECK(backoff_ceiling_ms(4'000'000'000u, 1000, 3'600'000) == 3'600'000);
  const auto d = backoff_delay_ms(1'000'000, INT64_MAX / 2, INT64_MAX, 0, std::nextafter(1.0, 0.0));
  CHECK(d > INT64_MAX - 2048);  // the top of the range, in a double's precision
  CHECK(d < INT64_MAX);
  CHECK(backoff_delay_ms(1'000'000, INT64_MAX / 2, INT64_MAX, 0, 0.5) ==
        doctest::Approx(static_cast<double>(INT64_MAX) / 2));
}

TEST_CASE("a cap below base caps the very first retry") {
  CHECK(backoff_ceiling_ms(0, 1000, 300) == 300);
}

TEST_CASE("zero or negative base and cap give no delay, only a Retry-After") {
  CHECK(backoff_delay_ms(5, 0, 5000, 0, 0.9) == 0);
  CHECK(backoff_delay_ms(5, -100, 5000, 0, 0.9) == 0);
  CHECK(backoff_delay_ms(5, 100, -1, 0, 0.9) == 0);
  CHECK(backoff_delay_ms(5, 0, 0, 250, 0.9) == 250);
}

TEST_CASE("with a real engine, delays cover the whole range evenly and never leave it") {
  std::mt19937_64 engine(42);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const std::int64_t ceiling = backoff_ceiling_ms(4, 100, 60'000);  // 1600
  double sum = 0;
  std::int64_t lowest = ceiling, highest = 0;
  const int n = 100'000;
  for (int i = 0; i < n; ++i) {
    const auto d = backoff_delay_ms(4, 100, 60'000, 0, uniform(engine));
    REQUIRE(d >= 0);
    REQUIRE(d < ceiling);
    sum += static_cast<double>(d);
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
  }
  CHECK(sum / n == doctest::Approx(static_cast<double>(ceiling) / 2).epsilon(0.02));
  CHECK(lowest < 10);
  CHECK(highest > ceiling - 10);
}
