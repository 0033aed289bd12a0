#pragma once
// Wakes an Asio handler whenever a librdkafka queue becomes non-empty: librdkafka writes a byte
// to a pipe (rd_kafka_queue_io_event_enable) and Asio waits on its read end.
#include <librdkafka/rdkafka.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace herald::kafka::detail {

class queue_waker {
 public:
  queue_waker(boost::asio::any_io_executor ex, rd_kafka_queue_t* queue);
  ~queue_waker();
  // Calls on_ready every time the queue may have events, until stop(). on_ready must drain the
  // queue: librdkafka only writes when the queue goes from empty to non-empty.
  void start(std::function<void()> on_ready);
  void stop();

 private:
  void arm();
  rd_kafka_queue_t* queue_;
  boost::asio::posix::stream_descriptor read_end_;
  int write_fd_ = -1;
  std::function<void()> on_ready_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool is_stopped_ = false;
};

// librdkafka configuration from string pairs; throws std::runtime_error naming the property.
rd_kafka_conf_t* make_conf(std::initializer_list<std::pair<const char*, std::string>> base,
                           const std::map<std::string, std::string>& overrides);

}  // namespace herald::kafka::detail
