// End to end for Alibaba Cloud SMS accounts (docs/gateways.md "Alibaba Cloud SMS"): real Kafka,
// real Redis, the gateway simulator's POST / (SendSms, SendBatchSms, SendCardSms) and the herald
// binary.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <map>
#include <set>

#include "support/e2e_harness.hpp"

using namespace herald::test;
using namespace std::chrono_literals;

namespace {

struct aliyun_outcome {
  std::string event_id, status, outcome_class, gateway_code, gateway_message_id;
};

std::string member(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

std::string sms_event(const std::string& event_id, const std::string& phone, const std::string& template_code = "SMS_100",
                      const std::string& account = "ali-sms") {
  return R"({"event_id":")" + event_id + R"(","account":")" + account + R"(","order_id":"o-)" + event_id +
         R"(","recipient":{"phone":")" + phone + R"("},"sign_name":"阿里云短信测试","template_code":")" +
         template_code + R"(","params":{"code":"1234","name":"张三 & *~"},"category":"transactional"})";
}

// card_json: the event's "card" object.
std::string card_event(const std::string& event_id, const std::string& phone, const std::string& card_json) {
  return R"({"event_id":")" + event_id + R"(","account":"ali-card","order_id":"o-)" + event_id +
         R"(","recipient":{"phone":")" + phone +
         R"("},"sign_name":"阿里云","template_code":"CARD_SMS_70","params":{"name":"李四"},)"
         R"("category":"transactional","card":)" +
         card_json + "}";
}

// One test's world: its own topics, group, Redis key prefix, simulator and AccessKey.
struct aliyun_world {
  std::string events = unique_name("ali-events");
  std::string results = unique_name("ali-outcomes");
  std::string dlq = unique_name("ali-dlq");
  std::string group = unique_name("ali-group");
  std::string prefix = unique_name("it-ali") + ":";
  std::string secret = unique_name("secret");
  // The simulator's --app-secret table doubles as its AccessKeyId=AccessKeySecret table.
  gateway_simulator sim;

  aliyun_world() : sim({{"ak-test", secret}}) {
    create_topic(events, 3);
    create_topic(results, 3);
    create_topic(dlq, 1);
  }

  std::string config(const std::string& extra_sms_options = "") const {
    const std::string accounts =
        R"({"ali-sms": {"gateway": "aliyun_sms", "endpoint": ")" + sim.url("/") +
        R"(", "access_key_id": "ak-test", "access_key_secret": "${TEST_ALIYUN_SECRET}")" + extra_sms_options +
        R"(}, "ali-card": {"gateway": "aliyun_card", "endpoint": ")" + sim.url("/") +
        R"(", "access_key_id": "ak-test", "access_key_secret": "${TEST_ALIYUN_SECRET}", "region_id": "cn-shanghai"}})";
    return write_config(events, results, dlq, group, prefix, accounts);
  }

  std::unique_ptr<child_process> start(const std::string& cfg) const {
    return start_herald(cfg, {{"TEST_ALIYUN_SECRET", secret}});
  }

  std::vector<aliyun_outcome> await_outcomes(std::size_t n, child_process& herald) const {
    auto records = consume(results, n, 90s, 2s);
    INFO("herald log tail:\n", herald.log_tail());
    REQUIRE(records.size() == n);
    std::vector<aliyun_outcome> out;
    for (const auto& r : records) {
      rapidjson::Document d;
      d.Parse(r.value.c_str());
      REQUIRE_MESSAGE(d.IsObject(), "an outcome record is not a JSON object: ", r.value);
      out.push_back({member(d, "event_id"), member(d, "status"), member(d, "class"), member(d, "gateway_code"),
                     member(d, "gateway_message_id")});
    }
    return out;
  }
};

std::map<std::string, std::vector<aliyun_outcome>> by_event(const std::vector<aliyun_outcome>& outcomes) {
  std::map<std::string, std::vector<aliyun_outcome>> out;
  for (const auto& o : outcomes) out[o.event_id].push_back(o);
  return out;
}

}  // namespace

