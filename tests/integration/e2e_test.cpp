// End to end through real Kafka, real Redis, the gateway simulator and the herald binary.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <algorithm>
#include <map>
#include <set>

#include "support/e2e_harness.hpp"

using namespace herald::test;
using namespace std::chrono_literals;

namespace {

struct outcome_record {
  std::string event_id, status, reason, outcome_class, gateway_code, gateway_message_id;
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
};

std::string str(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

std::vector<outcome_record> parse_outcomes(const std::vector<kafka_record>& records) {
  std::vector<outcome_record> out;
  for (const auto& r : records) {
    rapidjson::Document d;
    d.Parse(r.value.c_str());
    REQUIRE_MESSAGE(d.IsObject(), "an outcome record is not a JSON object: ", r.value);
    outcome_record o;
    o.event_id = str(d, "event_id");
    o.status = str(d, "status");
    o.reason = str(d, "reason");
    o.outcome_class = str(d, "class");
    o.gateway_code = str(d, "gateway_code");
    o.gateway_message_id = str(d, "gateway_message_id");
    REQUIRE(d.HasMember("source"));
    o.topic = str(d["source"], "topic");
    o.partition = d["source"]["partition"].GetInt();
    o.offset = d["source"]["offset"].GetInt64();
    REQUIRE(d.HasMember("settled_at"));
    REQUIRE(d.HasMember("attempts"));
    out.push_back(o);
  }
  return out;
}

std::size_t count_status(const std::vector<outcome_record>& v, const std::string& st) {
  return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), [&](const auto& o) { return o.status == st; }));
}

std::string event_json(const std::string& event_id, const std::string& order_id, const std::string& oaid,
                       const std::string& template_code = "SMS_100", const std::string& account = "shop-a") {
  std::string id = event_id.empty() ? "" : R"("event_id":")" + event_id + R"(",)";
  return "{" + id + R"("account":")" + account + R"(","order_id":")" + order_id + R"(","recipient":{"oaid":")" +
         oaid + R"("},"sign_name":"HeraldShop","template_code":")" + template_code +
         R"(","params":{"name":"Li","code":"1234"},"category":"transactional"})";
}

// One test's world: its own topics, group, Redis key prefix, simulator and secret.
struct world {
  std::string events = unique_name("events");
  std::string results = unique_name("outcomes");
  std::string dlq = unique_name("dlq");
  std::string group = unique_name("group");
  std::string prefix = unique_name("it") + ":";
  std::string secret = unique_name("secret");
  gateway_simulator sim;

  explicit world(int partitions = 3, std::vector<std::string> sim_args = {})
      : sim({{"app-1", secret}}, std::move(sim_args)) {
    create_topic(events, partitions);
    create_topic(results, 3);
    create_topic(dlq, 1);
  }

  std::string config(unsigned transactional_limit = 10, int redis_port_value = 0, const std::string& extra = "") const {
    std::string accounts = R"({"shop-a": {"gateway": "fw199_taobao", "endpoint": ")" +
                           sim.url("/jst/sms/oaid/send") +
                           R"(", "app_id": "app-1", "app_secret": "${TEST_FW199_SECRET}",
      "seller_nick": "seller-a", "daily_limit": {"transactional": )" +
                           std::to_string(transactional_limit) + R"(, "marketing": 3}}})";
    return write_config(events, results, dlq, group, prefix, accounts, extra, redis_port_value);
  }

  std::unique_ptr<child_process> start(const std::string& cfg) const {
    return start_herald(cfg, {{"TEST_FW199_SECRET", secret}});
  }
};

std::vector<outcome_record> await_outcomes(const world& w, std::size_t n, child_process& herald,
                                           std::chrono::milliseconds timeout = 60s) {
  auto records = consume(w.results, n, timeout, 2s);
  INFO("herald log tail:\n", herald.log_tail());
  REQUIRE(records.size() == n);
  return parse_outcomes(records);
}

}  // namespace

