#include "kafka_handle.hpp"

#include <stdexcept>

namespace herald::app {
namespace {

void on_error(rd_kafka_t* rk, int, const char* reason, void*) {
  auto* errors = static_cast<kafka_errors*>(rd_kafka_opaque(rk));
  if (errors) errors->set(reason);
}

// librdkafka logs connection failures itself (FAIL, ERROR): the command's lines say it once.
void on_log(const rd_kafka_t* rk, int level, const char*, const char* line) {
  auto* errors = static_cast<kafka_errors*>(rd_kafka_opaque(rk));
  if (errors && level <= 3) errors->set(line);
}

}  // namespace

kafka_handle::kafka_handle(rd_kafka_type_t type, const settings& defaults,
                           const std::map<std::string, std::string>& properties, const settings& forced,
                           delivery_callback on_delivery)
    : errors_(std::make_unique<kafka_errors>()) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& name, const std::string& value) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error("kafka property " + name + ": " + err);
    }
  };
  for (const auto& [name, value] : defaults) set(name, value);
  for (const auto& [name, value] : properties) set(name, value);
  for (const auto& [name, value] : forced) set(name, value);
  rd_kafka_conf_set_error_cb(conf, &on_error);
  rd_kafka_conf_set_log_cb(conf, &on_log);
  if (on_delivery) rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, errors_.get());
  rk_ = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka client: ") + err);
  }
}

kafka_handle::~kafka_handle() {
  if (rk_) rd_kafka_destroy(rk_);
}

std::string with_cause(const kafka_handle& h) {
  const std::string last = h.last_error();
  return last.empty() ? std::string() : " (" + last + ")";
}

}  // namespace herald::app
