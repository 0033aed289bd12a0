#include "herald/pipeline/metrics.hpp"

#include "herald/model/outcome.hpp"

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
