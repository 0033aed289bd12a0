#pragma once
// The one final record every consumed event ends in, on the results topic (docs/events.md,
// "Outcome records"; docs/architecture.md, the promises).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::model {

enum class status { sent, duplicate, rejected_quota, failed, unknown, invalid };
std::string_view to_string(status s);

struct source_position {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  bool operator==(const source_position&) const = default;
};

struct outcome {
  std::string event_id;
  std::string order_id;
  std::string account;
  status st = status::unknown;
  std::string reason;              // why, in words an operator can act on
  std::string outcome_class;       // for failed/unknown: permanent, recipient_limited, throttled, ambiguous
  std::string gateway_code;
  std::string gateway_message_id;
  std::string policy;              // for a decision taken by the account's unknown-send policy
  std::string trace_id;            // the W3C trace-id of its record's traceparent (none: empty)
  std::uint32_t attempts = 0;
  source_position source;
  std::int64_t settled_at_ms = 0;
  bool operator==(const outcome&) const = default;
};

// Makes `o` equal to a default-constructed outcome, keeping its strings' buffers (reused items).
void clear(outcome& o);

// The longest text a gateway's words may put in an outcome (reason, gateway_code,
// gateway_message_id): an answer body may be megabytes, a Kafka record about one, and an outcome
// that can never be written stops the worker, again after every restart.
inline constexpr std::size_t max_outcome_text_bytes = 1024;

// Cuts the gateway-given texts of `o` to max_outcome_text_bytes at a UTF-8 character boundary,
// marking a cut with "…"; true if anything was cut.
bool bound_texts(outcome& o);

// Compact JSON, fields in a fixed order (docs/events.md, "Outcome records").
std::string to_json(const outcome& o);

}  // namespace herald::model
