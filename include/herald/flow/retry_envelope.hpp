#pragma once
// The record Herald writes to a Kafka retry/delay topic when an event must wait: a long backoff
// after throttling, a receipt check's grace period, or a marketing event outside its window
// (issue 5; docs/retries.md). Once the envelope is durably on the retry topic the source
// offset is settled and may commit; the event's one outcome comes when the retry consumer handles it.
//
// How the retry consumer uses not_before
// --------------------------------------
// A Kafka partition is read in order, and the envelopes in one retry-topic partition are written in
// roughly increasing not_before order (same delay class, written as time goes on). So the consumer
// only ever has to look at the head record of each partition:
//  - not_before <= now: handle it (by `stage`, below) like a freshly consumed event; its offset
//    commits through the same watermark once it is settled (or re-deferred with attempts + 1).
//  - not_before > now: pause that partition (rd_kafka_pause_partitions), seek it back to the head's
//    offset (the message is only valid during the callback, and librdkafka may have fetched past
//    it), and arm that partition's Asio timer for its head (delay = not_before - unix now); on
//    expiry, resume the partition and the head is delivered again.
// Never sleep the io_context thread, and never busy-poll (consume, find it early, seek, consume
// again): a paused partition costs nothing, holds no memory, and the consumer keeps polling its
// other partitions, so max.poll.interval.ms is not at risk. On revocation the pause goes with the
// partition; the new owner finds the same head and pauses again. Nothing is lost on a crash: the
// head is not committed until it is settled.
//
// Head-of-line: a record due earlier waits behind a head due later in the same partition. Keep
// delay classes apart so that this stays small: e.g. one topic for short delays (backoff, receipt
// grace, seconds to minutes) and one for the marketing window (hours, but all due at the same
// opening). Key envelopes by the original key so one key's events stay in order. The retry topics'
// retention must exceed the longest delay. not_before is wall-clock time from the writing pod; a
// little clock skew between pods only makes a record a little early or late.
//
// Why JSON text rather than the original value with the rest in Kafka headers (the DLQ's shape):
//  - tools that copy records (connectors, kcat without -H, ad-hoc replays) often drop headers; an
//    envelope without its not_before or stage would be resent blindly. One self-contained value
//    cannot lose half of itself. (Only the event's trace context travels in headers: losing it
//    loses nothing but the trace.)
//  - the whole record is validated as one, with an error that names the field, and "v" lets the
//    format change without guessing.
//  - the cost (base64 of the event, ~4/3 of its size, and one parse) is paid only on the retry
//    path, which is a small fraction of the traffic.
// The original value and key are base64 (RFC 4648, padded) so that any bytes survive exactly,
// whether or not they are valid UTF-8 or JSON.
//
// Example (one line on the topic):
// {"v":1,"reason":"receipt_check","stage":"receipt_check","not_before_ms":1718098200000,
//  "attempts":1,"receipt_checks":0,"first_consumed_at_ms":1718098080000,
//  "source":{"topic":"herald.events","partition":3,"offset":1042},
//  "sent_at_ms":1718098081000,"message_id":"","out_id":"evt-1","key_b64":"ZXZ0LTE=",
//  "value_b64":"eyJldmVudF9pZCI6ImV2dC0xIn0="}
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "herald/model/outcome.hpp"
#include "herald/util/result.hpp"