TEST_CASE("aliyun: SendSms sends each event once; a repeat is a duplicate, a BAD_ template and an illegal number fail") {
  aliyun_world w;
  auto herald = w.start(w.config());
  produce(w.events, {sms_event("a-1", "13800138001"), sms_event("a-2", "13800138002"), sms_event("a-3", "+85261234567"),
                     sms_event("a-bad-template", "13800138004", "BAD_TEMPLATE"),
                     // Valid for the event decoder (5-20 digits), not a number Alibaba Cloud can reach.
                     sms_event("a-bad-number", "12345")});
  auto outcomes = w.await_outcomes(5, *herald);
  produce(w.events, {sms_event("a-1", "13800138001")});  // redelivered: the ledger has it as sent
  outcomes = w.await_outcomes(6, *herald);

  auto events = by_event(outcomes);
  for (const char* id : {"a-1", "a-2", "a-3"}) {
    CAPTURE(id);
    REQUIRE(!events[id].empty());
    CHECK(events[id][0].status == "sent");
    CHECK(events[id][0].gateway_code == "OK");
    CHECK(events[id][0].gateway_message_id.ends_with("^0"));  // the BizId
  }
  REQUIRE(events["a-1"].size() == 2);
  CHECK(events["a-1"][1].status == "duplicate");
  REQUIRE(events["a-bad-template"].size() == 1);
  CHECK(events["a-bad-template"][0].status == "failed");
  CHECK(events["a-bad-template"][0].outcome_class == "permanent");
  CHECK(events["a-bad-template"][0].gateway_code == "isv.SMS_TEMPLATE_ILLEGAL");
  REQUIRE(events["a-bad-number"].size() == 1);
  CHECK(events["a-bad-number"][0].status == "failed");
  CHECK(events["a-bad-number"][0].outcome_class == "permanent");
  CHECK(events["a-bad-number"][0].gateway_code == "isv.MOBILE_NUMBER_ILLEGAL");

  const auto stats = w.sim.get("/_sim/stats");
  CHECK(sim_stat(stats, "items_accepted") == 3);
  CHECK(sim_stat(stats, "accepted_unique") == 3);
  CHECK(sim_stat(stats, "duplicates") == 0);
  CHECK(sim_stat(stats, "max_batch_seen") == 1);  // one number per SendSms
  // Every call was signed right, fresh and with a fresh nonce.
  INFO("simulator stats: ", stats);
  CHECK(stats.find("invalid_sign") == std::string::npos);
  CHECK(stats.find("nonce_used") == std::string::npos);
  CHECK(stats.find("bad_timestamp") == std::string::npos);
  CHECK(herald->is_running());
}

TEST_CASE("aliyun: with use_batch_api, events of one template share SendBatchSms calls and one BizId each") {
  aliyun_world w;
  auto herald = w.start(w.config(R"(, "use_batch_api": true)"));
  std::vector<std::string> values;
  for (int i = 0; i < 30; ++i)
    values.push_back(sms_event("b-" + std::to_string(i), "138001380" + std::to_string(10 + i),
                               i % 3 == 0 ? "SMS_200" : "SMS_100"));
  produce(w.events, values);
  auto outcomes = w.await_outcomes(30, *herald);
  CHECK(std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.status == "sent"; }) == 30);
  std::set<std::string> biz_ids;
  for (const auto& o : outcomes) biz_ids.insert(o.gateway_message_id);
  CHECK(biz_ids.size() < 30);  // shared by the events of one call
  const auto stats = w.sim.get("/_sim/stats");
  CHECK(sim_stat(stats, "items_accepted") == 30);
  CHECK(sim_stat(stats, "duplicates") == 0);
  CHECK(sim_stat(stats, "requests") < 30);
}

TEST_CASE("aliyun: card SMS goes out as cards, falls back to text SMS, and fails without a fallback") {
  aliyun_world w;
  auto herald = w.start(w.config());
  // The simulator's rule: numbers ending in 0 cannot show a card.
  const std::string sms_fallback = R"({"fallback_type":"SMS","fallback_template_code":"SMS_300",)"
                                   R"("fallback_params":{"code":"1234"},"custom_url":"https://shop.example/o/1"})";
  const std::string no_fallback = R"({"fallback_type":"NONE"})";
  produce(w.events, {card_event("c-card", "13800138001", sms_fallback), card_event("c-text", "13800138010", sms_fallback),
                     card_event("c-none", "13800138020", no_fallback), card_event("c-card2", "13800138003", no_fallback),
                     card_event("c-bad", "13800138005",
                                R"({"fallback_type":"SMS","fallback_template_code":"BAD_FALLBACK"})")});
  auto outcomes = w.await_outcomes(5, *herald);
  auto events = by_event(outcomes);
  REQUIRE(events.size() == 5);
  CHECK(events["c-card"][0].status == "sent");
  CHECK(events["c-text"][0].status == "sent");
  CHECK(events["c-card2"][0].status == "sent");
  CHECK_FALSE(events["c-card"][0].gateway_message_id.empty());
  CHECK_FALSE(events["c-text"][0].gateway_message_id.empty());
  CHECK(events["c-none"][0].status == "failed");
  CHECK(events["c-none"][0].outcome_class == "permanent");
  CHECK(events["c-none"][0].gateway_code == "not_media_mobile");
  CHECK(events["c-bad"][0].status == "failed");
  CHECK(events["c-bad"][0].gateway_code == "isv.SMS_TEMPLATE_ILLEGAL");

  const auto stats = w.sim.get("/_sim/stats");
  INFO("simulator stats: ", stats);
  CHECK(sim_stat(stats, "items_accepted") == 3);
  CHECK(sim_stat(stats, "duplicates") == 0);
  CHECK(stats.find("invalid_sign") == std::string::npos);
  CHECK(herald->is_running());
}
