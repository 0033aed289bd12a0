// Three Herald pods in one consumer group share one account's rate_limit_qps through the budget
// in Redis (docs/retries.md, "Shared rate limits"), against the gateway simulator enforcing a
// per-account cap of its own (bench/gwsim: a sliding one-second window per AccessKey, counted on
// the simulator's clock, independently of Herald). The same run with rate_limit.shared off is
// the control: three pods each at the full rate, throttled.
#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include "support/e2e_harness.hpp"

using namespace herald::test;
using namespace std::chrono_literals;

namespace {

constexpr int pod_count = 3;
constexpr long herald_qps = 300;   // the account's rate_limit_qps: all pods together
// The simulator's cap: Herald's rate and a tenth of it, the burst a gateway is taken to allow in
// any one-second window (docs/retries.md, Flow control), so that only a budget that is not
// shared (3 × 300/s) can be throttled. The shared budget's own capacity is half of that tenth.
constexpr long gateway_qps = 330;
constexpr int event_count = 2400;  // 8 s at the rate: long enough for a rate, short enough for CI
// Herald's group assigns cooperative-sticky over all its topics: with 18 events partitions and
// the 2 + 2 of the retry and delay topics, three pods hold 8 / 7 / 7, so each at least 3 of the
// events topic's.
constexpr int events_partitions = 18;

// A sample of a metric, all its series added up when `labels` is empty, else the one series
// whose labels text holds `labels` (0 when there is none).
double metric_sum(const std::string& text, const std::string& name, const std::string& labels = "") {
  double sum = 0;
  std::size_t pos = 0;
  while ((pos = text.find("\n" + name, pos)) != std::string::npos) {
    pos += 1 + name.size();
    const char next = pos < text.size() ? text[pos] : '\0';
    if (next != ' ' && next != '{') continue;  // another metric whose name starts the same
    const auto end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    if (!labels.empty() && line.find(labels) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

std::string sms_event(int i) {
  const std::string id = "shr-" + std::to_string(i);
  return R"({"event_id":")" + id + R"(","account":"ali","order_id":"o-)" + id +
         R"(","recipient":{"phone":"138)" + std::to_string(10000000 + i) +
         R"("},"sign_name":"HeraldShop","template_code":"SMS_100","params":{"code":"1234"},"category":"transactional"})";
}

struct pod {
  std::unique_ptr<child_process> process;
  int admin_port = 0;
  std::string metrics() const {
    auto [status, body] = http_get("http://127.0.0.1:" + std::to_string(admin_port) + "/metrics");
    return status == 200 ? body : std::string();
  }
};

struct run_figures {
  std::string sim_stats;
  long throttled = 0;
  long max_calls_per_second = 0;
  long sent = 0;
  double seconds = 0;  // from the first event produced to the last outcome read
  double calls_by_pod[pod_count] = {};
  double leased_calls = 0, fallback_calls = 0, leases = 0, failed_leases = 0, expired = 0;
};

run_figures run_three_pods(const std::string& rate_limit_section) {
  const std::string events = unique_name("shr-events"), results = unique_name("shr-outcomes"),
                    dlq = unique_name("shr-dlq"), group = unique_name("shr-group"),
                    prefix = unique_name("it-shr") + ":", secret = unique_name("secret");
  gateway_simulator sim({{"ak-test", secret}}, {"--rate-limit-qps", std::to_string(gateway_qps)});
  create_topic(events, events_partitions);
  create_topic(results, 3);
  create_topic(dlq, 1);
  const std::string accounts = R"({"ali": {"gateway": "aliyun_sms", "endpoint": ")" + sim.url("/") +
                               R"(", "access_key_id": "ak-test", "access_key_secret": "${TEST_SECRET}",
      "rate_limit_qps": )" + std::to_string(herald_qps) + "}}";
  std::vector<pod> pods(pod_count);
  for (int i = 0; i < pod_count; ++i) {
    pods[i].admin_port = free_port();
    const std::string sections = R"("rate_limit": )" + rate_limit_section + R"(,
  "retry": {"max_attempts": 50, "backoff_base_ms": 100, "backoff_cap_ms": 1000},
  "admin": {"listen": "127.0.0.1:)" + std::to_string(pods[i].admin_port) + R"("},)";
    const auto cfg = write_config(events, results, dlq, group, prefix, accounts, sections);
    pods[i].process = start_herald(cfg, {{"TEST_SECRET", secret}, {"POD_NAME", "shr-pod-" + std::to_string(i)}});
  }
  // Every pod must hold events partitions before anything is produced, or the first to join
  // would send everything alone (and one pod alone never exceeds the cap).
  const double all_partitions = events_partitions + 2 + 2;  // and the retry and delay topics'
  bool is_spread = false;
  for (auto until = std::chrono::steady_clock::now() + 40s; !is_spread && std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(300ms);
    double total = 0;
    bool each = true;
    for (auto& p : pods) {
      const double n = metric_sum(p.metrics(), "herald_partitions_assigned");
      total += n;
      each = each && n >= 7;
    }
    is_spread = each && total == all_partitions;
  }
  INFO("pod 0 log tail:\n", pods[0].process->log_tail());
  REQUIRE_MESSAGE(is_spread, "the three pods did not share the partitions within 40 s");

  std::vector<std::vector<std::string>> by_partition(events_partitions);
  for (int i = 0; i < event_count; ++i) by_partition[i % events_partitions].push_back(sms_event(i));
  const auto start = std::chrono::steady_clock::now();
  for (int p = 0; p < events_partitions; ++p) produce(events, by_partition[p], p);
  auto outcomes = consume(results, event_count, 90s, 500ms);
  run_figures f;
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() - 0.5;
  REQUIRE(outcomes.size() == static_cast<std::size_t>(event_count));
  for (const auto& o : outcomes) f.sent += o.value.find(R"("status":"sent")") != std::string::npos ? 1 : 0;
  f.sim_stats = sim.get("/_sim/stats");
  f.throttled = sim_stat(f.sim_stats, "throttled");
  f.max_calls_per_second = sim_stat(f.sim_stats, "max_calls_per_second");
  for (int i = 0; i < pod_count; ++i) {
    const std::string m = pods[i].metrics();
    f.calls_by_pod[i] = metric_sum(m, "herald_gateway_calls_total");
    f.leased_calls += metric_sum(m, "herald_rate_calls_total", R"(source="leased")");
    f.fallback_calls += metric_sum(m, "herald_rate_calls_total", R"(source="fallback")");
    f.leases += metric_sum(m, "herald_rate_leases_total");
    f.failed_leases += metric_sum(m, "herald_rate_leases_total", R"(result="failed")");
    f.expired += metric_sum(m, "herald_rate_tokens_expired_total");
  }
  for (auto& p : pods) p.process->signal(SIGTERM);
  for (auto& p : pods) p.process->wait(20s);
  return f;
}

