#include <doctest/doctest.h>

#include "herald/batch/batcher.hpp"

#include <set>
#include <string>
#include <vector>

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

// Distinct keys (gateway::batch_distinct_key; 抖店's order_id): no batch holds two items with one.
TEST_CASE("distinct keys: an item whose key is in the open batch goes into the next one") {
  batcher<int> b(50);
  int items[4] = {};
  CHECK_FALSE(b.add("r", 10, &items[0], 0, "K1"));
  CHECK_FALSE(b.add("r", 10, &items[1], 1, "K1"));  // K1 is taken: a second batch
  CHECK_FALSE(b.add("r", 10, &items[2], 2, "K2"));  // joins the first
  CHECK_FALSE(b.add("r", 10, &items[3], 3, "K1"));  // in both: a third
  CHECK(b.route_count() == 1);
  CHECK(b.batch_count() == 3);
  CHECK(b.size() == 4);
  auto all = b.take_all();
  REQUIRE(all.size() == 3);
  CHECK(all[0].items == std::vector<int*>{&items[0], &items[2]});
  CHECK(all[1].items == std::vector<int*>{&items[1]});
  CHECK(all[2].items == std::vector<int*>{&items[3]});
  for (const auto& x : all) CHECK(x.route == "r");
  CHECK(b.batch_count() == 0);
  CHECK(b.size() == 0);
}

TEST_CASE("distinct keys: items without a key, or with different keys, share a batch as before") {
  batcher<int> b(50);
  int items[4] = {};
  CHECK_FALSE(b.add("r", 4, &items[0], 0));
  CHECK_FALSE(b.add("r", 4, &items[1], 0, ""));
  CHECK_FALSE(b.add("r", 4, &items[2], 0, "K1"));
  auto full = b.add("r", 4, &items[3], 0, "K2");
  REQUIRE(full);
  CHECK(full->items.size() == 4);
  CHECK(b.batch_count() == 0);
}

TEST_CASE("distinct keys: keys are per route") {
  batcher<int> b(50);
  int x = 0, y = 0;
  b.add("r1", 10, &x, 0, "K");
  b.add("r2", 10, &y, 0, "K");
  CHECK(b.route_count() == 2);
  CHECK(b.batch_count() == 2);
}

TEST_CASE("distinct keys: when the open batch fills, the next becomes the route's open batch") {
  batcher<int> b(50);
  int items[5] = {};
  b.add("r", 2, &items[0], 0, "K1");
  b.add("r", 2, &items[1], 1, "K1");         // the next batch
  auto full = b.add("r", 2, &items[2], 2, "K2");  // fills the first
  REQUIRE(full);
  CHECK(full->items == std::vector<int*>{&items[0], &items[2]});
  CHECK(b.route_count() == 1);
  CHECK(b.batch_count() == 1);
  // The K1 of the batch taken is free again, but the open batch holds K1 too: a new next batch.
  CHECK_FALSE(b.add("r", 2, &items[3], 3, "K1"));
  CHECK(b.batch_count() == 2);
  full = b.add("r", 2, &items[4], 4, "K3");  // joins the (new) open batch
  REQUIRE(full);
  CHECK(full->items == std::vector<int*>{&items[1], &items[4]});
  auto all = b.take_all();
  REQUIRE(all.size() == 1);
  CHECK(all[0].items == std::vector<int*>{&items[3]});
}

TEST_CASE("distinct keys: a next batch lingers from its own opening and is due after the first") {
  batcher<int> b(50);
  int items[3] = {};
  b.add("r", 10, &items[0], 1000, "K");
  b.add("r", 10, &items[1], 1020, "K");
  CHECK(b.next_due_ms() == 1050);
  auto due = b.take_due(1050);
  REQUIRE(due.size() == 1);
  CHECK(due[0].items == std::vector<int*>{&items[0]});
  CHECK(b.next_due_ms() == 1070);
  CHECK(b.route_count() == 1);
  // The one left is now the route's open batch: it takes new keys.
  b.add("r", 10, &items[2], 1060, "K2");
  due = b.take_due(1070);
  REQUIRE(due.size() == 1);
  CHECK(due[0].items == std::vector<int*>{&items[1], &items[2]});
  CHECK(b.route_count() == 0);
  CHECK_FALSE(b.next_due_ms());
}

TEST_CASE("distinct keys: a reused batch forgets the keys of the items it held") {
  batcher<int> b(50);
  int items[3] = {};
  b.add("r", 10, &items[0], 0, "K");
  CHECK(b.take_all().size() == 1);
  b.add("other", 10, &items[1], 1, "K2");  // reuses the freed slot
  b.add("other", 10, &items[2], 2, "K");   // K was the old batch's, not this one's
  CHECK(b.batch_count() == 1);
  auto all = b.take_all();
  REQUIRE(all.size() == 1);
  CHECK(all[0].items.size() == 2);
}

TEST_CASE("distinct keys: a batch of one is handed out at once, key or not") {
  batcher<int> b(50);
  int x = 0, y = 0;
  CHECK(b.add("r", 1, &x, 0, "K"));
  CHECK(b.add("r", 1, &y, 0, "K"));
  CHECK(b.batch_count() == 0);
}

TEST_CASE("distinct keys: 100 items, 10 per key, make 10 batches of 10 distinct keys each") {
  batcher<int> b(50);
  std::vector<int> items(100);
  std::vector<std::string> keys;
  for (int k = 0; k < 10; ++k) keys.push_back("order-" + std::to_string(k));
  std::vector<herald::batch::batch<int>> out;
  for (int i = 0; i < 100; ++i)
    if (auto full = b.add("r", 10, &items[i], i, keys[i / 10])) out.push_back(std::move(*full));
  for (auto& x : b.take_all()) out.push_back(std::move(x));
  CHECK(out.size() == 10);
  for (const auto& x : out) {
    CHECK(x.items.size() == 10);
    std::set<int> seen;  // the key of item i is i / 10
    for (int* p : x.items) seen.insert(static_cast<int>(p - items.data()) / 10);
    CHECK(seen.size() == x.items.size());
  }
  CHECK(b.size() == 0);
  CHECK(b.batch_count() == 0);
}
