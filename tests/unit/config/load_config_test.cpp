#include <doctest/doctest.h>

#include <filesystem>

#include "config_test_support.hpp"

using namespace herald::config;
using namespace herald::config::test;

namespace {

std::string config_path(std::string_view name) {
  return (std::filesystem::path(__FILE__).parent_path() / "../../../config" / name).lexically_normal().string();
}

std::string example_path() { return config_path("herald.example.json"); }

fake_env example_env() {
  return fake_env{{{"FW199_APP_ID", "fw-app"},
                   {"FW199_APP_SECRET", "fw-secret"},
                   {"SHOP_A_SELLER_NICK", "shop-a-nick"},
                   {"SHOP_B_DOUDIAN_SELLER", "doudian-seller"},
                   {"TOP_APP_KEY", "12345678"},
                   {"TOP_APP_SECRET", "top-secret"},
                   {"SHOP_C_TOP_SESSION", "top-session"},
                   {"ALIYUN_ACCESS_KEY_ID", "LTAI-id"},
                   {"ALIYUN_ACCESS_KEY_SECRET", "aliyun-secret"},
                   {"HERALD_RECIPIENT_HASH_KEY", "example-recipient-hash-key"}}};
}

}  // namespace

TEST_CASE("a minimal config gets every documented default") {
  herald_config cfg = parse_config(minimal_config(), fake_env{}.function());
  CHECK(cfg.kafka.brokers == "127.0.0.1:19092");
  CHECK(cfg.kafka.group_id == "herald");
  CHECK(cfg.kafka.client_id == "herald");
  CHECK(cfg.kafka.topics == std::vector<std::string>{"herald.events"});
  CHECK(cfg.kafka.results_topic == "herald.outcomes");
  CHECK(cfg.kafka.dlq_topic == "herald.dlq");
  CHECK(cfg.kafka.retry_topic == "herald.retry");
  CHECK(cfg.kafka.delay_topic == "herald.delay");
  CHECK(cfg.kafka.session_timeout_ms == 45000);
  CHECK(cfg.kafka.max_in_flight == 20000);
  CHECK(cfg.kafka.max_in_flight_per_partition == 20000);
  CHECK(cfg.kafka.commit_interval_ms == 1000);
  CHECK(cfg.kafka.consumer_properties.empty());
  CHECK(cfg.redis.host == "127.0.0.1");
  CHECK(cfg.redis.port == 6379);
  CHECK(cfg.redis.password.empty());
  CHECK(cfg.redis.key_prefix == "herald:");
  CHECK(cfg.redis.reconnect_backoff_max_ms == 5000);
  CHECK(cfg.ledger.retention_hours == 72);
  CHECK(cfg.ledger.quota_utc_offset_minutes == 480);
  CHECK(cfg.quota.daily_limit.transactional == 20);
  CHECK(cfg.quota.daily_limit.marketing == 3);
  CHECK(cfg.batch.linger_ms == 20);
  CHECK(cfg.batch.guard_batch_max == 500);
  CHECK(cfg.retry.max_attempts == 5);
  CHECK(cfg.retry.backoff_base_ms == 200);
  CHECK(cfg.retry.backoff_cap_ms == 60000);
  CHECK(cfg.retry.max_in_process_delay_ms == 5000);
  CHECK(cfg.retry.receipt_grace_ms == 5000);
  CHECK(cfg.retry.max_receipt_checks == 6);
  CHECK(cfg.retry.max_in_process_hold_ms == 30000);
  CHECK(cfg.retry.not_sent_budget_ms == 6u * 3600 * 1000);
  CHECK(cfg.http.ca_file.empty());
  CHECK(cfg.http.verify_peer);
  CHECK(cfg.http.request_timeout_ms == 10000);
  CHECK(cfg.log.level == "info");

  REQUIRE(cfg.accounts.size() == 1);
  const account_config* a = cfg.find_account("shop-a");
  REQUIRE(a != nullptr);
  CHECK(a->name == "shop-a");
  CHECK(a->gateway == gateway_kind::fw199_taobao);
  CHECK(a->endpoint.scheme == "https");
  CHECK(a->endpoint.host == "gw.example.com");
  CHECK(a->endpoint.port == 443);
  CHECK(a->endpoint.target == "/jst/sms/oaid/send");
  CHECK(a->app_id == "app-1");
  CHECK(a->app_secret == "s3cr3t-value");
  CHECK(a->seller_nick == "nick");
  CHECK_FALSE(a->allow_plain_http);
  CHECK_FALSE(a->daily_limit.has_value());
  CHECK(a->max_batch == 100);
  CHECK(a->on_unknown == unknown_policy::report_unknown);
  CHECK(a->rate_limit_qps == 0);
  CHECK(a->max_concurrent_calls == 16);
  CHECK(a->marketing_window_start_minute == 480);
  CHECK(a->marketing_window_end_minute == 1320);
  CHECK_FALSE(a->use_batch_api);
  CHECK_FALSE(a->receipt_endpoint.has_value());
  CHECK(a->receipt_not_found_final_after_seconds == 0);
  CHECK(&cfg.daily_limit_for(*a) == &cfg.quota.daily_limit);
}

