// /metrics after a small run through real Kafka, Redis, the simulator and the herald binary
// (docs/operations.md, Metrics): the consumer lag per assigned partition (non-zero while events
// are in flight, zero once they are done), histograms that count every call, event and Redis round
// trip, closed label sets, the process metrics, and no event id, order id or phone number.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/e2e_harness.hpp"

using namespace herald::test;
using namespace std::chrono_literals;

namespace {

struct sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// The exposition format as Herald writes it: `name{a="x",b="y"} value` (escapes \\, \", \n).
std::vector<sample> parse_samples(const std::string& text) {
  std::vector<sample> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    sample s;
    std::size_t i = line.find_first_of("{ ");
    REQUIRE_MESSAGE(i != std::string::npos, "not a sample line: ", line);
    s.name = line.substr(0, i);
    if (line[i] == '{') {
      ++i;
      while (line[i] != '}') {
        const auto eq = line.find('=', i);
        const bool is_label = eq != std::string::npos && line[eq + 1] == '"';
        REQUIRE_MESSAGE(is_label, "bad labels: ", line);
        const std::string name = line.substr(i, eq - i);
        std::string value;
        std::size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            value += line[j] == 'n' ? '\n' : line[j];
          } else {
            value += line[j];
          }
        }
        REQUIRE_MESSAGE(j < line.size(), "unterminated label value: ", line);
        s.labels[name] = value;
        i = j + 1;
        if (line[i] == ',') ++i;
      }
      ++i;
    }
    REQUIRE_MESSAGE(line[i] == ' ', "no value: ", line);
    const std::string value = line.substr(i + 1);
    s.value = value == "+Inf" ? 1e308 : std::strtod(value.c_str(), nullptr);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<sample> of(const std::vector<sample>& all, const std::string& name) {
  std::vector<sample> out;
  for (const auto& s : all)
    if (s.name == name) out.push_back(s);
  return out;
}

double total(const std::vector<sample>& all, const std::string& name, const std::string& label = "",
             const std::string& value = "") {
  double sum = 0;
  for (const auto& s : of(all, name))
    if (label.empty() || s.labels.at(label) == value) sum += s.value;
  return sum;
}

std::set<std::string> label_values(const std::vector<sample>& all, const std::string& name, const std::string& label) {
  std::set<std::string> out;
  for (const auto& s : of(all, name)) out.insert(s.labels.at(label));
  return out;
}

std::string sms_event(const std::string& event_id, const std::string& phone, const std::string& template_code) {
  return R"({"event_id":")" + event_id + R"(","account":"ali-sms","order_id":"order-)" + event_id +
         R"(","recipient":{"phone":")" + phone + R"("},"sign_name":"阿里云短信测试","template_code":")" +
         template_code + R"(","params":{"code":"1234"},"category":"transactional"})";
}

// Every histogram series: cumulative buckets, +Inf equal to _count.
void check_histograms(const std::vector<sample>& all, const std::string& name) {
  std::map<std::map<std::string, std::string>, std::vector<sample>> series;
  for (const auto& s : of(all, name + "_bucket")) {
    auto key = s.labels;
    key.erase("le");
    series[key].push_back(s);
  }
  REQUIRE_FALSE(series.empty());
  for (const auto& [labels, buckets] : series) {
    double previous = 0;
    for (const auto& b : buckets) {
      CHECK(b.value >= previous);
      previous = b.value;
    }
    CHECK(buckets.back().labels.at("le") == "+Inf");
    double count = -1;
    for (const auto& c : of(all, name + "_count"))
      if (c.labels == labels) count = c.value;
    CHECK(buckets.back().value == count);
  }
}

}  // namespace

