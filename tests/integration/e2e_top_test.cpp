// End to end with the Taobao Open Platform (TOP) gateway, taobao.jst.sms.oaid.message.send
// (docs/gateways.md "TOP OAID send"): real Kafka, real Redis, the gateway simulator's /router/rest
// and the herald binary, one account per sign_method.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <map>

#include "support/e2e_harness.hpp"

using namespace herald::test;
using namespace std::chrono_literals;

namespace {

struct top_outcome {
  std::string event_id, status, outcome_class, gateway_code, gateway_message_id;
};

std::string member(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

std::map<std::string, top_outcome> by_event_id(const std::vector<kafka_record>& records,
                                               std::map<std::string, int>& seen) {
  std::map<std::string, top_outcome> out;
  for (const auto& r : records) {
    rapidjson::Document d;
    d.Parse(r.value.c_str());
    REQUIRE_MESSAGE(d.IsObject(), "an outcome record is not a JSON object: ", r.value);
    top_outcome o{member(d, "event_id"), member(d, "status"), member(d, "class"), member(d, "gateway_code"),
                  member(d, "gateway_message_id")};
    ++seen[o.event_id];
    // The first outcome of an id is the one that sent (or failed); a later copy is its duplicate.
    if (o.status == "duplicate") out.emplace(o.event_id + "#dup", o);
    else out.emplace(o.event_id, o);
  }
  return out;
}

std::string top_event(const std::string& event_id, const std::string& account, const std::string& order_id,
                      const std::string& oaid, const std::string& template_code = "SMS_100",
                      const std::string& extra = "") {
  return R"({"event_id":")" + event_id + R"(","account":")" + account + R"(","order_id":")" + order_id +
         R"(","recipient":{"oaid":")" + oaid + R"("},"sign_name":"Herald小店","template_code":")" + template_code +
         R"(","params":{"name":"李雷","code":"A&B=1 2"},"category":"transactional")" + extra + "}";
}

long stat(const rapidjson::Document& stats, const char* name) {
  REQUIRE_MESSAGE(stats.HasMember(name), "simulator stats lack ", name);
  return stats[name].GetInt64();
}

}  // namespace