namespace herald::flow {

// Why the event waits.
enum class retry_reason {
  throttled_backoff,  // the gateway throttled it; retried after a backoff (backoff.hpp)
  receipt_check,      // an ambiguous send; the receipt is looked at after a grace period
  marketing_window,   // a marketing event outside its window (marketing_window.hpp)
  not_sent_backoff,   // nothing was sent (the call was never written, or a receipt check proved
                      // it): sent again after a backoff
  account_busy,       // its account held its in-flight share and was not draining it (docs/retries.md)
  attempt_in_flight,  // another attempt of the same notification holds its ledger record (a request
                      // being written, a receipt check under way): looked at again once it may be over
};

// What the retry consumer does when the envelope is due, which follows from the ledger's state.
enum class retry_stage {
  send,           // the ledger holds nothing for it (never reserved, or released): through the guard
                  // as a fresh event
  resend,         // the ledger still holds the earlier attempt's record (`R` or `U`), but a receipt
                  // check proved nothing was sent: take the record over and send (never via a
                  // plain reserve, which would say maybe_sent)
  receipt_check,  // the ledger holds `R` (reserved: a send may have been under way) or `U`
                  // (unknown): ask the gateway's receipt first, never resend straight away
};

std::string_view to_string(retry_reason r) noexcept;
std::string_view to_string(retry_stage s) noexcept;
std::optional<retry_reason> parse_retry_reason(std::string_view text) noexcept;
std::optional<retry_stage> parse_retry_stage(std::string_view text) noexcept;

struct retry_envelope {
  std::string original_value;     // the consumed Kafka value, byte for byte
  std::string original_key;       // the consumed Kafka key, byte for byte (empty: none)
  // The key was null rather than empty bytes: written as "key_null":true only then (an envelope
  // without it, such as an older Herald's, reads as false), so the event's records keep a null key.
  bool is_key_null = false;
  model::source_position source;  // where the event was first consumed
  std::uint32_t attempts = 0;     // send attempts made so far
  std::int64_t not_before_ms = 0;  // Unix ms: not handled before this
  retry_reason reason = retry_reason::throttled_backoff;
  retry_stage stage = retry_stage::send;
  std::optional<std::int64_t> sent_at_ms;  // the ambiguous send's time (receipt queries ask by date)
  std::string message_id;         // the gateway's id for the ambiguous send, if it gave one
  std::string out_id;             // the OutId Herald put on the request (Alibaba Cloud matches on it)
  std::int64_t first_consumed_at_ms = 0;  // Unix ms, when the event was first consumed
  std::uint32_t receipt_checks = 0;       // receipt checks made so far (absent in a record: 0)
};

// Every field compared, source included (the round-trip tests compare whole envelopes).
bool operator==(const retry_envelope& a, const retry_envelope& b) noexcept;

// The longest text fields an envelope holds, so that its size has a bound (retry_envelope_max_size):
// a Kafka topic name, and the gateway's send id and Herald's OutId (tens of bytes in practice).
inline constexpr std::size_t max_envelope_topic_bytes = 249;
inline constexpr std::size_t max_envelope_id_bytes = 512;

// Compact JSON, fields in the order of the example above; sent_at_ms is left out when absent.
// Fails, naming the field, when a value could not be read back: a negative partition, offset or
// time, text fields (source.topic, message_id, out_id) that are not valid UTF-8, or longer than
// the limits above.
result<std::string> encode_retry_envelope(const retry_envelope& e);

// The most bytes encode_retry_envelope can write for an event whose value and key have these
// sizes, whatever its other fields hold (ids at their longest and all escaped, the largest numbers).
std::size_t retry_envelope_max_size(std::size_t value_bytes, std::size_t key_bytes) noexcept;

// What the event's W3C trace context adds to its envelope record at most, as headers (traceparent
// and a tracestate of up to 512 bytes; kafka/trace_context.hpp, max_trace_headers_bytes): they
// travel beside the value, which a copy without headers keeps whole, losing only the trace.
inline constexpr std::size_t retry_record_trace_headers_bytes = 608;

// The most bytes a Kafka record with this envelope takes against the producer's message.max.bytes
// for any event of at most max_event_bytes (value + key, split the worst way): librdkafka counts
// the key, the headers (retry_record_trace_headers_bytes) and the record's framing too.
std::size_t retry_record_max_size(std::size_t max_event_bytes) noexcept;

// The start-up check that every event Herald accepts can wait on the retry topic: an error naming
// both numbers when retry_record_max_size(max_event_bytes) exceeds the producer's message.max.bytes
// (producer_properties["message.max.bytes"], else librdkafka's default 1000000), or when that
// property is not a whole number.
status check_retry_record_fits(std::size_t max_event_bytes,
                               const std::map<std::string, std::string>& producer_properties);

// Decodes and validates an envelope. The error names the field and what is wrong, e.g.
// `retry envelope: not_before_ms: expected an integer, got a string`. Unknown fields are ignored
// (a newer writer may add some); a "v" other than 1 is refused.
result<retry_envelope> decode_retry_envelope(std::string_view text);

}  // namespace herald::flow
