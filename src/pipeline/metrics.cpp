#include "herald/pipeline/metrics.hpp"

#include "herald/metrics/build_info.hpp"
#include "herald/metrics/exposition.hpp"
#include "herald/metrics/process_stats.hpp"
#include "herald/model/outcome.hpp"
#include "herald/util/log.hpp"

namespace herald::pipeline {
namespace {

void metric(std::string& out, const char* name, const char* type, const char* help, std::uint64_t value) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

}  // namespace

std::string render_metrics(const counters& c, const gauges& g) {
  std::string out;
  out.reserve(2048);
  metric(out, "herald_events_consumed_total", "counter", "Events consumed from Kafka.", c.consumed);
  out += "# HELP herald_outcomes_total Outcome records written, by status.\n# TYPE herald_outcomes_total counter\n";
  for (int s = 0; s < 6; ++s) {
    out += "herald_outcomes_total{status=\"";
    out += model::to_string(static_cast<model::status>(s));
    out += "\"} ";
    out += std::to_string(c.outcomes[s]);
    out += '\n';
  }
  metric(out, "herald_gateway_calls_total", "counter", "Gateway calls made.", c.gateway_calls);
  metric(out, "herald_gateway_items_total", "counter", "Items carried by gateway calls.", c.gateway_items);
  metric(out, "herald_http_failures_total", "counter", "Gateway calls that failed below HTTP (not sent or ambiguous).",
         c.http_failures);
  metric(out, "herald_redis_round_trips_total", "counter", "Requests written to Redis (a pipeline counts once).",
         g.redis_round_trips);
  metric(out, "herald_redis_errors_total", "counter", "Ledger round trips that failed and were retried.", c.redis_errors);
  if (const auto& cl = g.redis_cluster) {
    out += "# HELP herald_redis_cluster_redirects_total Commands a Redis Cluster node sent to another: MOVED (the slot "
           "moved for good), ASK (it is migrating).\n# TYPE herald_redis_cluster_redirects_total counter\n";
    out += "herald_redis_cluster_redirects_total{kind=\"moved\"} " + std::to_string(cl->moved) + "\n";
    out += "herald_redis_cluster_redirects_total{kind=\"ask\"} " + std::to_string(cl->ask) + "\n";
    metric(out, "herald_redis_cluster_busy_total", "counter",
           "Rounds that waited because a node answered TRYAGAIN or CLUSTERDOWN (a slot mid-migration, a failover).",
           cl->busy);
    metric(out, "herald_redis_cluster_map_reads_total", "counter", "Slot map reads (CLUSTER SLOTS).", cl->map_reads);
    metric(out, "herald_redis_cluster_primaries", "gauge", "Primaries in the last slot map read.", cl->primaries);
  }
  metric(out, "herald_produce_failures_total", "counter",
         "Records Kafka refused for good (each ends in an outcome, a cut DLQ copy or a fail-stop).", c.produce_failures);
  metric(out, "herald_produce_retries_total", "counter", "Records produced again after a transient failure.",
         g.produce_retries);
  metric(out, "herald_transactions_committed_total", "counter",
         "Kafka transactions committed (outcomes, DLQ copies, envelopes and their consumed offsets).",
         g.transactions_committed);
  metric(out, "herald_transactions_aborted_total", "counter",
         "Kafka transactions aborted (their records produced again in the next one, or dropped on a revoke).",
         g.transactions_aborted);
  metric(out, "herald_dlq_truncated_total", "counter", "DLQ copies cut to fit a record limit.", c.dlq_truncated);
  metric(out, "herald_dlq_lost_total", "counter", "DLQ copies given up: refused as too large even when cut.",
         c.dlq_lost);
  metric(out, "herald_kafka_consume_errors_total", "counter", "Consume errors that named no record.",
         c.consume_errors);
  metric(out, "herald_gateway_throttled_total", "counter", "Gateway calls answered with a throttle code.",
         c.throttled_calls);
  metric(out, "herald_retries_total", "counter", "Items sent again after throttling or a call never written.", c.retries);
  metric(out, "herald_parked_total", "counter", "Items written to the retry or delay topic to wait.", c.parked);
  metric(out, "herald_account_deferred_total", "counter",
         "Events parked on the retry topic because their account held its in-flight share.", c.account_deferred);
  metric(out, "herald_receipt_checks_total", "counter", "Receipt checks made for sends of unknown fate.",
         c.receipt_checks);
  metric(out, "herald_receipts_found_total", "counter", "Receipt checks that proved an unknown send went out.",
         c.receipts_found);
  metric(out, "herald_redeliveries_dropped_total", "counter",
         "Records Kafka delivered again while their first delivery was in flight or settled, dropped.",
         c.redeliveries_dropped);
  metric(out, "herald_internal_errors_total", "counter",
         "Pipeline steps ended by an unexpected exception (logged; their events failed or left for redelivery).",
         c.internal_errors);
  metric(out, "herald_revoked_dropped_total", "counter",
         "Events of a partition revoked from this worker, dropped unfinished (the new owner delivers them).",
         c.revoked_dropped);
  metric(out, "herald_ledger_writes_refused_total", "counter",
         "Events not sent because another attempt held their ledger record (a takeover after a crash or rebalance).",
         c.writes_refused);
  metric(out, "herald_events_in_flight", "gauge", "Events consumed and not yet settled.", g.events_in_flight);
  metric(out, "herald_bytes_in_flight", "gauge", "Bytes (value + key) of the events in flight.", g.bytes_in_flight);
  metric(out, "herald_partitions_assigned", "gauge", "Partitions assigned to this worker.", g.partitions_assigned);
  metric(out, "herald_partitions_paused", "gauge", "Assigned partitions paused by flow control.", g.partitions_paused);
  metric(out, "herald_redis_up", "gauge", "1 while the Redis connection is up.", g.is_redis_up ? 1 : 0);
  metric(out, "herald_failed", "gauge", "1 once the worker stops because its output cannot be written.",
         g.is_failed ? 1 : 0);
  metric(out, "herald_intake_gated", "gauge", "1 while the in-flight bound stops taking events from Kafka.",
         g.is_intake_gated ? 1 : 0);
  out += "# HELP herald_events_in_stage Events in flight by pipeline stage.\n# TYPE herald_events_in_stage gauge\n";
  for (int s = 0; s < stage_count; ++s) {
    out += "herald_events_in_stage{stage=\"";
    out += stage_names[s];
    out += "\"} ";
    out += std::to_string(g.by_stage[s]);
    out += '\n';
  }
  return out;
}

}  // namespace herald::pipeline

