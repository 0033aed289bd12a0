#include <doctest/doctest.h>

#include <string>

#include "herald/util/host_port.hpp"

using herald::host_port;
using herald::parse_host_port;

TEST_CASE("host:port addresses: names, IPv4 and bracketed IPv6") {
  CHECK(parse_host_port("127.0.0.1:17001").value() == host_port{"127.0.0.1", 17001});
  CHECK(parse_host_port("redis-0.redis:6379").value() == host_port{"redis-0.redis", 6379});
  CHECK(parse_host_port("[::1]:7000").value() == host_port{"::1", 7000});
  CHECK(to_string(host_port{"::1", 7000}) == "[::1]:7000");
  CHECK(to_string(host_port{"h", 1}) == "h:1");
}

TEST_CASE("a malformed address says what is wrong with it") {
  struct row {
    const char* text;
    const char* says;
  };
  for (const row r : {row{"localhost", "expected host:port"}, row{":6379", "no host"}, row{"h:", "port must be"},
                      row{"h:0", "port must be"}, row{"h:65536", "port must be"}, row{"h:12x", "port must be"},
                      row{"::1:7000", "brackets"}, row{"[::1]7000", "expected [ipv6]:port"}, row{"[::1]", "expected [ipv6]:port"},
                      row{"h:-1", "port must be"}}) {
    CAPTURE(r.text);
    auto parsed = parse_host_port(r.text);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.message().find(r.says) != std::string::npos);
    CHECK(parsed.message().find(r.text) != std::string::npos);
  }
}
