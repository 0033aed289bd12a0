#include <doctest/doctest.h>

#include "config_test_support.hpp"

using namespace herald::config;
using namespace herald::config::test;

namespace {

std::string with_section(std::string_view section_json) { return minimal_config("", section_json); }

std::string account_error(std::string_view account_json, const fake_env& env = {}) {
  return error_of(config_with_account(account_json), env);
}

}  // namespace

TEST_CASE("text that is not JSON names where it broke") {
  CHECK(error_of("{\n  \"kafka\": {\n    \"brokers\": \"x\"\n    \"group_id\": \"g\"}}") ==
        "not JSON: Missing a comma or '}' after an object member at line 4, column 5");
  CHECK(error_of("") == "not JSON: The document is empty at line 1, column 1");
  CHECK(error_of("[]") == "the config must be a JSON object (got an array)");
  CHECK(error_of(std::string("{}\0{\"x\": 1}", 12)) == "not JSON: a NUL byte at line 1, column 3");
  CHECK(error_of("{\"log\": {\"level\": \"\xff\"}}").starts_with("not valid UTF-8: "));
  CHECK(error_of("{\"log\": {\"level\": \"in\tfo\"}}") ==
        "not JSON: raw control character U+0009 in a string at line 1, column 22 (control characters must be escaped)");
  CHECK(error_of(R"({"log": {"level": "\udc00"}})") ==
        "not valid UTF-8: unpaired UTF-16 surrogate escape \\udc00 in a string at line 1, column 20 (a high surrogate "
        "escape must be followed by a low one)");
  CHECK(error_of(R"({"x": )" + std::string(100000, '[')) ==
        "nested deeper than the limit of 64 levels: level 65 opens at line 1, column 70");
}

TEST_CASE("an unknown key is an error naming its path, with a suggestion when one is close") {
  CHECK(error_of(with_section(R"("redis": {"prt": 6379})")) == "redis.prt: unknown key (did you mean \"port\"?)");
  CHECK(error_of(with_section(R"("kafak": {})")) == "kafak: unknown key (did you mean \"kafka\"?)");
  CHECK(error_of(with_section(R"("kafka": {"max_inflight": 5})")) ==
        "kafka.max_inflight: unknown key (did you mean \"max_in_flight\"?)");
  CHECK(error_of(with_section(R"("kafka": {"compression": "lz4"})")) == "kafka.compression: unknown key");
  CHECK(error_of(minimal_config(R"(, "gatway": "x")")) ==
        "accounts.shop-a.gatway: unknown key (did you mean \"gateway\"?)");
  CHECK(error_of(with_section(R"("quota": {"daily_limit": {"transactional": 1, "marketting": 1}})")) ==
        "quota.daily_limit.marketting: unknown key (did you mean \"marketing\"?)");
}

TEST_CASE("a key given twice is an error") {
  CHECK(error_of(with_section(R"("redis": {"port": 1, "port": 2})")) == "redis.port: given more than once");
}

TEST_CASE("integers are checked for type and range") {
  CHECK(error_of(with_section(R"("kafka": {"max_in_flight": -5})")) ==
        "kafka.max_in_flight: must be an integer from 1 to 10000000 (got -5)");
  CHECK(error_of(with_section(R"("kafka": {"max_in_flight": 0})")) ==
        "kafka.max_in_flight: must be an integer from 1 to 10000000 (got 0)");
  CHECK(error_of(with_section(R"("redis": {"port": 70000})")) == "redis.port: must be an integer from 1 to 65535 (got 70000)");
  CHECK(error_of(with_section(R"("redis": {"port": 18446744073709551615})")) ==
        "redis.port: must be an integer from 1 to 65535 (got 18446744073709551615)");
  CHECK(error_of(with_section(R"("batch": {"linger_ms": 1.5})")) ==
        "batch.linger_ms: must be an integer from 0 to 60000 (got 1.5)");
  CHECK(error_of(with_section(R"("batch": {"linger_ms": true})")) ==
        "batch.linger_ms: must be an integer from 0 to 60000 (got true)");
  CHECK(error_of(with_section(R"("redis": {"port": "6379"})")) ==
        "redis.port: must be an integer from 1 to 65535 (got \"6379\"; a string is only accepted as one ${VAR} reference)");
  CHECK(error_of(with_section(R"("ledger": {"retention_hours": 0})")) ==
        "ledger.retention_hours: must be an integer from 1 to 8760 (got 0)");
  CHECK(error_of(with_section(R"("quota": {"daily_limit": {"marketing": -1}})")) ==
        "quota.daily_limit.marketing: must be an integer from 0 to 1000000 (got -1)");
  CHECK(error_of(with_section(R"("redis": {"command_timeout_ms": 0})")) ==
        "redis.command_timeout_ms: must be an integer from 1 to 600000 (got 0)");
  CHECK(error_of(with_section(R"("redis": {"connect_timeout_ms": 0})")) ==
        "redis.connect_timeout_ms: must be an integer from 1 to 600000 (got 0)");
  CHECK(error_of(with_section(R"("http": {"max_connections_per_endpoint": 0})")) ==
        "http.max_connections_per_endpoint: must be an integer from 1 to 1024 (got 0)");
  CHECK(error_of(with_section(R"("redis": {"reconnect_backoff_min_ms": 500, "reconnect_backoff_max_ms": 100})")) ==
        "redis.reconnect_backoff_max_ms: reconnect_backoff_max_ms (100) must not be less than "
        "reconnect_backoff_min_ms (500)");
}

