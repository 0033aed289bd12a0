// The finished offsets above a committed one, carried in the commit's metadata.
#include "herald/pipeline/finished_offsets.hpp"

#include <doctest/doctest.h>

using namespace herald::pipeline;

namespace {
watermark tracked(std::int64_t from, std::int64_t to) {
  watermark w;
  for (std::int64_t o = from; o < to; ++o) REQUIRE(w.track(o) == watermark::track_result::tracked);
  return w;
}
}  // namespace

TEST_CASE("settled offsets above the committable one round-trip through the metadata") {
  auto w = tracked(100, 130);
  for (std::int64_t o : {100, 101, 105, 107, 108, 129}) w.settle(o);
  REQUIRE(w.committable() == 102);
  const std::string m = encode_finished(102, w);
  CHECK(m.starts_with("h1:102:"));
  CHECK(decode_finished(m, 102) == std::vector<std::int64_t>{105, 107, 108, 129});
  // Committed with another offset since: it says nothing.
  CHECK(decode_finished(m, 103).empty());
}

TEST_CASE("nothing settled above: no metadata; hostile metadata decodes to nothing") {
  auto w = tracked(0, 10);
  w.settle(0);
  CHECK(encode_finished(1, w).empty());
  for (std::string_view bad : {"", "x", "h1:", "h1:5", "h1:5:", "h1:5:zz", "h1:5:abc", "h1:-:00", "h2:5:ff"})
    CHECK(decode_finished(bad, 5).empty());
  CHECK(decode_finished("h1:5:ff", 5).size() == 8);
}

TEST_CASE("offsets beyond the window are never named, and the text stays under Kafka's metadata limit") {
  auto w = tracked(0, finished_window + 50);
  for (std::int64_t o = 1; o < finished_window + 50; ++o) w.settle(o);
  const std::string m = encode_finished(0, w);
  CHECK(m.size() < 4096);
  const auto named = decode_finished(m, 0);
  REQUIRE_FALSE(named.empty());
  CHECK(named.front() == 1);
  CHECK(named.back() == finished_window - 1);
}

TEST_CASE("a preset offset is dropped when delivered again, and the commit passes it once the gap closes") {
  watermark w;
  w.preset_settled(7);
  CHECK(w.track(5) == watermark::track_result::tracked);
  CHECK(w.track(6) == watermark::track_result::tracked);
  CHECK(w.track(7) == watermark::track_result::already_settled);
  CHECK(w.in_flight() == 2);
  w.settle(5);
  w.settle(6);
  CHECK(w.committable() == 8);
}

TEST_CASE("before anything at the front settled, the lowest tracked offset is the base") {
  auto w = tracked(40, 45);
  CHECK_FALSE(w.committable());
  CHECK(w.low_water() == 40);
  w.settle(43);
  CHECK_FALSE(w.committable());
  CHECK(decode_finished(encode_finished(*w.low_water(), w), 40) == std::vector<std::int64_t>{43});
}

TEST_CASE("a preset offset is no commit point while the offsets below it are not consumed yet") {
  // Committed 100 by the earlier owner, 105 named finished: nothing of 100..104 consumed here yet.
  watermark w;
  w.preset_settled(105);
  // Committing 105 now (the old base) skipped 100..104: lost if the pod died before they settled.
  CHECK_FALSE(w.low_water());
  CHECK_FALSE(w.committable());
  REQUIRE(w.track(100) == watermark::track_result::tracked);
  CHECK(w.low_water() == 100);
  // 100 settles before 101 is consumed (an invalid event settles at once; a gated intake): the
  // commit must stop at 101, not jump the preset to 106 and drop 101..104 as redeliveries.
  w.settle(100);
  CHECK(w.committable() == 101);
  CHECK(w.track(101) == watermark::track_result::tracked);
  w.settle(101);
  CHECK(w.committable() == 102);
  for (std::int64_t o = 102; o < 105; ++o) REQUIRE(w.track(o) == watermark::track_result::tracked);
  for (std::int64_t o = 102; o < 105; ++o) w.settle(o);
  // 105 itself not delivered yet: the commit waits below it (its redelivery is dropped, then passes).
  CHECK(w.committable() == 105);
  CHECK(w.track(105) == watermark::track_result::already_settled);
  CHECK(w.committable() == 106);
}

TEST_CASE("a preset offset delivered again on a waiting topic (checked, not tracked) lets the commit pass it") {
  watermark w;
  w.preset_settled(3);
  REQUIRE(w.track(2) == watermark::track_result::tracked);
  w.settle(2);
  CHECK(w.committable() == 3);
  REQUIRE(w.check(3) == watermark::track_result::already_settled);
  w.note_delivered(3);
  CHECK(w.committable() == 4);
}
