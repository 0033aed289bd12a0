#pragma once
// One gateway endpoint reached as the worker reaches it, sending nothing (`herald check-config
// --connect`): DNS, TCP, and for https the TLS handshake with the configured CA, peer and
// host-name verification and SNI. Asio and OpenSSL stay in endpoint_check.cpp.
#include <cstdint>
#include <string>

#include "herald/config/config.hpp"

namespace herald::app {

struct endpoint_check {
  bool is_ok = false;
  std::string detail;  // OK: what was reached and the certificate; FAIL: the phase and why
};

// Everything within timeout_ms. Never throws: a CA file that cannot be loaded is a FAIL.
endpoint_check check_endpoint(const config::endpoint& ep, const config::http_config& http, std::uint32_t timeout_ms);

}  // namespace herald::app
