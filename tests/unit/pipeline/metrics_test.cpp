#include <doctest/doctest.h>

#include "herald/model/outcome.hpp"
#include "herald/pipeline/metrics.hpp"

using namespace herald::pipeline;

TEST_CASE("metrics render as Prometheus text with one line per outcome status") {
  counters c;
  c.consumed = 7;
  c.outcomes[0] = 5;  // sent
  c.outcomes[5] = 2;  // invalid
  gauges g;
  g.events_in_flight = 3;
  g.is_redis_up = true;
  g.redis_round_trips = 11;
  auto text = render_metrics(c, g);
  CHECK(text.find("# TYPE herald_redis_round_trips_total counter\nherald_redis_round_trips_total 11\n") !=
        std::string::npos);
  CHECK(text.find("herald_events_consumed_total 7\n") != std::string::npos);
  CHECK(text.find("herald_outcomes_total{status=\"sent\"} 5\n") != std::string::npos);
  CHECK(text.find("herald_outcomes_total{status=\"invalid\"} 2\n") != std::string::npos);
  CHECK(text.find("herald_outcomes_total{status=\"duplicate\"} 0\n") != std::string::npos);
  CHECK(text.find("herald_events_in_flight 3\n") != std::string::npos);
  CHECK(text.find("herald_redis_up 1\n") != std::string::npos);
  CHECK(text.find("# TYPE herald_events_consumed_total counter\n") != std::string::npos);
}

TEST_CASE("dropped redeliveries and internal errors are counters of their own") {
  counters c;
  c.redeliveries_dropped = 4;
  c.internal_errors = 2;
  c.revoked_dropped = 7;
  c.writes_refused = 9;
  auto text = render_metrics(c, gauges{});
  CHECK(text.find("# TYPE herald_redeliveries_dropped_total counter\nherald_redeliveries_dropped_total 4\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE herald_revoked_dropped_total counter\nherald_revoked_dropped_total 7\n") != std::string::npos);
  CHECK(text.find("# TYPE herald_ledger_writes_refused_total counter\nherald_ledger_writes_refused_total 9\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE herald_internal_errors_total counter\nherald_internal_errors_total 2\n") !=
        std::string::npos);
}

TEST_CASE("transactions committed and aborted are counters") {
  gauges g;
  g.transactions_committed = 12;
  g.transactions_aborted = 1;
  auto text = render_metrics(counters{}, g);
  CHECK(text.find("# TYPE herald_transactions_committed_total counter\nherald_transactions_committed_total 12\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE herald_transactions_aborted_total counter\nherald_transactions_aborted_total 1\n") !=
        std::string::npos);
}

TEST_CASE("the Redis Cluster series: only with a cluster, redirects by kind") {
  gauges g;
  CHECK(render_metrics(counters{}, g).find("herald_redis_cluster") == std::string::npos);
  g.redis_cluster = herald::redis::cluster_counts{.moved = 3, .ask = 40, .busy = 2, .map_reads = 7, .primaries = 3};
  const auto text = render_metrics(counters{}, g);
  CHECK(text.find("# TYPE herald_redis_cluster_redirects_total counter\nherald_redis_cluster_redirects_total{kind=\"moved\"} 3\n"
                  "herald_redis_cluster_redirects_total{kind=\"ask\"} 40\n") != std::string::npos);
  CHECK(text.find("\nherald_redis_cluster_busy_total 2\n") != std::string::npos);
  CHECK(text.find("\nherald_redis_cluster_map_reads_total 7\n") != std::string::npos);
  CHECK(text.find("# TYPE herald_redis_cluster_primaries gauge\nherald_redis_cluster_primaries 3\n") != std::string::npos);
}

