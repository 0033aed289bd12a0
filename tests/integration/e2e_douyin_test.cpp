// End to end for a fw199 抖店 account (docs/gateways.md "fw199 抖店 SMS batch"): real Kafka, real
// Redis, the gateway simulator's /gateway/dd/sms/send and the herald binary.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <map>

#include "support/e2e_harness.hpp"

using namespace herald::test;
using namespace std::chrono_literals;

namespace {

struct douyin_outcome {
  std::string event_id, status, outcome_class, gateway_code, gateway_message_id;
};

std::string member(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

// recipient_json: {"post_tel":"..."} or {"by_order":true}.
std::string douyin_event(const std::string& event_id, const std::string& order_id, const std::string& recipient_json,
                         const std::string& template_code) {
  return R"({"event_id":")" + event_id + R"(","account":"shop-dy","order_id":")" + order_id +
         R"(","recipient":)" + recipient_json + R"(,"sign_name":"抖店测试","template_code":")" + template_code +
         R"(","params":{"order":")" + order_id + R"(","amount":12.50},"category":"transactional"})";
}

// One test's world: its own topics, group, Redis key prefix, simulator and secret.
struct douyin_world {
  std::string events = unique_name("dy-events");
  std::string results = unique_name("dy-outcomes");
  std::string dlq = unique_name("dy-dlq");
  std::string group = unique_name("dy-group");
  std::string prefix = unique_name("it-dy") + ":";
  std::string secret = unique_name("secret");
  gateway_simulator sim;

  douyin_world() : sim({{"app-dy", secret}}) {
    create_topic(events, 3);
    create_topic(results, 3);
    create_topic(dlq, 1);
  }

  std::string config() const {
    const std::string accounts = R"({"shop-dy": {"gateway": "fw199_douyin", "endpoint": ")" +
                                 sim.url("/gateway/dd/sms/send") +
                                 R"(", "app_id": "app-dy", "app_secret": "${TEST_FW199_SECRET}",
      "seller_nick": "dy-seller"}})";
    return write_config(events, results, dlq, group, prefix, accounts);
  }

  std::unique_ptr<child_process> start(const std::string& cfg) const {
    return start_herald(cfg, {{"TEST_FW199_SECRET", secret}});
  }

  std::vector<douyin_outcome> await_outcomes(std::size_t n, child_process& herald) const {
    auto records = consume(results, n, 90s, 2s);
    INFO("herald log tail:\n", herald.log_tail());
    REQUIRE(records.size() == n);
    std::vector<douyin_outcome> out;
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

bool is_uuid_like(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((i == 8 || i == 13 || i == 18 || i == 23) != (s[i] == '-')) return false;
  return true;
}

}  // namespace

TEST_CASE("douyin: two templates go in separate calls of at most 100, by phone and by order, each sent once") {
  douyin_world w;
  auto herald = w.start(w.config());

  // 120 with template ST_A (every tenth addressed by order), 15 with ST_B (every fifth by order),
  // 2 with a template the gateway does not know; all interleaved so that both routes fill at once.
  // 16 by order in all, under the default daily quota of 20: the ledger's quota key is the
  // recipient's kind and value, and a by_order recipient's value is empty, so for now every
  // by_order event of an account counts against one quota (ledger_keys.cpp; to be fixed there).
  std::vector<std::string> values;
  std::map<std::string, std::string> template_of;  // order_id -> template
  std::map<std::string, std::string> recipient_of;  // order_id -> what the gateway counts as the number
  auto add = [&](const std::string& order_id, bool by_order, const std::string& template_code) {
    const std::string tel = "tel-" + order_id;
    values.push_back(douyin_event("ev-" + order_id, order_id,
                                  by_order ? R"({"by_order":true})" : R"({"post_tel":")" + tel + R"("})",
                                  template_code));
    template_of[order_id] = template_code;
    recipient_of[order_id] = by_order ? order_id : tel;
  };
  for (int i = 0; i < 120; ++i) {
    add("dyA-" + std::to_string(i), i % 10 == 0, "ST_A");
    if (i % 8 == 0) add("dyB-" + std::to_string(i / 8), (i / 8) % 5 == 0, "ST_B");
  }
  add("dyX-1", false, "BAD_TPL");
  add("dyX-2", true, "BAD_TPL");
  REQUIRE(values.size() == 137);
  produce(w.events, values);
  auto outcomes = w.await_outcomes(137, *herald);

  std::map<std::string, douyin_outcome> by_event;
  for (const auto& o : outcomes) CHECK_MESSAGE(by_event.emplace(o.event_id, o).second, "two outcomes for ", o.event_id);
  REQUIRE(by_event.size() == 137);
  for (const auto& [id, o] : by_event) {
    CAPTURE(id);
    if (id.starts_with("ev-dyX-")) {
      CHECK(o.status == "failed");
      CHECK(o.outcome_class == "permanent");
      CHECK(o.gateway_code == "1");
    } else {
      CHECK(o.status == "sent");
      CHECK(is_uuid_like(o.gateway_message_id));
    }
  }

  // A repeated event_id is recognised and not sent again.
  produce(w.events, {values[0]});
  outcomes = w.await_outcomes(138, *herald);
  CHECK(std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.status == "duplicate"; }) == 1);

  const std::string stats = w.sim.get("/_sim/stats");
  INFO("simulator stats: ", stats);
  CHECK(sim_stat(stats, "items_accepted") == 135);
  CHECK(sim_stat(stats, "accepted_unique") == 135);
  CHECK(sim_stat(stats, "duplicates") == 0);
  CHECK(sim_stat(stats, "max_batch_seen") <= 100);
  CHECK(sim_stat(stats, "max_batch_seen") >= 1);
  CHECK(sim_stat(stats, "requests") >= 4);  // ST_A needs two calls at least, ST_B and BAD_TPL one each

  // template_id is per call: had herald put both templates in one call, the sim would have
  // recorded some orders under the other template.
  rapidjson::Document accepted;
  const std::string accepted_text = w.sim.get("/_sim/accepted");
  accepted.Parse(accepted_text.c_str());
  REQUIRE(accepted.IsArray());
  REQUIRE(accepted.Size() == 135);
  for (const auto& r : accepted.GetArray()) {
    const std::string order_id = member(r, "order_id");
    CAPTURE(order_id);
    REQUIRE(template_of.count(order_id) == 1);
    CHECK(member(r, "template_code") == template_of[order_id]);
    CHECK(member(r, "oaid") == recipient_of[order_id]);  // the sim's recipient column
    CHECK(member(r, "seller") == "dy-seller");
  }
  CHECK(herald->is_running());
}
