#include <doctest/doctest.h>

#include "herald/pipeline/watermark.hpp"

using herald::pipeline::watermark;

TEST_CASE("nothing is committable before the first settlement") {
  watermark w;
  w.track(10);
  w.track(11);
  CHECK_FALSE(w.committable().has_value());
  CHECK(w.in_flight() == 2);
}

TEST_CASE("out-of-order settlement commits only up to the lowest unsettled offset") {
  watermark w;
  for (int o = 10; o < 15; ++o) w.track(o);
  CHECK(w.settle(12));
  CHECK(w.settle(13));
  CHECK_FALSE(w.committable().has_value());  // 10 is still open
  CHECK(w.settle(10));
  CHECK(w.committable() == 11);  // 11 is the lowest unsettled
  CHECK(w.settle(11));
  CHECK(w.committable() == 14);
  CHECK(w.settle(14));
  CHECK(w.committable() == 15);  // all settled: one past the highest
  CHECK(w.in_flight() == 0);
}

TEST_CASE("gaps in offsets (compaction, transaction markers) do not block the watermark") {
  watermark w;
  w.track(5);
  w.track(9);
  CHECK(w.settle(5));
  CHECK(w.committable() == 9);
  CHECK(w.settle(9));
  CHECK(w.committable() == 10);
}

TEST_CASE("settling an unknown or already settled offset is refused") {
  watermark w;
  w.track(1);
  CHECK_FALSE(w.settle(2));
  CHECK(w.settle(1));
  CHECK_FALSE(w.settle(1));
  CHECK(w.in_flight() == 0);
}

TEST_CASE("reset forgets a revoked partition") {
  watermark w;
  w.track(1);
  w.settle(1);
  w.reset();
  CHECK_FALSE(w.committable().has_value());
  CHECK(w.in_flight() == 0);
}
