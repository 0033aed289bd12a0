#pragma once
// Consumer lag per partition from librdkafka's statistics JSON (statistics.interval.ms; its
// STATISTICS.md): topics.<topic>.partitions.<partition>.
//
// librdkafka's own consumer_lag_stored (the end offset minus the offset the application stored)
// is -1 for good when offsets are committed in the producer's transactions, Herald's default
// (kafka.transactions): the consumer never stores or commits them itself. So the lag is the
// partition's end offset from the statistics minus Herald's own position, the next offset its
// commit will be at (lag_of).
//
// The statistics are big (every broker, every partition's counters) and come every few seconds:
// they are read by a SAX pass that keeps nothing but the fields wanted, iteratively (the parser's
// stack is on the heap), so no nesting, however deep, can overflow the thread's stack. Text that
// is not JSON is an error; rows that are not what librdkafka writes are skipped, never thrown.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/util/result.hpp"

namespace herald::metrics {

// One partition's numbers; -1 where the statistics give none (or a negative, or not an integer).
struct partition_stats {
  std::string topic;
  std::int32_t partition = 0;
  // ls_offset (the last stable offset: a read_committed consumer reads no further), else
  // hi_offset (the high watermark).
  std::int64_t end_offset = -1;
  std::int64_t start_offset = -1;      // lo_offset (the low watermark: the oldest record kept)
  std::int64_t committed_offset = -1;  // as librdkafka knows it (fetched at assignment)
  std::int64_t lag_stored = -1;        // consumer_lag_stored
  bool operator==(const partition_stats&) const = default;
};

// In the order of the text. Left out: partition -1 (librdkafka's internal "unassigned"
// partition), a partition id that is not a decimal int32, and a partition with neither an end
// offset nor a stored lag.
result<std::vector<partition_stats>> parse_partition_stats(std::string_view stats_json);

// Records behind: end_offset minus `position` (Herald's next offset to commit), or minus the
// committed offset while Herald has none, or minus start_offset when nothing was ever committed
// (Herald's consumer starts at the earliest record then: auto.offset.reset); else
// consumer_lag_stored; nullopt when nothing says. Never negative: the statistics are a few
// seconds old, the position may be past the end they saw.
std::optional<std::int64_t> lag_of(const partition_stats& s, std::optional<std::int64_t> position);

}  // namespace herald::metrics
