// The in-flight limits of the kafka section: max_event_bytes, max_in_flight_bytes and
// max_in_flight_per_account (docs/configuration.md).
#include <doctest/doctest.h>

#include "config_test_support.hpp"

using namespace herald::config;
using namespace herald::config::test;

namespace {

herald_config kafka_of(std::string_view kafka_json) {
  return parse_config(minimal_config("", std::string(R"("kafka": )") + std::string(kafka_json)));
}
std::string kafka_error(std::string_view kafka_json) {
  return error_of(minimal_config("", std::string(R"("kafka": )") + std::string(kafka_json)));
}

}  // namespace

TEST_CASE("the limits have their documented defaults") {
  const herald_config cfg = parse_config(minimal_config());
  CHECK(cfg.kafka.max_event_bytes == 65536);
  CHECK(cfg.kafka.max_in_flight_bytes == 64u * 1024 * 1024);
  CHECK(cfg.kafka.max_in_flight_per_account == 10000);  // half of max_in_flight's 20000
  const herald_config empty = kafka_of("{}");
  CHECK(empty.kafka.max_in_flight_per_account == 10000);
}

TEST_CASE("an account's share defaults to half of max_in_flight, whatever that is") {
  CHECK(kafka_of(R"({"max_in_flight": 300})").kafka.max_in_flight_per_account == 150);
  CHECK(kafka_of(R"({"max_in_flight": 1})").kafka.max_in_flight_per_account == 1);
  CHECK(kafka_of(R"({"max_in_flight": 3})").kafka.max_in_flight_per_account == 1);
}

TEST_CASE("the limits are read when given") {
  const herald_config cfg = kafka_of(
      R"({"max_in_flight": 400, "max_in_flight_per_account": 400, "max_in_flight_bytes": 1048576, "max_event_bytes": 2048})");
  CHECK(cfg.kafka.max_in_flight_per_account == 400);
  CHECK(cfg.kafka.max_in_flight_bytes == 1048576);
  CHECK(cfg.kafka.max_event_bytes == 2048);
  CHECK(kafka_of(R"({"max_in_flight_per_account": 7})").kafka.max_in_flight_per_account == 7);
}

TEST_CASE("limits out of range are refused, naming the option") {
  CHECK(kafka_error(R"({"max_in_flight": 100, "max_in_flight_per_account": 101})") ==
        "kafka.max_in_flight_per_account: max_in_flight_per_account (101) must not be more than max_in_flight (100)");
  CHECK(kafka_error(R"({"max_in_flight_per_account": 0})") ==
        "kafka.max_in_flight_per_account: must be an integer from 1 to 10000000 (got 0)");
  CHECK(kafka_error(R"({"max_event_bytes": 1023})") ==
        "kafka.max_event_bytes: must be an integer from 1024 to 100000000 (got 1023)");
  CHECK(kafka_error(R"({"max_event_bytes": "64k"})").starts_with("kafka.max_event_bytes: must be an integer"));
  CHECK(kafka_error(R"({"max_in_flight_bytes": 65535})") ==
        "kafka.max_in_flight_bytes: must be an integer from 65536 to 4294967295 (got 65535)");
  CHECK(kafka_error(R"({"max_in_flight_bytes": 4294967296})") ==
        "kafka.max_in_flight_bytes: must be an integer from 65536 to 4294967295 (got 4294967296)");
}

TEST_CASE("check-config shows the effective limits") {
  const std::string text = to_redacted_json(kafka_of(R"({"max_in_flight": 300, "max_event_bytes": 4096})"));
  CHECK(text.find(R"("max_in_flight_per_account": 150)") != std::string::npos);
  CHECK(text.find(R"("max_event_bytes": 4096)") != std::string::npos);
  CHECK(text.find(R"("max_in_flight_bytes": 67108864)") != std::string::npos);
}
