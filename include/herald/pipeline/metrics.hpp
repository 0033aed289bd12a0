#pragma once
// The worker's counters and gauges as Prometheus text (STYLE.md: herald_ prefix, base units,
// _total for counters; never a recipient, secret or signature in a label).
#include <cstdint>
#include <string>

#include "herald/pipeline/worker.hpp"

namespace herald::pipeline {

struct gauges {
  std::uint64_t events_in_flight = 0;
  std::uint64_t partitions_assigned = 0;
  std::uint64_t partitions_paused = 0;
  bool is_redis_up = false;
  bool is_intake_gated = false;
  // Events in flight by stage: decoding, reserving, batching, calling, recording, emitting.
  std::uint64_t by_stage[6] = {};
};

std::string render_metrics(const counters& c, const gauges& g);

}  // namespace herald::pipeline
