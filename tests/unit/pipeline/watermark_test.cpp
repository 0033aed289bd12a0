#include <doctest/doctest.h>

#include "herald/pipeline/watermark.hpp"

#include <algorithm>
#include <initializer_list>
#include <vector>

using herald::pipeline::watermark;
using tracked_as = watermark::track_result;

namespace {

// Tracks offsets that must all be new.
void track_all(watermark& w, std::initializer_list<std::int64_t> offsets) {
  for (auto o : offsets) REQUIRE(w.track(o) == tracked_as::tracked);
}

}  // namespace

TEST_CASE("nothing is committable before the first settlement") {
  watermark w;
  track_all(w, {10, 11});
  CHECK_FALSE(w.committable().has_value());
  CHECK(w.in_flight() == 2);
}

TEST_CASE("out-of-order settlement commits only up to the lowest unsettled offset") {
  watermark w;
  track_all(w, {10, 11, 12, 13, 14});
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
  track_all(w, {5, 9});
  CHECK(w.settle(5));
  // Not 9: an offset in the gap may still come (after a seek back) and must not be skipped.
  // Committing 6 instead of 9 redelivers nothing more: 9 is in flight either way.
  CHECK(w.committable() == 6);
  CHECK(w.settle(9));
  CHECK(w.committable() == 10);
}

TEST_CASE("settling an unknown or already settled offset is refused") {
  watermark w;
  track_all(w, {1});
  CHECK_FALSE(w.settle(2));
  CHECK(w.settle(1));
  CHECK_FALSE(w.settle(1));
  CHECK(w.in_flight() == 0);
}

TEST_CASE("reset forgets a revoked partition") {
  watermark w;
  track_all(w, {1});
  w.settle(1);
  w.reset();
  CHECK_FALSE(w.committable().has_value());
  CHECK(w.in_flight() == 0);
}

TEST_CASE("a redelivered offset is reported, never tracked twice, and the commit goes on") {
  struct row {
    const char* name;
    std::vector<std::int64_t> settled_first;  // settled before the redelivery
    std::int64_t redelivered;
    tracked_as expected;
  };
  const row rows[] = {
      // track 10, 11, 12, settle 10, track 11: froze the partition's commit for good.
      {"unsettled, after a lower one settled", {10}, 11, tracked_as::already_in_flight},
      {"unsettled, nothing settled yet", {}, 11, tracked_as::already_in_flight},
      {"unsettled, the highest", {10}, 12, tracked_as::already_in_flight},
      {"settled, above the committed point", {12}, 12, tracked_as::already_settled},
      {"settled, with an unsettled one below it", {11}, 11, tracked_as::already_settled},
      {"below the committed point", {10, 11}, 10, tracked_as::already_settled},
      {"just below the committed point", {10, 11}, 11, tracked_as::already_settled},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    watermark w;
    track_all(w, {10, 11, 12});
    for (auto o : r.settled_first) REQUIRE(w.settle(o));
    const auto in_flight = w.in_flight();
    const auto committable = w.committable();
    CHECK(w.check(r.redelivered) == r.expected);
    CHECK(w.track(r.redelivered) == r.expected);
    CHECK(w.in_flight() == in_flight);      // nothing new to settle
    CHECK(w.committable() == committable);  // the commit did not move back
    // Settling each offset once commits the whole partition.
    for (std::int64_t o = 10; o <= 12; ++o)
      if (std::find(r.settled_first.begin(), r.settled_first.end(), o) == r.settled_first.end()) CHECK(w.settle(o));
    CHECK_FALSE(w.settle(r.redelivered));  // one entry per offset: never settled twice
    CHECK(w.in_flight() == 0);
    CHECK(w.committable() == 13);
  }
}

TEST_CASE("the exact sequence that froze a partition: track 10, 11, 12, settle 10, track 11") {
  watermark w;
  track_all(w, {10, 11, 12});
  CHECK(w.settle(10));
  CHECK(w.track(11) == tracked_as::already_in_flight);
  CHECK(w.settle(11));
  CHECK(w.settle(12));
  CHECK(w.committable() == 13);
  CHECK(w.in_flight() == 0);
}

TEST_CASE("a new offset that comes after a higher one is tracked in order") {
  watermark w;
  track_all(w, {10, 12, 13});
  CHECK(w.settle(10));
  CHECK(w.committable() == 11);
  CHECK(w.track(11) == tracked_as::tracked);  // e.g. redelivered from a seek back, first time here
  CHECK(w.in_flight() == 3);
  CHECK(w.settle(12));
  CHECK(w.committable() == 11);  // 11 holds the commit
  CHECK(w.settle(11));
  CHECK(w.committable() == 13);
  CHECK(w.track(9) == tracked_as::already_settled);  // below the committed point
  CHECK(w.settle(13));
  CHECK(w.committable() == 14);
}

TEST_CASE("a lower new offset before anything settled is tracked in front") {
  watermark w;
  track_all(w, {10, 11});
  CHECK(w.track(5) == tracked_as::tracked);
  CHECK(w.settle(10));
  CHECK(w.settle(11));
  CHECK_FALSE(w.committable().has_value());  // 5 is still open
  CHECK(w.settle(5));
  CHECK(w.committable() == 12);
}

TEST_CASE("after a reset every offset is new again") {
  watermark w;
  track_all(w, {10, 11});
  CHECK(w.settle(10));
  w.reset();
  CHECK(w.track(10) == tracked_as::tracked);
  CHECK(w.track(11) == tracked_as::tracked);
  CHECK(w.track(11) == tracked_as::already_in_flight);
  CHECK(w.settle(10));
  CHECK(w.committable() == 11);
}