TEST_CASE("top oaid: each event is one signed call; duplicates, bad templates and the number's daily limit "
          "end as they should") {
  const std::string events = unique_name("top-events");
  const std::string results = unique_name("top-outcomes");
  const std::string dlq = unique_name("top-dlq");
  create_topic(events, 3);
  create_topic(results, 3);
  create_topic(dlq, 1);
  const std::string secret = unique_name("top-secret");    // test values, not real secrets
  const std::string session = unique_name("top-session");

  // The sim knows the app key through the same --app-secret table as fw199 appids; it allows two
  // sends a day per (app_key, session, template, oaid).
  gateway_simulator sim({{"top-app-1", secret}}, {"--daily-limit", "2"});

  std::string accounts = "{";
  for (const char* method : {"md5", "hmac", "hmac-sha256"}) {
    if (accounts.size() > 1) accounts += ",";
    accounts += R"("top-)" + std::string(method) + R"(": {"gateway": "top_oaid", "endpoint": ")" +
                sim.url("/router/rest") + R"(", "app_key": "top-app-1", "app_secret": "${TEST_TOP_SECRET}",
      "session": "${TEST_TOP_SESSION}-)" + method + R"(", "sign_method": ")" + method + R"(",
      "daily_limit": {"transactional": 10, "marketing": 3}})";
  }
  accounts += "}";
  const std::string cfg = write_config(events, results, dlq, unique_name("top-group"), unique_name("it-top") + ":",
                                       accounts);
  auto herald = start_herald(cfg, {{"TEST_TOP_SECRET", secret}, {"TEST_TOP_SESSION", session}});

  // 20 events: 15 plain ones across the three accounts (one with extension fields), one of them
  // again (same event_id), one with an unknown template, three to one number on one account.
  const char* accounts_by_method[] = {"top-md5", "top-hmac", "top-hmac-sha256"};
  std::vector<std::string> values;
  for (int i = 0; i < 15; ++i)
    values.push_back(top_event("t-" + std::to_string(i), accounts_by_method[i % 3], "to" + std::to_string(i),
                               "oaid-t" + std::to_string(i), "SMS_100",
                               i == 4 ? R"(,"extend":"e1","extend_code":"01","extend_name":"扩展")" : ""));
  values.push_back(values[2]);
  values.push_back(top_event("t-bad", "top-hmac", "to-bad", "oaid-bad", "BAD_TEMPLATE"));
  for (int i = 0; i < 3; ++i)
    values.push_back(top_event("t-hot-" + std::to_string(i), "top-hmac-sha256", "to-hot" + std::to_string(i),
                               "oaid-hot"));
  REQUIRE(values.size() == 20);
  produce(events, values);

  auto records = consume(results, 20, 60s, 2s);
  INFO("herald log tail:\n", herald->log_tail());
  INFO("simulator log tail:\n", sim.log_tail());
  REQUIRE(records.size() == 20);
  std::map<std::string, int> seen;
  const auto outcomes = by_event_id(records, seen);

  for (int i = 0; i < 15; ++i) {
    const auto& o = outcomes.at("t-" + std::to_string(i));
    CAPTURE(o.event_id);
    CHECK(o.status == "sent");
    CHECK(o.gateway_message_id.ends_with("^0"));  // the answer's module
  }
  CHECK(seen["t-2"] == 2);
  CHECK(outcomes.at("t-2#dup").status == "duplicate");

  const auto& bad = outcomes.at("t-bad");
  CHECK(bad.status == "failed");
  CHECK(bad.outcome_class == "permanent");
  CHECK(bad.gateway_code == "isv.template-not-exist");

  int hot_sent = 0, hot_limited = 0;
  for (int i = 0; i < 3; ++i) {
    const auto& o = outcomes.at("t-hot-" + std::to_string(i));
    if (o.status == "sent") ++hot_sent;
    if (o.status == "failed" && o.outcome_class == "recipient_limited") {
      ++hot_limited;
      CHECK(o.gateway_code == "isv.business-limit-control");
    }
  }
  CHECK(hot_sent == 2);
  CHECK(hot_limited == 1);

  // One call per message, nothing sent twice, nothing refused for its signature or timestamp.
  rapidjson::Document stats;
  const std::string stats_text = sim.get("/_sim/stats");
  stats.Parse(stats_text.c_str());
  INFO("simulator stats: ", stats_text);
  REQUIRE(stats.IsObject());
  CHECK(stat(stats, "requests") == 19);  // the duplicate never reached the gateway
  CHECK(stat(stats, "items_accepted") == 17);
  CHECK(stat(stats, "accepted_unique") == 17);
  CHECK(stat(stats, "duplicates") == 0);
  CHECK(stat(stats, "max_batch_seen") == 1);
  CHECK(stats["calls_rejected"].ObjectEmpty());
  CHECK(stats["items_rejected"]["template_not_found"].GetInt64() == 1);
  CHECK(stats["items_rejected"]["daily_limit"].GetInt64() == 1);
  CHECK(herald->is_running());
}

TEST_CASE("top oaid: a wrong app secret is refused by the gateway as invalid signature, and nothing is sent") {
  const std::string events = unique_name("top-events");
  const std::string results = unique_name("top-outcomes");
  const std::string dlq = unique_name("top-dlq");
  create_topic(events, 1);
  create_topic(results, 1);
  create_topic(dlq, 1);
  gateway_simulator sim({{"top-app-1", unique_name("right-secret")}});
  const std::string accounts = R"({"top-shop": {"gateway": "top_oaid", "endpoint": ")" + sim.url("/router/rest") +
                               R"(", "app_key": "top-app-1", "app_secret": "${TEST_TOP_SECRET}",
      "session": "test-session"}})";
  const std::string cfg = write_config(events, results, dlq, unique_name("top-group"),
                                       unique_name("it-top") + ":", accounts);
  auto herald = start_herald(cfg, {{"TEST_TOP_SECRET", unique_name("wrong-secret")}});
  produce(events, {top_event("w-1", "top-shop", "wo1", "oaid-w1")});
  auto records = consume(results, 1, 60s, 1s);
  INFO("herald log tail:\n", herald->log_tail());
  REQUIRE(records.size() == 1);
  std::map<std::string, int> seen;
  const auto o = by_event_id(records, seen).at("w-1");
  CHECK(o.status == "failed");
  CHECK(o.outcome_class == "permanent");
  CHECK(o.gateway_code == "25");
  rapidjson::Document stats;
  const std::string stats_text = sim.get("/_sim/stats");
  stats.Parse(stats_text.c_str());
  REQUIRE(stats.IsObject());
  CHECK(stat(stats, "items_accepted") == 0);
  CHECK(stats["calls_rejected"]["invalid_sign"].GetInt64() == 1);
}
