// Chaos scenario "brown-outs" (issue 13, property 8; docs/reliability.md): a gateway that refuses
// connections is backpressure, not loss. Herald reaches the simulator through the chaos proxy in
// raw mode (TLS end to end), which refuses connections from before Herald starts:
// - for longer than retry.max_attempts x backoff would allow: a call never written costs no
//   attempt, so nothing ends while the gateway is away and everything is sent once it is back;
// - past a small retry.not_sent_budget_ms: every event ends `failed`, class `not_sent`, with its
//   original bytes on the DLQ for a replay, and nothing reached the gateway.
// Each ends with the shared checker.
#include <doctest/doctest.h>

#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "chaos/support/chaos_harness.hpp"
#include "chaos/support/config_patch.hpp"
#include "chaos/support/redis_proxy.hpp"

using namespace herald::chaos;
using namespace std::chrono_literals;

namespace {

// The rig's gateway endpoints pointed at a raw proxy in front of its simulator.
std::unique_ptr<redis_proxy> gateway_behind_proxy(rig& r) {
  auto proxy = std::make_unique<redis_proxy>(r.sim().port(), /*resp_framing=*/false);
  replace_in_file(r.config_path(), "https://127.0.0.1:" + std::to_string(r.sim().port()) + "/",
                  "https://127.0.0.1:" + std::to_string(proxy->port()) + "/");
  return proxy;
}

std::map<std::string, std::map<std::string, long>> per_account(const std::vector<outcome>& all) {
  std::map<std::string, std::map<std::string, long>> out;
  for (const auto& o : all) ++out[o.account][o.status];
  return out;
}

void print(const std::string& label, const std::map<std::string, std::map<std::string, long>>& m) {
  for (const auto& [account, statuses] : m) {
    std::cerr << "[chaos] " << label << " " << account << ":";
    for (const auto& [s, n] : statuses) std::cerr << " " << s << "=" << n;
    std::cerr << "\n";
  }
}

}  // namespace

TEST_CASE("chaos: a gateway refusing connections longer than the attempts allow: nothing fails, all sent after it") {
  const int events = by_scale(120, 1200);
  const auto outage = by_scale(15s, 60s);
  rig_options opt;
  opt.name = "chaos-brownout";
  opt.sim_args = {"--latency-ms", "20"};
  // Two attempts at 100 ms to 1 s apart: had a refused call cost attempts, every event would
  // fail within seconds of the outage's start.
  opt.extra_sections =
      R"(  "retry": {"receipt_grace_ms": 1000, "max_receipt_checks": 5, "backoff_base_ms": 100, "backoff_cap_ms": 1000, "max_attempts": 2},
)";
  rig r(opt);
  auto gateway = gateway_behind_proxy(r);
  gateway->refuse_connections();

  const auto produced = r.produce_events(events, "bo");
  outcome_reader progress(r.results_topic());
  auto herald = r.start_herald("chaos-pod-1");
  const auto down_until = std::chrono::steady_clock::now() + outage;
  while (std::chrono::steady_clock::now() < down_until) progress.read_to_end(500ms);
  const auto during = progress.outcomes().size();
  const long calls_during = sim_number(r.sim(), "requests");
  gateway->accept_connections();
  std::cerr << "[chaos] brownout: gateway refused connections for "
            << std::chrono::duration_cast<std::chrono::seconds>(outage).count() << " s: " << during
            << " outcomes meanwhile, " << calls_during << " calls reached the simulator\n";
  // Nothing can be sent while the gateway is away, and nothing may give up on it.
  CHECK(during == 0);
  CHECK(calls_during == 0);

  const bool drained = drain(progress, produced, by_scale(60s, 300s), "brownout drain");
  INFO("herald log tail:\n", herald->log_tail(3000));
  CHECK(drained);
  CHECK(herald->is_running());
  CHECK(stop_gracefully(*herald) == 0);
  const auto m = per_account(progress.outcomes());
  print("brownout", m);
  for (const auto& [account, kind] : r.accounts()) {
    const auto it = m.find(account);
    const long sent = it != m.end() && it->second.count("sent") ? it->second.at("sent") : 0;
    CHECK_MESSAGE(sent == events / static_cast<long>(r.accounts().size()), account, " (", kind, "): ", sent, " sent");
  }
  // Refused connections are never ambiguous: nothing may end unknown on any gateway kind.
  require_promises(r.check(produced, 0, "brownout"));
}

TEST_CASE("chaos: a gateway refusing connections past retry.not_sent_budget_ms: failed, class not_sent, each with a DLQ copy") {
  const int events = by_scale(30, 300);
  rig_options opt;
  opt.name = "chaos-budget";
  opt.extra_sections =
      R"(  "retry": {"receipt_grace_ms": 1000, "max_receipt_checks": 5, "backoff_base_ms": 100, "backoff_cap_ms": 1000, "max_attempts": 2, "not_sent_budget_ms": 3000},
)";
  rig r(opt);
  auto gateway = gateway_behind_proxy(r);
  gateway->refuse_connections();

  const auto values = r.events(events, "nsb");
  const auto produced = as_sources(r.events_topic(), herald::test::produce(r.events_topic(), values));
  outcome_reader progress(r.results_topic());
  auto herald = r.start_herald("chaos-pod-1");
  // The budget counts from each event's consumption; the gateway stays away until all ended.
  const bool ended = drain(progress, produced, by_scale(40s, 120s), "not_sent budget");
  const long calls = sim_number(r.sim(), "requests");
  gateway->accept_connections();
  INFO("herald log tail:\n", herald->log_tail(3000));
  CHECK(ended);
  CHECK(calls == 0);
  CHECK(stop_gracefully(*herald) == 0);

  long not_sent = 0;
  for (const auto& o : progress.outcomes()) {
    if (o.status == "failed" && o.outcome_class == "not_sent") ++not_sent;
    else std::cerr << "[chaos] budget: " << o.event_id << " ended " << o.status << " (" << o.outcome_class << "): " << o.reason << "\n";
  }
  print("not_sent budget", per_account(progress.outcomes()));
  CHECK(not_sent == events);
  // Each one's original bytes wait on the DLQ for a replay, once.
  const auto dlq = herald::test::consume(r.dlq_topic(), static_cast<std::size_t>(events), 30s);
  std::multiset<std::string> copies, originals(values.begin(), values.end());
  for (const auto& rec : dlq) copies.insert(rec.value);
  CHECK(dlq.size() == static_cast<std::size_t>(events));
  CHECK(copies == originals);
  require_promises(r.check(produced, 0, "not_sent_budget"));
}
