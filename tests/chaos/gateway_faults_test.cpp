// Chaos scenario "gateway faults at 30 %" (docs/reliability.md): every gateway kind against a
// simulator that resets 10 % of send calls after reading them, answers 503 to 10 % and never
// answers 10 % (Herald's request timeout kept short), while a proxy in front of it refuses
// connections for a few seconds mid-run, as a stopped gateway does. The proxy forwards raw bytes
// (TLS end to end), so the simulator keeps its record of everything accepted and duplicates stay
// countable across the outage. Ends with the shared checker.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "chaos/support/chaos_harness.hpp"
#include "chaos/support/redis_proxy.hpp"

using namespace herald::chaos;
using namespace std::chrono_literals;

namespace {

void replace_all_in_file(const std::string& path, const std::string& from, const std::string& to) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::size_t at = 0, count = 0;
  while ((at = text.find(from, at)) != std::string::npos) {
    text.replace(at, from.size(), to);
    at += to.size();
    ++count;
  }
  REQUIRE_MESSAGE(count > 0, "config ", path, " has no ", from);
  std::ofstream(path, std::ios::trunc) << text;
}

// The simulator's fault counters ("faults": {"5xx","reset","drop_answer","slow"}).
std::map<std::string, long> sim_faults(gateway_simulator& sim) {
  const std::string body = sim.get("/_sim/stats");
  rapidjson::Document d;
  d.Parse(body.c_str());
  std::map<std::string, long> out;
  if (d.IsObject() && d.HasMember("faults") && d["faults"].IsObject())
    for (auto it = d["faults"].MemberBegin(); it != d["faults"].MemberEnd(); ++it)
      if (it->value.IsInt64()) out[it->name.GetString()] = it->value.GetInt64();
  return out;
}

}  // namespace

