// The per-account sending options: rate, concurrency, marketing window, Alibaba Cloud's batch API and
// the 抖店 receipt endpoint (docs/configuration.md, accounts).
#include <doctest/doctest.h>

#include "config_test_support.hpp"

using namespace herald::config;
using namespace herald::config::test;

namespace {

const std::string douyin = R"("gateway": "fw199_douyin", "endpoint": "https://gw.example.com/gateway/dd/sms/send",
                              "app_id": "a", "app_secret": "s", "seller_nick": "n")";
const std::string aliyun_sms = R"("gateway": "aliyun_sms", "endpoint": "https://dysmsapi.aliyuncs.com",
                                  "access_key_id": "a", "access_key_secret": "s")";
const std::string aliyun_card = R"("gateway": "aliyun_card", "endpoint": "https://dysmsapi.aliyuncs.com",
                                   "access_key_id": "a", "access_key_secret": "s")";

account_config account_of(std::string_view text, const fake_env& env = {}) {
  return parse_config(text, env.function()).accounts.at("shop-a");
}

account_config account_with(std::string_view base, std::string_view extra) {
  return account_of(config_with_account("{" + std::string(base) + ", " + std::string(extra) + "}"));
}

std::string error_with(std::string_view base, std::string_view extra) {
  return error_of(config_with_account("{" + std::string(base) + ", " + std::string(extra) + "}"));
}

}  // namespace

TEST_CASE("the new account options have their documented defaults") {
  for (const std::string& base : {douyin, aliyun_sms, aliyun_card}) {
    account_config a = account_of(config_with_account("{" + base + "}"));
    CHECK(a.rate_limit_qps == 0);
    CHECK(a.max_concurrent_calls == 16);
    CHECK(a.marketing_window_start_minute == 8 * 60);
    CHECK(a.marketing_window_end_minute == 22 * 60);
    CHECK_FALSE(a.use_batch_api);
    CHECK_FALSE(a.receipt_endpoint.has_value());
    CHECK(a.receipt_not_found_final_after_seconds == 0);
  }
  account_config a = account_of(minimal_config());
  CHECK(a.max_concurrent_calls == 16);
  CHECK(a.rate_limit_qps == 0);
  CHECK(a.receipt_not_found_final_after_seconds == 0);
}

TEST_CASE("rate_limit_qps and max_concurrent_calls are read and range-checked") {
  account_config a = account_of(minimal_config(R"(, "rate_limit_qps": 1000000, "max_concurrent_calls": 1024)"));
  CHECK(a.rate_limit_qps == 1000000);
  CHECK(a.max_concurrent_calls == 1024);
  CHECK(account_of(minimal_config(R"(, "rate_limit_qps": 0, "max_concurrent_calls": 1)")).max_concurrent_calls == 1);

  CHECK(error_of(minimal_config(R"(, "rate_limit_qps": 1000001)")) ==
        "accounts.shop-a.rate_limit_qps: must be an integer from 0 to 1000000 (got 1000001)");
  CHECK(error_of(minimal_config(R"(, "rate_limit_qps": -1)")) ==
        "accounts.shop-a.rate_limit_qps: must be an integer from 0 to 1000000 (got -1)");
  CHECK(error_of(minimal_config(R"(, "rate_limit_qps": 2.5)")) ==
        "accounts.shop-a.rate_limit_qps: must be an integer from 0 to 1000000 (got 2.5)");
  CHECK(error_of(minimal_config(R"(, "max_concurrent_calls": 0)")) ==
        "accounts.shop-a.max_concurrent_calls: must be an integer from 1 to 1024 (got 0)");
  CHECK(error_of(minimal_config(R"(, "max_concurrent_calls": 1025)")) ==
        "accounts.shop-a.max_concurrent_calls: must be an integer from 1 to 1024 (got 1025)");

  fake_env env{{{"SHOP_A_QPS", "250"}}};
  CHECK(account_of(minimal_config(R"(, "rate_limit_qps": "${SHOP_A_QPS}")"), env).rate_limit_qps == 250);
}

