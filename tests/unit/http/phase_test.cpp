#include <doctest/doctest.h>

#include "herald/http/phase.hpp"

using herald::http::classify;
using herald::http::failure;
using herald::http::phase;
using herald::http::should_retry_on_fresh_connection;

TEST_CASE("a failure before the request is completely written means it was not sent") {
  for (phase p : {phase::request, phase::pool, phase::resolve, phase::connect, phase::handshake, phase::write}) {
    CAPTURE(to_string(p));
    CHECK(classify(p) == failure::not_sent);
  }
}

TEST_CASE("a failure after the request was completely written is ambiguous") {
  CHECK(classify(phase::read) == failure::ambiguous);
}

TEST_CASE("only a write failure on a reused connection is retried, and only once") {
  CHECK(should_retry_on_fresh_connection(phase::write, true, 0));
  CHECK_FALSE(should_retry_on_fresh_connection(phase::write, true, 1));
  CHECK_FALSE(should_retry_on_fresh_connection(phase::write, false, 0));
  // The server may have processed a request whose answer never came: never retried here.
  CHECK_FALSE(should_retry_on_fresh_connection(phase::read, true, 0));
  CHECK_FALSE(should_retry_on_fresh_connection(phase::connect, true, 0));
}

TEST_CASE("error messages name the phase and where it failed") {
  CHECK(herald::http::describe(phase::connect, "127.0.0.1:18443", "Connection refused") ==
        "connect 127.0.0.1:18443: Connection refused");
  CHECK(herald::http::describe(phase::read, "", herald::http::describe_timeout(10000)) ==
        "read: timeout after 10000 ms");
}
