#pragma once
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "herald/config/config.hpp"

namespace herald::app {

struct replay_query {
  std::string from = "beginning";   // parse_replay_position (pipeline/dlq_replay.hpp)
  std::string to = "end";           // exclusive
  std::optional<std::int32_t> partition;  // of the DLQ topic; all when absent
  std::vector<std::string> reason_classes;  // empty: every class
  bool is_dry_run = false;
  std::uint32_t timeout_ms = 10000;
};

// `herald replay-dlq`: reads kafka.dlq_topic from..to with a consumer of its own (partitions
// assigned explicitly, read_committed, nothing committed), and re-publishes each selected copy's
// original value and key (null kept null) and its non-Herald headers to the events topic it names,
// with an idempotent producer, then flushes and checks every delivery. The ledger makes an event
// that was sent meanwhile a `duplicate`. Prints a line per copy and the counts. exit_ok when every
// selected copy was delivered (or, dry run, read), exit_config for bad arguments, exit_found when
// Kafka cannot be read or a record was not delivered.
int run_replay_dlq(const config::herald_config& cfg, const replay_query& q, std::ostream& out, std::ostream& err);

}  // namespace herald::app
