#include <doctest/doctest.h>

#include "herald/flow/aimd_limiter.hpp"

using herald::flow::aimd_limiter;
using herald::flow::aimd_options;
using herald::flow::call_outcome;

namespace {

aimd_options options(std::uint32_t min, std::uint32_t max, std::uint32_t initial, std::int64_t cooldown_ms = 1000) {
  aimd_options o;
  o.min_limit = min;
  o.max_limit = max;
  o.initial_limit = initial;
  o.cooldown_ms = cooldown_ms;
  return o;
}

// Runs one call to completion with the given outcome.
void call(aimd_limiter& l, std::int64_t now_ms, call_outcome outcome) {
  REQUIRE(l.try_acquire(now_ms));
  l.release(now_ms, outcome);
}

}  // namespace

TEST_CASE("no more calls than the limit are in flight at once, and a release frees a slot") {
  aimd_limiter l(options(1, 3, 3));
  CHECK(l.try_acquire(0));
  CHECK(l.try_acquire(0));
  CHECK(l.try_acquire(0));
  CHECK_FALSE(l.try_acquire(0));
  CHECK(l.in_flight() == 3);
  l.release(0, call_outcome::other);
  CHECK(l.in_flight() == 2);
  CHECK(l.try_acquire(0));
}

TEST_CASE("the limit starts at max unless an initial limit is given") {
  CHECK(aimd_limiter(options(1, 16, 0)).limit() == 16);
  CHECK(aimd_limiter(options(1, 16, 4)).limit() == 4);
  CHECK(aimd_limiter(options(2, 16, 1)).limit() == 2);    // clamped to min
  CHECK(aimd_limiter(options(1, 16, 99)).limit() == 16);  // and to max
}

TEST_CASE("the limit grows by one after a full round of successes") {
  aimd_limiter l(options(1, 10, 4));
  for (int i = 0; i < 3; ++i) call(l, 0, call_outcome::success);
  CHECK(l.limit() == 4);
  call(l, 0, call_outcome::success);
  CHECK(l.limit() == 5);
  for (int i = 0; i < 4; ++i) call(l, 0, call_outcome::success);
  CHECK(l.limit() == 5);
  call(l, 0, call_outcome::success);
  CHECK(l.limit() == 6);
}

TEST_CASE("the limit never grows past max") {
  aimd_limiter l(options(1, 3, 2));
  for (int i = 0; i < 100; ++i) call(l, 0, call_outcome::success);
  CHECK(l.limit() == 3);
}

TEST_CASE("a throttle halves the limit") {
  aimd_limiter l(options(1, 16, 16));
  call(l, 0, call_outcome::throttled);
  CHECK(l.limit() == 8);
}

TEST_CASE("throttles within the cool-down after a decrease do not shrink the limit again") {
  aimd_limiter l(options(1, 16, 16, 1000));
  for (int i = 0; i < 10; ++i) REQUIRE(l.try_acquire(0));
  l.release(0, call_outcome::throttled);
  for (int i = 0; i < 9; ++i) l.release(999, call_outcome::throttled);  // the rest of the same wave
  CHECK(l.limit() == 8);
  call(l, 1000, call_outcome::throttled);
  CHECK(l.limit() == 4);
}

TEST_CASE("the limit never shrinks below min, and rounds down on the way") {
  aimd_limiter l(options(2, 16, 7, 0));
  call(l, 0, call_outcome::throttled);
  CHECK(l.limit() == 3);  // 7 * 0.5 = 3.5
  call(l, 1, call_outcome::throttled);
  CHECK(l.limit() == 2);  // 1.5, held at min
  call(l, 2, call_outcome::throttled);
  CHECK(l.limit() == 2);
}

TEST_CASE("a decrease starts the next round of successes afresh") {
  aimd_limiter l(options(1, 16, 8));
  for (int i = 0; i < 7; ++i) call(l, 0, call_outcome::success);
  call(l, 0, call_outcome::throttled);
  REQUIRE(l.limit() == 4);
  for (int i = 0; i < 3; ++i) call(l, 0, call_outcome::success);
  CHECK(l.limit() == 4);
  call(l, 0, call_outcome::success);
  CHECK(l.limit() == 5);
}

TEST_CASE("other outcomes neither grow nor shrink the limit") {
  aimd_limiter l(options(1, 16, 4));
  for (int i = 0; i < 100; ++i) call(l, 0, call_outcome::other);
  CHECK(l.limit() == 4);
  CHECK(l.in_flight() == 0);
}

TEST_CASE("after a decrease below the calls in flight, new calls wait until enough have finished") {
  aimd_limiter l(options(1, 8, 8));
  for (int i = 0; i < 8; ++i) REQUIRE(l.try_acquire(0));
  l.release(0, call_outcome::throttled);  // limit 4, 7 still in flight
  CHECK(l.limit() == 4);
  CHECK_FALSE(l.try_acquire(0));
  for (int i = 0; i < 3; ++i) l.release(0, call_outcome::other);
  CHECK(l.in_flight() == 4);
  CHECK_FALSE(l.try_acquire(0));
  l.release(0, call_outcome::other);
  CHECK(l.try_acquire(0));
}

TEST_CASE("no call starts while a Retry-After pause runs, and calls start again when it ends") {
  aimd_limiter l(options(1, 4, 4));
  l.pause_until(5000);
  CHECK(l.paused_until() == 5000);
  CHECK(l.is_paused(4999));
  CHECK_FALSE(l.try_acquire(4999));
  CHECK(l.in_flight() == 0);
  CHECK_FALSE(l.is_paused(5000));
  CHECK(l.try_acquire(5000));
}

TEST_CASE("a shorter Retry-After never cuts a longer pause short") {
  aimd_limiter l(options(1, 4, 4));
  l.pause_until(9000);
  l.pause_until(6000);
  CHECK(l.paused_until() == 9000);
  l.pause_until(12000);
  CHECK(l.paused_until() == 12000);
}

TEST_CASE("a new limiter is not paused") {
  aimd_limiter l(options(1, 4, 4));
  CHECK(l.paused_until() == 0);
  CHECK(l.try_acquire(0));
}

TEST_CASE("options that make no sense are brought to ones that do") {
  aimd_options o;
  o.min_limit = 0;
  o.max_limit = 0;
  o.decrease_factor = 1.5;
  aimd_limiter l(o);
  CHECK(l.limit() == 1);  // min raised to 1, max to min
  CHECK(l.try_acquire(0));
  CHECK_FALSE(l.try_acquire(0));
  l.release(0, call_outcome::success);

  aimd_options bad_factor;
  bad_factor.max_limit = 10;
  bad_factor.decrease_factor = 0.0;
  aimd_limiter m(bad_factor);
  call(m, 0, call_outcome::throttled);
  CHECK(m.limit() == 5);  // the factor fell back to 0.5
}
