#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/) carried in Kafka record headers: the
// `traceparent` and `tracestate` of a consumed event are read from its record and written, as
// they came, on every record Herald makes for it (outcome, DLQ copy, retry envelope; docs/events.md,
// "Trace context"). Herald forwards the caller's context and starts no span of its own: it exports
// no spans, so a parent-id of its own would point at nothing.
//
// A missing or invalid traceparent is never an error of the event: it just has no trace context
// (tracing must never reject a notification). Pure and allocation-free unless a tracestate is
// present (unit-tested row by row).
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "herald/kafka/types.hpp"

namespace herald::kafka {

inline constexpr std::string_view traceparent_header = "traceparent";
inline constexpr std::string_view tracestate_header = "tracestate";
// A version-00 traceparent: "00-" 32 hex "-" 16 hex "-" 2 hex.
inline constexpr std::size_t traceparent_size = 55;
inline constexpr std::size_t trace_id_size = 32;
// A longer (combined) tracestate is dropped: the spec asks propagators to carry at least this much.
inline constexpr std::size_t max_tracestate_bytes = 512;
// The most bytes the two headers add to a record against message.max.bytes (names, values and
// their length prefixes, as dlq_copy.hpp counts them).
inline constexpr std::size_t max_trace_headers_bytes =
    traceparent_header.size() + traceparent_size + tracestate_header.size() + max_tracestate_bytes + 2 * 10;

// The traceparent Herald carries for a header value, written to `out` (version 00, 55 characters),
// or why the value is not one (empty when it is). Version 00 must be exactly its 55 characters; a
// higher version (not ff) must start with them and go on only after a "-" (its first four fields
// are carried, as version 00 with only the sampled flag, as the spec says for a version it does
// not know); lower-case hex only; trace-id and parent-id not all zeros. Spaces and tabs around the
// value are ignored (HTTP's optional whitespace, which the spec's tests send).
std::string_view parse_traceparent(std::string_view value, std::array<char, traceparent_size>& out) noexcept;

class trace_context {
 public:
  bool has_traceparent() const noexcept { return has_parent_; }
  // Empty when there is none.
  std::string_view traceparent() const noexcept {
    return has_parent_ ? std::string_view(parent_.data(), parent_.size()) : std::string_view();
  }
  std::string_view trace_id() const noexcept {
    return has_parent_ ? std::string_view(parent_.data() + 3, trace_id_size) : std::string_view();
  }
  // Empty when there is none (never without a traceparent).
  std::string_view tracestate() const noexcept { return state_; }

  // Takes the trace context of a record with these headers (names matched in any case, as the
  // spec asks), replacing what was held. Returns why a traceparent header that is there was not
  // taken (given more than once, or not valid), empty otherwise: for a debug line at most. The
  // tracestate is taken only with a valid traceparent: several headers are joined with "," in
  // their order (empty ones skipped), verbatim; over max_tracestate_bytes it is dropped.
  std::string_view read(std::span<const header> headers);

  // Writes the headers to put on a record made for the event into `out` (room for 2), viewing
  // this context; returns how many (0: no trace context).
  std::size_t write_headers(std::span<header, 2> out) const noexcept;

  // No trace context; the tracestate's buffer is kept for the next event.
  void clear() noexcept {
    has_parent_ = false;
    state_.clear();
  }

 private:
  std::array<char, traceparent_size> parent_{};
  bool has_parent_ = false;
  std::string state_;
};

}  // namespace herald::kafka
