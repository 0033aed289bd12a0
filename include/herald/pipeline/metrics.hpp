#pragma once
// The worker's counters and gauges as Prometheus text (docs/architecture.md "How we write code":
// herald_ prefix, base units, _total for counters; never a recipient, secret or signature in a
// label).
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "herald/gateway/gateway.hpp"
#include "herald/http/client_pool.hpp"
#include "herald/http/exchange.hpp"
#include "herald/kafka/types.hpp"
#include "herald/ledger/ledger_store.hpp"
#include "herald/metrics/consumer_lag.hpp"
#include "herald/metrics/histogram.hpp"
#include "herald/pipeline/worker.hpp"
#include "herald/redis/cluster_counts.hpp"

namespace herald::pipeline {

// The pipeline's stages, in the order of worker_impl.hpp's `stage` (a gauge each in /metrics).
inline constexpr const char* stage_names[] = {"decoding", "reserving", "batching", "calling", "recording", "emitting"};
inline constexpr int stage_count = 6;

struct gauges {
  std::uint64_t events_in_flight = 0;
  std::uint64_t bytes_in_flight = 0;  // value + key of the records in flight (kafka.max_in_flight_bytes)
  std::uint64_t partitions_assigned = 0;
  std::uint64_t partitions_paused = 0;
  bool is_redis_up = false;
  bool is_intake_gated = false;
  std::uint64_t by_stage[stage_count] = {};  // events in flight by stage (stage_names)
  std::uint64_t redis_round_trips = 0;       // the Redis client's count (rendered as a counter)
  std::uint64_t produce_retries = 0;         // the producer's count (rendered as a counter)
  std::uint64_t transactions_committed = 0;  // the producer's counts (counters; 0 without transactions)
  std::uint64_t transactions_aborted = 0;
  bool is_failed = false;                    // fail-stop under way (emit.cpp, fail_stop)
  // redis.cluster_nodes only (the series are left out for one Redis): the router's counts.
  std::optional<redis::cluster_counts> redis_cluster;
};

std::string render_metrics(const counters& c, const gauges& g);

// What came of one gateway call: herald_gateway_call_duration_seconds' result label.
enum class call_result : std::uint8_t { ok, rejected, throttled, error, not_sent, timeout, lost };
inline constexpr int call_result_count = 7;
inline constexpr const char* call_result_names[call_result_count] = {"ok",       "rejected", "throttled", "error",
                                                                     "not_sent", "timeout",  "lost"};
// The transport first: never written (not_sent), written and unanswered within the request
// timeout (timeout) or otherwise lost (lost). Then the answer's items: any throttled (throttled),
// else any whose fate the answer left open (error: a 5xx, an answer not understood), else any
// refused for good (rejected), else ok (every item sent).
call_result classify_call(const http::exchange& ex, std::span<const gateway::item_result> results);

// The number of model::status values (herald_event_latency_seconds' status label).
inline constexpr int status_count = 6;

// The worker's histograms and its consumer lag (docs/operations.md, Metrics), all on the io
// thread. The series are made at set-up and observed through the pointers here (by status, by
// Redis operation) or in account_runtime (by account and result): no lookup per observation.
struct observations {
  observations();
  observations(const observations&) = delete;
  observations& operator=(const observations&) = delete;

  metrics::histogram_family gateway_calls;  // account, result
  metrics::histogram_family event_latency;  // status
  metrics::histogram_family redis_calls;    // op
  metrics::histogram* latency_by_status[status_count] = {};
  metrics::histogram* redis_by_op[ledger::round_trip_count] = {};
  metrics::histogram* redis_rate_lease = nullptr;  // op="rate_lease": the shared rate budget (rate_budget.hpp)
  // Worked out when the consumer's last statistics came: every partition librdkafka knows,
  // assigned or not (empty before the first, and after statistics that could not be read).
  struct partition_lag {
    kafka::topic_partition tp;
    std::int64_t lag = 0;
  };
  std::vector<partition_lag> lag;

  // The series of one account, in call_result order.
  void add_account(std::string_view account, metrics::histogram* (&by_result)[call_result_count]);
  // Replaces `lag` with what the statistics and Herald's positions say (metrics::lag_of;
  // position_of: the next offset Herald's commit will be at, when it knows one). Statistics that
  // cannot be read leave no lag (logged once).
  using position_lookup = std::function<std::optional<std::int64_t>(const kafka::topic_partition&)>;
  void take_statistics(std::string_view json, const position_lookup& position_of);
  bool is_statistics_error_logged = false;
};

// Appends the histograms, herald_kafka_consumer_lag of the partitions in `assigned` (statistics
// keep a revoked partition with its last lag: it must not outlive its assignment here),
// herald_http_connections, herald_build_info and the process metrics.
void append_observations(std::string& out, const observations& o, std::span<const kafka::topic_partition> assigned,
                         std::span<const http::client_pool::endpoint_usage> connections);

}  // namespace herald::pipeline
