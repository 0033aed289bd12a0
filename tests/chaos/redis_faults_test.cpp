// Chaos scenarios "Redis" (docs/reliability.md): a reply lost after its command ran (the proxy of
// support/redis_proxy.hpp between Herald and Redis drops one reply to a ledger script call and
// closes the connection), for the reserve and for the script that refunds a definite failure's
// quota; and a Redis server with append-only persistence killed and restarted mid-run. Each ends
// with the shared checker.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "chaos/support/chaos_harness.hpp"
#include "chaos/support/dedicated_services.hpp"
#include "chaos/support/redis_proxy.hpp"

using namespace herald::chaos;
using namespace std::chrono_literals;
namespace test = herald::test;

namespace {

// stdout of a command line (stderr joined), and its exit status.
std::pair<int, std::string> run_capture(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE_MESSAGE(p, "cannot run ", command);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = ::pclose(p);
  return {rc, out};
}

std::string herald_bin() { return test::env_or("HERALD_BIN", "herald"); }

// The ledger's script names as the binary under test has them: its CLI names the allowed set
// when given a wrong one ("name: ? not in {reserve,release}"). Looked up, not assumed, because
// the set changes with the ledger's states (reserve|release, later reserve|write|settle).
std::vector<std::string> ledger_script_names() {
  const auto [rc, out] = run_capture("'" + herald_bin() + "' ledger-script '?'");
  const auto open = out.find('{'), close = out.find('}', open);
  REQUIRE_MESSAGE((rc != 0 && open != std::string::npos && close != std::string::npos),
                  "herald ledger-script did not list its scripts: ", out);
  std::vector<std::string> names;
  std::stringstream ss(out.substr(open + 1, close - open - 1));
  for (std::string name; std::getline(ss, name, ',');) names.push_back(name);
  return names;
}

std::string ledger_script(const std::string& name) {
  const auto [rc, out] = run_capture("'" + herald_bin() + "' ledger-script " + name);
  REQUIRE_MESSAGE(rc == 0, "herald ledger-script ", name, " failed: ", out);
  REQUIRE(!out.empty());
  return out;
}

void patch_file(const std::string& path, const std::string& from, const std::string& to) {
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

std::map<std::string, long> statuses_of(const std::vector<outcome>& outcomes, const std::string& account) {
  std::map<std::string, long> out;
  for (const auto& o : outcomes)
    if (o.account == account) ++out[o.status];
  return out;
}

std::string show(const std::map<std::string, long>& m) {
  std::string s;
  for (const auto& [k, v] : m) s += " " + k + "=" + std::to_string(v);
  return s.empty() ? " (none)" : s;
}

}  // namespace

TEST_CASE("chaos: a lost reply to the ledger's reserve neither loses an event nor reports it unknown") {
  const int events = by_scale(300, 5000);
  const int drops = by_scale(3, 12);
  auto rng = seeded_rng("redis_reserve_reply_lost");
  redis_proxy proxy(test::redis_port());
  rig_options opt;
  opt.name = "chaos-rsv";
  opt.redis_port = proxy.port();
  opt.sim_args = {"--latency-ms", "20"};
  rig r(opt);
  const auto matcher = script_matcher(ledger_script("reserve"));

  auto herald = r.start_herald("chaos-pod-1");
  outcome_reader progress(r.results_topic());
  std::vector<source_ref> produced;
  std::uniform_int_distribution<int> pause_ms(0, 1500);
  // Each chunk of the backlog goes out with one drop armed, so the lost replies fall on
  // different batches at different moments, not on one batch's retries.
  for (int k = 0; k <= drops; ++k) {
    if (k < drops) proxy.drop_replies(matcher, 1);
    const int chunk = events / (drops + 1) + (k == drops ? events % (drops + 1) : 0);
    const auto part = r.produce_events(chunk, "rsv" + std::to_string(k));
    produced.insert(produced.end(), part.begin(), part.end());
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (k < drops && proxy.dropped() < k + 1 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
  }
  const bool drained = drain(progress, produced, by_scale(120s, 900s), "reserve reply lost");
  INFO("herald log tail:\n", herald->log_tail());
  std::cerr << "[chaos] reserve replies dropped: " << proxy.dropped() << " of " << proxy.matched_commands()
            << " reserve calls seen after the last arming; proxy connections " << proxy.connections_accepted() << "\n";
  CHECK_MESSAGE(proxy.dropped() == drops, "the proxy dropped fewer reserve replies than armed");
  CHECK(drained);
  CHECK(herald->is_running());
  CHECK(stop_gracefully(*herald) == 0);
  // No pod died and no gateway answer was ambiguous: nothing may end unknown.
  require_promises(r.check(produced, 0, "redis_reserve_reply_lost"));
}

TEST_CASE("chaos: a lost reply to the refund of a definite failure refunds the quota once") {
  const auto names = ledger_script_names();
  // The script that deletes a definitely failed reservation and refunds its quota day.
  const std::string refund = std::find(names.begin(), names.end(), "release") != names.end() ? "release" : "settle";
  REQUIRE_MESSAGE(std::find(names.begin(), names.end(), refund) != names.end(), "no release/settle script among ",
                  names.size(), " names");
  // The recipient's daily limit at Herald. Its counter must hold other reservations when the
  // refund runs again: the script never takes a counter below 0, so a double refund only shows
  // when there is something left to take.
  const long limit = 10;
  const int first = 4;    // sent before the failures: the counter holds 4
  const int failing = 4;  // refused by the gateway for good: reserved (8), then refunded (4)
  const int extra = 3;    // good ones beyond the limit at the end: rejected_quota
  redis_proxy proxy(test::redis_port());
  rig_options opt;
  opt.name = test::unique_name("chaos-rfd");
  opt.redis_port = proxy.port();
  opt.sim_args = {"--daily-limit", "0"};  // the gateway counts nothing: Herald's quota decides
  rig r(opt);
  patch_file(r.config_path(), R"("daily_limit": {"transactional": 1000, "marketing": 1000})",
             R"("daily_limit": {"transactional": )" + std::to_string(limit) + R"(, "marketing": )" +
                 std::to_string(limit) + "}");
  const std::string phone = "13900000071";
  auto events = [&](const std::string& tag, int n, const std::string& tpl) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
      const std::string id = "rfd-" + tag + "-" + std::to_string(i);
      out.push_back(R"({"event_id":")" + id + R"(","account":"ali-sms","order_id":"o-)" + id +
                    R"(","recipient":{"phone":")" + phone + R"("},"sign_name":"HeraldChaos","template_code":")" + tpl +
                    R"(","params":{"code":"1234"},"category":"transactional"})");
    }
    return out;
  };
  auto herald = r.start_herald("chaos-pod-1");
  outcome_reader progress(r.results_topic());
  std::vector<source_ref> produced;
  auto phase = [&](const std::vector<std::string>& values, const std::string& label) {
    const auto part = as_sources(r.events_topic(), test::produce(r.events_topic(), values));
    produced.insert(produced.end(), part.begin(), part.end());
    CHECK_MESSAGE(drain(progress, produced, 60s, label), label, ": not every record got an outcome");
  };
  // Phase 1: sends that stay counted. Phase 2: failures only, so the first refund call after the
  // arming is theirs; its reply is lost and Herald runs it again. Phase 3: up to the limit and over.
  phase(events("first", first, "SMS_100"), "counted sends");
  proxy.drop_replies(script_matcher(ledger_script(refund)), 1);
  phase(events("bad", failing, "BAD_TEMPLATE"), "failures");
  CHECK_MESSAGE(proxy.dropped() == 1, "the refund's reply was not dropped (", proxy.matched_commands(),
                " refund calls seen): the scenario did not happen");
  // The counter now holds the first sends only: the failures' reservations refunded, once.
  const auto quota_keys = test::redis_keys(opt.name + "-*q:ali-sms:*");
  REQUIRE_MESSAGE(quota_keys.size() == 1, "expected one quota counter, found ", quota_keys.size());
  CHECK_MESSAGE(test::redis_command({"GET", quota_keys[0]}) == std::to_string(first),
                "quota counter after the refunds, ", quota_keys[0]);
  phase(events("last", static_cast<int>(limit) - first + extra, "SMS_100"), "up to the limit");
  INFO("herald log tail:\n", herald->log_tail());

  const auto by_status = statuses_of(progress.outcomes(), "ali-sms");
  std::cerr << "[chaos] refund reply lost: " << refund << " calls seen " << proxy.matched_commands() << ", dropped "
            << proxy.dropped() << "; outcomes" << show(by_status) << "\n";
  auto count = [&](const char* s) { return by_status.count(s) ? by_status.at(s) : 0L; };
  CHECK_MESSAGE(count("failed") == failing, "the refused notifications end failed");
  // Refunded once, the limit lets exactly `limit` good ones through; refunded twice, the
  // failures would have freed room the first sends still hold.
  CHECK_MESSAGE(count("sent") == limit, "a recipient with daily limit ", limit, " got ", count("sent"), " sent");
  CHECK(count("rejected_quota") == extra);
  CHECK_MESSAGE(test::redis_command({"GET", quota_keys[0]}) == std::to_string(limit), "quota counter at the end");
  CHECK(stop_gracefully(*herald) == 0);
  require_promises(r.check(produced, 0, "redis_refund_reply_lost"));
}

