#pragma once
// Serialises an HTTP/1.1 request line and header block. Plain code, no socket (docs/architecture.md
// "How we write code", Pure decisions, thin I/O): the
// client appends the body and writes the result in one piece.
#include <string>
#include <string_view>

#include "herald/http/exchange.hpp"
#include "herald/util/result.hpp"

namespace herald::http {

inline constexpr std::string_view default_user_agent = "herald/0.1";

// Replaces `out` with the request line and headers up to and including the empty line:
// Host, User-Agent, Content-Type (when set), Content-Length, Connection: keep-alive, then
// req.headers. Fails, leaving nothing worth sending, when the method, target or a header would
// break the framing (CR, LF, NUL, space in the target, a non-token name) or when req.headers
// sets a field the client owns (Host, Content-Length, Transfer-Encoding, Connection).
// `out` keeps its capacity, so one string per connection serves every request.
status write_request_head(const request& req, std::string_view host_header, std::string& out);

}  // namespace herald::http
