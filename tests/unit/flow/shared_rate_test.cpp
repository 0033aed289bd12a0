#include <doctest/doctest.h>

#include "herald/flow/shared_rate.hpp"

using herald::flow::chunk_size;
using herald::flow::fallback_rate;
using herald::flow::shared_burst;
using herald::flow::shared_rate;
using herald::flow::shared_rate_options;

TEST_CASE("shared_burst: a twentieth of a second of the rate, at least one") {
  struct row {
    std::uint32_t rate, burst;
  };
  const row rows[] = {{0, 1}, {1, 1}, {19, 1}, {20, 1}, {39, 1}, {40, 2}, {200, 10}, {5000, 250}, {1000000, 50000}};
  for (const auto& r : rows) {
    CAPTURE(r.rate);
    CHECK(shared_burst(r.rate) == r.burst);
  }
}

TEST_CASE("chunk_size: the recent rate over the horizon, or the calls waiting, within [1, burst], less what is in hand") {
  struct row {
    std::uint32_t rate;
    std::uint64_t spent_last_second;
    std::size_t waiting;
    std::uint64_t in_hand;
    std::int64_t horizon_ms;
    std::uint32_t chunk;
    const char* why;
  };
  const row rows[] = {
      {200, 0, 0, 0, 100, 1, "no demand known yet: one"},
      {200, 0, 1, 0, 100, 1, "one call waiting"},
      {200, 0, 7, 0, 100, 7, "the calls waiting"},
      {200, 0, 1000, 0, 100, 10, "a backlog: the burst, never more"},
      {200, 60, 0, 0, 100, 6, "60 calls in the last second: 100 ms of it"},
      {200, 61, 0, 0, 100, 7, "rounded up"},
      {200, 5, 0, 0, 100, 1, "a slow pod still asks for one"},
      {200, 60, 2, 0, 100, 6, "the rate when more than what waits"},
      {200, 60, 2, 4, 100, 2, "less the tokens in hand"},
      {200, 60, 2, 6, 100, 1, "at least one even with enough in hand"},
      {5000, 1667, 0, 0, 100, 167, "a third of 5000/s over 100 ms"},
      {5000, 1667, 0, 0, 500, 250, "a longer horizon, capped at the burst"},
      {10, 100, 0, 0, 100, 1, "a rate whose burst is one"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    CHECK(chunk_size(r.rate, r.spent_last_second, r.waiting, r.in_hand, r.horizon_ms) == r.chunk);
  }
}

TEST_CASE("fallback_rate: the rate over the larger of the pods seen and the floor, never zero") {
  struct row {
    std::uint32_t rate, pods_seen, fallback_pods, share;
    const char* why;
  };
  const row rows[] = {
      {300, 3, 1, 100, "three pods seen: a third each"},
      {300, 0, 1, 300, "never answered and no floor: the whole rate (logged and counted as fallback)"},
      {300, 0, 4, 75, "never answered: the operator's floor"},
      {300, 2, 4, 75, "the floor when more than the pods seen"},
      {300, 6, 4, 50, "the pods seen when more than the floor"},
      {5, 10, 1, 1, "more pods than calls per second: one each, never none"},
      {300, 3, 0, 100, "a floor of 0 counts as 1"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    CHECK(fallback_rate(r.rate, r.pods_seen, r.fallback_pods) == r.share);
  }
}

namespace {
shared_rate_options options(std::uint32_t rate, std::uint32_t fallback_pods = 1) {
  shared_rate_options o;
  o.rate = rate;
  o.fallback_pods = fallback_pods;
  return o;  // lease 500 ms, horizon 100 ms, retry 1000 ms, max wait 5000 ms
}
}  // namespace

TEST_CASE("no tokens before a lease, and no ask without demand") {
  shared_rate s(options(200));
  CHECK_FALSE(s.try_take(0));
  CHECK(s.available(0) == 0);
  CHECK_FALSE(s.start_ask(0, 0).has_value());  // idle: no round trip
  CHECK(s.stats().asks == 0);
}

TEST_CASE("one ask at a time; its tokens are spent one per call, then the next ask") {
  shared_rate s(options(200));
  auto want = s.start_ask(0, 5);
  REQUIRE(want.has_value());
  CHECK(*want == 5);
  CHECK(s.is_asking());
  CHECK_FALSE(s.start_ask(1, 5).has_value());  // the first is still out
  CHECK(s.wait_ms(1) == shared_rate::answer_pending);  // woken by the answer, not by a timer
  CHECK_FALSE(s.on_granted(2, 5, 0, 3));
  CHECK(s.pods_seen() == 3);
  CHECK(s.available(2) == 5);
  CHECK(s.wait_ms(2) == 0);
  for (int i = 0; i < 5; ++i) CHECK(s.try_take(3));
  CHECK_FALSE(s.try_take(3));
  CHECK(s.stats().spent_leased == 5);
  CHECK(s.stats().leased == 5);
  auto again = s.start_ask(4, 5);
  REQUIRE(again.has_value());
  CHECK(*again == 5);  // 5 waiting (and 5 spent in the last second: 1 over 100 ms)
}

TEST_CASE("prefetch: the next ask goes out once half a chunk is left, not before") {
  shared_rate s(options(400));  // a burst of 20
  REQUIRE(s.start_ask(0, 20) == 20u);
  s.on_granted(0, 20, 0, 1);
  for (int i = 0; i < 9; ++i) REQUIRE(s.try_take(10));
  CHECK_FALSE(s.start_ask(10, 20).has_value());  // 11 in hand of a chunk of 20
  REQUIRE(s.try_take(10));
  auto want = s.start_ask(10, 20);  // 10 in hand: half
  REQUIRE(want.has_value());
  CHECK(*want == 10);  // the chunk less what is in hand
}

TEST_CASE("leased tokens expire after the lease time and are counted as expired") {
  shared_rate s(options(200));
  REQUIRE(s.start_ask(1000, 10).has_value());
  s.on_granted(1000, 10, 0, 1);
  REQUIRE(s.try_take(1100));
  CHECK(s.available(1499) == 9);
  CHECK(s.available(1500) == 0);  // granted at 1000, lease 500 ms
  CHECK_FALSE(s.try_take(1500));
  CHECK(s.stats().expired == 9);
  CHECK(s.stats().spent_leased == 1);
}

TEST_CASE("the oldest lease is spent first, so fewer tokens expire") {
  shared_rate s(options(200));
  REQUIRE(s.start_ask(0, 4).has_value());
  s.on_granted(0, 4, 0, 1);
  for (int i = 0; i < 2; ++i) REQUIRE(s.try_take(100));
  REQUIRE(s.start_ask(100, 4).has_value());
  s.on_granted(300, 2, 0, 1);
  CHECK(s.available(300) == 4);
  for (int i = 0; i < 2; ++i) REQUIRE(s.try_take(400));
  CHECK(s.available(500) == 2);  // the first lease was used up before it expired at 500
  CHECK(s.stats().expired == 0);
}

TEST_CASE("the answer's refill time holds the next ask, even after a full grant") {
  shared_rate s(options(400));  // a burst of 20
  REQUIRE(s.start_ask(0, 20) == 20u);
  s.on_granted(0, 3, 85, 2);  // 3 of 20: the bucket is empty, 85 ms until it holds 20
  for (int i = 0; i < 3; ++i) REQUIRE(s.try_take(1));
  CHECK_FALSE(s.start_ask(84, 20).has_value());
  CHECK(s.wait_ms(1) == 84);
  CHECK(s.start_ask(85, 20).has_value());
  s.on_granted(85, 17, 100, 2);  // all of it, and the bucket empty: 100 ms until it holds 17 again
  for (int i = 0; i < 10; ++i) REQUIRE(s.try_take(86));
  CHECK_FALSE(s.start_ask(184, 20).has_value());
  CHECK(s.start_ask(185, 20).has_value());
}

TEST_CASE("nothing granted and a refill time beyond max_wait_ms: the next ask after max_wait_ms") {
  shared_rate s(options(1));
  REQUIRE(s.start_ask(0, 1).has_value());
  s.on_granted(0, 0, 60000, 1);
  CHECK_FALSE(s.start_ask(4999, 1).has_value());
  CHECK(s.start_ask(5000, 1).has_value());
}

TEST_CASE("a grant larger than the ask is cut to the ask") {
  shared_rate s(options(200));
  REQUIRE(s.start_ask(0, 2) == 2u);
  s.on_granted(0, 50, 0, 1);
  CHECK(s.available(0) == 2);
}

TEST_CASE("degraded: a failed ask sends at the local share of the pods seen, and the next ask waits retry_ms") {
  shared_rate s(options(300));
  REQUIRE(s.start_ask(0, 1).has_value());
  s.on_granted(0, 1, 0, 3);
  REQUIRE(s.try_take(0));
  REQUIRE(s.start_ask(10, 100).has_value());
  CHECK(s.on_failed(10));  // the episode starts: the caller logs it
  CHECK(s.is_degraded());
  CHECK(s.degraded_rate() == 100);
  CHECK_FALSE(s.start_ask(1009, 100).has_value());
  // 100/s with a burst of 5: 5 at once, then one every 10 ms.
  int taken = 0;
  for (std::int64_t t = 10; t < 1010; ++t)
    while (s.try_take(t)) ++taken;
  CHECK(taken >= 100);
  CHECK(taken <= 105);
  CHECK(s.stats().spent_fallback == static_cast<std::uint64_t>(taken));
  REQUIRE(s.start_ask(1010, 100).has_value());
  CHECK_FALSE(s.on_failed(1010));  // the same episode: no second log line
  CHECK(s.stats().failed_asks == 2);
}

TEST_CASE("degraded: leases still in hand are spent before the local share") {
  shared_rate s(options(300));
  REQUIRE(s.start_ask(0, 5).has_value());
  s.on_granted(0, 5, 0, 3);
  REQUIRE(s.start_ask(0, 30).has_value());
  s.on_failed(0);
  for (int i = 0; i < 5; ++i) REQUIRE(s.try_take(1));
  CHECK(s.stats().spent_leased == 5);
  CHECK(s.stats().spent_fallback == 0);
  REQUIRE(s.try_take(1));
  CHECK(s.stats().spent_fallback == 1);
}

TEST_CASE("degraded before any answer: the operator's floor, or the whole rate without one") {
  shared_rate floor(options(300, 4));
  REQUIRE(floor.start_ask(0, 1).has_value());
  floor.on_failed(0);
  CHECK(floor.degraded_rate() == 75);
  shared_rate none(options(300));
  REQUIRE(none.start_ask(0, 1).has_value());
  none.on_failed(0);
  CHECK(none.degraded_rate() == 300);
}

TEST_CASE("a granted ask ends the degraded episode, and the local share stops") {
  shared_rate s(options(300));
  REQUIRE(s.start_ask(0, 1).has_value());
  s.on_failed(0);
  REQUIRE(s.try_take(0));
  REQUIRE(s.start_ask(1000, 1).has_value());
  CHECK(s.on_granted(1000, 0, 50, 3));  // the episode ends, even with nothing granted
  CHECK_FALSE(s.is_degraded());
  CHECK_FALSE(s.try_take(1000));  // no lease, no local share
  CHECK(s.wait_ms(1000) == 50);
}

TEST_CASE("the recent rate counts the last second's spending only") {
  shared_rate s(options(1000));
  REQUIRE(s.start_ask(0, 100).has_value());
  s.on_granted(0, 100, 0, 1);
  for (int i = 0; i < 30; ++i) REQUIRE(s.try_take(50));
  for (int i = 0; i < 20; ++i) REQUIRE(s.try_take(450));
  CHECK(s.spent_last_second(450) == 50);
  CHECK(s.spent_last_second(999) == 50);
  // The window is the current tenth of a second and the nine before it.
  CHECK(s.spent_last_second(1000) == 20);  // the tenth holding 50 ms is out of it
  CHECK(s.spent_last_second(1399) == 20);
  CHECK(s.spent_last_second(1400) == 0);
}

TEST_CASE("over a long run under a backlog, one pod never spends more than the budget grants") {
  // The pod's side of the cap: every call spent a granted token, unspent ones expired.
  shared_rate s(options(200));
  std::uint64_t bucket_millis = 10 * 1000;  // a stand-in for the Redis bucket: 200/s, burst 10
  std::int64_t last = 0;
  for (std::int64_t t = 0; t < 10000; ++t) {
    bucket_millis = std::min<std::uint64_t>(10 * 1000, bucket_millis + static_cast<std::uint64_t>(t - last) * 200);
    last = t;
    if (auto want = s.start_ask(t, 1000)) {
      const auto granted = std::min<std::uint64_t>(*want, bucket_millis / 1000);
      bucket_millis -= granted * 1000;
      // As the script answers: the time until the bucket holds the ask again.
      const std::uint64_t asked = std::uint64_t{*want} * 1000;
      const auto refill = static_cast<std::int64_t>(bucket_millis < asked ? (asked - bucket_millis + 199) / 200 : 0);
      s.on_granted(t, static_cast<std::uint32_t>(granted), refill, 1);
    }
    while (s.try_take(t)) {
    }
  }
  const auto& st = s.stats();
  CHECK(st.spent_leased + st.expired + s.available(10000) == st.leased);
  CHECK(st.leased <= 10 + 200 * 10);  // the burst plus 10 s of the rate
  CHECK(st.spent_leased >= 200 * 10 * 9 / 10);
  CHECK(st.asks <= 10 * 24);  // about twenty asks a second (a burst's worth each), not one per call
}
