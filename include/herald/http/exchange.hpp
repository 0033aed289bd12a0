#pragma once
// What one HTTP call asks for and what came of it. Plain values, no Asio: the gateway layer and
// its tests use them without pulling in the client.
#include <string>
#include <utility>
#include <vector>

namespace herald::http {

struct request {
  std::string method = "POST";
  std::string target;        // path (+ query); "/" when empty
  std::string content_type;  // omitted when empty
  std::string body;
  // Extra header fields. Host, Content-Length, Transfer-Encoding and Connection are the client's
  // own and are rejected here; a User-Agent given here replaces the default "herald/0.1".
  std::vector<std::pair<std::string, std::string>> headers;
};

struct response {
  int status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header as sent, empty if none (see retry_after.hpp)
};

// Whether the request may have reached the server. SMS APIs are not idempotent, so the caller
// must know: a request never fully written can be retried freely; one written and then lost is
// ambiguous and must go to a receipt check. An HTTP status is never a failure here (fail = none,
// status = 503): the gateway layer decides what a status means.
enum class failure { none, not_sent, ambiguous };

struct exchange {
  failure fail = failure::none;
  // A human message naming the phase, e.g. "connect 127.0.0.1:18443: Connection refused",
  // "read: timeout after 10000 ms". Empty when fail == none. Never contains the body.
  std::string error;
  // fail == ambiguous because no answer came within request_timeout_ms (for the call-duration
  // metric's result; what it means for the call is the same as any ambiguous failure).
  bool is_timeout = false;
  response resp;
};

}  // namespace herald::http
