#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include "config_test_support.hpp"

using namespace herald::config;
using namespace herald::config::test;

namespace {

const char* const all_kinds = R"({
  "redis": {"password": "redis-pw-1"},
  "kafka": {"consumer_properties": {"sasl.password": "sasl-pw-2", "sasl.username": "user"},
            "producer_properties": {"ssl.key.password": "ssl-pw-3"},
            "retry_topic": "shop.retry", "delay_topic": "shop.delay"},
  "retry": {"max_attempts": 8, "backoff_base_ms": 250, "backoff_cap_ms": 120000, "max_in_process_delay_ms": 0,
            "receipt_grace_ms": 15000, "max_receipt_checks": 3},
  "ledger": {"quota_utc_offset": "-05:30"},
  "accounts": {
    "fw": {"gateway": "fw199_douyin", "endpoint": "https://gw.example.com/gateway/dd/sms/send",
           "app_id": "fw-id", "app_secret": "fw-secret-4", "seller_nick": "nick", "daily_limit": {"marketing": 0},
           "receipt_endpoint": "https://gw.example.com/gateway/dd/sms/send/result", "marketing_window": "00:00-00:00",
           "rate_limit_qps": 50, "max_concurrent_calls": 4, "receipt_not_found_final_after_seconds": 7200},
    "top": {"gateway": "top_oaid", "endpoint": "https://eco.taobao.com/router/rest",
            "app_key": "top-key", "app_secret": "top-secret-5", "session": "top-session-6"},
    "ali": {"gateway": "aliyun_card", "endpoint": "https://dysmsapi.aliyuncs.com/", "access_key_id": "ali-id",
            "access_key_secret": "ali-secret-7", "region_id": "cn-shanghai", "on_unknown": "assume_sent",
            "marketing_window": "09:05-21:30", "receipt_not_found_final_after_seconds": 604800},
    "sms": {"gateway": "aliyun_sms", "endpoint": "https://dysmsapi.aliyuncs.com/", "access_key_id": "sms-id",
            "access_key_secret": "sms-secret-8", "use_batch_api": true, "receipt_not_found_final_after_seconds": 1}
  }
})";

}  // namespace

