#pragma once
// Which Redis servers Herald can use. The ledger's scripts call EXPIRE ... NX (Redis 7.0); an
// older server answers them with an error, so every item would end `unknown`. The client asks
// INFO server in its handshake, on the first connect and on every reconnect (a failover may bring
// an older server), and refuses a server this rejects.
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/util/result.hpp"

namespace herald::redis {

struct server_version {
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
  std::uint32_t patch = 0;
  auto operator<=>(const server_version&) const = default;
};

inline constexpr server_version min_server_version{7, 0, 0};

std::string to_string(const server_version& v);  // "7.2.4"

// The redis_version field of an INFO reply ("redis_version:7.2.4" on a line of its own).
// An error when it is missing or not three dot-separated numbers.
result<server_version> parse_redis_version(std::string_view info);

// ok for a server Herald can use; else why not, naming the version found and the one needed,
// e.g. "Redis 6.2.14 is not supported: Herald needs Redis 7.0.0 or later (the ledger's scripts
// use EXPIRE ... NX)".
status check_server_version(std::string_view info);

}  // namespace herald::redis
