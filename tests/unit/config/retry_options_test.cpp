// Where events wait and how often they are retried: kafka.retry_topic / kafka.delay_topic and the
// "retry" section (docs/configuration.md).
#include <doctest/doctest.h>

#include "config_test_support.hpp"

using namespace herald::config;
using namespace herald::config::test;

namespace {

std::string with_section(std::string_view section_json) { return minimal_config("", section_json); }

herald_config config_of(std::string_view text, const fake_env& env = {}) { return parse_config(text, env.function()); }

}  // namespace

TEST_CASE("the retry and delay topics and the retry section have their documented defaults") {
  herald_config cfg = config_of(minimal_config());
  CHECK(cfg.kafka.retry_topic == "herald.retry");
  CHECK(cfg.kafka.delay_topic == "herald.delay");
  CHECK(cfg.retry.max_attempts == 5);
  CHECK(cfg.retry.backoff_base_ms == 200);
  CHECK(cfg.retry.backoff_cap_ms == 60000);
  CHECK(cfg.retry.max_in_process_delay_ms == 5000);
  CHECK(cfg.retry.receipt_grace_ms == 5000);
  CHECK(cfg.retry.max_receipt_checks == 6);

  // An empty section, and a section giving one option, keep every other default.
  herald_config empty = config_of(with_section(R"("retry": {})"));
  CHECK(empty.retry.max_attempts == 5);
  CHECK(empty.retry.backoff_cap_ms == 60000);
  herald_config one = config_of(with_section(R"("retry": {"max_attempts": 9})"));
  CHECK(one.retry.max_attempts == 9);
  CHECK(one.retry.backoff_base_ms == 200);
  CHECK(one.retry.max_receipt_checks == 6);
}

TEST_CASE("retry_topic and delay_topic are read like results_topic and dlq_topic") {
  herald_config cfg = config_of(with_section(R"("kafka": {"retry_topic": "shop.retry-1", "delay_topic": "shop_delay"})"));
  CHECK(cfg.kafka.retry_topic == "shop.retry-1");
  CHECK(cfg.kafka.delay_topic == "shop_delay");

  fake_env env{{{"ENV", "staging"}}};
  herald_config from_env =
      config_of(with_section(R"("kafka": {"retry_topic": "${ENV}.retry", "delay_topic": "${DELAY:-x.delay}"})"), env);
  CHECK(from_env.kafka.retry_topic == "staging.retry");
  CHECK(from_env.kafka.delay_topic == "x.delay");

  CHECK(error_of(with_section(R"("kafka": {"retry_topic": "a b"})")) ==
        "kafka.retry_topic: must be a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ - (got \"a b\")");
  CHECK(error_of(with_section(R"("kafka": {"delay_topic": ".."})")) ==
        "kafka.delay_topic: must be a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ - (got \"..\")");
  CHECK(error_of(with_section(R"("kafka": {"retry_topic": ""})")) == "kafka.retry_topic: must not be empty");
  CHECK(error_of(with_section(R"("kafka": {"delay_topic": 5})")) == "kafka.delay_topic: must be a string (got 5)");
  CHECK(error_of(with_section(R"("kafka": {"retry_topic": ")" + std::string(250, 'r') + R"("})")) ==
        "kafka.retry_topic: too long (250 bytes, at most 249)");
  CHECK(config_of(with_section(R"("kafka": {"delay_topic": ")" + std::string(249, 'd') + R"("})")).kafka.delay_topic.size() ==
        249);
  CHECK(error_of(with_section(R"("kafka": {"retry_topik": "x"})")) ==
        "kafka.retry_topik: unknown key (did you mean \"retry_topic\"?)");
}

TEST_CASE("retry_topic and delay_topic must not be in kafka.topics") {
  CHECK(error_of(with_section(R"("kafka": {"topics": ["herald.events", "herald.retry"]})")) ==
        "kafka.retry_topic: \"herald.retry\" is also in kafka.topics: Herald subscribes to its retry topic itself");
  CHECK(error_of(with_section(R"("kafka": {"topics": ["herald.delay"]})")) ==
        "kafka.delay_topic: \"herald.delay\" is also in kafka.topics: Herald subscribes to its delay topic itself");
  CHECK(error_of(with_section(R"("kafka": {"topics": ["e"], "retry_topic": "e"})")) ==
        "kafka.retry_topic: \"e\" is also in kafka.topics: Herald subscribes to its retry topic itself");
  CHECK(error_of(with_section(R"("kafka": {"topics": ["a", "e"], "delay_topic": "e"})")) ==
        "kafka.delay_topic: \"e\" is also in kafka.topics: Herald subscribes to its delay topic itself");
}

