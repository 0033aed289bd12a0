#pragma once
// One HTTP/1.1 connection, TLS or plain: open it, send a request and read the answer, say whether
// it can carry another. Beast and OpenSSL stay in connection.cpp; the pool only sees this.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "herald/config/config.hpp"
#include "herald/http/endpoint_key.hpp"
#include "herald/http/exchange.hpp"
#include "herald/http/phase.hpp"

namespace boost::asio::ssl {
class context;
}

namespace herald::http {

// What every connection to one endpoint needs, worked out once per endpoint.
struct connection_target {
  explicit connection_target(endpoint_key k);

  endpoint_key key;
  std::string name;         // "https://host:port", for logs
  std::string where;        // "host:port", for error messages
  std::string host_header;  // the Host header value
  std::string port_text;    // for the resolver
  bool is_ip = false;       // an IP literal: nothing to resolve, no SNI
};

struct step_failure {
  phase at;
  std::string message;  // names the phase: "connect 127.0.0.1:443: Connection refused"
  bool is_timeout = false;  // the deadline passed (rather than a refusal, a reset or a bad answer)
};

class connection {
 public:
  connection(const boost::asio::any_io_executor& ex, boost::asio::ssl::context& tls, bool is_tls,
             std::uint64_t epoch);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Resolve, connect and (for TLS) handshake with SNI and peer + host-name verification as cfg
  // says, all within cfg.connect_timeout_ms. Failures are in phase resolve, connect or handshake.
  boost::asio::awaitable<std::optional<step_failure>> open(const connection_target& target,
                                                           const config::http_config& cfg);

  struct round_trip_result {
    std::optional<step_failure> failure;  // phase write (not completely written) or read
    bool is_reusable = false;             // the answer was complete and keep-alive holds
  };
  // Writes request_bytes() and reads the answer into `out`; write and read share timeout_ms.
  boost::asio::awaitable<round_trip_result> round_trip(bool is_head_request, std::uint32_t timeout_ms,
                                                       response& out);

  // Filled by the caller before round_trip; keeps its capacity between requests.
  std::string& request_bytes();
  bool is_open() const;
  // For an idle keep-alive connection: false if the server closed it or sent anything since.
  bool is_alive_while_idle();
  void close();
  std::uint64_t epoch() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace herald::http
