#pragma once
// Retry-After (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date. The client only passes
// the header on; the gateway layer turns it into a backoff with this.
#include <cstdint>
#include <optional>
#include <string_view>

namespace herald::http {

// Seconds to wait from now_unix_seconds, never negative (a date in the past gives 0). Accepts
// delay-seconds and all three HTTP-date forms a recipient must accept (IMF-fixdate, RFC 850,
// asctime). nullopt when the value is neither. Very large delays are capped at one year.
std::optional<std::int64_t> retry_after_seconds(std::string_view value, std::int64_t now_unix_seconds);

// An HTTP-date as Unix seconds, nullopt if it is not one.
std::optional<std::int64_t> parse_http_date(std::string_view text);

}  // namespace herald::http
