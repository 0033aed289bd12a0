// Which PING error answers stop the worker at start-up (the configuration's) and which are tried
// again (a Redis restarting, busy or cut off from its master), row by row.
#include <doctest/doctest.h>

#include "herald/redis/handshake_refusal.hpp"

using herald::redis::is_handshake_refusal;

TEST_CASE("NOAUTH, NOPERM and WRONGPASS are refusals; LOADING, BUSY, MASTERDOWN and the rest are tried again") {
  struct row {
    const char* reply;
    bool is_refusal;
  };
  const row rows[] = {
      {"NOAUTH Authentication required.", true},
      {"NOPERM User herald-limited has no permissions to run the 'ping' command", true},
      {"WRONGPASS invalid username-password pair or user is disabled.", true},
      {"LOADING Redis is loading the dataset in memory", false},
      {"BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.", false},
      {"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", false},
      {"ERR unknown command", false},
      {"", false},
      {"noauth lower case is not Redis's", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.reply);
    CHECK(is_handshake_refusal(r.reply) == r.is_refusal);
  }
}

TEST_CASE("a failed ledger call is a permission refusal only when the server's reply says NOPERM") {
  using herald::redis::is_permission_refusal;
  CHECK(is_permission_refusal("ledger reserve: NOPERM this user has no permissions to run the 'evalsha' command"));
  CHECK(is_permission_refusal("ledger settle: NOPERM No permissions to access a key"));
  CHECK_FALSE(is_permission_refusal("ledger reserve: timed out after 2000 ms"));
  CHECK_FALSE(is_permission_refusal("ledger reserve: redis unavailable: connection refused"));
  CHECK_FALSE(is_permission_refusal("ledger reserve: OOM command not allowed when used memory > 'maxmemory'."));
  CHECK_FALSE(is_permission_refusal(""));
}