namespace {

herald::http::exchange answered() { return {}; }

herald::http::exchange failed(herald::http::failure f, bool is_timeout = false) {
  herald::http::exchange ex;
  ex.fail = f;
  ex.error = "x";
  ex.is_timeout = is_timeout;
  return ex;
}

herald::gateway::item_result item(herald::gateway::outcome_class c) { return {c, "", "", ""}; }

bool has(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

}  // namespace

TEST_CASE("a gateway call's result: the transport first, then its items (throttled, open, refused, ok)") {
  using herald::http::failure;
  using oc = herald::gateway::outcome_class;
  struct row {
    herald::http::exchange ex;
    std::vector<herald::gateway::item_result> items;
    call_result expected;
  };
  const row rows[] = {
      {answered(), {item(oc::sent), item(oc::sent)}, call_result::ok},
      {answered(), {}, call_result::ok},
      {answered(), {item(oc::sent), item(oc::permanent)}, call_result::rejected},
      {answered(), {item(oc::recipient_limited)}, call_result::rejected},
      {answered(), {item(oc::permanent), item(oc::ambiguous)}, call_result::error},
      {answered(), {item(oc::ambiguous), item(oc::throttled)}, call_result::throttled},
      {answered(), {item(oc::sent), item(oc::throttled)}, call_result::throttled},
      {failed(failure::not_sent), {}, call_result::not_sent},
      // A connect timeout is still a call never written.
      {failed(failure::not_sent, true), {}, call_result::not_sent},
      {failed(failure::ambiguous, true), {item(oc::ambiguous)}, call_result::timeout},
      {failed(failure::ambiguous), {item(oc::ambiguous)}, call_result::lost},
  };
  for (const auto& r : rows) {
    CAPTURE(call_result_names[static_cast<int>(r.expected)]);
    CHECK(classify_call(r.ex, r.items) == r.expected);
  }
}

TEST_CASE("consumer lag: the statistics' end offsets against Herald's positions, for assigned partitions only") {
  observations o;
  // Herald's positions when the statistics came: events-0 at 95, events-1 unknown (nothing
  // settled yet), events-2 at 40 (revoked since), events-3 past the end the statistics saw.
  const auto position_of = [](const herald::kafka::topic_partition& tp) -> std::optional<std::int64_t> {
    if (tp.topic != "events") return std::nullopt;
    if (tp.partition == 0) return 95;
    if (tp.partition == 2) return 40;
    if (tp.partition == 3) return 51;
    return std::nullopt;
  };
  o.take_statistics(R"({"topics":{
    "events":{"partitions":{
      "0":{"consumer_lag_stored":-1,"ls_offset":100,"hi_offset":100,"committed_offset":90},
      "1":{"consumer_lag_stored":-1,"ls_offset":20,"committed_offset":17},
      "2":{"consumer_lag_stored":-1,"ls_offset":50},
      "3":{"consumer_lag_stored":-1,"ls_offset":50},
      "-1":{"consumer_lag_stored":3,"ls_offset":3}}},
    "retry":{"partitions":{"0":{"consumer_lag_stored":-1,"ls_offset":-1}}}}})",
                    position_of);
  const herald::kafka::topic_partition assigned[] = {{"events", 0}, {"events", 1}, {"events", 3}, {"retry", 0},
                                                     {"events", 7}};
  std::string out;
  append_observations(out, o, assigned, {});
  CHECK(has(out, "# TYPE herald_kafka_consumer_lag gauge\n"));
  CHECK(has(out, "herald_kafka_consumer_lag{topic=\"events\",partition=\"0\"} 5\n"));
  CHECK(has(out, "herald_kafka_consumer_lag{topic=\"events\",partition=\"1\"} 3\n"));  // from its committed offset
  CHECK(has(out, "herald_kafka_consumer_lag{topic=\"events\",partition=\"3\"} 0\n"));  // never negative
  // Revoked (not assigned): librdkafka keeps it in its statistics, the metrics do not.
  CHECK_FALSE(has(out, "partition=\"2\""));
  // Nothing known (no end offset), the unassigned partition, a partition the statistics do not
  // name: no series.
  CHECK_FALSE(has(out, "topic=\"retry\""));
  CHECK_FALSE(has(out, "partition=\"-1\""));
  CHECK_FALSE(has(out, "partition=\"7\""));

  // The next statistics replace the last; ones that cannot be read leave no stale numbers.
  o.take_statistics(R"({"topics":{"events":{"partitions":{"0":{"ls_offset":96}}}}})", position_of);
  out.clear();
  append_observations(out, o, assigned, {});
  CHECK(has(out, "herald_kafka_consumer_lag{topic=\"events\",partition=\"0\"} 1\n"));
  CHECK_FALSE(has(out, "partition=\"1\""));
  o.take_statistics("{not json", position_of);
  out.clear();
  append_observations(out, o, assigned, {});
  CHECK_FALSE(has(out, "herald_kafka_consumer_lag{"));
}