TEST_CASE("/metrics after a small run: lag per assigned partition, histograms counting every call and event") {
  const std::string events = unique_name("met-events");
  const std::string results = unique_name("met-outcomes");
  const std::string dlq = unique_name("met-dlq");
  const std::string secret = unique_name("secret");
  // Every answer 2 s late at first, so that the lag is seen above zero while events are in flight.
  gateway_simulator sim({{"ak-test", secret}}, {"--latency-ms", "2000"});
  create_topic(events, 3);
  create_topic(results, 3);
  create_topic(dlq, 1);
  const int admin_port = free_port();
  const std::string accounts = R"({"ali-sms": {"gateway": "aliyun_sms", "endpoint": ")" + sim.url("/") +
                               R"(", "access_key_id": "ak-test", "access_key_secret": "${TEST_ALIYUN_SECRET}"}})";
  const std::string config_path =
      write_config(events, results, dlq, unique_name("met-group"), unique_name("it-met") + ":", accounts,
                   R"("admin": {"listen": "127.0.0.1:)" + std::to_string(admin_port) + R"("},)");
  {
    // Statistics twice a second instead of every 5 s (the option operators set the same way).
    std::ifstream in(config_path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string anchor = R"("session_timeout_ms": 6000)";
    const auto at = text.find(anchor);
    REQUIRE(at != std::string::npos);
    text.insert(at + anchor.size(), R"(, "consumer_properties": {"statistics.interval.ms": "500"})");
    std::ofstream(config_path) << text;
  }
  auto herald = start_herald(config_path, {{"TEST_ALIYUN_SECRET", secret}});
  const std::string metrics_url = "http://127.0.0.1:" + std::to_string(admin_port) + "/metrics";

  std::vector<std::string> values;
  std::vector<std::string> secrets_in_events;
  for (int i = 0; i < 18; ++i) {
    const std::string id = "metrics-evt-" + std::to_string(i);
    const std::string phone = "138" + std::to_string(10000000 + i * 7919);
    values.push_back(sms_event(id, phone, i < 2 ? "BAD_TEMPLATE" : "SMS_100"));
    secrets_in_events.insert(secrets_in_events.end(), {id, "order-" + id, phone});
  }
  values.push_back("not json at all");
  values.push_back(R"({"event_id":"metrics-evt-invalid","account":"nobody"})");
  secrets_in_events.push_back("metrics-evt-invalid");
  produce(events, values);

  // While the calls wait for their answers, the events' partitions are behind.
  bool was_behind = false;
  std::string text;
  for (auto until = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < until && !was_behind;) {
    auto [status, body] = http_get(metrics_url);
    if (status == 200) {
      const auto all = parse_samples(body);
      was_behind = total(all, "herald_kafka_consumer_lag", "topic", events) > 0;
    }
    std::this_thread::sleep_for(100ms);
  }
  INFO("herald log tail:\n", herald->log_tail());
  CHECK(was_behind);
  sim.post("/_sim/faults", R"({"latency_ms": 0})");

  auto records = consume(results, values.size(), 90s, 2s);
  REQUIRE(records.size() == values.size());

  // Once every outcome is out: every event observed, every partition caught up.
  std::vector<sample> all;
  bool is_settled = false;
  for (auto until = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < until && !is_settled;) {
    auto [status, body] = http_get(metrics_url);
    REQUIRE(status == 200);
    text = body;
    all = parse_samples(text);
    const auto lags = of(all, "herald_kafka_consumer_lag");
    std::size_t caught_up = 0;
    for (const auto& l : lags) caught_up += l.labels.at("topic") == events && l.value == 0 ? 1 : 0;
    is_settled = caught_up == 3 && total(all, "herald_event_latency_seconds_count") == double(values.size());
    if (!is_settled) std::this_thread::sleep_for(250ms);
  }
  INFO("metrics:\n", text);
  if (std::getenv("HERALD_TEST_PRINT_METRICS")) MESSAGE(text);
  REQUIRE(is_settled);

  {  // the consumer lag: one series per assigned partition of the events topic
    std::set<std::string> partitions;
    for (const auto& l : of(all, "herald_kafka_consumer_lag"))
      if (l.labels.at("topic") == events) partitions.insert(l.labels.at("partition"));
    CHECK(partitions == std::set<std::string>{"0", "1", "2"});
    for (const auto& l : of(all, "herald_kafka_consumer_lag")) {
      CHECK(l.labels.size() == 2);
      CHECK(l.value >= 0);
    }
  }

  {  // gateway calls: one observation per call, closed results, the account's name only
    check_histograms(all, "herald_gateway_call_duration_seconds");
    const double calls = total(all, "herald_gateway_calls_total");
    CHECK(calls >= 1);
    CHECK(total(all, "herald_gateway_call_duration_seconds_count") == calls);
    CHECK(double(sim_stat(sim.get("/_sim/stats"), "requests")) == calls);
    CHECK(label_values(all, "herald_gateway_call_duration_seconds_count", "account") == std::set<std::string>{"ali-sms"});
    const std::set<std::string> results_known{"ok", "rejected", "throttled", "error", "not_sent", "timeout", "lost"};
    CHECK(label_values(all, "herald_gateway_call_duration_seconds_count", "result") == results_known);
    CHECK(total(all, "herald_gateway_call_duration_seconds_count", "result", "ok") >= 1);
    CHECK(total(all, "herald_gateway_call_duration_seconds_count", "result", "rejected") >= 1);
    // The first calls waited 2 s for their answer.
    CHECK(total(all, "herald_gateway_call_duration_seconds_sum") >= 2.0);
  }

  {  // event latency: one observation per outcome, by its status
    check_histograms(all, "herald_event_latency_seconds");
    const std::set<std::string> statuses{"sent", "duplicate", "rejected_quota", "failed", "unknown", "invalid"};
    CHECK(label_values(all, "herald_event_latency_seconds_count", "status") == statuses);
    for (const auto& st : statuses) {
      CAPTURE(st);
      CHECK(total(all, "herald_event_latency_seconds_count", "status", st) ==
            total(all, "herald_outcomes_total", "status", st));
    }
    CHECK(total(all, "herald_event_latency_seconds_count", "status", "sent") == 16);
    CHECK(total(all, "herald_event_latency_seconds_count", "status", "invalid") == 2);
    CHECK(total(all, "herald_event_latency_seconds_count", "status", "failed") == 2);
    // Nothing here took a minute; everything took more than nothing.
    for (const auto& b : of(all, "herald_event_latency_seconds_bucket"))
      if (b.labels.at("le") == "60")
        CHECK(b.value == total(all, "herald_event_latency_seconds_count", "status", b.labels.at("status")));
    CHECK(total(all, "herald_event_latency_seconds_sum") > 0);
  }

  {  // Redis round trips: every one observed, by ledger operation and the shared rate budget's leases
    check_histograms(all, "herald_redis_call_duration_seconds");
    CHECK(label_values(all, "herald_redis_call_duration_seconds_count", "op") ==
          std::set<std::string>{"other", "reserve", "mark_written", "settle", "rate_lease"});
    for (const char* op : {"reserve", "mark_written", "settle", "rate_lease"}) {
      CAPTURE(op);
      CHECK(total(all, "herald_redis_call_duration_seconds_count", "op", op) >= 1);
    }
    CHECK(total(all, "herald_redis_call_duration_seconds_count") == total(all, "herald_redis_round_trips_total"));
  }

  {  // connections, build info and the process
    const std::string endpoint = "127.0.0.1:" + std::to_string(sim.port());
    CHECK(label_values(all, "herald_http_connections", "endpoint") == std::set<std::string>{endpoint});
    CHECK(label_values(all, "herald_http_connections", "state") == std::set<std::string>{"busy", "idle"});
    const double open = total(all, "herald_http_connections");
    CHECK(open >= 1);  // kept alive after the run
    CHECK(open <= 64);
    const auto build = of(all, "herald_build_info");
    REQUIRE(build.size() == 1);
    CHECK(build[0].value == 1);
    CHECK_FALSE(build[0].labels.at("version").empty());
    CHECK(total(all, "process_cpu_seconds_total") > 0);
    CHECK(total(all, "process_resident_memory_bytes") > double(4 << 20));
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const double started = total(all, "process_start_time_seconds");
    CHECK(started <= now + 1);
    CHECK(started > now - 600);
    CHECK(total(all, "process_open_fds") >= 5);
  }

  {  // every metric has HELP and TYPE; no event id, order id or phone number anywhere
    std::set<std::string> typed;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line))
      if (line.rfind("# TYPE ", 0) == 0) typed.insert(line.substr(7, line.find(' ', 7) - 7));
    for (const auto& s : all) {
      std::string family = s.name;
      for (const char* suffix : {"_bucket", "_sum", "_count"})
        if (!typed.count(family) && family.size() > std::strlen(suffix) &&
            family.compare(family.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
          family.resize(family.size() - std::strlen(suffix));
      CHECK_MESSAGE(typed.count(family), "no TYPE for ", s.name);
    }
    for (const auto& secret_text : secrets_in_events) {
      CAPTURE(secret_text);
      CHECK(text.find(secret_text) == std::string::npos);
    }
  }
}
