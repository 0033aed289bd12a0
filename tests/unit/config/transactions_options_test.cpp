// The Kafka transaction options of the kafka section: transactions, transactional_id,
// transaction_interval_ms and transaction_timeout_ms (docs/configuration.md).
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

TEST_CASE("transactions are on by default, committed every 100 ms, aborted by the broker after 10 s") {
  const herald_config cfg = parse_config(minimal_config());
  CHECK(cfg.kafka.transactions);
  CHECK(cfg.kafka.transactional_id.empty());  // made at start-up from group_id and the pod's name
  CHECK(cfg.kafka.transaction_interval_ms == 100);
  CHECK(cfg.kafka.transaction_timeout_ms == 60000);
}

TEST_CASE("the transaction options are read when given") {
  const herald_config cfg = kafka_of(
      R"({"transactions": false, "transactional_id": "herald-eu-0", "transaction_interval_ms": 250,
          "transaction_timeout_ms": 60000})");
  CHECK_FALSE(cfg.kafka.transactions);
  CHECK(cfg.kafka.transactional_id == "herald-eu-0");
  CHECK(cfg.kafka.transaction_interval_ms == 250);
  CHECK(cfg.kafka.transaction_timeout_ms == 60000);
  CHECK(kafka_of(R"({"transactional_id": ""})").kafka.transactional_id.empty());
}

TEST_CASE("the transactional id may come from the environment") {
  fake_env env;
  env.vars["HERALD_TXN_ID"] = "herald-from-env";
  const herald_config cfg =
      parse_config(minimal_config("", R"("kafka": {"transactional_id": "${HERALD_TXN_ID}"})"), env.function());
  CHECK(cfg.kafka.transactional_id == "herald-from-env");
}

TEST_CASE("transaction options out of range or of the wrong type are refused, naming the option") {
  CHECK(kafka_error(R"({"transactions": "yes"})").starts_with("kafka.transactions: "));
  CHECK(kafka_error(R"({"transaction_interval_ms": 0})") ==
        "kafka.transaction_interval_ms: must be an integer from 1 to 60000 (got 0)");
  CHECK(kafka_error(R"({"transaction_timeout_ms": 999})") ==
        "kafka.transaction_timeout_ms: must be an integer from 1000 to 900000 (got 999)");
  CHECK(kafka_error(R"({"transaction_timeout_ms": 900001})") ==
        "kafka.transaction_timeout_ms: must be an integer from 1000 to 900000 (got 900001)");
  CHECK(kafka_error(R"({"transactional_id": 7})").starts_with("kafka.transactional_id: "));
  CHECK(kafka_error(R"({"transactional_id": ")" + std::string(256, 'x') + R"("})")
            .starts_with("kafka.transactional_id: "));
}

TEST_CASE("a commit interval that is not shorter than the transaction timeout is refused") {
  CHECK(kafka_error(R"({"transaction_interval_ms": 60000})") ==
        "kafka.transaction_interval_ms: transaction_interval_ms (60000) must be less than transaction_timeout_ms "
        "(60000): the broker would abort every transaction before its commit");
  CHECK(kafka_error(R"({"transaction_interval_ms": 5000, "transaction_timeout_ms": 5000})") ==
        "kafka.transaction_interval_ms: transaction_interval_ms (5000) must be less than transaction_timeout_ms "
        "(5000): the broker would abort every transaction before its commit");
  CHECK(kafka_error(R"({"transaction_timeout_ms": 1000, "transaction_interval_ms": 1000})").starts_with(
      "kafka.transaction_interval_ms: "));
  // Without transactions the two do not meet.
  CHECK(kafka_of(R"({"transactions": false, "transaction_interval_ms": 20000})").kafka.transaction_interval_ms ==
        20000);
}

TEST_CASE("librdkafka's transaction properties and the isolation level are Herald's own") {
  CHECK(kafka_error(R"({"producer_properties": {"transactional.id": "x"}})") ==
        "kafka.producer_properties.transactional.id: cannot be set here: set by Herald from kafka.transactional_id");
  CHECK(kafka_error(R"({"producer_properties": {"transaction.timeout.ms": "5000"}})") ==
        "kafka.producer_properties.transaction.timeout.ms: cannot be set here: set by Herald from "
        "kafka.transaction_timeout_ms");
  CHECK(kafka_error(R"({"consumer_properties": {"isolation.level": "read_uncommitted"}})") ==
        "kafka.consumer_properties.isolation.level: cannot be set here: Herald reads only committed records "
        "(read_committed)");
}

TEST_CASE("check-config shows the transaction options, and reads its own output back") {
  const herald_config cfg = kafka_of(R"({"transactional_id": "herald-a", "transaction_interval_ms": 50})");
  const std::string text = to_redacted_json(cfg);
  CHECK(text.find(R"("transactions": true)") != std::string::npos);
  CHECK(text.find(R"("transactional_id": "herald-a")") != std::string::npos);
  CHECK(text.find(R"("transaction_interval_ms": 50)") != std::string::npos);
  CHECK(text.find(R"("transaction_timeout_ms": 60000)") != std::string::npos);
  const herald_config again = parse_config(text);
  CHECK(again.kafka.transactional_id == "herald-a");
  CHECK(again.kafka.transaction_interval_ms == 50);
  const herald_config none = parse_config(to_redacted_json(parse_config(minimal_config())));
  CHECK(none.kafka.transactional_id.empty());
  CHECK(none.kafka.transactions);
}