TEST_CASE("the example config parses and shows every gateway kind") {
  herald_config cfg = load_config_file(example_path(), example_env().function());
  REQUIRE(cfg.accounts.size() == 5);

  const auto& taobao = cfg.accounts.at("shop-a");
  CHECK(taobao.gateway == gateway_kind::fw199_taobao);
  CHECK(taobao.app_secret == "fw-secret");
  CHECK(taobao.endpoint.port == 18443);
  REQUIRE(taobao.daily_limit.has_value());
  CHECK(cfg.daily_limit_for(taobao).transactional == 10);
  CHECK(taobao.rate_limit_qps == 0);
  CHECK(taobao.max_concurrent_calls == 16);
  CHECK(taobao.marketing_window_start_minute == 8 * 60);
  CHECK(taobao.marketing_window_end_minute == 22 * 60);

  const auto& douyin = cfg.accounts.at("shop-b-douyin");
  CHECK(douyin.gateway == gateway_kind::fw199_douyin);
  CHECK(douyin.seller_nick == "doudian-seller");
  CHECK(douyin.endpoint.target == "/gateway/dd/sms/send");
  REQUIRE(douyin.receipt_endpoint.has_value());
  CHECK(douyin.receipt_endpoint->target == "/gateway/dd/sms/send/result");
  CHECK(douyin.max_concurrent_calls == 8);

  const auto& top = cfg.accounts.at("shop-c-top");
  CHECK(top.gateway == gateway_kind::top_oaid);
  CHECK(top.app_id == "12345678");  // "app_key" is stored in app_id
  CHECK(top.session == "top-session");
  CHECK(top.sign_method == "hmac-sha256");
  CHECK(top.rate_limit_qps == 100);
  CHECK(top.max_concurrent_calls == 32);

  const auto& sms = cfg.accounts.at("brand-sms");
  CHECK(sms.gateway == gateway_kind::aliyun_sms);
  CHECK(sms.app_id == "LTAI-id");  // access_key_id
  CHECK(sms.app_secret == "aliyun-secret");
  CHECK(sms.region_id == "cn-hangzhou");
  CHECK_FALSE(sms.use_batch_api);
  CHECK(sms.receipt_not_found_final_after_seconds == 0);

  const auto& card = cfg.accounts.at("brand-card");
  CHECK(card.on_unknown == unknown_policy::assume_sent);
  // A per-account limit given in part keeps quota.daily_limit for the rest.
  CHECK(cfg.daily_limit_for(card).marketing == 1);
  CHECK(cfg.daily_limit_for(card).transactional == 20);
  CHECK(card.rate_limit_qps == 500);
  CHECK(card.marketing_window_start_minute == 9 * 60);
  CHECK(card.marketing_window_end_minute == 21 * 60);

  CHECK(cfg.redis.port == 16379);  // "${HERALD_REDIS_PORT:-16379}"
  CHECK(cfg.http.verify_peer);     // "${HERALD_HTTP_VERIFY_PEER:-true}"
  CHECK(cfg.kafka.consumer_properties.at("auto.offset.reset") == "earliest");
  CHECK(cfg.kafka.retry_topic == "herald.retry");
  CHECK(cfg.kafka.delay_topic == "herald.delay");
  CHECK(cfg.retry.max_attempts == 5);
  CHECK(cfg.retry.max_receipt_checks == 6);
}

