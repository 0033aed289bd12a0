#include <doctest/doctest.h>

#include "herald/flow/token_bucket.hpp"

using herald::flow::token_bucket;

TEST_CASE("a new bucket starts full and gives out exactly its burst at once") {
  token_bucket b(10, 3);
  CHECK(b.try_take(0));
  CHECK(b.try_take(0));
  CHECK(b.try_take(0));
  CHECK_FALSE(b.try_take(0));
  CHECK(b.available(0) == 0);
}

TEST_CASE("tokens come back at the rate: one every 100 ms at 10 per second") {
  token_bucket b(10, 1);
  CHECK(b.try_take(1000));
  CHECK_FALSE(b.try_take(1099));
  CHECK(b.try_take(1100));
  CHECK_FALSE(b.try_take(1150));
  CHECK(b.try_take(1200));
}

TEST_CASE("wait_ms says how long until n tokens are there, and a take at that time succeeds") {
  token_bucket b(10, 5);
  for (int i = 0; i < 5; ++i) REQUIRE(b.try_take(0));
  CHECK(b.wait_ms(0) == 100);
  CHECK(b.wait_ms(40) == 60);
  CHECK(b.wait_ms(0, 2) == 200);
  CHECK_FALSE(b.try_take(199, 2));
  CHECK(b.try_take(200, 2));
  CHECK(b.wait_ms(200) == 100);
}

TEST_CASE("wait_ms is zero when the tokens are already there, and does not consume them") {
  token_bucket b(10, 2);
  CHECK(b.wait_ms(0) == 0);
  CHECK(b.wait_ms(0, 2) == 0);
  CHECK(b.available(0) == 2);
}

TEST_CASE("a rate that does not divide a second loses nothing to rounding over time") {
  token_bucket b(3, 10);  // one token every 333.3 ms
  REQUIRE(b.try_take(0, 10));
  CHECK(b.wait_ms(0) == 334);
  int taken = 0;
  for (std::int64_t t = 1; t <= 10'000; ++t)
    if (b.try_take(t)) ++taken;
  CHECK(taken == 30);  // exactly 3 per second for 10 s: the thirds of a token add up
}

TEST_CASE("an idle bucket saves up no more than its burst") {
  token_bucket b(100, 4);
  for (int i = 0; i < 4; ++i) REQUIRE(b.try_take(0));
  const std::int64_t an_hour = 3'600'000;
  CHECK(b.available(an_hour) == 4);
  for (int i = 0; i < 4; ++i) CHECK(b.try_take(an_hour));
  CHECK_FALSE(b.try_take(an_hour));
}

TEST_CASE("a long idle time far in the future does not overflow the refill") {
  token_bucket b(4'000'000'000u, 4'000'000'000u);
  CHECK(b.try_take(0, 4'000'000'000u));
  CHECK(b.available(INT64_MAX / 2) == 4'000'000'000);
}

TEST_CASE("rate 0 means unlimited: every take succeeds and nothing waits") {
  token_bucket b(0, 1);
  CHECK(b.is_unlimited());
  for (int i = 0; i < 10'000; ++i) REQUIRE(b.try_take(0, 1000));
  CHECK(b.wait_ms(0, 1'000'000) == 0);
}

TEST_CASE("a take larger than the burst goes through on a full bucket and leaves it in debt") {
  token_bucket b(10, 5);
  CHECK(b.wait_ms(0, 8) == 0);  // full: the oversized take can go now
  CHECK(b.try_take(0, 8));
  CHECK(b.available(0) == -3);
  CHECK_FALSE(b.try_take(0));
  CHECK(b.wait_ms(0) == 400);  // from -3 back to 1
  CHECK_FALSE(b.try_take(399));
  CHECK(b.try_take(400));
}

TEST_CASE("a take larger than the burst waits for a full bucket, not for tokens it can never hold") {
  token_bucket b(10, 5);
  REQUIRE(b.try_take(0, 2));
  CHECK_FALSE(b.try_take(0, 8));
  CHECK(b.wait_ms(0, 8) == 200);
  CHECK(b.try_take(200, 8));
}

TEST_CASE("a take of zero tokens always succeeds and takes nothing") {
  token_bucket b(1, 1);
  REQUIRE(b.try_take(0));
  CHECK(b.try_take(0, 0));
  CHECK(b.wait_ms(0, 0) == 0);
}

TEST_CASE("a burst of 0 is raised to 1, or the bucket could never give a token") {
  token_bucket b(5, 0);
  CHECK(b.burst() == 1);
  CHECK(b.try_take(0));
}

TEST_CASE("lowering the rate keeps what was earned, capped at the new burst, and no fresh burst") {
  token_bucket b(10, 10);
  for (int i = 0; i < 10; ++i) REQUIRE(b.try_take(0));
  b.set_rate(500, 2, 2);  // 5 tokens earned by 500 ms at the old rate, capped to 2
  CHECK(b.rate() == 2);
  CHECK(b.available(500) == 2);
  CHECK(b.try_take(500));
  CHECK(b.try_take(500));
  CHECK_FALSE(b.try_take(500));
  CHECK(b.wait_ms(500) == 500);  // the new rate: one every 500 ms
}

TEST_CASE("tokens earned before a rate change are counted at the old rate") {
  token_bucket b(1, 10);
  for (int i = 0; i < 10; ++i) REQUIRE(b.try_take(0));
  b.set_rate(2000, 1000, 10);  // 2 tokens earned at 1/s; the new rate applies from 2000 on
  CHECK(b.available(2000) == 2);
  CHECK(b.available(2001) == 3);
}

TEST_CASE("going from unlimited to limited starts with a full bucket") {
  token_bucket b(0, 1);
  for (int i = 0; i < 100; ++i) REQUIRE(b.try_take(0));
  b.set_rate(0, 10, 3);
  CHECK(b.available(0) == 3);
  CHECK(b.try_take(0, 3));
  CHECK_FALSE(b.try_take(0));
}

TEST_CASE("a time earlier than the last one earns nothing and takes nothing back") {
  token_bucket b(10, 1);
  REQUIRE(b.try_take(1000));
  CHECK_FALSE(b.try_take(500));
  CHECK(b.wait_ms(500) == 100);  // still measured from the later time
  CHECK(b.try_take(1100));
}
