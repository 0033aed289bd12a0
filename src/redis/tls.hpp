#pragma once
// Internal to client.cpp: TLS to Redis (redis.tls). The context is built once per client at
// start-up; SNI, the name checked against the certificate and what went wrong are per connection.
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/system/error_code.hpp>

#include "herald/config/config.hpp"

namespace herald::redis::detail {

// TLS 1.2 or later; the server verified against cfg.ca_file (the system's trust store when empty)
// unless cfg.verify_peer is false; the client certificate and key loaded for mutual TLS. Throws
// std::runtime_error naming the option when a file cannot be used.
boost::asio::ssl::context make_tls_context(const config::redis_tls_config& cfg);

// The name sent as SNI and checked against the server's certificate: redis.tls.server_name, or
// redis.host when that is empty.
std::string tls_server_name(const config::redis_config& cfg);

// What the verification of one handshake found wrong first, for the error message (OpenSSL's
// own error only says "certificate verify failed").
struct tls_verify_failure {
  std::string reason;  // e.g. "certificate has expired", "hostname mismatch"
  std::string subject;
  std::string issuer;
  int depth = -1;
};

// The verify callback of one connection: the chain as OpenSSL checked it, then the host name
// (or IP address) against the certificate's names; the first failure is recorded in *failure.
struct tls_verifier {
  std::string server_name;
  std::shared_ptr<tls_verify_failure> failure;
  bool operator()(bool preverified, boost::asio::ssl::verify_context& ctx) const;
};

// The handshake's error as an operator can act on it: which certificate failed and why (against
// which name), a server that does not speak TLS on the port, a client certificate the server
// refused. `failure` may be null.
std::string describe_tls_error(const boost::system::error_code& ec, const tls_verify_failure* failure,
                               std::string_view server_name);

// Whether the error says the configuration cannot work (a certificate refused either way, no TLS
// on the port), as opposed to a network failure worth retrying quietly.
bool is_tls_configuration_error(const boost::system::error_code& ec);

}  // namespace herald::redis::detail