TEST_CASE("the redacted config hides every secret and shows everything else") {
  herald_config cfg = parse_config(all_kinds, fake_env{}.function());
  std::string json = to_redacted_json(cfg);
  for (const char* secret : {"redis-pw-1", "sasl-pw-2", "ssl-pw-3", "fw-secret-4", "top-secret-5", "top-session-6",
                             "ali-secret-7", "sms-secret-8"})
    CHECK_MESSAGE(json.find(secret) == std::string::npos, secret);
  for (const char* shown : {"fw-id", "top-key", "ali-id", "nick", "cn-shanghai", "assume_sent", "\"user\"", "-05:30"})
    CHECK_MESSAGE(json.find(shown) != std::string::npos, shown);

  rapidjson::Document doc;
  doc.Parse(json.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(std::string(doc["redis"]["password"].GetString()) == "***");
  CHECK(std::string(doc["accounts"]["top"]["session"].GetString()) == "***");
  CHECK(std::string(doc["accounts"]["ali"]["access_key_secret"].GetString()) == "***");
  CHECK(std::string(doc["kafka"]["consumer_properties"]["sasl.password"].GetString()) == "***");
  CHECK(doc["accounts"]["fw"]["daily_limit"]["transactional"].GetInt() == 20);  // filled in from quota
  CHECK_FALSE(doc["accounts"]["top"].HasMember("daily_limit"));
}

TEST_CASE("the redacted config shows the sending options, each kind's own only for that kind") {
  herald_config cfg = parse_config(all_kinds, fake_env{}.function());
  rapidjson::Document doc;
  doc.Parse(to_redacted_json(cfg).c_str());
  REQUIRE_FALSE(doc.HasParseError());
  const auto& accounts = doc["accounts"];
  CHECK(accounts["fw"]["rate_limit_qps"].GetInt() == 50);
  CHECK(accounts["fw"]["max_concurrent_calls"].GetInt() == 4);
  CHECK(std::string(accounts["fw"]["marketing_window"].GetString()) == "00:00-00:00");
  CHECK(std::string(accounts["fw"]["receipt_endpoint"].GetString()) == "https://gw.example.com/gateway/dd/sms/send/result");
  CHECK(accounts["top"]["rate_limit_qps"].GetInt() == 0);
  CHECK(accounts["top"]["max_concurrent_calls"].GetInt() == 16);
  CHECK(std::string(accounts["top"]["marketing_window"].GetString()) == "08:00-22:00");
  CHECK(std::string(accounts["ali"]["marketing_window"].GetString()) == "09:05-21:30");
  CHECK(accounts["sms"]["use_batch_api"].GetBool());
  for (const char* name : {"fw", "top", "ali"}) {
    CAPTURE(name);
    CHECK_FALSE(accounts[name].HasMember("use_batch_api"));
  }
  for (const char* name : {"top", "ali", "sms"}) {
    CAPTURE(name);
    CHECK_FALSE(accounts[name].HasMember("receipt_endpoint"));
  }
  // Only where there is a receipt query: aliyun_sms, aliyun_card, fw199_douyin with receipt_endpoint.
  CHECK(accounts["fw"]["receipt_not_found_final_after_seconds"].GetInt() == 7200);
  CHECK(accounts["ali"]["receipt_not_found_final_after_seconds"].GetInt() == 604800);
  CHECK(accounts["sms"]["receipt_not_found_final_after_seconds"].GetInt() == 1);
  CHECK_FALSE(accounts["top"].HasMember("receipt_not_found_final_after_seconds"));
}

TEST_CASE("the redacted config shows the retry and delay topics and the retry section") {
  herald_config cfg = parse_config(all_kinds, fake_env{}.function());
  rapidjson::Document doc;
  doc.Parse(to_redacted_json(cfg).c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(std::string(doc["kafka"]["retry_topic"].GetString()) == "shop.retry");
  CHECK(std::string(doc["kafka"]["delay_topic"].GetString()) == "shop.delay");
  const auto& retry = doc["retry"];
  CHECK(retry["max_attempts"].GetInt() == 8);
  CHECK(retry["backoff_base_ms"].GetInt() == 250);
  CHECK(retry["backoff_cap_ms"].GetInt() == 120000);
  CHECK(retry["max_in_process_delay_ms"].GetInt() == 0);
  CHECK(retry["receipt_grace_ms"].GetInt() == 15000);
  CHECK(retry["max_receipt_checks"].GetInt() == 3);

  // Defaults are filled in.
  rapidjson::Document minimal;
  minimal.Parse(to_redacted_json(parse_config(minimal_config(), fake_env{}.function())).c_str());
  REQUIRE_FALSE(minimal.HasParseError());
  CHECK(std::string(minimal["kafka"]["retry_topic"].GetString()) == "herald.retry");
  CHECK(std::string(minimal["kafka"]["delay_topic"].GetString()) == "herald.delay");
  CHECK(minimal["retry"]["max_attempts"].GetInt() == 5);
  CHECK(minimal["retry"]["backoff_base_ms"].GetInt() == 200);
  CHECK(minimal["retry"]["backoff_cap_ms"].GetInt() == 60000);
  CHECK(minimal["retry"]["max_in_process_delay_ms"].GetInt() == 5000);
  CHECK(minimal["retry"]["receipt_grace_ms"].GetInt() == 5000);
  CHECK(minimal["retry"]["max_receipt_checks"].GetInt() == 6);
  CHECK_FALSE(minimal["accounts"]["shop-a"].HasMember("receipt_not_found_final_after_seconds"));
}

TEST_CASE("a fw199_douyin account without a receipt endpoint prints none") {
  herald_config cfg = parse_config(config_with_account(R"({"gateway": "fw199_douyin", "endpoint": "https://gw.example.com/",
                                                           "app_id": "a", "app_secret": "s", "seller_nick": "n"})"),
                                   fake_env{}.function());
  rapidjson::Document doc;
  doc.Parse(to_redacted_json(cfg).c_str());
  CHECK_FALSE(doc["accounts"]["shop-a"].HasMember("receipt_endpoint"));
  CHECK_FALSE(doc["accounts"]["shop-a"].HasMember("receipt_not_found_final_after_seconds"));
  // ... and so is still a valid config.
  CHECK_NOTHROW((void)parse_config(to_redacted_json(cfg), fake_env{}.function()));
}

TEST_CASE("an empty secret is shown as empty, so that a missing password is visible") {
  herald_config cfg = parse_config(minimal_config(), fake_env{}.function());
  rapidjson::Document doc;
  doc.Parse(to_redacted_json(cfg).c_str());
  CHECK(std::string(doc["redis"]["password"].GetString()).empty());
}

TEST_CASE("the redacted config is itself a valid config with the same effective values") {
  herald_config cfg = parse_config(all_kinds, fake_env{}.function());
  herald_config again = parse_config(to_redacted_json(cfg), fake_env{}.function());
  CHECK(to_redacted_json(again) == to_redacted_json(cfg));
  CHECK(again.ledger.quota_utc_offset_minutes == -330);
  CHECK(again.accounts.at("top").app_id == "top-key");
  CHECK(again.accounts.at("fw").daily_limit->marketing == 0);
  CHECK(again.accounts.at("fw").receipt_endpoint->target == "/gateway/dd/sms/send/result");
  CHECK(again.accounts.at("fw").marketing_window_end_minute == 0);
  CHECK(again.accounts.at("ali").marketing_window_start_minute == 9 * 60 + 5);
  CHECK(again.accounts.at("sms").use_batch_api);
  CHECK(again.kafka.retry_topic == "shop.retry");
  CHECK(again.kafka.delay_topic == "shop.delay");
  CHECK(again.retry.max_attempts == 8);
  CHECK(again.retry.backoff_base_ms == 250);
  CHECK(again.retry.backoff_cap_ms == 120000);
  CHECK(again.retry.max_in_process_delay_ms == 0);
  CHECK(again.retry.receipt_grace_ms == 15000);
  CHECK(again.retry.max_receipt_checks == 3);
  CHECK(again.accounts.at("fw").receipt_not_found_final_after_seconds == 7200);
  CHECK(again.accounts.at("ali").receipt_not_found_final_after_seconds == 604800);
  CHECK(again.accounts.at("sms").receipt_not_found_final_after_seconds == 1);
  CHECK(again.accounts.at("top").receipt_not_found_final_after_seconds == 0);
}

TEST_CASE("a default config round-trips through the redacted output too") {
  herald_config cfg = parse_config(minimal_config(), fake_env{}.function());
  herald_config again = parse_config(to_redacted_json(cfg), fake_env{}.function());
  CHECK(to_redacted_json(again) == to_redacted_json(cfg));
  CHECK(again.kafka.retry_topic == "herald.retry");
  CHECK(again.retry.max_receipt_checks == 6);
  for (const char* account : {
           R"({"gateway": "aliyun_sms", "endpoint": "https://dysmsapi.aliyuncs.com", "access_key_id": "a",
               "access_key_secret": "s"})",
           R"({"gateway": "aliyun_card", "endpoint": "https://dysmsapi.aliyuncs.com", "access_key_id": "a",
               "access_key_secret": "s"})",
           R"({"gateway": "fw199_douyin", "endpoint": "https://gw.example.com/", "app_id": "a", "app_secret": "s",
               "seller_nick": "n", "receipt_endpoint": "https://gw.example.com/r"})",
           R"({"gateway": "fw199_douyin", "endpoint": "https://gw.example.com/", "app_id": "a", "app_secret": "s",
               "seller_nick": "n"})",
           R"({"gateway": "top_oaid", "endpoint": "https://eco.taobao.com/router/rest", "app_key": "k",
               "app_secret": "s", "session": "x"})",
       }) {
    CAPTURE(account);
    herald_config one = parse_config(config_with_account(account), fake_env{}.function());
    herald_config back = parse_config(to_redacted_json(one), fake_env{}.function());
    CHECK(to_redacted_json(back) == to_redacted_json(one));
  }
}

