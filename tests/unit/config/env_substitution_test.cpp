#include <doctest/doctest.h>

#include "config_test_support.hpp"

using namespace herald::config;
using namespace herald::config::test;

namespace {

// The value of redis.key_prefix after substitution of text (a JSON string body).
std::string prefix_after(std::string_view text, const fake_env& env) {
  std::string config = minimal_config("", std::string(R"("redis": {"key_prefix": ")") + std::string(text) + "\"}");
  return parse_config(config, env.function()).redis.key_prefix;
}

std::string prefix_error(std::string_view text, const fake_env& env = {}) {
  return error_of(minimal_config("", std::string(R"("redis": {"key_prefix": ")") + std::string(text) + "\"}"), env);
}

}  // namespace

TEST_CASE("${VAR} is replaced by the variable, anywhere in a string") {
  fake_env env{{{"ENV", "prod"}, {"EMPTY", ""}}};
  CHECK(prefix_after("${ENV}", env) == "prod");
  CHECK(prefix_after("herald:${ENV}:", env) == "herald:prod:");
  CHECK(prefix_after("${ENV}${ENV}", env) == "prodprod");
  CHECK(prefix_after("a${EMPTY}b", env) == "ab");  // set but empty: empty
}

TEST_CASE("an unset ${VAR} is an error naming the path and the variable") {
  CHECK(prefix_error("${NOPE}") == "redis.key_prefix: environment variable NOPE is not set");
  fake_env env{{{"FW199_SECRET", "x"}}};
  CHECK(error_of(config_with_account(R"({"gateway": "fw199_taobao", "endpoint": "https://x", "app_id": "a",
                                         "app_secret": "${FW199_SECRET}", "seller_nick": "n"})")) ==
        "accounts.shop-a.app_secret: environment variable FW199_SECRET is not set");
  CHECK(error_of(config_with_account(R"({"gateway": "fw199_taobao", "endpoint": "https://x", "app_id": "a",
                                         "app_secret": "${FW199_SECRET}", "seller_nick": "n"})"),
                 env) == "(no error)");
}

TEST_CASE("${VAR:-default} uses the default when the variable is unset or empty") {
  fake_env env{{{"SET", "value"}, {"EMPTY", ""}}};
  CHECK(prefix_after("${SET:-fallback}", env) == "value");
  CHECK(prefix_after("${UNSET:-fallback}", env) == "fallback");
  CHECK(prefix_after("${EMPTY:-fallback}", env) == "fallback");
  CHECK(prefix_after("${UNSET:-}", env).empty());
  CHECK(prefix_after("${UNSET:-a:b-c d}", env) == "a:b-c d");
}

TEST_CASE("$$ is a literal $ and a lone $ is an error") {
  fake_env env{{{"X", "x"}}};
  CHECK(prefix_after("pa$$word", env) == "pa$word");
  CHECK(prefix_after("$${X}", env) == "${X}");
  CHECK(prefix_after("$$$${X}", env) == "$${X}");
  CHECK(prefix_after("$$${X}", env) == "$x");
  CHECK(prefix_error("pa$word") ==
        "redis.key_prefix: a \"$\" must start ${VAR} or ${VAR:-default}; write \"$$\" for a literal \"$\"");
  CHECK(prefix_error("end$") ==
        "redis.key_prefix: a \"$\" must start ${VAR} or ${VAR:-default}; write \"$$\" for a literal \"$\"");
  CHECK(prefix_error("${X") == "redis.key_prefix: unterminated \"${\" (write \"$$\" for a literal \"$\")");
  CHECK(prefix_error("${}") ==
        "redis.key_prefix: \"${}\" is not a valid reference (expected ${NAME} or ${NAME:-default}, NAME of letters, "
        "digits and _)");
  CHECK(prefix_error("${1X}").starts_with("redis.key_prefix: \"${1X}\" is not a valid reference"));
  CHECK(prefix_error("${X-d}").starts_with("redis.key_prefix: \"${X-d}\" is not a valid reference"));
}

TEST_CASE("substitution applies to string values only, not to keys") {
  fake_env env{{{"K", "port"}}};
  CHECK(error_of(minimal_config("", R"("redis": {"${K}": 1})"), env) ==
        "redis.${K}: unknown key");
}

TEST_CASE("a number or boolean may be one ${...} reference, parsed after substitution") {
  fake_env env{{{"REDIS_PORT", "6380"}, {"VERIFY", "false"}, {"BAD_PORT", "63x"}, {"NEG", "-5"}}};
  auto cfg = [&](std::string_view section) { return parse_config(minimal_config("", section), env.function()); };
  CHECK(cfg(R"("redis": {"port": "${REDIS_PORT:-16379}"})").redis.port == 6380);
  CHECK(cfg(R"("redis": {"port": "${UNSET_PORT:-16379}"})").redis.port == 16379);
  CHECK_FALSE(cfg(R"("http": {"verify_peer": "${VERIFY}"})").http.verify_peer);
  CHECK(cfg(R"("http": {"verify_peer": "${UNSET:-true}"})").http.verify_peer);
  CHECK(parse_config(minimal_config(R"(, "max_batch": "${UNSET:-50}")"), env.function()).accounts.at("shop-a").max_batch == 50);

  CHECK(error_of(minimal_config("", R"("redis": {"port": "${BAD_PORT}"})"), env) ==
        "redis.port: must be an integer from 1 to 65535 (got \"63x\" from ${BAD_PORT})");
  CHECK(error_of(minimal_config("", R"("kafka": {"max_in_flight": "${NEG}"})"), env) ==
        "kafka.max_in_flight: must be an integer from 1 to 10000000 (got \"-5\" from ${NEG})");
  CHECK(error_of(minimal_config("", R"("redis": {"port": "${UNSET_PORT}"})"), env) ==
        "redis.port: environment variable UNSET_PORT is not set");
  CHECK(error_of(minimal_config("", R"("http": {"verify_peer": "${REDIS_PORT}"})"), env) ==
        "http.verify_peer: must be true or false (got \"6380\" from ${REDIS_PORT})");
  // Only a string that is exactly one reference: "${A}0" or " ${A}" stay strings, and are errors.
  CHECK(error_of(minimal_config("", R"("redis": {"port": "${REDIS_PORT}0"})"), env) ==
        "redis.port: must be an integer from 1 to 65535 (got \"${REDIS_PORT}0\"; a string is only accepted as one "
        "${VAR} reference)");
}

TEST_CASE("substitution applies inside arrays and librdkafka properties") {
  fake_env env{{{"TOPIC", "orders.sms"}, {"FETCH", "100"}}};
  herald_config cfg = parse_config(
      minimal_config("", R"("kafka": {"topics": ["${TOPIC}", "x"], "consumer_properties": {"fetch.wait.max.ms": "${FETCH}"}})"),
      env.function());
  CHECK(cfg.kafka.topics == std::vector<std::string>{"orders.sms", "x"});
  CHECK(cfg.kafka.consumer_properties.at("fetch.wait.max.ms") == "100");
  CHECK(error_of(minimal_config("", R"("kafka": {"topics": ["${NO_TOPIC}"]})"), env) ==
        "kafka.topics[0]: environment variable NO_TOPIC is not set");
}

TEST_CASE("a value that becomes empty after substitution says so") {
  fake_env env{{{"EMPTY", ""}}};
  CHECK(error_of(minimal_config("", R"("redis": {"host": "${EMPTY}"})"), env) ==
        "redis.host: must not be empty (it is empty after ${...} substitution)");
}
