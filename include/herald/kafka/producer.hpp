#pragma once
// An idempotent librdkafka producer whose delivery reports are served on the io_context's thread.
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "herald/config/config.hpp"
#include "herald/kafka/types.hpp"

namespace herald::kafka {

class producer {
 public:
  // Throws std::runtime_error when librdkafka refuses the configuration.
  producer(boost::asio::any_io_executor ex, const config::kafka_config& cfg);
  ~producer();
  // Start-up only (blocks up to timeout per topic): fetches the topics' metadata so that the first
  // outcomes do not wait for it, and warns about a topic that does not exist.
  void warm_up(std::span<const std::string> topics, std::chrono::milliseconds timeout);
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  // Enqueues one message; target->on_delivery is called exactly once on the io thread (when
  // librdkafka's queue is full the message waits in a local backlog, it is never dropped).
  void produce(std::string_view topic, std::string_view key, std::string_view value,
               std::span<const header> headers, delivery_target* target);
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

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace herald::kafka
