#pragma once
// The worker's counters and gauges as Prometheus text (docs/architecture.md "How we write code":
// herald_ prefix, base units, _total for counters; never a recipient, secret or signature in a
// label).
#include <cstdint>
#include <string>

#include "herald/pipeline/worker.hpp"

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
};

std::string render_metrics(const counters& c, const gauges& g);

}  // namespace herald::pipeline