TEST_CASE("where the statistics give no end offset, librdkafka's stored lag is the fallback") {
  observations o;
  o.take_statistics(R"({"topics":{"events":{"partitions":{"0":{"consumer_lag_stored":4}}}}})",
                    [](const herald::kafka::topic_partition&) { return std::optional<std::int64_t>(10); });
  const herald::kafka::topic_partition assigned[] = {{"events", 0}};
  std::string out;
  append_observations(out, o, assigned, {});
  CHECK(has(out, "herald_kafka_consumer_lag{topic=\"events\",partition=\"0\"} 4\n"));
}

TEST_CASE("a topic name is escaped in its label") {
  observations o;
  o.take_statistics(R"({"topics":{"a\"b":{"partitions":{"0":{"ls_offset":2}}}}})",
                    [](const herald::kafka::topic_partition&) { return std::optional<std::int64_t>(0); });
  const herald::kafka::topic_partition assigned[] = {{"a\"b", 0}};
  std::string out;
  append_observations(out, o, assigned, {});
  CHECK(has(out, "herald_kafka_consumer_lag{topic=\"a\\\"b\",partition=\"0\"} 2\n"));
}

TEST_CASE("histograms have one series per closed label value, made at set-up") {
  observations o;
  herald::metrics::histogram* by_result[call_result_count] = {};
  o.add_account("shop-a", by_result);
  by_result[static_cast<int>(call_result::ok)]->observe(0.02);
  o.latency_by_status[static_cast<int>(herald::model::status::sent)]->observe(0.3);
  o.redis_by_op[static_cast<int>(herald::ledger::round_trip::reserve)]->observe(0.0004);
  const herald::http::client_pool::endpoint_usage pools[] = {{"127.0.0.1:18443", 3, 1}};
  std::string out;
  append_observations(out, o, {}, pools);
  CHECK(has(out, "# TYPE herald_gateway_call_duration_seconds histogram\n"));
  CHECK(has(out, "herald_gateway_call_duration_seconds_bucket{account=\"shop-a\",result=\"ok\",le=\"0.025\"} 1\n"));
  CHECK(has(out, "herald_gateway_call_duration_seconds_count{account=\"shop-a\",result=\"ok\"} 1\n"));
  for (const char* r : call_result_names)
    CHECK(has(out, "herald_gateway_call_duration_seconds_count{account=\"shop-a\",result=\"" + std::string(r) + "\"}"));
  CHECK(has(out, "herald_event_latency_seconds_count{status=\"sent\"} 1\n"));
  CHECK(has(out, "herald_event_latency_seconds_sum{status=\"sent\"} 0.3\n"));
  for (const char* s : {"duplicate", "rejected_quota", "failed", "unknown", "invalid"})
    CHECK(has(out, "herald_event_latency_seconds_count{status=\"" + std::string(s) + "\"} 0\n"));
  CHECK(has(out, "herald_redis_call_duration_seconds_bucket{op=\"reserve\",le=\"0.0005\"} 1\n"));
  CHECK(has(out, "herald_redis_call_duration_seconds_count{op=\"settle\"} 0\n"));
  CHECK(has(out, "herald_http_connections{endpoint=\"127.0.0.1:18443\",state=\"busy\"} 2\n"));
  CHECK(has(out, "herald_http_connections{endpoint=\"127.0.0.1:18443\",state=\"idle\"} 1\n"));
  CHECK(has(out, "herald_build_info{version=\""));
  CHECK(has(out, "# TYPE process_cpu_seconds_total counter\n"));
  CHECK(has(out, "process_resident_memory_bytes "));
  // Every metric has its HELP and TYPE once.
  for (const char* name : {"herald_gateway_call_duration_seconds", "herald_event_latency_seconds",
                           "herald_redis_call_duration_seconds", "herald_kafka_consumer_lag", "herald_http_connections",
                           "herald_build_info"}) {
    const std::string type = std::string("# TYPE ") + name + " ";
    CHECK(out.find(type) != std::string::npos);
    CHECK(out.find(type) == out.rfind(type));
  }
}
