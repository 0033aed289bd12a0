#pragma once
// A plain librdkafka handle for the operator commands (check-config --connect, replay-dlq):
// configured like the worker's clients (brokers, client id, the configured properties, so that
// SASL and TLS settings apply), with librdkafka's own log lines held back and its last error kept,
// so that a command prints one line per problem naming it.
#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace herald::app {

// The last error librdkafka reported (error_cb or an error log line, from its own threads).
struct kafka_errors {
  std::mutex mutex;
  std::string last;
  void set(const char* text) {
    std::lock_guard lock(mutex);
    last = text;
  }
  std::string get() {
    std::lock_guard lock(mutex);
    return last;
  }
};

using delivery_callback = void (*)(rd_kafka_t*, const rd_kafka_message_t*, void*);

class kafka_handle {
 public:
  using settings = std::vector<std::pair<std::string, std::string>>;
  // defaults, then the configured properties (which may override them: bootstrap.servers,
  // client.id), then forced (the command's own: no offset commits, no topic creation). Delivery
  // reports carry their message's opaque. Throws std::runtime_error naming a property refused.
  kafka_handle(rd_kafka_type_t type, const settings& defaults, const std::map<std::string, std::string>& properties,
               const settings& forced, delivery_callback on_delivery = nullptr);
  ~kafka_handle();
  kafka_handle(const kafka_handle&) = delete;
  kafka_handle& operator=(const kafka_handle&) = delete;

  rd_kafka_t* get() const { return rk_; }
  // librdkafka's last error, "" when none: what a timed-out request could not reach.
  std::string last_error() const { return errors_->get(); }

 private:
  std::unique_ptr<kafka_errors> errors_;
  rd_kafka_t* rk_ = nullptr;
};

// " (<librdkafka's last error>)" when it has one, else "".
std::string with_cause(const kafka_handle& h);

}  // namespace herald::app
