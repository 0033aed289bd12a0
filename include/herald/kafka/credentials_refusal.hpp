#pragma once
// librdkafka reports every failed SASL exchange as RD_KAFKA_RESP_ERR__AUTHENTICATION, also a
// connection dropped mid-handshake (a broker restarting); only the broker's own answer that the
// credentials are wrong may stop the worker.
#include <string_view>

namespace herald::kafka {

inline bool is_credentials_refusal(std::string_view reason) {
  return reason.find("SASL authentication error") != std::string_view::npos &&
         reason.find("transport failure") == std::string_view::npos &&
         reason.find("Disconnected") == std::string_view::npos && reason.find("Timed out") == std::string_view::npos;
}

}  // namespace herald::kafka