TEST_CASE("the demo config parses with the variables deploy/local/demo sets") {
  fake_env env{{{"DEMO_GROUP", "demo-1"},
                {"DEMO_EVENTS_TOPIC", "demo-1.events"},
                {"DEMO_OUTCOMES_TOPIC", "demo-1.outcomes"},
                {"DEMO_DLQ_TOPIC", "demo-1.dlq"},
                {"DEMO_RETRY_TOPIC", "demo-1.retry"},
                {"DEMO_DELAY_TOPIC", "demo-1.delay"},
                {"DEMO_KEY_PREFIX", "demo-1:"},
                {"HERALD_TLS_DIR", "/tmp/tls"},
                {"DEMO_GATEWAY_PORT", "18443"},
                {"DEMO_FW199_SECRET", "demo-secret"},
                {"DEMO_RECIPIENT_HASH_KEY", "demo-recipient-hash-key"}}};
  herald_config cfg = load_config_file(config_path("demo.json"), env.function());
  CHECK(cfg.kafka.topics == std::vector<std::string>{"demo-1.events"});
  CHECK(cfg.kafka.retry_topic == "demo-1.retry");
  CHECK(cfg.kafka.delay_topic == "demo-1.delay");
}

TEST_CASE("the example config names every secret as an environment reference") {
  fake_env env = example_env();
  env.vars.erase("TOP_APP_SECRET");
  try {
    (void)load_config_file(example_path(), env.function());
    FAIL("expected a config_error");
  } catch (const config_error& e) {
    CHECK(std::string(e.what()) == "accounts.shop-c-top.app_secret: environment variable TOP_APP_SECRET is not set");
    CHECK(e.json_path() == "accounts.shop-c-top.app_secret");
  }
}

TEST_CASE("a config file that cannot be read is a config_error naming the file") {
  try {
    (void)load_config_file("no-such-dir/herald.json", fake_env{}.function());
    FAIL("expected a config_error");
  } catch (const config_error& e) {
    CHECK(std::string(e.what()).starts_with("cannot read config file \"no-such-dir/herald.json\""));
    CHECK(e.json_path().empty());
  }
}

