#pragma once
// The TLS context every HTTPS connection of the client pool shares, built once at start-up: the
// protocol floor and how the peer is verified. What differs per connection (SNI, the host name
// checked against the certificate) is set in connection.cpp.
#include <boost/asio/ssl/context.hpp>

#include "herald/config/config.hpp"

namespace herald::http {

// TLS 1.2 or later; peer verification against cfg.ca_file (or the system's trust store) unless
// cfg.verify_peer is false. Host-name verification and SNI are per connection (connection.cpp).
// Throws std::runtime_error when the CA certificates cannot be loaded.
boost::asio::ssl::context make_client_tls_context(const config::http_config& cfg);

}  // namespace herald::http