TEST_CASE("URLs are printed without their query or user info, row by row") {
  struct row {
    const char* url;
    const char* printed;
  };
  for (const row& r : {
           row{"https://gw.example.com/jst/sms/oaid/send", "https://gw.example.com/jst/sms/oaid/send"},
           row{"https://gw.example.com:8443/send?token=t0k3n&x=1", "https://gw.example.com:8443/send?***"},
           row{"https://gw.example.com?token=t0k3n", "https://gw.example.com?***"},
           row{"https://gw.example.com/send?", "https://gw.example.com/send?***"},
           row{"https://gw.example.com/a#frag", "https://gw.example.com/a#***"},
           row{"https://user:pa55@gw.example.com/send?k=v", "https://***@gw.example.com/send?***"},
           row{"https://gw.example.com/path@with-at", "https://gw.example.com/path@with-at"},
           row{"http://127.0.0.1:18080/", "http://127.0.0.1:18080/"},
           row{"", ""},
       }) {
    CAPTURE(r.url);
    CHECK(redact_url(r.url) == r.printed);
  }
}

TEST_CASE("check-config output shows endpoints without a token in their query") {
  herald_config cfg = parse_config(config_with_account(R"({"gateway": "fw199_douyin",
      "endpoint": "https://gw.example.com/gateway/dd/sms/send?access_token=tok-9", "app_id": "a", "app_secret": "s",
      "seller_nick": "n", "receipt_endpoint": "https://gw.example.com/r?sig=rcpt-10"})"),
                                   fake_env{}.function());
  const std::string json = to_redacted_json(cfg);
  CHECK(json.find("tok-9") == std::string::npos);
  CHECK(json.find("rcpt-10") == std::string::npos);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(std::string(doc["accounts"]["shop-a"]["endpoint"].GetString()) == "https://gw.example.com/gateway/dd/sms/send?***");
  CHECK(std::string(doc["accounts"]["shop-a"]["receipt_endpoint"].GetString()) == "https://gw.example.com/r?***");
  // The worker still has the whole URL.
  CHECK(cfg.accounts.at("shop-a").endpoint.target == "/gateway/dd/sms/send?access_token=tok-9");
}

TEST_CASE("the recipient hash key is shown only as set or not") {
  fake_env env{{{"HERALD_RECIPIENT_HASH_KEY", "key-material-0123456789"}}};
  herald_config with_key =
      parse_config(minimal_config("", R"("ledger": {"recipient_hash_key": "${HERALD_RECIPIENT_HASH_KEY}"})"), env.function());
  const std::string json = to_redacted_json(with_key);
  CHECK(json.find("key-material") == std::string::npos);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(std::string(doc["ledger"]["recipient_hash_key"].GetString()) == "***");

  doc.Parse(to_redacted_json(parse_config(minimal_config(), fake_env{}.function())).c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(std::string(doc["ledger"]["recipient_hash_key"].GetString()).empty());
}
