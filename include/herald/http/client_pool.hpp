#pragma once
// HTTPS (and, for tests, plain HTTP) client with a keep-alive pool per endpoint, on C++20
// coroutines. Single-threaded: use it from the one thread that runs its executor's io_context.
//
// Each send has its own deadlines (docs/architecture.md "How we write code", Asynchrony and
// deadlines): waiting for a pooled connection within connect_timeout_ms; resolve + connect + TLS
// handshake, together, within connect_timeout_ms; write + read, together, within
// request_timeout_ms. What a failure means for a non-idempotent call is in exchange::fail (see
// phase.hpp for the rules). Beast, Asio SSL and OpenSSL stay in the .cpp files (Build time).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "herald/config/config.hpp"
#include "herald/http/exchange.hpp"

namespace herald::http {

namespace detail {
struct client_pool_state;
}

// Idle keep-alive connections are closed after this long. Below the usual server keep-alive
// timeouts (nginx 75 s, many load balancers 60 s) so that the client, not the server, usually
// closes them; a server closing first is caught by the check before reuse.
inline constexpr std::chrono::milliseconds default_idle_timeout{30000};

// Largest response body accepted; a larger one is a read failure (ambiguous).
inline constexpr std::size_t max_response_body = 8 * 1024 * 1024;

class client_pool {
 public:
  // Builds the TLS context: TLS 1.2+, the peer verified against cfg.ca_file (the system's trust
  // store when empty) unless cfg.verify_peer is false, the host name checked against the
  // certificate, SNI sent. Throws std::runtime_error naming the problem (e.g. an unreadable
  // ca_file): this runs at start-up.
  client_pool(boost::asio::any_io_executor ex, const config::http_config& cfg,
              std::chrono::milliseconds idle_timeout = default_idle_timeout);
  // Closes idle connections. Sends still in flight finish (they keep the internals alive) and
  // close their connections afterwards. Destroy the pool before its io_context.
  ~client_pool();
  client_pool(const client_pool&) = delete;
  client_pool& operator=(const client_pool&) = delete;

  // One request/response exchange. Never throws for I/O: failures are in the result. `ep` must
  // stay alive until the returned awaitable completes (co_await it directly).
  boost::asio::awaitable<exchange> send(const config::endpoint& ep, request req);

  // Connections open or being opened, over all endpoints.
  std::size_t open_connections() const;
  // Each endpoint's pool now (for the connections metric), in the order first used.
  struct endpoint_usage {
    std::string endpoint;  // "host:port"
    std::size_t open = 0;  // idle, in use or being opened
    std::size_t idle = 0;
  };
  std::vector<endpoint_usage> usage() const;
  // Closes every idle connection now; connections in use are closed when their exchange ends
  // instead of being kept. The pool stays usable.
  void close_all();

 private:
  // Shared with the sends in flight, so that destroying the pool while one runs is safe.
  std::shared_ptr<detail::client_pool_state> state_;
};

}  // namespace herald::http
