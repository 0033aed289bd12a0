#include <doctest/doctest.h>

#include <vector>

#include "herald/redis/reconnect_backoff.hpp"

using herald::redis::reconnect_backoff;

TEST_CASE("backoff doubles from min up to max at the top of its jitter range") {
  reconnect_backoff b(100, 5000);
  std::vector<std::uint32_t> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(b.next_delay_ms(1.0));
  CHECK(delays == std::vector<std::uint32_t>{100, 200, 400, 800, 1600, 3200, 5000, 5000});
}

TEST_CASE("jitter spreads a step over half its range and never goes below min") {
  reconnect_backoff low(100, 5000);
  std::vector<std::uint32_t> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(low.next_delay_ms(0.0));
  CHECK(delays == std::vector<std::uint32_t>{100, 100, 200, 400, 800, 1600, 2500, 2500});

  reconnect_backoff mid(100, 5000);
  mid.next_delay_ms(0.5);
  CHECK(mid.next_delay_ms(0.5) == 150);
}

TEST_CASE("reset starts again at min after a successful connection") {
  reconnect_backoff b(50, 1000);
  for (int i = 0; i < 10; ++i) b.next_delay_ms(1.0);
  CHECK(b.failures() == 10);
  b.reset();
  CHECK(b.failures() == 0);
  CHECK(b.next_delay_ms(1.0) == 50);
}

TEST_CASE("a long outage neither overflows nor exceeds max") {
  reconnect_backoff b(100, 5000);
  for (int i = 0; i < 1000; ++i) REQUIRE(b.next_delay_ms(1.0) <= 5000);
  CHECK(b.next_delay_ms(1.0) == 5000);
}

TEST_CASE("a zero min is raised to 1 ms and a max below min is raised to min") {
  reconnect_backoff zero(0, 0);
  CHECK(zero.next_delay_ms(1.0) == 1);
  reconnect_backoff inverted(300, 100);
  CHECK(inverted.next_delay_ms(0.0) == 300);
  CHECK(inverted.next_delay_ms(1.0) == 300);
}

TEST_CASE("random values outside [0, 1] are clamped") {
  reconnect_backoff b(100, 5000);
  CHECK(b.next_delay_ms(-3.0) == 100);
  CHECK(b.next_delay_ms(7.0) == 200);
}
