// End to end for retries, receipt checks, flow control and crash recovery (docs/retries.md):
// real Kafka, real Redis, the gateway simulator dropping answers, throttling and receipts, and
// the herald binary, killed with SIGKILL where the test says so.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <csignal>
#include <map>
#include <set>
#include <thread>

#include "herald/util/time.hpp"
#include "support/e2e_harness.hpp"

using namespace herald::test;
using namespace std::chrono_literals;

namespace {

struct outcome {
  std::string event_id, status, outcome_class, reason, policy;
};

std::string member(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

std::string phone_of(int i) { return "138" + std::to_string(10000000 + i); }

std::string sms_event(const std::string& event_id, const std::string& phone,
                      const std::string& category = "transactional") {
  return R"({"event_id":")" + event_id + R"(","account":"ali","order_id":"o-)" + event_id +
         R"(","recipient":{"phone":")" + phone + R"("},"sign_name":"HeraldShop","template_code":"SMS_100",)"
         R"("params":{"code":"1234"},"category":")" + category + R"("})";
}

std::string oaid_event(const std::string& event_id) {
  return R"({"event_id":")" + event_id + R"(","account":"shop","order_id":"o-)" + event_id +
         R"(","recipient":{"oaid":"oaid-)" + event_id +
         R"("},"sign_name":"HeraldShop","template_code":"SMS_100","params":{"code":"1234"},"category":"transactional"})";
}

// One test's world: its own topics, group, Redis key prefix, simulator and AccessKey.
struct retry_world {
  std::string events = unique_name("rt-events");
  std::string results = unique_name("rt-outcomes");
  std::string dlq = unique_name("rt-dlq");
  std::string group = unique_name("rt-group");
  std::string prefix = unique_name("it-rt") + ":";
  std::string secret = unique_name("secret");
  gateway_simulator sim;

  explicit retry_world(std::vector<std::string> sim_args)
      : sim({{"ak-test", secret}, {"app-1", secret}}, std::move(sim_args)) {
    create_topic(events, 3);
    create_topic(results, 3);
    create_topic(dlq, 1);
  }

  // An Alibaba Cloud SMS account "ali" (receipt query: QuerySendDetails) with extra options.
  std::string aliyun_config(const std::string& account_options, const std::string& sections) const {
    const std::string accounts = R"({"ali": {"gateway": "aliyun_sms", "endpoint": ")" + sim.url("/") +
                                 R"(", "access_key_id": "ak-test", "access_key_secret": "${TEST_SECRET}")" +
                                 account_options + "}}";
    return write_config(events, results, dlq, group, prefix, accounts, sections);
  }

  // A fw199 Taobao OAID account "shop": no receipt query.
  std::string fw199_config(const std::string& sections) const {
    const std::string accounts = R"({"shop": {"gateway": "fw199_taobao", "endpoint": ")" +
                                 sim.url("/jst/sms/oaid/send") +
                                 R"(", "app_id": "app-1", "app_secret": "${TEST_SECRET}", "seller_nick": "seller-a",
      "max_batch": 1}})";
    return write_config(events, results, dlq, group, prefix, accounts, sections);
  }

  std::unique_ptr<child_process> start(const std::string& cfg, std::vector<std::string> args = {}) const {
    return start_herald(cfg, {{"TEST_SECRET", secret}}, std::move(args));
  }

  // At least n outcome records (and whatever else arrives within the settle time).
  std::vector<outcome> outcomes(std::size_t n, child_process& herald, std::chrono::milliseconds timeout = 120s) const {
    auto records = consume(results, n, timeout, 2s);
    INFO("herald log tail:\n", herald.log_tail());
    REQUIRE(records.size() >= n);
    std::vector<outcome> out;
    for (const auto& r : records) {
      rapidjson::Document d;
      d.Parse(r.value.c_str());
      REQUIRE_MESSAGE(d.IsObject(), "an outcome record is not a JSON object: ", r.value);
      out.push_back({member(d, "event_id"), member(d, "status"), member(d, "class"), member(d, "reason"),
                     member(d, "policy")});
    }
    return out;
  }
};

std::map<std::string, std::vector<outcome>> by_event(const std::vector<outcome>& v) {
  std::map<std::string, std::vector<outcome>> out;
  for (const auto& o : v) out[o.event_id].push_back(o);
  return out;
}

