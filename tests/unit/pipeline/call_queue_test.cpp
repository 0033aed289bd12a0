// One account's waiting calls: turns between receipt checks and sends, and the hold bound.
#include "herald/pipeline/call_queue.hpp"

#include <doctest/doctest.h>

using herald::pipeline::call_queue;

namespace {
struct ev {
  int id;
};
}  // namespace

TEST_CASE("checks and sends take turns while both wait; either alone goes on") {
  ev c1{1}, c2{2}, c3{3}, b1{11}, b2{12};
  call_queue<ev> q;
  q.push_check(0, &c1);
  q.push_check(0, &c2);
  q.push_check(0, &c3);
  q.push_batch(0, {&b1});
  q.push_batch(0, {&b2});
  std::vector<int> order;
  while (!q.empty()) {
    auto n = q.take_next();
    order.push_back(n.check ? n.check->id : n.batch.front()->id);
  }
  // A thousand checks queued before a send cannot hold it back more than one turn.
  CHECK(order == std::vector<int>{11, 1, 12, 2, 3});
}

TEST_CASE("only what waited longer than the bound is handed back, oldest first") {
  ev a{1}, b{2}, c{3}, d{4};
  call_queue<ev> q;
  q.push_batch(1000, {&a});
  q.push_batch(5000, {&b});
  q.push_check(2000, &c);
  q.push_check(9000, &d);
  auto none = q.take_overdue(31'000, 30'000);  // a waited exactly the bound: not over it
  CHECK(none.empty());
  auto late = q.take_overdue(36'000, 30'000);
  REQUIRE(late.batches.size() == 2);
  CHECK(late.batches[0].front() == &a);
  CHECK(late.batches[1].front() == &b);
  REQUIRE(late.checks.size() == 1);
  CHECK(late.checks[0] == &c);
  CHECK(q.batches() == 0);
  CHECK(q.checks() == 1);
  CHECK(q.take_next().check == &d);
  CHECK(q.empty());
}

TEST_CASE("an empty queue starts nothing") {
  call_queue<ev> q;
  auto n = q.take_next();
  CHECK(n.check == nullptr);
  CHECK(n.batch.empty());
}