TEST_CASE("marketing_window is HH:MM-HH:MM in minutes after midnight, 00:00-00:00 meaning none") {
  auto window = [](std::string_view text) {
    account_config a = account_of(minimal_config(R"(, "marketing_window": ")" + std::string(text) + "\""));
    return std::pair<int, int>(a.marketing_window_start_minute, a.marketing_window_end_minute);
  };
  CHECK(window("08:00-22:00") == std::pair(480, 1320));
  CHECK(window("09:30-21:15") == std::pair(570, 1275));
  CHECK(window("00:00-00:00") == std::pair(0, 0));
  CHECK(window("00:00-24:00") == std::pair(0, 1440));
  CHECK(window("23:59-24:00") == std::pair(1439, 1440));

  fake_env env{{{"WINDOW", "10:00-20:00"}}};
  account_config a = account_of(minimal_config(R"(, "marketing_window": "${WINDOW:-08:00-22:00}")"), env);
  CHECK(a.marketing_window_start_minute == 600);
  CHECK(a.marketing_window_end_minute == 1200);
}

TEST_CASE("a malformed, empty or overnight marketing_window is an error") {
  const std::string format =
      R"(accounts.shop-a.marketing_window: must be "HH:MM-HH:MM" like "08:00-22:00", or "00:00-00:00" for no window)";
  for (const char* bad : {"8:00-22:00", "08:00-22:0", "08:00 - 22:00", "08:00–22:00", "08.00-22.00", "08:60-22:00",
                          "25:00-26:00", "24:00-24:00", "08:00-24:01", "08:00-", "-", "08:00-22:00x", "0800-2200",
                          "+8:00-22:00", "08:00/22:00"}) {
    CAPTURE(bad);
    CHECK(error_of(minimal_config(R"(, "marketing_window": ")" + std::string(bad) + "\"")) ==
          format + " (got \"" + bad + "\")");
  }
  CHECK(error_of(minimal_config(R"(, "marketing_window": "10:00-10:00")")) ==
        R"(accounts.shop-a.marketing_window: is empty; write "00:00-00:00" for no window (got "10:00-10:00"))");
  CHECK(error_of(minimal_config(R"(, "marketing_window": "22:00-08:00")")) ==
        R"(accounts.shop-a.marketing_window: must end after it starts: a window cannot span midnight ("24:00" is the )"
        R"(end of the day) (got "22:00-08:00"))");
  CHECK(error_of(minimal_config(R"(, "marketing_window": 8)")) == "accounts.shop-a.marketing_window: must be a string (got 8)");
  CHECK(error_of(minimal_config(R"(, "marketing_window": "")")) == "accounts.shop-a.marketing_window: must not be empty");
  CHECK(error_of(minimal_config(R"(, "marketing_window": {"start": "08:00"})")) ==
        "accounts.shop-a.marketing_window: must be a string (got an object)");
}

TEST_CASE("use_batch_api is an aliyun_sms option only") {
  CHECK(account_with(aliyun_sms, R"("use_batch_api": true)").use_batch_api);
  CHECK_FALSE(account_with(aliyun_sms, R"("use_batch_api": false)").use_batch_api);
  CHECK(error_with(aliyun_sms, R"("use_batch_api": "yes")") ==
        "accounts.shop-a.use_batch_api: must be true or false (got \"yes\"; a string is only accepted as one ${VAR} "
        "reference)");
  CHECK(error_of(minimal_config(R"(, "use_batch_api": true)")) ==
        "accounts.shop-a.use_batch_api: not used by gateway fw199_taobao");
  CHECK(error_with(aliyun_card, R"("use_batch_api": false)") ==
        "accounts.shop-a.use_batch_api: not used by gateway aliyun_card");
  CHECK(error_with(douyin, R"("use_batch_api": true)") == "accounts.shop-a.use_batch_api: not used by gateway fw199_douyin");
}

