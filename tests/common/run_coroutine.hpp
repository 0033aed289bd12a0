#pragma once
// Runs a test body written as a coroutine on its own io_context, rethrows what it threw, and
// fails the test if it has not finished within `limit` (a hung connection must not hang ctest).
#include <doctest/doctest.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <functional>

namespace herald::testing {

inline void run_coroutine(const std::function<boost::asio::awaitable<void>(boost::asio::any_io_executor)>& body,
                          std::chrono::seconds limit) {
  boost::asio::io_context io;
  bool is_finished = false;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, body(io.get_executor()), [&](std::exception_ptr e) {
    is_finished = true;
    failure = e;
    io.stop();
  });
  io.run_for(limit);
  if (failure) std::rethrow_exception(failure);
  REQUIRE_MESSAGE(is_finished, "the test did not finish within " << limit.count() << " s");
}

}  // namespace herald::testing