namespace herald::pipeline {
namespace {

// Bucket bounds in seconds, per metric. A gateway call: a local simulator answers in ~1 ms, a
// real gateway in tens to hundreds, a call may last up to the request timeout (10 s by default)
// after waiting for a connection.
constexpr double gateway_call_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
// Record to outcome: tens of milliseconds at the benchmark's pace, seconds under a backlog, minutes
// for retries and receipt checks, hours for marketing events held for their window.
constexpr double event_latency_bounds[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,    2.5,
                                           5,    10,    30,   60,  300,  900, 3600, 21600};
// A Redis round trip: ~0.1-1 ms on a local network, up to redis.command_timeout_ms (1 s).
constexpr double redis_call_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                        0.01,   0.025,   0.05,   0.1,   0.25,   1};

}  // namespace

call_result classify_call(const http::exchange& ex, std::span<const gateway::item_result> results) {
  if (ex.fail == http::failure::not_sent) return call_result::not_sent;
  if (ex.fail == http::failure::ambiguous) return ex.is_timeout ? call_result::timeout : call_result::lost;
  bool is_throttled = false;
  bool is_open = false;
  bool is_refused = false;
  for (const auto& r : results) {
    switch (r.cls) {
      case gateway::outcome_class::sent: break;
      case gateway::outcome_class::throttled: is_throttled = true; break;
      case gateway::outcome_class::ambiguous: is_open = true; break;
      case gateway::outcome_class::permanent:
      case gateway::outcome_class::recipient_limited: is_refused = true; break;
    }
  }
  if (is_throttled) return call_result::throttled;
  if (is_open) return call_result::error;
  if (is_refused) return call_result::rejected;
  return call_result::ok;
}

