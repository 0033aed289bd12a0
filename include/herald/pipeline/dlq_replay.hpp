#pragma once
// What `herald replay-dlq` does with one DLQ copy (docs/operations.md, "Operator commands"): pure,
// unit-tested row by row. A copy is re-published to the events topic it names, value and key as
// they were, only when it holds the original bytes whole and names a topic Herald consumes; the
// ledger then makes an event that was sent meanwhile a `duplicate`, never a second SMS.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "herald/kafka/types.hpp"
#include "herald/util/result.hpp"

namespace herald::pipeline {

// The headers a DLQ copy carries (src/pipeline/dlq.cpp, docs/events.md "Invalid events").
inline constexpr std::string_view dlq_error_header = "herald.error";
inline constexpr std::string_view dlq_class_header = "herald.class";  // invalid, or the failed outcome's class
inline constexpr std::string_view dlq_source_topic_header = "herald.source.topic";
inline constexpr std::string_view dlq_source_partition_header = "herald.source.partition";
inline constexpr std::string_view dlq_source_offset_header = "herald.source.offset";
inline constexpr std::string_view dlq_truncated_header = "herald.truncated";
// Added to a replayed record: where it was replayed from ("<dlq topic>:<partition>:<offset>").
inline constexpr std::string_view replayed_from_header = "herald.replayed.from";

// A DLQ copy's reason class: "invalid" for an event that could not be decoded, else the class of
// its failed outcome (throttled, not_sent, internal_error, ...). Copies written before the class
// header existed have none: "".
std::string_view dlq_reason_class(std::span<const kafka::header> headers);

// Headers Herald wrote about the copy (herald.*): not carried over to the replayed record, which
// keeps the others (traceparent, a producer's own).
bool is_dlq_bookkeeping_header(std::string_view name);

struct replay_choice {
  bool is_replayed = false;
  std::string_view topic;       // is_replayed: where to (the copy's herald.source.topic)
  std::string_view reason_class;
  std::string skip_reason;      // not replayed: why, in words
};

// classes: the --reason-class values; empty selects every class. events_topics: kafka.topics.
replay_choice choose_replay(std::span<const kafka::header> headers, bool is_value_null,
                            std::span<const std::string> events_topics, std::span<const std::string> classes);

// Where a replay starts or ends in a partition: the first record (`beginning`), the end at the
// start of the run (`end`), an offset, or the first record at or after a time.
struct replay_position {
  enum class kind { beginning, end, offset, time } k = kind::beginning;
  std::int64_t value = 0;  // kind::offset: the offset; kind::time: Unix milliseconds
};

// "beginning", "end", an offset (a whole number below 10^12), a time as Unix milliseconds (a
// whole number from 10^12, i.e. from 2001-09-09), or an ISO-8601 time with a zone.
result<replay_position> parse_replay_position(std::string_view text);

// The smallest value parse_replay_position reads as Unix milliseconds rather than an offset.
inline constexpr std::int64_t min_epoch_ms_position = 1000000000000;

}  // namespace herald::pipeline