TEST_CASE("chaos: 30 % gateway faults and a refusing gateway on every gateway kind: nothing doubled, receipts decide") {
  const int events = by_scale(1000, 6000);
  const int outages = by_scale(1, 3);
  auto rng = seeded_rng("gateway_faults");
  rig_options opt;
  opt.name = "chaos-gwf";
  opt.sim_args = {"--fault-reset", "0.1", "--fault-5xx", "0.1", "--fault-drop-answer", "0.1", "--latency-ms", "20",
                  "--seed", std::to_string(std::uniform_int_distribution<int>(1, 1 << 30)(rng))};
  // A dropped answer costs a call this long; the checks of the Alibaba Cloud receipt queries
  // (themselves faulted like any call on "/") follow the rig's retry section.
  opt.http_request_timeout_ms = 1000;
  // The rig's retry section with more attempts and receipt checks. Attempts: a batch whose every
  // attempt meets a fault that proves it unsent (reset or 503, 20 %) would otherwise fail for good
  // with odds of 0.2^5 per batch, enough to fail a long run now and then; at 0.2^10 no event here
  // may end failed. Checks: 15 at 1 s outlast the outage below, during which every receipt query
  // is refused too, so each ambiguous send gets real look-ups whichever way refused ones count.
  opt.extra_sections =
      R"(  "retry": {"receipt_grace_ms": 1000, "max_receipt_checks": 15, "backoff_base_ms": 100, "backoff_cap_ms": 2000, "max_attempts": 10},
)";
  rig r(opt);
  // Herald reaches the simulator through the proxy only.
  redis_proxy gateway(r.sim().port(), /*resp_framing=*/false);
  replace_all_in_file(r.config_path(), "https://127.0.0.1:" + std::to_string(r.sim().port()) + "/",
                      "https://127.0.0.1:" + std::to_string(gateway.port()) + "/");

  auto herald = r.start_herald("chaos-pod-1");
  outcome_reader progress(r.results_topic());
  const auto produced = r.produce_events(events, "gwf");
  // Longer than the whole backoff of the attempts above (about 11 s of ceilings, half that on
  // average): a gateway that refuses connections must hold its events back, not burn them.
  std::uniform_int_distribution<int> down_ms(6000, 10000);
  std::uniform_real_distribution<double> jitter(-0.4, 0.4);
  // Outages at least 20 s apart: an ambiguous send's 15 receipt checks (1 s apart) then meet
  // one outage at most, and keep real look-ups after it.
  auto last_outage_end = std::chrono::steady_clock::now() - 1h;
  for (int k = 1; k <= outages; ++k) {
    const auto target = static_cast<std::size_t>(events * (k + jitter(rng)) / (outages + 2));
    const auto until = std::chrono::steady_clock::now() + 90s;
    while ((progress.outcomes().size() < target || std::chrono::steady_clock::now() < last_outage_end + 20s) &&
           std::chrono::steady_clock::now() < until)
      progress.read_to_end(300ms);
    const int down = down_ms(rng);
    const auto at = progress.outcomes().size();
    gateway.refuse_connections();
    std::this_thread::sleep_for(std::chrono::milliseconds(down));
    gateway.accept_connections();
    last_outage_end = std::chrono::steady_clock::now();
    std::cerr << "[chaos] gateway refused connections " << k << "/" << outages << " for " << down << " ms at " << at
              << " outcomes (aimed at " << target << ")\n";
  }
  const bool drained = drain(progress, produced, by_scale(240s, 1200s), "gateway faults");
  INFO("herald log tail:\n", herald->log_tail());
  CHECK(drained);
  CHECK(herald->is_running());
  CHECK(stop_gracefully(*herald) == 0);

  // Property 2 per kind: a gateway with a receipt query looks every ambiguous send up, so none
  // of its events may end unknown. For fw199 (Taobao, 抖店 without receipt_endpoint) and TOP,
  // each faulted call (reset, 503, no answer) may leave its items unknown, and each outage may
  // cut the calls on the wire: the bound is (faulted calls + outages x concurrent calls per
  // account) x items per call.
  auto faults = sim_faults(r.sim());
  const long faulted = (faults.count("reset") ? faults.at("reset") : 0) + (faults.count("5xx") ? faults.at("5xx") : 0) +
                       (faults.count("drop_answer") ? faults.at("drop_answer") : 0);
  const long bound = faulted * opt.max_batch + outages * r.unknown_bound_per_kill();
  std::map<std::string, std::map<std::string, long>> per_account;
  for (const auto& o : progress.outcomes()) ++per_account[o.account][o.status];
  std::cerr << "[chaos] gateway_faults: faulted calls " << faulted << " (reset " << faults["reset"] << ", 5xx "
            << faults["5xx"] << ", no answer " << faults["drop_answer"] << "), unknown bound for kinds without "
            << "a receipt query " << bound << "\n";
  for (const auto& [account, statuses] : per_account) {
    std::cerr << "[chaos]   " << account << ":";
    for (const auto& [s, n] : statuses) std::cerr << " " << s << "=" << n;
    std::cerr << "\n";
  }
  CHECK_MESSAGE(faulted > 0, "the simulator faulted no call: the scenario did not happen");
  for (const auto& [account, kind] : r.accounts()) {
    const auto& statuses = per_account[account];
    // Every event is valid and every fault passes: none may end failed (property 8, and the
    // attempts above).
    const long failed = statuses.count("failed") ? statuses.at("failed") : 0;
    CHECK_MESSAGE(failed == 0, account, " (", kind, ") has ", failed, " failed outcomes");
    if (kind != "aliyun_sms" && kind != "aliyun_card") continue;
    const long unknown = statuses.count("unknown") ? statuses.at("unknown") : 0;
    std::string examples;
    int shown = 0;
    for (const auto& o : progress.outcomes())
      if (o.account == account && o.status == "unknown" && shown++ < 3) examples += "\n  " + o.event_id + ": " + o.reason;
    CHECK_MESSAGE(unknown == 0, account, " (", kind, ", receipt query) has ", unknown, " unknown outcomes, e.g.:",
                  examples);
  }
  require_promises(r.check(produced, bound, "gateway_faults"));
}