TEST_CASE("retry_topic and delay_topic differ from each other and from results_topic and dlq_topic") {
  const std::string tail = ": retry_topic and delay_topic must each be a topic of their own";
  CHECK(error_of(with_section(R"("kafka": {"retry_topic": "w", "delay_topic": "w"})")) ==
        "kafka.retry_topic: \"w\" is also kafka.delay_topic" + tail);
  CHECK(error_of(with_section(R"("kafka": {"retry_topic": "herald.delay"})")) ==
        "kafka.retry_topic: \"herald.delay\" is also kafka.delay_topic" + tail);
  CHECK(error_of(with_section(R"("kafka": {"delay_topic": "herald.retry"})")) ==
        "kafka.delay_topic: \"herald.retry\" is also kafka.retry_topic" + tail);
  CHECK(error_of(with_section(R"("kafka": {"retry_topic": "herald.outcomes"})")) ==
        "kafka.retry_topic: \"herald.outcomes\" is also kafka.results_topic" + tail);
  CHECK(error_of(with_section(R"("kafka": {"retry_topic": "herald.dlq"})")) ==
        "kafka.retry_topic: \"herald.dlq\" is also kafka.dlq_topic" + tail);
  CHECK(error_of(with_section(R"("kafka": {"delay_topic": "herald.outcomes"})")) ==
        "kafka.delay_topic: \"herald.outcomes\" is also kafka.results_topic" + tail);
  CHECK(error_of(with_section(R"("kafka": {"delay_topic": "herald.dlq"})")) ==
        "kafka.delay_topic: \"herald.dlq\" is also kafka.dlq_topic" + tail);
  // When only the other topic is given, the error names that one: the waiting topic kept its default.
  CHECK(error_of(with_section(R"("kafka": {"results_topic": "herald.retry"})")) ==
        "kafka.results_topic: \"herald.retry\" is also kafka.retry_topic" + tail);
  CHECK(error_of(with_section(R"("kafka": {"dlq_topic": "herald.delay"})")) ==
        "kafka.dlq_topic: \"herald.delay\" is also kafka.delay_topic" + tail);
  // Both given: the waiting topic is named.
  CHECK(error_of(with_section(R"("kafka": {"results_topic": "x", "delay_topic": "x"})")) ==
        "kafka.delay_topic: \"x\" is also kafka.results_topic" + tail);
  // results_topic and dlq_topic swapping with the waiting topics' defaults is fine.
  herald_config cfg = config_of(with_section(
      R"("kafka": {"results_topic": "o", "dlq_topic": "d", "retry_topic": "herald.outcomes", "delay_topic": "herald.dlq"})"));
  CHECK(cfg.kafka.retry_topic == "herald.outcomes");
  CHECK(cfg.kafka.delay_topic == "herald.dlq");
}

TEST_CASE("every retry option is read, at each end of its range") {
  herald_config low = config_of(with_section(R"("retry": {"max_attempts": 1, "backoff_base_ms": 1, "backoff_cap_ms": 1,
      "max_in_process_delay_ms": 0, "receipt_grace_ms": 0, "max_receipt_checks": 1})"));
  CHECK(low.retry.max_attempts == 1);
  CHECK(low.retry.backoff_base_ms == 1);
  CHECK(low.retry.backoff_cap_ms == 1);
  CHECK(low.retry.max_in_process_delay_ms == 0);
  CHECK(low.retry.receipt_grace_ms == 0);
  CHECK(low.retry.max_receipt_checks == 1);

  herald_config high = config_of(with_section(R"("retry": {"max_attempts": 100, "backoff_base_ms": 3600000,
      "backoff_cap_ms": 86400000, "max_in_process_delay_ms": 600000, "receipt_grace_ms": 86400000,
      "max_receipt_checks": 1000})"));
  CHECK(high.retry.max_attempts == 100);
  CHECK(high.retry.backoff_base_ms == 3600000);
  CHECK(high.retry.backoff_cap_ms == 86400000);
  CHECK(high.retry.max_in_process_delay_ms == 600000);
  CHECK(high.retry.receipt_grace_ms == 86400000);
  CHECK(high.retry.max_receipt_checks == 1000);

  fake_env env{{{"ATTEMPTS", "7"}}};
  CHECK(config_of(with_section(R"("retry": {"max_attempts": "${ATTEMPTS}"})"), env).retry.max_attempts == 7);
}

