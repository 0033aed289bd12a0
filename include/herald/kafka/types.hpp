#pragma once
#include <compare>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "herald/kafka/produce_error.hpp"

namespace herald::kafka {

struct topic_partition {
  std::string topic;
  std::int32_t partition = 0;
  auto operator<=>(const topic_partition&) const = default;
};

// Which consumed partition a produced record settles (the pipeline numbers its partitions); 0 = none.
// A transactional producer never commits a record whose source was dropped (producer::drop_sources).
using source_tag = std::uint64_t;

// The next offset to consume of a partition, committed with a transaction's records (KIP-447).
struct committed_offset {
  topic_partition tp;
  std::int64_t next_offset = 0;
  std::string metadata;  // committed with it (consumer::handlers::on_committed reads it back)
};

struct topic_partition_hash {
  std::size_t operator()(const topic_partition& tp) const noexcept {
    return std::hash<std::string>{}(tp.topic) * 31 + static_cast<std::size_t>(tp.partition);
  }
};

struct header {
  std::string_view name;
  std::string_view value;
};

// A consumed message, valid only during the callback that receives it.
struct message_view {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string_view key;
  std::string_view payload;
  std::int64_t timestamp_ms = -1;
  // Kafka tells a null key or value from an empty one; a DLQ copy keeps which it was.
  bool is_key_null = false;
  bool is_payload_null = false;
  // Set when librdkafka could not read this record (produce_error.hpp, is_record_error): the
  // partition and offset are real, key and payload may be empty.
  std::string_view error;
  // The record's headers in their order (empty for most records: reading none allocates nothing);
  // a null header value reads as empty. Herald reads its trace context from them (trace_context.hpp).
  std::span<const header> headers;
};

// A record's key or value produced as null rather than as empty bytes.
struct nulls {
  bool key = false;
  bool value = false;
};

// The end of one produced message. A failure here is permanent (the producer retried transient
// ones itself); it is never reported from inside produce(), always later on the io thread. A
// transactional producer reports delivered only once the record's transaction has committed, a
// failure after that transaction was aborted, and kind dropped for a record whose source was
// dropped before its commit.
struct delivery_report {
  bool is_delivered = true;
  produce_error kind = produce_error::transient;  // when not delivered
  std::string_view error;                         // librdkafka's text, when not delivered
  std::string_view topic;
};

// Receives the delivery report of one produced message (no allocation per message: the
// producer passes this pointer to librdkafka as the message's opaque).
class delivery_target {
 public:
  virtual void on_delivery(const delivery_report& report) = 0;

 protected:
  ~delivery_target() = default;
};

}  // namespace herald::kafka
