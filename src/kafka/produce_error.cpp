#include "herald/kafka/produce_error.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>

namespace herald::kafka {

produce_error classify_produce_error(int code) noexcept {
  switch (static_cast<rd_kafka_resp_err_t>(code)) {
    // Locally (message.max.bytes, checked by producev) or by the broker (the topic's or broker's
    // max.message.bytes, for the whole batch the record travelled in).
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
      return produce_error::record_too_large;

    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:  // an invalid topic name
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    // The broker refused the record for what the topic demands (a compacted topic and a null key):
    // every record like it would be refused too.
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
      return produce_error::topic_unusable;

    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
    case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR__STATE:
      return produce_error::fatal;

    default:
      return produce_error::transient;
  }
}

std::string_view to_string(produce_error e) noexcept {
  switch (e) {
    case produce_error::transient: return "transient";
    case produce_error::record_too_large: return "record_too_large";
    case produce_error::topic_unusable: return "topic_unusable";
    case produce_error::fatal: return "fatal";
    case produce_error::dropped: return "dropped";
  }
  return "unknown";
}

std::int64_t produce_retry_delay_ms(std::uint32_t attempt) noexcept {
  constexpr std::int64_t first_ms = 100, cap_ms = 30'000;
  if (attempt <= 1) return first_ms;
  const std::uint32_t doublings = std::min<std::uint32_t>(attempt - 1, 20);
  return std::min(cap_ms, first_ms << doublings);
}

bool is_record_error(int code, std::int32_t partition, std::int64_t offset) noexcept {
  if (partition < 0 || offset < 0) return false;
  switch (static_cast<rd_kafka_resp_err_t>(code)) {
    case RD_KAFKA_RESP_ERR__BAD_MSG:          // a record that does not parse (CRC, framing)
    case RD_KAFKA_RESP_ERR__BAD_COMPRESSION:  // a batch that does not decompress
    case RD_KAFKA_RESP_ERR_INVALID_MSG:       // CORRUPT_MESSAGE
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__KEY_DESERIALIZATION:
    case RD_KAFKA_RESP_ERR__VALUE_DESERIALIZATION:
      return true;
    default:
      // Partition-level (offset out of range, an automatic offset reset, end of partition, a
      // topic that went away) or client-level: the offset, if any, names no record to settle.
      return false;
  }
}

}  // namespace herald::kafka