TEST_CASE("retry options out of range are errors naming the option and its range") {
  struct bad_value {
    const char* json;
    const char* message;
  };
  for (const bad_value& b : {
           bad_value{R"("max_attempts": 0)", "retry.max_attempts: must be an integer from 1 to 100 (got 0)"},
           bad_value{R"("max_attempts": 101)", "retry.max_attempts: must be an integer from 1 to 100 (got 101)"},
           bad_value{R"("backoff_base_ms": 0)", "retry.backoff_base_ms: must be an integer from 1 to 3600000 (got 0)"},
           bad_value{R"("backoff_base_ms": 3600001, "backoff_cap_ms": 86400000)",
                     "retry.backoff_base_ms: must be an integer from 1 to 3600000 (got 3600001)"},
           bad_value{R"("backoff_cap_ms": 0)", "retry.backoff_cap_ms: must be an integer from 1 to 86400000 (got 0)"},
           bad_value{R"("backoff_cap_ms": 86400001)",
                     "retry.backoff_cap_ms: must be an integer from 1 to 86400000 (got 86400001)"},
           bad_value{R"("max_in_process_delay_ms": 600001)",
                     "retry.max_in_process_delay_ms: must be an integer from 0 to 600000 (got 600001)"},
           bad_value{R"("max_in_process_delay_ms": -1)",
                     "retry.max_in_process_delay_ms: must be an integer from 0 to 600000 (got -1)"},
           bad_value{R"("receipt_grace_ms": 86400001)",
                     "retry.receipt_grace_ms: must be an integer from 0 to 86400000 (got 86400001)"},
           bad_value{R"("max_receipt_checks": 0)", "retry.max_receipt_checks: must be an integer from 1 to 1000 (got 0)"},
           bad_value{R"("max_receipt_checks": 1001)",
                     "retry.max_receipt_checks: must be an integer from 1 to 1000 (got 1001)"},
           bad_value{R"("max_attempts": 2.5)", "retry.max_attempts: must be an integer from 1 to 100 (got 2.5)"},
           bad_value{R"("max_attempts": "5")",
                     "retry.max_attempts: must be an integer from 1 to 100 (got \"5\"; a string is only accepted as one "
                     "${VAR} reference)"},
       }) {
    CAPTURE(b.json);
    CHECK(error_of(with_section(R"("retry": {)" + std::string(b.json) + "}")) == b.message);
  }
  CHECK(error_of(with_section(R"("retry": [])")) == "retry: must be an object (got an array)");
  CHECK(error_of(with_section(R"("retry": {"max_attempt": 3})")) ==
        "retry.max_attempt: unknown key (did you mean \"max_attempts\"?)");
  CHECK(error_of(with_section(R"("retyr": {})")) == "retyr: unknown key (did you mean \"retry\"?)");
}

TEST_CASE("backoff_cap_ms must not be less than backoff_base_ms") {
  CHECK(error_of(with_section(R"("retry": {"backoff_base_ms": 500, "backoff_cap_ms": 499})")) ==
        "retry.backoff_cap_ms: backoff_cap_ms (499) must not be less than backoff_base_ms (500)");
  // Only the base given: it is the one named (the cap kept its default of 60000).
  CHECK(error_of(with_section(R"("retry": {"backoff_base_ms": 60001})")) ==
        "retry.backoff_base_ms: backoff_cap_ms (60000) must not be less than backoff_base_ms (60001)");
  CHECK(error_of(with_section(R"("retry": {"backoff_cap_ms": 199})")) ==
        "retry.backoff_cap_ms: backoff_cap_ms (199) must not be less than backoff_base_ms (200)");
  herald_config equal = config_of(with_section(R"("retry": {"backoff_base_ms": 60000})"));
  CHECK(equal.retry.backoff_base_ms == 60000);
  CHECK(equal.retry.backoff_cap_ms == 60000);
}