TEST_CASE("events with repeated event_ids are sent once") {
  world w;
  auto herald = w.start(w.config());
  std::vector<std::string> first;
  for (int i = 0; i < 10; ++i) first.push_back(event_json("evt-" + std::to_string(i), "o" + std::to_string(i), "oaid" + std::to_string(i)));
  produce(w.events, first);
  auto outcomes = await_outcomes(w, 10, *herald);
  CHECK(count_status(outcomes, "sent") == 10);

  // Each id twice more: the copies in one poll meet the in-flight copy, the rest the ledger.
  std::vector<std::string> repeats;
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 10; ++i) repeats.push_back(first[static_cast<std::size_t>(i)]);
  produce(w.events, repeats);
  outcomes = await_outcomes(w, 30, *herald);
  CHECK(count_status(outcomes, "sent") == 10);
  CHECK(count_status(outcomes, "duplicate") == 20);

  auto stats = w.sim.get("/_sim/stats");
  CHECK(sim_stat(stats, "items_accepted") == 10);
  CHECK(sim_stat(stats, "duplicates") == 0);
  CHECK(herald->is_running());
}

TEST_CASE("the same order, template and recipient without an event_id is sent once") {
  world w;
  auto herald = w.start(w.config());
  produce(w.events, {event_json("", "o-1", "oaid-1"), event_json("", "o-1", "oaid-1"), event_json("", "o-2", "oaid-1")});
  auto outcomes = await_outcomes(w, 3, *herald);
  CHECK(count_status(outcomes, "sent") == 2);
  CHECK(count_status(outcomes, "duplicate") == 1);
  for (const auto& o : outcomes) CHECK(o.event_id.rfind("d:", 0) == 0);
  CHECK(sim_stat(w.sim.get("/_sim/stats"), "duplicates") == 0);
}

TEST_CASE("quota rejections happen at the limit and are refunded after a definite failure") {
  world w;
  auto herald = w.start(w.config(/*transactional_limit=*/2));

  // Four different notifications to one recipient, limit two a day.
  std::vector<std::string> four;
  for (int i = 0; i < 4; ++i) four.push_back(event_json("q-" + std::to_string(i), "qo" + std::to_string(i), "oaid-quota"));
  produce(w.events, four);
  auto outcomes = await_outcomes(w, 4, *herald);
  CHECK(count_status(outcomes, "sent") == 2);
  CHECK(count_status(outcomes, "rejected_quota") == 2);
  for (const auto& o : outcomes)
    if (o.status == "rejected_quota") CHECK(o.reason.find("daily limit of 2") != std::string::npos);

  // A send the gateway refuses for good (unknown template) gives its quota back...
  produce(w.events, {event_json("r-bad", "ro0", "oaid-refund", "BAD_TEMPLATE")});
  outcomes = await_outcomes(w, 5, *herald);
  auto bad = std::find_if(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.event_id == "r-bad"; });
  REQUIRE(bad != outcomes.end());
  CHECK(bad->status == "failed");
  CHECK(bad->outcome_class == "permanent");
  // ...so two more notifications to that recipient still fit in the limit of two.
  produce(w.events, {event_json("r-1", "ro1", "oaid-refund"), event_json("r-2", "ro2", "oaid-refund")});
  outcomes = await_outcomes(w, 7, *herald);
  for (const auto& o : outcomes)
    if (o.event_id == "r-1" || o.event_id == "r-2") CHECK(o.status == "sent");

  // The ledger holds hashes only: no recipient appears in any key (of all there are).
  const auto keys = redis_keys(w.prefix + "*");
  CHECK_FALSE(keys.empty());
  for (const auto& k : keys) {
    CHECK(k.find("oaid-refund") == std::string::npos);
    CHECK(k.find("oaid-quota") == std::string::npos);
  }
}

