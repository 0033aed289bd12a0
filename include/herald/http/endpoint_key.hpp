#pragma once
// Which keep-alive pool a request belongs to: scheme + host + port, the parts that decide whether
// a connection can be reused.
#include <cstdint>
#include <string>

#include "herald/config/config.hpp"
#include "herald/util/result.hpp"

namespace herald::http {

struct endpoint_key {
  bool is_tls = true;
  std::string host;  // lower case, IPv6 without brackets: what is resolved and verified
  std::uint16_t port = 443;
};

// Fails for a scheme other than http/https or an empty host. Port 0 means the scheme's default.
result<endpoint_key> make_endpoint_key(const config::endpoint& ep);

// Whether ep belongs to the pool `key` (scheme and host compared case-insensitively). Allocates
// nothing: it runs on every send.
bool matches(const endpoint_key& key, const config::endpoint& ep) noexcept;

// "https://127.0.0.1:18443", for logs and error messages.
std::string to_string(const endpoint_key& key);
// "host:port" as used in error messages ("[::1]:443" for IPv6).
std::string authority(const endpoint_key& key);
// The Host header value: the port is left out when it is the scheme's default (RFC 9110 §7.2).
std::string host_header(const endpoint_key& key);

}  // namespace herald::http