TEST_CASE("every option is read from its section") {
  std::string text = R"({
    "kafka": {"brokers": "k1:9092,k2:9092", "group_id": "g", "client_id": "c", "topics": ["a", "b"],
              "results_topic": "r", "dlq_topic": "d", "retry_topic": "w", "delay_topic": "l",
              "session_timeout_ms": 10000, "max_in_flight": 100,
              "max_in_flight_per_partition": 10, "commit_interval_ms": 250,
              "consumer_properties": {"fetch.min.bytes": "1"}, "producer_properties": {"acks": "all"}},
    "redis": {"host": "redis.internal", "port": 6380, "username": "u", "password": "p", "db": 3, "key_prefix": "",
              "connect_timeout_ms": 1, "command_timeout_ms": 2, "reconnect_backoff_min_ms": 3,
              "reconnect_backoff_max_ms": 3},
    "ledger": {"retention_hours": 24, "quota_utc_offset": "-05:30"},
    "quota": {"daily_limit": {"transactional": 0, "marketing": 1}},
    "batch": {"linger_ms": 0, "guard_batch_max": 1},
    "retry": {"max_attempts": 3, "backoff_base_ms": 100, "backoff_cap_ms": 30000, "max_in_process_delay_ms": 2000,
              "receipt_grace_ms": 10000, "max_receipt_checks": 4, "max_in_process_hold_ms": 20000,
              "not_sent_budget_ms": 600000},
    "http": {"ca_file": "certs/ca.pem", "verify_peer": false, "connect_timeout_ms": 5, "request_timeout_ms": 6,
             "max_connections_per_endpoint": 1},
    "log": {"level": "debug"},
    "accounts": {"t": {"gateway": "top_oaid", "endpoint": "http://127.0.0.1:8080?x=1", "allow_plain_http": true,
                       "app_key": "k", "app_secret": "s", "session": "sess", "sign_method": "hmac",
                       "daily_limit": {"transactional": 5}, "max_batch": 1, "on_unknown": "resend"}}
  })";
  herald_config cfg = parse_config(text, fake_env{}.function());
  CHECK(cfg.kafka.topics == std::vector<std::string>{"a", "b"});
  CHECK(cfg.kafka.commit_interval_ms == 250);
  CHECK(cfg.kafka.retry_topic == "w");
  CHECK(cfg.kafka.delay_topic == "l");
  CHECK(cfg.retry.max_attempts == 3);
  CHECK(cfg.retry.backoff_base_ms == 100);
  CHECK(cfg.retry.backoff_cap_ms == 30000);
  CHECK(cfg.retry.max_in_process_delay_ms == 2000);
  CHECK(cfg.retry.receipt_grace_ms == 10000);
  CHECK(cfg.retry.max_receipt_checks == 4);
  CHECK(cfg.retry.max_in_process_hold_ms == 20000);
  CHECK(cfg.retry.not_sent_budget_ms == 600000);
  CHECK(cfg.kafka.producer_properties.at("acks") == "all");
  CHECK(cfg.redis.port == 6380);
  CHECK(cfg.redis.db == 3);
  CHECK(cfg.redis.key_prefix.empty());
  CHECK(cfg.ledger.quota_utc_offset_minutes == -330);
  CHECK(cfg.quota.daily_limit.transactional == 0);
  CHECK(cfg.batch.linger_ms == 0);
  CHECK_FALSE(cfg.http.verify_peer);
  CHECK(cfg.http.ca_file == "certs/ca.pem");
  CHECK(cfg.log.level == "debug");
  const account_config& t = cfg.accounts.at("t");
  CHECK(t.endpoint.scheme == "http");
  CHECK(t.endpoint.port == 8080);
  CHECK(t.endpoint.target == "/?x=1");
  CHECK(t.sign_method == "hmac");
  CHECK(t.on_unknown == unknown_policy::resend);
  CHECK(cfg.daily_limit_for(t).transactional == 5);
  CHECK(cfg.daily_limit_for(t).marketing == 1);  // inherited from quota.daily_limit
}

TEST_CASE("enum names round-trip through to_string and parse") {
  for (auto k : {gateway_kind::fw199_taobao, gateway_kind::fw199_douyin, gateway_kind::top_oaid,
                 gateway_kind::aliyun_sms, gateway_kind::aliyun_card})
    CHECK(parse_gateway_kind(to_string(k)) == k);
  for (auto p : {unknown_policy::report_unknown, unknown_policy::assume_sent, unknown_policy::resend})
    CHECK(parse_unknown_policy(to_string(p)) == p);
  for (auto c : {category::transactional, category::marketing}) CHECK(parse_category(to_string(c)) == c);
  CHECK(to_string(gateway_kind::aliyun_card) == "aliyun_card");
  CHECK_FALSE(parse_gateway_kind("FW199_TAOBAO").has_value());
  CHECK_FALSE(parse_category("").has_value());
}