TEST_CASE("receipt_endpoint is a fw199_douyin option only, checked like endpoint") {
  account_config a = account_with(douyin, R"("receipt_endpoint": "https://GW.example.com:8443/gateway/dd/sms/send/result")");
  REQUIRE(a.receipt_endpoint.has_value());
  CHECK(a.receipt_endpoint->url == "https://GW.example.com:8443/gateway/dd/sms/send/result");
  CHECK(a.receipt_endpoint->scheme == "https");
  CHECK(a.receipt_endpoint->host == "gw.example.com");
  CHECK(a.receipt_endpoint->port == 8443);
  CHECK(a.receipt_endpoint->target == "/gateway/dd/sms/send/result");
  CHECK(a.endpoint.target == "/gateway/dd/sms/send");  // the send endpoint is its own

  CHECK(error_with(douyin, R"("receipt_endpoint": "ftp://x")") ==
        "accounts.shop-a.receipt_endpoint: must be an https:// URL (got \"ftp://x\")");
  CHECK(error_with(douyin, R"("receipt_endpoint": "https://user:pw@gw.example.com/")") ==
        "accounts.shop-a.receipt_endpoint: must not carry user info (user:password@): credentials belong in the "
        "account's options (got \"https://user:pw@gw.example.com/\")");
  CHECK(error_with(douyin, R"("receipt_endpoint": "http://127.0.0.1:18080/result")") ==
        "accounts.shop-a.receipt_endpoint: must be an https:// URL; http:// needs \"allow_plain_http\": true on the "
        "account (got \"http://127.0.0.1:18080/result\")");
  account_config plain = account_with(douyin, R"("allow_plain_http": true, "receipt_endpoint": "http://127.0.0.1:18080/result")");
  REQUIRE(plain.receipt_endpoint.has_value());
  CHECK(plain.receipt_endpoint->port == 18080);
  CHECK(error_with(douyin, R"("receipt_endpoint": "")") == "accounts.shop-a.receipt_endpoint: must not be empty");
  CHECK(error_with(douyin, R"("receipt_endpoint": null)") == "accounts.shop-a.receipt_endpoint: must be a string (got null)");

  CHECK(error_of(minimal_config(R"(, "receipt_endpoint": "https://gw.example.com/r")")) ==
        "accounts.shop-a.receipt_endpoint: not used by gateway fw199_taobao");
  CHECK(error_with(aliyun_sms, R"("receipt_endpoint": "https://dysmsapi.aliyuncs.com")") ==
        "accounts.shop-a.receipt_endpoint: not used by gateway aliyun_sms");
}

TEST_CASE("receipt_not_found_final_after_seconds is read for the gateways with a receipt query") {
  const std::string douyin_with_receipts =
      douyin + R"(, "receipt_endpoint": "https://gw.example.com/gateway/dd/sms/send/result")";
  const std::string aliyun_sms_batch = aliyun_sms + R"(, "use_batch_api": true)";
  for (const std::string& base : {aliyun_sms, aliyun_sms_batch, aliyun_card, douyin_with_receipts}) {
    CAPTURE(base);
    CHECK(account_with(base, R"("receipt_not_found_final_after_seconds": 0)").receipt_not_found_final_after_seconds == 0);
    CHECK(account_with(base, R"("receipt_not_found_final_after_seconds": 1800)").receipt_not_found_final_after_seconds ==
          1800);
    CHECK(account_with(base, R"("receipt_not_found_final_after_seconds": 604800)").receipt_not_found_final_after_seconds ==
          604800);
    CHECK(error_with(base, R"("receipt_not_found_final_after_seconds": 604801)") ==
          "accounts.shop-a.receipt_not_found_final_after_seconds: must be an integer from 0 to 604800 (got 604801)");
    CHECK(error_with(base, R"("receipt_not_found_final_after_seconds": -1)") ==
          "accounts.shop-a.receipt_not_found_final_after_seconds: must be an integer from 0 to 604800 (got -1)");
    CHECK(error_with(base, R"("receipt_not_found_final_after_seconds": 1.5)") ==
          "accounts.shop-a.receipt_not_found_final_after_seconds: must be an integer from 0 to 604800 (got 1.5)");
  }
  fake_env env{{{"FINAL_AFTER", "3600"}}};
  CHECK(account_of(config_with_account("{" + aliyun_card + R"(, "receipt_not_found_final_after_seconds": "${FINAL_AFTER}"})"),
                   env)
            .receipt_not_found_final_after_seconds == 3600);
}

TEST_CASE("receipt_not_found_final_after_seconds is refused where there is no receipt query") {
  CHECK(error_of(minimal_config(R"(, "receipt_not_found_final_after_seconds": 60)")) ==
        "accounts.shop-a.receipt_not_found_final_after_seconds: not used by gateway fw199_taobao");
  CHECK(error_of(config_with_account(R"({"gateway": "top_oaid", "endpoint": "https://eco.taobao.com/router/rest",
                                         "app_key": "k", "app_secret": "s", "session": "x",
                                         "receipt_not_found_final_after_seconds": 60})")) ==
        "accounts.shop-a.receipt_not_found_final_after_seconds: not used by gateway top_oaid");
  // fw199_douyin has a receipt query only with receipt_endpoint; even 0 is refused without one.
  for (const char* value : {"60", "0"}) {
    CAPTURE(value);
    CHECK(error_with(douyin, R"("receipt_not_found_final_after_seconds": )" + std::string(value)) ==
          "accounts.shop-a.receipt_not_found_final_after_seconds: needs \"receipt_endpoint\": without it, gateway "
          "fw199_douyin has no receipt query");
  }
}

TEST_CASE("a misspelt new option is an unknown key with a suggestion") {
  CHECK(error_of(minimal_config(R"(, "rate_limit_qs": 5)")) ==
        "accounts.shop-a.rate_limit_qs: unknown key (did you mean \"rate_limit_qps\"?)");
  CHECK(error_of(minimal_config(R"(, "marketing_windows": "08:00-22:00")")) ==
        "accounts.shop-a.marketing_windows: unknown key (did you mean \"marketing_window\"?)");
}

TEST_CASE("admin.listen takes host:port and names a bad value") {
  const std::string base = R"({"accounts": {"a": {"gateway": "fw199_taobao", "endpoint": "https://gw.example/x",
      "app_id": "i", "app_secret": "s", "seller_nick": "n"}}, "admin": {"listen": )";
  auto cfg = herald::config::parse_config(base + R"("0.0.0.0:9464"}})");
  CHECK(cfg.admin.listen == "0.0.0.0:9464");
  CHECK(herald::config::parse_config(base + R"(""}})").admin.listen.empty());
  CHECK_THROWS_WITH_AS(herald::config::parse_config(base + R"("9464"}})"),
                       doctest::Contains("admin.listen: must be host:port"), herald::config::config_error);
  CHECK_THROWS_WITH_AS(herald::config::parse_config(base + R"("0.0.0.0:99999"}})"),
                       doctest::Contains("admin.listen"), herald::config::config_error);
}

TEST_CASE("shutdown.drain_timeout_ms: 30 s by default, 0 to 1 h, named when out of range") {
  const std::string base = R"({"accounts": {"a": {"gateway": "fw199_taobao", "endpoint": "https://gw.example/x",
      "app_id": "i", "app_secret": "s", "seller_nick": "n"}})";
  CHECK(herald::config::parse_config(base + "}").shutdown.drain_timeout_ms == 30000);
  CHECK(herald::config::parse_config(base + R"(, "shutdown": {"drain_timeout_ms": 120000}})").shutdown.drain_timeout_ms ==
        120000);
  CHECK(herald::config::parse_config(base + R"(, "shutdown": {"drain_timeout_ms": 0}})").shutdown.drain_timeout_ms == 0);
  CHECK_THROWS_WITH_AS(herald::config::parse_config(base + R"(, "shutdown": {"drain_timeout_ms": 3600001}})"),
                       doctest::Contains("shutdown.drain_timeout_ms"), herald::config::config_error);
  CHECK_THROWS_WITH_AS(herald::config::parse_config(base + R"(, "shutdown": {"drain_timeout": 1}})"),
                       doctest::Contains("shutdown.drain_timeout: unknown key"), herald::config::config_error);
}