TEST_CASE("every consumed event has exactly one outcome") {
  world w(6);
  auto herald = w.start(w.config(/*transactional_limit=*/3));
  std::vector<std::string> values;
  for (int i = 0; i < 240; ++i) {
    if (i % 12 == 5) values.push_back("{broken json " + std::to_string(i));
    else if (i % 12 == 7) values.push_back(values[static_cast<std::size_t>(i - 3)]);  // a repeat of a valid event
    else values.push_back(event_json("m-" + std::to_string(i), "mo" + std::to_string(i), "oaid-" + std::to_string(i % 50)));
  }
  auto positions = produce(w.events, values);
  auto outcomes = await_outcomes(w, values.size(), *herald, 90s);

  std::set<std::pair<std::int32_t, std::int64_t>> produced(positions.begin(), positions.end());
  std::set<std::pair<std::int32_t, std::int64_t>> settled;
  for (const auto& o : outcomes) {
    CHECK(o.topic == w.events);
    CHECK_MESSAGE(settled.insert({o.partition, o.offset}).second, "two outcomes for offset ", o.offset);
  }
  CHECK(settled == produced);
  CHECK(count_status(outcomes, "invalid") == 20);
  CHECK(count_status(outcomes, "sent") + count_status(outcomes, "rejected_quota") + count_status(outcomes, "duplicate") ==
        220);
  // A repeat is a duplicate only of a copy that was sent; otherwise it ends as that one did (here:
  // over its recipient's quota). Which copy came first depends on the partitions' pace.
  std::map<std::string, std::multiset<std::string>> by_event;
  for (const auto& o : outcomes)
    if (o.status != "invalid") by_event[o.event_id].insert(o.status);
  int repeats = 0;
  for (const auto& [id, statuses] : by_event) {
    if (statuses.size() == 1) continue;
    ++repeats;
    const bool is_sent_pair = statuses == std::multiset<std::string>{"sent", "duplicate"};
    const bool is_quota_pair = statuses == std::multiset<std::string>{"rejected_quota", "rejected_quota"};
    CHECK_MESSAGE((is_sent_pair || is_quota_pair), id, ": ", *statuses.begin(), " and ", *statuses.rbegin());
  }
  CHECK(repeats == 20);
  CHECK(count_status(outcomes, "duplicate") > 0);
  CHECK(sim_stat(w.sim.get("/_sim/stats"), "duplicates") == 0);
}

TEST_CASE("invalid events reach the DLQ with their original bytes, and the worker goes on") {
  world w;
  auto herald = w.start(w.config());
  std::vector<std::string> bad{
      "this is not json",
      R"({"order_id":"1","recipient":{"oaid":"x"},"sign_name":"s","template_code":"t"})",
      R"({"account":"nobody","order_id":"1","recipient":{"oaid":"x"},"sign_name":"s","template_code":"t"})",
      R"({"account":"shop-a","order_id":"1","recipient":{"phone":"13800000000"},"sign_name":"s","template_code":"t"})",
  };
  auto positions = produce(w.events, bad, 0);
  produce(w.events, {event_json("fine-1", "f1", "oaid-f1")}, 0);
  auto outcomes = await_outcomes(w, 5, *herald);
  CHECK(count_status(outcomes, "invalid") == 4);
  CHECK(count_status(outcomes, "sent") == 1);
  std::vector<std::string> reasons;
  for (const auto& o : outcomes)
    if (o.status == "invalid") reasons.push_back(o.reason);
  auto mentions = [&](const std::string& word) {
    return std::any_of(reasons.begin(), reasons.end(), [&](const auto& r) { return r.find(word) != std::string::npos; });
  };
  CHECK(mentions("not JSON"));
  CHECK(mentions("account: missing"));
  CHECK(mentions("nobody"));
  CHECK(mentions("recipient"));

  auto dlq = consume(w.dlq, 4, 30s, 1s);
  REQUIRE(dlq.size() == 4);
  for (std::size_t i = 0; i < dlq.size(); ++i) {
    auto match = std::find(bad.begin(), bad.end(), dlq[i].value);
    REQUIRE_MESSAGE(match != bad.end(), "DLQ value is not an original event: ", dlq[i].value);
    auto pos = positions[static_cast<std::size_t>(match - bad.begin())];
    CHECK(dlq[i].headers["herald.source.topic"] == w.events);
    CHECK(dlq[i].headers["herald.source.partition"] == std::to_string(pos.first));
    CHECK(dlq[i].headers["herald.source.offset"] == std::to_string(pos.second));
    CHECK_FALSE(dlq[i].headers["herald.error"].empty());
  }
  CHECK(herald->is_running());
}

