#pragma once
// The phases of one HTTP exchange and what a failure in each means for a non-idempotent call.
// This is the decision the whole client exists to get right, kept apart from the sockets.
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/http/exchange.hpp"

namespace herald::http {

enum class phase {
  request,    // the request itself is invalid (bad header, unknown scheme): nothing was sent
  pool,       // waiting for a free connection to the endpoint
  resolve,    // name resolution
  connect,    // TCP connect
  handshake,  // TLS handshake (including certificate and host-name verification)
  write,      // writing the request; failing here means it was not completely written
  read,       // the request was completely written; reading the response
};

std::string_view to_string(phase p) noexcept;

// Before the last byte of the request is written the server cannot have acted on it: an HTTP/1.1
// request with Content-Length is incomplete until then, and servers do not process incomplete
// requests. From then on any failure (timeout, reset, EOF, TLS error, a malformed answer) leaves
// the call's fate unknown.
constexpr failure classify(phase p) noexcept {
  return p == phase::read ? failure::ambiguous : failure::not_sent;
}

// A reused keep-alive connection may have been closed by the server while idle. If writing to it
// fails, the request was not completely written, so it is safe to try once more on a fresh
// connection. A failure on a fresh connection, or once the write completed, is never retried here:
// the first is a real error the caller should see, the second may have been processed.
constexpr bool should_retry_on_fresh_connection(phase p, bool is_reused_connection,
                                                int retries_so_far) noexcept {
  return p == phase::write && is_reused_connection && retries_so_far == 0;
}

// "connect 127.0.0.1:18443: Connection refused"; `where` may be empty ("read: timeout ...").
std::string describe(phase p, std::string_view where, std::string_view what);
// "timeout after 300 ms"
std::string describe_timeout(std::uint32_t timeout_ms);

}  // namespace herald::http