TEST_CASE("booleans, strings and enums are checked") {
  CHECK(error_of(with_section(R"("http": {"verify_peer": "no"})")) ==
        "http.verify_peer: must be true or false (got \"no\"; a string is only accepted as one ${VAR} reference)");
  CHECK(error_of(with_section(R"("http": {"verify_peer": 1})")) == "http.verify_peer: must be true or false (got 1)");
  CHECK(error_of(with_section(R"("redis": {"host": 5})")) == "redis.host: must be a string (got 5)");
  CHECK(error_of(with_section(R"("redis": {"host": ""})")) == "redis.host: must not be empty");
  CHECK(error_of(with_section(R"("log": {"level": "verbose"})")) ==
        "log.level: must be one of \"debug\", \"info\", \"warn\", \"error\" (got \"verbose\")");
  CHECK(error_of(with_section(R"("ledger": {"quota_utc_offset": "CST"})")) ==
        "ledger.quota_utc_offset: must be a UTC offset like \"+08:00\", \"-05:30\" or \"Z\" (got \"CST\")");
  CHECK(error_of(with_section(R"("redis": [])")) == "redis: must be an object (got an array)");
  CHECK(error_of(with_section(R"("log": {"level": "info\n"})")) == "log.level: must not contain control characters");
}

TEST_CASE("kafka topics are required, valid and not Herald's own output") {
  CHECK(error_of(with_section(R"("kafka": {"topics": []})")) == "kafka.topics: at least one topic is required");
  CHECK(error_of(with_section(R"("kafka": {"topics": "herald.events"})")) ==
        "kafka.topics: must be an array of topic names (got \"herald.events\")");
  CHECK(error_of(with_section(R"("kafka": {"topics": ["a", "b c"]})")) ==
        "kafka.topics[1]: must be a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ - (got \"b c\")");
  CHECK(error_of(with_section(R"("kafka": {"topics": ["a", "a"]})")) == "kafka.topics[1]: \"a\" is listed twice");
  CHECK(error_of(with_section(R"("kafka": {"topics": ["a", "herald.outcomes"]})")) ==
        "kafka.results_topic: \"herald.outcomes\" is also in kafka.topics: Herald would consume its own outcomes");
  CHECK(error_of(with_section(R"("kafka": {"dlq_topic": ""})")) == "kafka.dlq_topic: must not be empty");
}

TEST_CASE("librdkafka properties are strings and may not override what Herald sets") {
  CHECK(error_of(with_section(R"("kafka": {"consumer_properties": {"fetch.min.bytes": 1}})")) ==
        "kafka.consumer_properties.fetch.min.bytes: must be a string, as librdkafka takes them (got a number)");
  CHECK(error_of(with_section(R"("kafka": {"consumer_properties": {"enable.auto.commit": "true"}})")) ==
        "kafka.consumer_properties.enable.auto.commit: cannot be set here: Herald commits offsets itself, only once "
        "events are settled");
  CHECK(error_of(with_section(R"("kafka": {"producer_properties": {"bootstrap.servers": "x:1"}})")) ==
        "kafka.producer_properties.bootstrap.servers: cannot be set here: set by Herald from kafka.brokers");
  CHECK(error_of(with_section(R"("kafka": {"producer_properties": []})")) ==
        "kafka.producer_properties: must be an object (got an array)");
  fake_env env{{{"SASL_PASSWORD", "pw"}}};
  herald_config cfg = parse_config(with_section(R"("kafka": {"producer_properties": {"sasl.password": "${SASL_PASSWORD}"}})"),
                                   env.function());
  CHECK(cfg.kafka.producer_properties.at("sasl.password") == "pw");
}