void report(const char* what, const run_figures& f) {
  double calls = 0;
  for (double c : f.calls_by_pod) calls += c;
  MESSAGE(what, ": ", calls, " calls (by pod ", f.calls_by_pod[0], " / ", f.calls_by_pod[1], " / ",
          f.calls_by_pod[2], ") in ", f.seconds, " s = ", calls / f.seconds, " calls/s; throttled ", f.throttled,
          ", simulator's busiest second ", f.max_calls_per_second, "; leases ", f.leases, " (", f.failed_leases,
          " failed) = ", f.leases / event_count, " round trips per event, tokens expired ", f.expired,
          "; calls on leased tokens ", f.leased_calls, ", on the local share ", f.fallback_calls);
}

}  // namespace

TEST_CASE("shared rate: three pods together stay at the account's rate_limit_qps, unthrottled") {
  const auto f = run_three_pods(R"({"shared": true})");
  report("shared", f);
  INFO("simulator stats: ", f.sim_stats);
  CHECK(f.sent == event_count);
  double calls = 0;
  for (double c : f.calls_by_pod) {
    // Each pod sent a real part (at least 3 of the 18 events partitions each): the cap held for
    // three senders, not for one that happened to get everything.
    CHECK(c >= event_count / 10.0);
    calls += c;
  }
  // Near zero throttled: at most 1 % of the calls (the control run below has hundreds).
  CHECK(f.throttled <= event_count / 100);
  // The simulator's busiest one-second window, every arrival counted (throttled ones too):
  // within its cap, which is 1.1 × the rate. Three pods each at the rate would reach ~300.
  CHECK(f.max_calls_per_second <= gateway_qps);
  // Near the cap on average, from the first event produced to the last outcome read (which
  // includes the consumer's first fetch and the last outcome's way back: the rate is a lower
  // bound of the real one): at least 75 % of it, and never above the burst allowance.
  const double rate = calls / f.seconds;
  CHECK(rate >= 0.75 * herald_qps);
  CHECK(rate <= 1.1 * herald_qps);
  // Every call spent a token leased from the budget; nothing fell back to a local share.
  CHECK(f.leased_calls == calls);
  CHECK(f.fallback_calls == 0);
  CHECK(f.failed_leases == 0);
  // Chunks, not a round trip per call: at most one lease per 2 calls even at this low rate
  // (about 100 calls/s per pod, a capacity of 15; docs/retries.md says how the chunk grows with
  // the rate).
  CHECK(f.leases <= calls / 2);
}

TEST_CASE("shared rate, the control: with rate_limit.shared off the same three pods are throttled") {
  const auto f = run_three_pods(R"({"shared": false})");
  report("per pod", f);
  INFO("simulator stats: ", f.sim_stats);
  CHECK(f.sent == event_count);  // retried until sent: throttling costs time, not events
  // Each pod at 300/s: up to 900 calls a second against a cap of 330.
  CHECK(f.max_calls_per_second > 2 * herald_qps);
  CHECK(f.throttled > event_count / 4);
  CHECK(f.leases == 0);  // no budget, no leases
}
