// Which librdkafka __AUTHENTICATION reasons are the brokers refusing Herald's credentials (stop
// at start-up) and which are a connection lost mid-handshake (tried again), row by row.
#include <doctest/doctest.h>

#include "herald/kafka/credentials_refusal.hpp"

using herald::kafka::is_credentials_refusal;

TEST_CASE("only the broker's answer that the credentials are wrong is a refusal") {
  struct row {
    const char* reason;
    bool is_refusal;
  };
  const row rows[] = {
      {"sasl_plaintext://127.0.0.1:19094/bootstrap: SASL authentication error: Authentication failed: Invalid "
       "username or password (after 3ms in state AUTH_REQ)",
       true},
      {"sasl_plaintext://127.0.0.1:19094/1: SASL authentication error: Authentication failed during authentication "
       "due to invalid credentials with SASL mechanism SCRAM-SHA-256",
       true},
      {"sasl_plaintext://127.0.0.1:19094/bootstrap: SASL PLAIN mechanism handshake failed: Local: Broker transport "
       "failure: broker's supported mechanisms: PLAIN",
       false},
      {"sasl_plaintext://127.0.0.1:19094/bootstrap: SASL authentication error: Disconnected (after 10ms in state "
       "AUTH_REQ)",
       false},
      {"sasl_plaintext://127.0.0.1:19094/bootstrap: SASL authentication error: Timed out", false},
      {"sasl_plaintext://127.0.0.1:19094/bootstrap: Connect to ipv4#127.0.0.1:19094 failed: Connection refused", false},
      {"", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.reason);
    CHECK(is_credentials_refusal(r.reason) == r.is_refusal);
  }
}