TEST_CASE("stopping and restarting resumes from committed offsets with no second send") {
  world w;
  const auto cfg = w.config();
  std::vector<std::string> first, second;
  for (int i = 0; i < 60; ++i) first.push_back(event_json("s-" + std::to_string(i), "so" + std::to_string(i), "oaid-s" + std::to_string(i)));
  for (int i = 60; i < 100; ++i) second.push_back(event_json("s-" + std::to_string(i), "so" + std::to_string(i), "oaid-s" + std::to_string(i)));

  produce(w.events, first);
  {
    auto herald = w.start(cfg);
    await_outcomes(w, 60, *herald);
    herald->signal(SIGTERM);
    auto code = herald->wait(40s);
    INFO("herald log tail:\n", herald->log_tail());
    REQUIRE(code.has_value());
    CHECK(*code == 0);
  }
  produce(w.events, second);
  auto herald = w.start(cfg);
  // Exactly 100: a restart that re-read from the beginning would add 60 more (duplicates).
  auto outcomes = await_outcomes(w, 100, *herald);
  CHECK(count_status(outcomes, "sent") == 100);
  auto stats = w.sim.get("/_sim/stats");
  CHECK(sim_stat(stats, "items_accepted") == 100);
  CHECK(sim_stat(stats, "duplicates") == 0);
}

TEST_CASE("while Redis is unreachable nothing is sent, and everything goes out once it is back") {
  world w;
  const int port = free_port();
  auto herald = w.start(w.config(10, port));
  std::vector<std::string> values;
  for (int i = 0; i < 5; ++i) values.push_back(event_json("rd-" + std::to_string(i), "rdo" + std::to_string(i), "oaid-rd" + std::to_string(i)));
  produce(w.events, values);
  // No ledger, no send: nothing may reach the gateway and no outcome may appear.
  CHECK(consume(w.results, 1, 4s, 0ms).empty());
  CHECK(sim_stat(w.sim.get("/_sim/stats"), "requests") == 0);
  CHECK(herald->is_running());

  auto redis = start_dedicated_redis(port);
  auto outcomes = await_outcomes(w, 5, *herald);
  CHECK(count_status(outcomes, "sent") == 5);
  CHECK(sim_stat(w.sim.get("/_sim/stats"), "items_accepted") == 5);
}

TEST_CASE("the admin endpoint serves metrics and readiness") {
  world w;
  const int port = free_port();
  auto herald = w.start(w.config(10, 0, R"("admin": {"listen": "127.0.0.1:)" + std::to_string(port) + R"("},)"));
  produce(w.events, {event_json("adm-1", "a1", "oaid-a1"), "not json"});
  await_outcomes(w, 2, *herald);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto [status, metrics] = http_get(base + "/metrics");
  REQUIRE(status == 200);
  CHECK(metrics.find("herald_outcomes_total{status=\"sent\"} 1\n") != std::string::npos);
  CHECK(metrics.find("herald_outcomes_total{status=\"invalid\"} 1\n") != std::string::npos);
  CHECK(metrics.find("herald_redis_up 1\n") != std::string::npos);
  CHECK(http_get(base + "/healthz").first == 200);
  CHECK(http_get(base + "/readyz").first == 200);
  CHECK(http_get(base + "/nothing").first == 404);
}
