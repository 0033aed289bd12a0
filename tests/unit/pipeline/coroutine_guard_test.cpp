#include "herald/pipeline/coroutine_guard.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

using namespace herald::pipeline;

TEST_CASE("only the reserve step ends its events as failed; a step that may have sent ends them unknown") {
  CHECK(ending_of(step::reserve) == ending::failed_to_dlq);
  CHECK(ending_of(step::send) == ending::unknown);
  CHECK(ending_of(step::receipt_check) == ending::unknown);
  CHECK(ending_of(step::decide_unknown) == ending::unknown);
}

TEST_CASE("a failed step ends only the items it still holds, each once") {
  struct row {
    const char* name;
    held_view item;
    bool is_ended;
  };
  const std::uint64_t task = 7;
  const row rows[] = {
      {"still held, not settled", {7, false}, true},
      {"still held, already settled (outcome made, or parked)", {7, true}, false},
      {"handed on (batcher, queue, timer): stamp cleared", {0, false}, false},
      {"handed on to another coroutine", {8, false}, false},
      {"recycled for another event, held by another coroutine", {9, false}, false},
      {"recycled, settled since", {9, true}, false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    const held_view one[] = {r.item};
    auto plan = plan_step_failure(step::send, task, std::make_exception_ptr(std::runtime_error("boom")), one);
    CHECK(plan.to_end.size() == (r.is_ended ? 1u : 0u));
  }
}

TEST_CASE("the plan keeps the held items' order and says what went wrong") {
  const held_view held[] = {{3, false}, {0, false}, {3, false}, {3, true}, {4, false}};
  auto plan = plan_step_failure(step::reserve, 3, std::make_exception_ptr(std::out_of_range("map::at")), held);
  CHECK(plan.to_end == std::vector<std::size_t>{0, 2});
  CHECK(plan.how == ending::failed_to_dlq);
  CHECK(plan.what == "map::at");
  CHECK(plan.reason == "internal error in the reserve step: map::at");

  auto sent = plan_step_failure(step::send, 3, std::make_exception_ptr(std::runtime_error("parse")), held);
  CHECK(sent.how == ending::unknown);
  CHECK(sent.reason == "internal error in the send step: parse; it may have been sent, so it is not sent again");
}

TEST_CASE("an exception that is not a std::exception is still described") {
  CHECK(describe(std::make_exception_ptr(42)) == "unknown exception");
  CHECK(describe(std::make_exception_ptr(std::logic_error("bad"))) == "bad");
}

namespace {

struct fake_item {
  std::uint64_t task = 0;
  bool is_settled = false;
};

// A coroutine that holds its items across a suspension, hands the first one on, settles the
// second, and throws with the third still held.
boost::asio::awaitable<void> throws_after_suspending(fake_item* items) {
  co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
  items[0].task = 0;           // handed on (e.g. to the batcher)
  items[1].is_settled = true;  // its outcome was made
  throw std::runtime_error("gateway parser fault");
}

}  // namespace

TEST_CASE("a coroutine that throws on an io_context runs its handler with the exception") {
  boost::asio::io_context io;
  fake_item items[3];
  const std::uint64_t task = 1;
  for (auto& it : items) it.task = task;
  bool ran = false;
  step_failure_plan plan;
  boost::asio::co_spawn(io, throws_after_suspending(items), on_exception([&](std::exception_ptr e) {
                          ran = true;
                          std::vector<held_view> views;
                          for (const auto& it : items) views.push_back({it.task, it.is_settled});
                          plan = plan_step_failure(step::send, task, e, views);
                        }));
  io.run();
  REQUIRE(ran);
  CHECK(plan.what == "gateway parser fault");
  CHECK(plan.to_end == std::vector<std::size_t>{2});
}

TEST_CASE("a coroutine that ends normally does not run the handler") {
  boost::asio::io_context io;
  bool ran = false;
  auto fine = []() -> boost::asio::awaitable<void> { co_return; };
  boost::asio::co_spawn(io, fine(), on_exception([&](std::exception_ptr) { ran = true; }));
  io.run();
  CHECK_FALSE(ran);
}