observations::observations()
    : gateway_calls("herald_gateway_call_duration_seconds",
                    "Gateway calls by account and result, from the first byte asked of the connection pool to the "
                    "answer (or the failure).",
                    {"account", "result"}, gateway_call_bounds),
      event_latency("herald_event_latency_seconds",
                    "Events from their record's timestamp to their outcome record given to the producer, by status.",
                    {"status"}, event_latency_bounds),
      redis_calls("herald_redis_call_duration_seconds",
                  "Redis round trips by operation (the ledger's, and rate_lease: the shared rate limits), from being queued on the connection to the answer.",
                  {"op"}, redis_call_bounds) {
  for (int s = 0; s < status_count; ++s)
    latency_by_status[s] = &event_latency.series({model::to_string(static_cast<model::status>(s))});
  for (int r = 0; r < ledger::round_trip_count; ++r) redis_by_op[r] = &redis_calls.series({ledger::round_trip_names[r]});
  redis_rate_lease = &redis_calls.series({"rate_lease"});
}

void observations::add_account(std::string_view account, metrics::histogram* (&by_result)[call_result_count]) {
  for (int r = 0; r < call_result_count; ++r) by_result[r] = &gateway_calls.series({account, call_result_names[r]});
}

void observations::take_statistics(std::string_view json, const position_lookup& position_of) {
  auto rows = metrics::parse_partition_stats(json);
  if (!rows) {
    // Stale numbers would mislead an autoscaler: none until statistics can be read again.
    lag.clear();
    if (!is_statistics_error_logged) {
      is_statistics_error_logged = true;
      log::warn("kafka statistics could not be read: no consumer lag metric", {{"error", rows.message()}});
    }
    return;
  }
  lag.clear();
  for (auto& row : *rows) {
    kafka::topic_partition tp{std::move(row.topic), row.partition};
    if (const auto n = metrics::lag_of(row, position_of(tp))) lag.push_back({std::move(tp), *n});
  }
}

void append_observations(std::string& out, const observations& o, std::span<const kafka::topic_partition> assigned,
                         std::span<const http::client_pool::endpoint_usage> connections) {
  o.gateway_calls.render(out);
  o.event_latency.render(out);
  o.redis_calls.render(out);

  metrics::append_header(out, "herald_kafka_consumer_lag", "gauge",
                         "Records of each assigned partition not yet finished here: its end offset (librdkafka's "
                         "statistics) minus the offset Herald's next commit will be at.");
  for (const auto& tp : assigned) {
    for (const auto& row : o.lag) {
      if (row.tp != tp) continue;
      const std::string partition = std::to_string(tp.partition);
      metrics::append_sample(out, "herald_kafka_consumer_lag", {{"topic", tp.topic}, {"partition", partition}}, row.lag);
      break;
    }
  }

  metrics::append_header(out, "herald_http_connections", "gauge",
                         "Connections to each gateway endpoint: busy (in a call, or being opened) and idle (kept alive).");
  for (const auto& c : connections) {
    const std::uint64_t idle = c.idle;
    const std::uint64_t busy = c.open >= c.idle ? c.open - c.idle : 0;
    metrics::append_sample(out, "herald_http_connections", {{"endpoint", c.endpoint}, {"state", "busy"}}, busy);
    metrics::append_sample(out, "herald_http_connections", {{"endpoint", c.endpoint}, {"state", "idle"}}, idle);
  }

  metrics::append_build_info(out);
  metrics::append_process_metrics(out, metrics::read_process_stats());
}

}  // namespace herald::pipeline
