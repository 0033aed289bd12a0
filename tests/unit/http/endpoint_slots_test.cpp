#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "herald/http/endpoint_slots.hpp"

using namespace std::chrono_literals;
using slots = herald::http::endpoint_slots<int, char>;  // connections are ints, waiters are chars
using verdict = slots::verdict;

namespace {
const slots::clock::time_point t0{};
}  // namespace

TEST_CASE("connections are opened up to the limit, then callers wait") {
  slots s(2, 30s);
  std::vector<int> expired;
  CHECK(s.acquire(t0, expired).what == verdict::open_new);
  CHECK(s.acquire(t0, expired).what == verdict::open_new);
  CHECK(s.open() == 2);
  CHECK(s.acquire(t0, expired).what == verdict::wait);
  CHECK(s.open() == 2);
}

TEST_CASE("a given-back connection is reused, the most recent first") {
  slots s(3, 30s);
  std::vector<int> expired;
  (void)s.acquire(t0, expired);
  (void)s.acquire(t0, expired);
  CHECK_FALSE(s.give_back(1, t0));
  CHECK_FALSE(s.give_back(2, t0 + 1s));
  auto a = s.acquire(t0 + 2s, expired);
  CHECK(a.what == verdict::reuse);
  CHECK(a.connection == 2);
  CHECK(s.open() == 2);
  CHECK(s.idle() == 1);
}

TEST_CASE("waiters are served first come, first served, by connections given back") {
  slots s(1, 30s);
  std::vector<int> expired;
  REQUIRE(s.acquire(t0, expired).what == verdict::open_new);
  REQUIRE(s.acquire(t0, expired).what == verdict::wait);
  s.wait('a');
  REQUIRE(s.acquire(t0, expired).what == verdict::wait);
  s.wait('b');
  auto first = s.give_back(7, t0);
  REQUIRE(first);
  CHECK(first->waiter == 'a');
  CHECK(first->connection == 7);
  CHECK(s.idle() == 0);  // handed over, never idle: a newcomer cannot take it
  auto second = s.give_back(7, t0);
  REQUIRE(second);
  CHECK(second->waiter == 'b');
  CHECK_FALSE(s.give_back(7, t0));
  CHECK(s.idle() == 1);
}

TEST_CASE("the slot of a closed connection passes to the longest waiter") {
  slots s(1, 30s);
  std::vector<int> expired;
  REQUIRE(s.acquire(t0, expired).what == verdict::open_new);
  REQUIRE(s.acquire(t0, expired).what == verdict::wait);
  s.wait('a');
  auto handed = s.drop();
  REQUIRE(handed);
  CHECK(handed->waiter == 'a');
  CHECK_FALSE(handed->connection);  // a slot to open a new connection in
  CHECK(s.open() == 1);
  CHECK_FALSE(s.drop());
  CHECK(s.open() == 0);
}

TEST_CASE("a waiter that gives up leaves the queue; one already served cannot") {
  slots s(1, 30s);
  std::vector<int> expired;
  REQUIRE(s.acquire(t0, expired).what == verdict::open_new);
  s.wait('a');
  s.wait('b');
  CHECK(s.cancel('a'));
  CHECK(s.waiting() == 1);
  auto handed = s.give_back(1, t0);
  REQUIRE(handed);
  CHECK(handed->waiter == 'b');
  CHECK_FALSE(s.cancel('b'));
}

TEST_CASE("idle connections expire after the idle timeout and free their slots") {
  slots s(2, 30s);
  std::vector<int> expired;
  (void)s.acquire(t0, expired);
  (void)s.acquire(t0, expired);
  (void)s.give_back(1, t0);
  (void)s.give_back(2, t0 + 10s);
  CHECK(s.next_expiry() == t0 + 30s);
  s.take_expired(t0 + 29s, expired);
  CHECK(expired.empty());
  s.take_expired(t0 + 30s, expired);
  CHECK(expired == std::vector<int>{1});
  CHECK(s.open() == 1);
  CHECK(s.next_expiry() == t0 + 40s);
  expired.clear();
  // acquire also drops expired ones before picking
  auto a = s.acquire(t0 + 41s, expired);
  CHECK(expired == std::vector<int>{2});
  CHECK(a.what == verdict::open_new);
  CHECK(s.open() == 1);
}

TEST_CASE("taking all idle connections frees their slots but not those in use") {
  slots s(3, 30s);
  std::vector<int> out;
  (void)s.acquire(t0, out);
  (void)s.acquire(t0, out);
  (void)s.acquire(t0, out);
  (void)s.give_back(1, t0);
  (void)s.give_back(2, t0);
  s.take_idle(out);
  CHECK(out.size() == 2);
  CHECK(s.open() == 1);
  CHECK_FALSE(s.next_expiry());
}

TEST_CASE("a limit of zero is treated as one") {
  slots s(0, 30s);
  std::vector<int> expired;
  CHECK(s.acquire(t0, expired).what == verdict::open_new);
  CHECK(s.acquire(t0, expired).what == verdict::wait);
}
