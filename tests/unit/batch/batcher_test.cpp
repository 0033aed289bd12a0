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
