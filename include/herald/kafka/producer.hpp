#pragma once
// An idempotent librdkafka producer whose delivery reports are served on the io_context's thread.
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/config/config.hpp"
#include "herald/kafka/types.hpp"

namespace herald::kafka {

class producer {
 public:
  // Throws std::runtime_error when librdkafka refuses the configuration.
  producer(boost::asio::any_io_executor ex, const config::kafka_config& cfg);
  ~producer();
  // Start-up only (blocks up to timeout per topic): fetches the topics' metadata so that the first
  // outcomes do not wait for it. Returns "topic: error" for each topic that cannot be written
  // (missing, forbidden, invalid: produce_error::topic_unusable); a broker that does not answer yet
  // is only a warning. The producer never asks the broker to create a topic
  // (allow.auto.create.topics=false unless producer_properties say otherwise).
  std::vector<std::string> warm_up(std::span<const std::string> topics, std::chrono::milliseconds timeout);
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  // Enqueues one message; target->on_delivery is called exactly once on the io thread, never from
  // inside produce() (when librdkafka's queue is full the message waits in a local backlog; a
  // transient failure is produced again after a backoff, produce_retry_delay_ms; only a permanent
  // one is reported as a failure).
  void produce(std::string_view topic, std::string_view key, std::string_view value,
               std::span<const header> headers, delivery_target* target, nulls null_parts = {});
  // The same without copying the value: its bytes must stay alive and unchanged until
  // target->on_delivery has been called (outcome records: the item owns them until then).
  void produce_borrowed(std::string_view topic, std::string_view key, std::string_view value,
                        std::span<const header> headers, delivery_target* target);
  // Called after each drain of delivery reports (the pipeline stores offsets there, once).
  void on_reports_drained(std::function<void()> cb);
  std::size_t outstanding() const;
  // Blocks until every message is delivered or the timeout passes; returns what is left.
  std::size_t flush(std::chrono::milliseconds timeout);
  // A fatal idempotence error means the outcome stream can no longer be trusted: stop.
  bool has_fatal_error() const;
  // Called once, on the io thread, when librdkafka reports a fatal error (with its reason).
  void on_fatal_error(std::function<void(std::string reason)> cb);
  // The producer's message.max.bytes: a record (key, value, headers) larger than this is refused.
  std::size_t max_record_bytes() const;
  // Records produced again after a transient failure (a counter for /metrics).
  std::uint64_t retries() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace herald::kafka
