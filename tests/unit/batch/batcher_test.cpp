#include <doctest/doctest.h>

#include "herald/batch/batcher.hpp"

using herald::batch::batcher;

TEST_CASE("a batch is flushed the moment it reaches the route's maximum") {
  batcher<int> b(50);
  int items[3] = {1, 2, 3};
  CHECK_FALSE(b.add("a", 3, &items[0], 0));
  CHECK_FALSE(b.add("a", 3, &items[1], 1));
  auto full = b.add("a", 3, &items[2], 2);
  REQUIRE(full);
  CHECK(full->route == "a");
  CHECK(full->items == std::vector<int*>{&items[0], &items[1], &items[2]});
  CHECK(b.size() == 0);
  CHECK_FALSE(b.next_due_ms());
}

TEST_CASE("routes never share a batch") {
  batcher<int> b(50);
  int x = 0, y = 0;
  CHECK_FALSE(b.add("a", 2, &x, 0));
  CHECK_FALSE(b.add("b", 2, &y, 0));
  auto all = b.take_all();
  REQUIRE(all.size() == 2);
  CHECK(all[0].items.size() == 1);
  CHECK(all[1].items.size() == 1);
  CHECK(all[0].route != all[1].route);
}

TEST_CASE("a partial batch is flushed after its linger time, not before") {
  batcher<int> b(50);
  int x = 0, y = 0;
  CHECK_FALSE(b.add("a", 100, &x, 1000));
  CHECK_FALSE(b.add("b", 100, &y, 1030));
  CHECK(b.next_due_ms() == 1050);
  CHECK(b.take_due(1049).empty());
  auto due = b.take_due(1050);
  REQUIRE(due.size() == 1);
  CHECK(due[0].route == "a");
  CHECK(b.next_due_ms() == 1080);
  CHECK(b.size() == 1);
}

TEST_CASE("a route's linger restarts with its next batch") {
  batcher<int> b(10);
  int x = 0, y = 0;
  b.add("a", 1, &x, 0);  // flushed at once (max 1)
  CHECK_FALSE(b.next_due_ms());
  b.add("a", 5, &y, 100);
  CHECK(b.next_due_ms() == 110);
}

TEST_CASE("a route is forgotten once its batch is taken, whichever way it was taken") {
  batcher<int> b(10);
  int x = 0, y = 0, z = 0;
  b.add("full", 2, &x, 0);
  CHECK(b.route_count() == 1);
  CHECK(b.add("full", 2, &y, 1));  // taken because it filled
  CHECK(b.route_count() == 0);
  b.add("due", 5, &z, 0);
  CHECK(b.route_count() == 1);
  CHECK(b.take_due(10).size() == 1);  // taken at its linger time
  CHECK(b.route_count() == 0);
  b.add("stopping", 5, &z, 20);
  CHECK(b.take_all().size() == 1);  // taken on stop
  CHECK(b.route_count() == 0);
  CHECK(b.size() == 0);
  CHECK_FALSE(b.next_due_ms());
}

TEST_CASE("a batch of one never opens a route") {
  batcher<int> b(10);
  int x = 0;
  auto full = b.add("single", 1, &x, 0);
  REQUIRE(full);
  CHECK(full->route == "single");
  CHECK(full->items == std::vector<int*>{&x});
  CHECK(b.route_count() == 0);
  CHECK_FALSE(b.next_due_ms());
}

TEST_CASE("a batch taken because it filled leaves no due time behind") {
  batcher<int> b(10);
  int items[4] = {};
  b.add("a", 2, &items[0], 0);
  b.add("b", 5, &items[1], 5);
  CHECK(b.next_due_ms() == 10);
  CHECK(b.add("a", 2, &items[2], 6));  // "a" filled: its due time (10) is stale now
  CHECK(b.next_due_ms() == 15);
  b.add("a", 2, &items[3], 7);  // the same route again: a new batch, due at 17, not at 10
  auto due = b.take_due(16);
  REQUIRE(due.size() == 1);
  CHECK(due[0].route == "b");
  CHECK(b.next_due_ms() == 17);
  due = b.take_due(17);
  REQUIRE(due.size() == 1);
  CHECK(due[0].route == "a");
  CHECK(due[0].items == std::vector<int*>{&items[3]});
}

TEST_CASE("take_due hands batches out earliest due first, opening order among equals") {
  batcher<int> b(100);
  int items[5] = {};
  // Opened out of time order (the batcher is pure: any time may be passed in).
  b.add("c", 10, &items[0], 30);
  b.add("a", 10, &items[1], 10);
  b.add("d", 10, &items[2], 40);
  b.add("b", 10, &items[3], 20);
  b.add("a2", 10, &items[4], 10);
  auto due = b.take_due(135);
  REQUIRE(due.size() == 4);
  CHECK(due[0].route == "a");
  CHECK(due[1].route == "a2");
  CHECK(due[2].route == "b");
  CHECK(due[3].route == "c");
  CHECK(b.route_count() == 1);
  CHECK(b.next_due_ms() == 140);
}

TEST_CASE("next_due_ms is the earliest open batch's among many routes") {
  batcher<int> b(50);
  std::vector<int> items(1000);
  // Opened at times that are not in order: 7 * i mod 1000 visits every time once.
  for (int i = 0; i < 1000; ++i) b.add("r" + std::to_string(i), 10, &items[i], 1000 + (7 * i) % 1000);
  CHECK(b.next_due_ms() == 1050);
  for (std::int64_t t = 1050; t < 2050; t += 100) {
    b.take_due(t);
    CHECK(b.next_due_ms() == t + 1);
    CHECK(b.route_count() == static_cast<std::size_t>(2049 - t));
  }
}

TEST_CASE("250k distinct routes: each is dropped when taken, none is kept") {
  batcher<int> b(5);
  int x = 0;
  std::size_t taken = 0, most_open = 0;
  std::string route;
  for (int i = 0; i < 250'000; ++i) {
    route = "acct\x1fSMS_" + std::to_string(i) + "\x1fsign\x1fSMS\x1f" + std::to_string(i);
    const std::int64_t now = i / 100;  // 100 routes a millisecond, as aliyun_card at 100k events/s
    b.add(route, 100, &x, now);
    if (i % 100 == 0) taken += b.take_due(now).size();
    most_open = std::max(most_open, b.route_count());
  }
  taken += b.take_all().size();
  CHECK(taken == 250'000);
  CHECK(b.route_count() == 0);
  CHECK(b.size() == 0);
  // Only the routes of the last linger time are open at once (5 ms × 100 a millisecond).
  CHECK(most_open <= 700);
}