TEST_CASE("chaos: Redis killed and restarted mid-run (append-only, fsync always) loses and doubles nothing") {
  const int events = by_scale(400, 5000);
  const int restarts = by_scale(1, 4);
  auto rng = seeded_rng("redis_restart");
  dedicated_redis redis;
  redis.start();
  rig_options opt;
  opt.name = "chaos-rrs";
  opt.redis_port = redis.port();
  // Slow enough answers and small batches that the backlog lasts several seconds.
  opt.sim_args = {"--latency-ms", "100"};
  opt.max_batch = 3;
  rig r(opt);
  auto herald = r.start_herald("chaos-pod-1");
  outcome_reader progress(r.results_topic());
  const auto produced = r.produce_events(events, "rrs");
  std::uniform_int_distribution<int> down_ms(1000, 4000);
  std::uniform_real_distribution<double> jitter(-0.5, 0.5);
  for (int k = 1; k <= restarts; ++k) {
    // Killed when about k/(restarts+1) of the backlog has its outcome: mid-run, whatever the speed.
    const auto target = static_cast<std::size_t>(events * (k + jitter(rng) * 0.8) / (restarts + 1));
    const auto until = std::chrono::steady_clock::now() + 60s;
    while (progress.outcomes().size() < target && std::chrono::steady_clock::now() < until) progress.read_to_end(300ms);
    const int down = down_ms(rng);
    const auto at_kill = progress.outcomes().size();
    redis.kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(down));
    redis.start();
    std::cerr << "[chaos] redis restart " << k << "/" << restarts << " at " << at_kill << " outcomes (aimed at "
              << target << "), down " << down << " ms\n";
  }
  const bool drained = drain(progress, produced, by_scale(150s, 900s), "redis restart");
  INFO("herald log tail:\n", herald->log_tail());
  INFO("redis log tail:\n", redis.log_tail());
  CHECK(drained);
  CHECK(herald->is_running());
  CHECK(stop_gracefully(*herald) == 0);
  require_promises(r.check(produced, 0, "redis_restart"));
}
