#pragma once
// Consumer lag per partition from librdkafka's statistics JSON (statistics.interval.ms; its
// STATISTICS.md): topics.<topic>.partitions.<partition>.consumer_lag_stored, the partition's high
// watermark minus the offset Herald last stored (or committed) for it.
//
// The statistics are big (every broker, every partition's counters) and come every few seconds:
// they are read by a SAX pass that keeps nothing but the rows wanted, iteratively (the parser's
// stack is on the heap), so no nesting, however deep, can overflow the thread's stack. Text that
// is not JSON is an error; rows that are not what librdkafka writes are skipped, never thrown.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "herald/util/result.hpp"

namespace herald::metrics {

struct partition_lag {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t lag = 0;
  bool operator==(const partition_lag&) const = default;
};

// In the order of the text. Left out: partition -1 (librdkafka's internal "unassigned"
// partition), a lag of -1 (or any negative: not known yet), a partition id that is not a
// decimal int32, and a lag that is not an integer.
result<std::vector<partition_lag>> parse_consumer_lag(std::string_view stats_json);

}  // namespace herald::metrics