TEST_CASE("accounts: at least one, with valid names") {
  CHECK(error_of(R"({"accounts": {}})") == "accounts: at least one account is required");
  CHECK(error_of(R"({"kafka": {}})") == "accounts: missing (at least one account is required)");
  CHECK(error_of(R"({"accounts": []})") == "accounts: must be an object (got an array)");
  CHECK(error_of(R"({"accounts": {"shop a": {}}})") == "accounts.shop a: an account name must be 1 to 64 of a-z A-Z 0-9 . _ -");
  CHECK(error_of(R"({"accounts": {"shop-a": 5}})") == "accounts.shop-a: must be an object (got 5)");
}

TEST_CASE("an account's gateway and endpoint are required and checked") {
  CHECK(account_error(R"({"endpoint": "https://x"})") == "accounts.shop-a.gateway: missing");
  CHECK(account_error(R"({"gateway": "fw199", "endpoint": "https://x"})") ==
        "accounts.shop-a.gateway: must be one of \"fw199_taobao\", \"fw199_douyin\", \"top_oaid\", \"aliyun_sms\", "
        "\"aliyun_card\" (got \"fw199\")");
  CHECK(account_error(R"({"gateway": "fw199_taobao"})") == "accounts.shop-a.endpoint: missing");
  CHECK(account_error(R"({"gateway": "fw199_taobao", "endpoint": "ftp://x"})") ==
        "accounts.shop-a.endpoint: must be an https:// URL (got \"ftp://x\")");
  CHECK(account_error(R"({"gateway": "fw199_taobao", "endpoint": "http://127.0.0.1:8080/send"})") ==
        "accounts.shop-a.endpoint: must be an https:// URL; http:// needs \"allow_plain_http\": true on the account "
        "(got \"http://127.0.0.1:8080/send\")");
  CHECK(account_error(R"({"gateway": "fw199_taobao", "endpoint": "https://gw.example.com:0/"})") ==
        "accounts.shop-a.endpoint: has an invalid port (must be 1 to 65535) (got \"https://gw.example.com:0/\")");
}

TEST_CASE("each gateway kind requires its own credentials, spelled its own way") {
  const std::string fw = R"("gateway": "fw199_taobao", "endpoint": "https://gw.example.com/")";
  CHECK(account_error("{" + fw + R"(, "app_secret": "s", "seller_nick": "n"})") ==
        "accounts.shop-a.app_id: missing (required for gateway fw199_taobao)");
  CHECK(account_error("{" + fw + R"(, "app_id": "a", "seller_nick": "n"})") ==
        "accounts.shop-a.app_secret: missing (required for gateway fw199_taobao)");
  CHECK(account_error("{" + fw + R"(, "app_id": "a", "app_secret": "s"})") ==
        "accounts.shop-a.seller_nick: missing (required for gateway fw199_taobao)");
  CHECK(account_error("{" + fw + R"(, "app_key": "a", "app_secret": "s", "seller_nick": "n"})") ==
        "accounts.shop-a.app_key: gateway fw199_taobao calls its id \"app_id\"");
  CHECK(account_error("{" + fw + R"(, "app_id": "a", "app_secret": "s", "seller_nick": "n", "session": "x"})") ==
        "accounts.shop-a.session: not used by gateway fw199_taobao");
  CHECK(account_error("{" + fw + R"(, "app_id": "a", "app_secret": "s", "seller_nick": "n", "region_id": "x"})") ==
        "accounts.shop-a.region_id: not used by gateway fw199_taobao");

  const std::string top = R"("gateway": "top_oaid", "endpoint": "https://eco.taobao.com/router/rest")";
  CHECK(account_error("{" + top + R"(, "app_id": "a", "app_secret": "s", "session": "x"})") ==
        "accounts.shop-a.app_id: gateway top_oaid calls its id \"app_key\"");
  CHECK(account_error("{" + top + R"(, "app_key": "a", "app_secret": "s"})") ==
        "accounts.shop-a.session: missing (required for gateway top_oaid)");
  CHECK(account_error("{" + top + R"(, "app_key": "a", "app_secret": "s", "session": "x", "sign_method": "sha1"})") ==
        "accounts.shop-a.sign_method: must be one of \"md5\", \"hmac\", \"hmac-sha256\" (got \"sha1\")");
  CHECK(account_error("{" + top + R"(, "app_key": "a", "app_secret": "s", "session": "x", "seller_nick": "n"})") ==
        "accounts.shop-a.seller_nick: not used by gateway top_oaid");

  const std::string ali = R"("gateway": "aliyun_sms", "endpoint": "https://dysmsapi.aliyuncs.com")";
  CHECK(account_error("{" + ali + R"(, "access_key_id": "a", "app_secret": "s"})") ==
        "accounts.shop-a.app_secret: gateway aliyun_sms calls its secret \"access_key_secret\"");
  CHECK(account_error("{" + ali + R"(, "app_id": "a", "access_key_secret": "s"})") ==
        "accounts.shop-a.app_id: gateway aliyun_sms calls its id \"access_key_id\"");
  CHECK(account_error("{" + ali + R"(, "access_key_id": "a"})") ==
        "accounts.shop-a.access_key_secret: missing (required for gateway aliyun_sms)");
  CHECK(account_error("{" + ali + R"(, "access_key_id": "a", "access_key_secret": "s", "region_id": "CN East"})") ==
        "accounts.shop-a.region_id: must be a region id like \"cn-hangzhou\" (got \"CN East\")");
  CHECK(account_error("{" + ali + R"(, "access_key_id": "a", "access_key_secret": "s", "sign_method": "md5"})") ==
        "accounts.shop-a.sign_method: not used by gateway aliyun_sms");

  herald_config cfg = parse_config(config_with_account("{" + ali + R"(, "access_key_id": "a", "access_key_secret": "s"})"),
                                   fake_env{}.function());
  CHECK(cfg.accounts.at("shop-a").region_id == "cn-hangzhou");
  CHECK(cfg.accounts.at("shop-a").endpoint.target == "/");
}

TEST_CASE("max_batch, on_unknown and per-account limits are checked") {
  CHECK(error_of(minimal_config(R"(, "max_batch": 0)")) ==
        "accounts.shop-a.max_batch: must be an integer from 1 to 100 (got 0)");
  CHECK(error_of(minimal_config(R"(, "max_batch": 101)")) ==
        "accounts.shop-a.max_batch: must be an integer from 1 to 100 (got 101)");
  CHECK(error_of(minimal_config(R"(, "on_unknown": "retry")")) ==
        "accounts.shop-a.on_unknown: must be one of \"report_unknown\", \"assume_sent\", \"resend\" (got \"retry\")");
  CHECK(error_of(minimal_config(R"(, "daily_limit": 5)")) == "accounts.shop-a.daily_limit: must be an object (got 5)");
  CHECK(error_of(minimal_config(R"(, "allow_plain_http": "yes")")) ==
        "accounts.shop-a.allow_plain_http: must be true or false (got \"yes\"; a string is only accepted as one ${VAR} "
        "reference)");
}

TEST_CASE("no error message shows a secret's value") {
  const std::string secret = "top-secret-value-123";
  const std::string numeric_secret =
      config_with_account(R"({"gateway": "fw199_taobao", "endpoint": "https://x", "app_id": "a", "app_secret": 12345,
                              "seller_nick": "n"})");
  for (const std::string& text : {
           numeric_secret,
           config_with_account(R"({"gateway": "fw199_taobao", "endpoint": "https://x", "app_id": "a", "app_secret": ")" +
                               secret + R"(", "seller_nick": ""})"),
           config_with_account(R"({"gateway": "top_oaid", "endpoint": "https://x", "app_key": "a", "app_secret": "s",
                                   "session": [")" + secret + R"("]})"),
           with_section(R"("redis": {"password": [")" + secret + R"("]})"),
           with_section(R"("kafka": {"consumer_properties": {"sasl.password": [")" + secret + R"("]}})"),
       }) {
    std::string message = error_of(text);
    CHECK(message != "(no error)");
    CHECK(message.find(secret) == std::string::npos);
    CHECK(message.find("12345") == std::string::npos);
  }
  CHECK(error_of(numeric_secret) ==
        "accounts.shop-a.app_secret: must be a string (got a number)");
}