long metric(const std::string& text, const std::string& name) {
  auto pos = text.find("\n" + name + " ");
  REQUIRE_MESSAGE(pos != std::string::npos, "metric ", name, " missing");
  return std::stol(text.substr(pos + name.size() + 2));
}

}  // namespace

TEST_CASE("retry: 30% of sends accepted but never answered end sent once each, through the receipt check") {
  retry_world w({"--fault-drop-answer", "0.3", "--seed", "7"});
  const int n = 60;
  const int admin_port = free_port();
  auto cfg = w.aliyun_config("", R"("retry": {"receipt_grace_ms": 300, "max_receipt_checks": 30},
  "admin": {"listen": "127.0.0.1:)" + std::to_string(admin_port) + R"("},)");
  auto herald = w.start(cfg);
  std::vector<std::string> events;
  for (int i = 0; i < n; ++i) events.push_back(sms_event("drop-" + std::to_string(i), phone_of(i)));
  produce(w.events, events);

  auto outcomes = w.outcomes(n, *herald);
  auto per_event = by_event(outcomes);
  CHECK(outcomes.size() == static_cast<std::size_t>(n));
  CHECK(per_event.size() == static_cast<std::size_t>(n));
  int found_by_receipt = 0;
  for (const auto& [id, list] : per_event) {
    CAPTURE(id);
    REQUIRE(list.size() == 1);
    CHECK(list[0].status == "sent");
    if (list[0].reason.find("receipt check") != std::string::npos) ++found_by_receipt;
  }
  // With 30% of answers dropped, some sends were ambiguous; the receipt decided each of them.
  CHECK(found_by_receipt > 0);
  const auto stats = w.sim.get("/_sim/stats");
  INFO("simulator stats: ", stats);
  CHECK(sim_stat(stats, "duplicates") == 0);
  CHECK(sim_stat(stats, "accepted_unique") == n);
  CHECK(sim_stat(stats, "items_accepted") == n);
  auto [status, metrics] = http_get("http://127.0.0.1:" + std::to_string(admin_port) + "/metrics");
  REQUIRE(status == 200);
  CHECK(metric(metrics, "herald_receipts_found_total") == found_by_receipt);
  CHECK(metric(metrics, "herald_parked_total") >= found_by_receipt);
}

TEST_CASE("retry: without a receipt query, dropped answers end as the on_unknown policy says, never resent") {
  retry_world w({"--fault-drop-answer", "0.3", "--seed", "11"});
  const int n = 40;
  auto herald = w.start(w.fw199_config(""));
  std::vector<std::string> events;
  for (int i = 0; i < n; ++i) events.push_back(oaid_event("fw-" + std::to_string(i)));
  produce(w.events, events);
  auto outcomes = w.outcomes(n, *herald);
  auto per_event = by_event(outcomes);
  CHECK(per_event.size() == static_cast<std::size_t>(n));
  int unknown = 0;
  for (const auto& [id, list] : per_event) {
    CAPTURE(id);
    REQUIRE(list.size() == 1);
    if (list[0].status == "unknown") {
      ++unknown;
      CHECK(list[0].policy == "report_unknown");
      CHECK(list[0].outcome_class == "ambiguous");
    } else {
      CHECK(list[0].status == "sent");
    }
  }
  CHECK(unknown > 0);
  const auto stats = w.sim.get("/_sim/stats");
  INFO("simulator stats: ", stats);
  CHECK(sim_stat(stats, "duplicates") == 0);
  CHECK(sim_stat(stats, "accepted_unique") == n);  // the dropped answers' items were accepted too
}

