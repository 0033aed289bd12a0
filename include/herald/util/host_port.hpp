#pragma once
// "host:port" addresses, as Redis Cluster seeds (redis.cluster_nodes) and CLUSTER SLOTS and MOVED
// answers write them; IPv6 in brackets, "[::1]:7000".
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/util/result.hpp"

namespace herald {

struct host_port {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const host_port&) const = default;
};

// An error names the text and what is wrong with it (no host, a port outside 1..65535, an IPv6
// address without brackets).
result<host_port> parse_host_port(std::string_view text);
std::string to_string(const host_port& a);

}  // namespace herald
