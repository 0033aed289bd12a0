#include "queue_waker.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <stdexcept>
#include <string>

namespace herald::kafka::detail {

queue_waker::queue_waker(boost::asio::any_io_executor ex, rd_kafka_queue_t* queue) : queue_(queue), read_end_(ex) {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed for the Kafka queue");
  read_end_.assign(fds[0]);
  write_fd_ = fds[1];
  rd_kafka_queue_io_event_enable(queue_, write_fd_, "1", 1);
}

queue_waker::~queue_waker() {
  stop();
  *alive_ = false;
  boost::system::error_code ignored;
  read_end_.close(ignored);
  if (write_fd_ >= 0) ::close(write_fd_);
}

void queue_waker::start(std::function<void()> on_ready) {
  on_ready_ = std::move(on_ready);
  // Events may already be waiting: drain once now, then wait for the pipe.
  boost::asio::post(read_end_.get_executor(), [this, alive = alive_] {
    if (*alive && !is_stopped_) on_ready_();
  });
  arm();
}

void queue_waker::stop() {
  if (is_stopped_) return;
  is_stopped_ = true;
  rd_kafka_queue_io_event_enable(queue_, -1, nullptr, 0);
  boost::system::error_code ignored;
  read_end_.cancel(ignored);
}

void queue_waker::arm() {
  read_end_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [this, alive = alive_](const boost::system::error_code& ec) {
                         if (!*alive || is_stopped_ || ec) return;
                         char buf[256];
                         while (::read(read_end_.native_handle(), buf, sizeof buf) > 0) {
                         }
                         on_ready_();
                         if (!is_stopped_) arm();
                       });
}

rd_kafka_conf_t* make_conf(std::initializer_list<std::pair<const char*, std::string>> base,
                           const std::map<std::string, std::string>& overrides) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& name, const std::string& value) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error("kafka property " + name + ": " + err);
    }
  };
  for (const auto& [name, value] : base) set(name, value);
  for (const auto& [name, value] : overrides) set(name, value);
  return conf;
}

}  // namespace herald::kafka::detail