TEST_CASE("retry: the account's rate limit keeps calls under it, and a gateway's throttling is retried") {
  SUBCASE("Herald's own limit: 10 calls/s against a gateway that allows 12") {
    retry_world w({"--rate-limit-qps", "12"});
    const int n = 40;
    auto herald = w.start(w.aliyun_config(R"(, "rate_limit_qps": 10)", ""));
    std::vector<std::string> events;
    for (int i = 0; i < n; ++i) events.push_back(sms_event("rate-" + std::to_string(i), phone_of(i)));
    const auto start = std::chrono::steady_clock::now();
    produce(w.events, events);
    auto outcomes = w.outcomes(n, *herald);
    const auto took = std::chrono::steady_clock::now() - start;
    for (const auto& o : outcomes) CHECK(o.status == "sent");
    const auto stats = w.sim.get("/_sim/stats");
    INFO("simulator stats: ", stats);
    CHECK(sim_stat(stats, "throttled") == 0);
    // A bucket of 10/s with a burst of 1: no second of calls holds more than 11.
    CHECK(sim_stat(stats, "max_calls_per_second") <= 11);
    CHECK(took >= 3s);  // 40 calls at 10/s
    CHECK(sim_stat(stats, "duplicates") == 0);
  }
  SUBCASE("the gateway's limit: 4 calls/s while Herald would make 50") {
    retry_world w({"--rate-limit-qps", "4"});
    const int n = 20;
    const int admin_port = free_port();
    auto herald = w.start(w.aliyun_config(R"(, "rate_limit_qps": 50)",
                                          R"("retry": {"max_attempts": 20, "backoff_base_ms": 200, "backoff_cap_ms": 2000},
  "admin": {"listen": "127.0.0.1:)" + std::to_string(admin_port) + R"("},)"));
    std::vector<std::string> events;
    for (int i = 0; i < n; ++i) events.push_back(sms_event("thr-" + std::to_string(i), phone_of(i)));
    produce(w.events, events);
    auto outcomes = w.outcomes(n, *herald);
    CHECK(outcomes.size() == static_cast<std::size_t>(n));
    for (const auto& o : outcomes) CHECK(o.status == "sent");
    const auto stats = w.sim.get("/_sim/stats");
    INFO("simulator stats: ", stats);
    CHECK(sim_stat(stats, "throttled") > 0);
    CHECK(sim_stat(stats, "duplicates") == 0);
    CHECK(sim_stat(stats, "accepted_unique") == n);
    auto [status, metrics] = http_get("http://127.0.0.1:" + std::to_string(admin_port) + "/metrics");
    REQUIRE(status == 200);
    CHECK(metric(metrics, "herald_gateway_throttled_total") == sim_stat(stats, "throttled"));
  }
}

TEST_CASE("retry: a throttled event whose attempts are used up fails as throttled and goes to the DLQ") {
  retry_world w({"--rate-limit-qps", "1"});
  const int n = 10;
  auto herald = w.start(w.aliyun_config(R"(, "rate_limit_qps": 50)", R"("retry": {"max_attempts": 1},)"));
  std::vector<std::string> events;
  for (int i = 0; i < n; ++i) events.push_back(sms_event("ex-" + std::to_string(i), phone_of(i)));
  produce(w.events, events);
  auto outcomes = w.outcomes(n, *herald);
  REQUIRE(outcomes.size() == static_cast<std::size_t>(n));
  std::set<std::string> failed;
  for (const auto& o : outcomes) {
    CAPTURE(o.event_id);
    if (o.status == "failed") {
      CHECK(o.outcome_class == "throttled");
      failed.insert(o.event_id);
    } else {
      CHECK(o.status == "sent");
    }
  }
  const auto stats = w.sim.get("/_sim/stats");
  INFO("simulator stats: ", stats);
  // Ten calls within a second against one allowed per second: most are throttled, and with one
  // attempt each of them fails at once.
  CHECK(failed.size() >= 5);
  CHECK(static_cast<long>(failed.size()) == sim_stat(stats, "throttled"));
  CHECK(sim_stat(stats, "accepted_unique") == n - static_cast<long>(failed.size()));
  auto dead = consume(w.dlq, failed.size(), 20s);
  REQUIRE(dead.size() == failed.size());
  for (const auto& r : dead) {
    CHECK(r.headers.count("herald.error") == 1);
    CHECK(r.value.find(R"("event_id":"ex-)") == 1);  // the original bytes, unchanged
  }
}

TEST_CASE("retry: marketing events outside the window wait on the delay topic and go out when it opens") {
  retry_world w({});
  // Herald's clock is set a few seconds before the start of a window that opens at the next
  // minute (the offset stays small, so the simulator still accepts the signed timestamps).
  const std::int64_t local_ms = herald::time::unix_ms() + 8 * 3600 * 1000;
  const std::int64_t opens_local_ms = (local_ms / 60000 + 1) * 60000;  // the next whole minute
  const int start = static_cast<int>((opens_local_ms / 60000) % 1440);  // 00:00 after 23:59
  const int end = std::min(start + 60, 1440);
  const std::int64_t lead_ms = 8000;
  const std::int64_t offset_ms = opens_local_ms - lead_ms - local_ms;
  char window[32];
  std::snprintf(window, sizeof window, "%02d:%02d-%02d:%02d", start / 60, start % 60, end / 60, end % 60);
  auto herald = w.start(w.aliyun_config(R"(, "marketing_window": ")" + std::string(window) + R"(")", ""),
                        {"--clock-offset-ms", std::to_string(offset_ms)});
  const auto produced_at = std::chrono::steady_clock::now();
  produce(w.events, {sms_event("mk-1", phone_of(1), "marketing"), sms_event("mk-2", phone_of(2), "marketing"),
                     sms_event("mk-3", phone_of(3), "marketing"), sms_event("tx-1", phone_of(4))});

  // Before the window opens only the transactional event is out.
  auto early = consume(w.results, 4, 3s, 0ms);
  if (std::chrono::steady_clock::now() - produced_at < std::chrono::milliseconds(lead_ms - 1000)) {
    INFO("herald log tail:\n", herald->log_tail());
    REQUIRE(early.size() == 1);
    CHECK(early[0].value.find(R"("event_id":"tx-1")") != std::string::npos);
  }
  auto waiting = consume(w.events + ".delay", 3, 10s, 0ms);
  REQUIRE(waiting.size() == 3);
  for (const auto& r : waiting) CHECK(r.value.find(R"("reason":"marketing_window")") != std::string::npos);

  auto outcomes = w.outcomes(4, *herald, 60s);
  CHECK(outcomes.size() == 4);
  for (const auto& o : outcomes) CHECK(o.status == "sent");
  CHECK(std::chrono::steady_clock::now() - produced_at >= std::chrono::milliseconds(lead_ms - 1000));
  CHECK(sim_stat(w.sim.get("/_sim/stats"), "accepted_unique") == 4);
}

TEST_CASE("retry: SIGKILL in the middle of sending, then a restart: nothing sent twice, nothing lost") {
  retry_world w({"--latency-ms", "250"});
  const int n = 400;  // about 13 s of sending at 8 calls in flight, 250 ms each
  auto cfg = w.aliyun_config(R"(, "receipt_not_found_final_after_seconds": 4)",
                             R"("retry": {"receipt_grace_ms": 500, "max_receipt_checks": 40},)");
  std::vector<std::string> events;
  for (int i = 0; i < n; ++i) events.push_back(sms_event("kill-" + std::to_string(i), phone_of(i)));
  produce(w.events, events);

  auto first = w.start(cfg);
  // Some sent and settled, some on the wire, most reserved and waiting: then kill it.
  std::this_thread::sleep_for(3s);
  first->signal(SIGKILL);
  REQUIRE(first->wait(10s) == 128 + SIGKILL);
  const long accepted_at_kill = sim_stat(w.sim.get("/_sim/stats"), "items_accepted");
  CHECK(accepted_at_kill < n);

  auto second = w.start(cfg);
  // Outcomes of events settled before the crash may come twice (sent, then duplicate): wait
  // for every event rather than for a count of records.
  const auto restarted = std::chrono::steady_clock::now();
  std::map<std::string, std::vector<outcome>> per_event;
  for (auto deadline = restarted + 180s;
       per_event.size() < static_cast<std::size_t>(n) && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(2s);
    per_event = by_event(w.outcomes(1, *second, 10s));
  }
  INFO("herald log tail:\n", second->log_tail());
  MESSAGE("accepted at the kill: ", accepted_at_kill, "; all settled ",
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - restarted).count(),
          " s after the restart");
  CHECK(per_event.size() == static_cast<std::size_t>(n));
  for (const auto& [id, list] : per_event) {
    CAPTURE(id);
    // Each event ends sent: by its own call, by a receipt found after the crash, or as the
    // duplicate of a send the ledger recorded before the crash (its outcome had not committed).
    bool is_sent = false;
    for (const auto& o : list) {
      CHECK((o.status == "sent" || o.status == "duplicate"));
      is_sent |= o.status == "sent" || o.status == "duplicate";
    }
    CHECK(is_sent);
  }
  const auto stats = w.sim.get("/_sim/stats");
  INFO("simulator stats: ", stats);
  CHECK(sim_stat(stats, "duplicates") == 0);
  CHECK(sim_stat(stats, "accepted_unique") == n);
  CHECK(sim_stat(stats, "items_accepted") == n);
}
