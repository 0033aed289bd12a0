#include <doctest/doctest.h>

#include "herald/http/endpoint_key.hpp"

using herald::config::endpoint;
using namespace herald::http;

namespace {
endpoint make(std::string scheme, std::string host, std::uint16_t port) {
  endpoint ep;
  ep.scheme = std::move(scheme);
  ep.host = std::move(host);
  ep.port = port;
  ep.target = "/";
  return ep;
}
}  // namespace

TEST_CASE("an endpoint key is scheme, lower-case host and port") {
  auto key = make_endpoint_key(make("HTTPS", "Gw.Example.COM", 8443));
  REQUIRE(key);
  CHECK(key->is_tls);
  CHECK(key->host == "gw.example.com");
  CHECK(key->port == 8443);
  CHECK(to_string(*key) == "https://gw.example.com:8443");
  CHECK(authority(*key) == "gw.example.com:8443");
}

TEST_CASE("endpoints that differ only in target or host case share a pool") {
  auto key = make_endpoint_key(make("https", "gw.example.com", 443));
  REQUIRE(key);
  auto other = make("https", "GW.example.com", 443);
  other.target = "/other?x=1";
  CHECK(matches(*key, other));
}

TEST_CASE("a different scheme, host or port is a different pool") {
  auto key = make_endpoint_key(make("https", "gw.example.com", 443));
  REQUIRE(key);
  CHECK_FALSE(matches(*key, make("http", "gw.example.com", 443)));
  CHECK_FALSE(matches(*key, make("https", "gw2.example.com", 443)));
  CHECK_FALSE(matches(*key, make("https", "gw.example.com", 8443)));
  CHECK_FALSE(matches(*key, make("ftp", "gw.example.com", 443)));
}

TEST_CASE("port 0 means the scheme's default port") {
  auto https = make_endpoint_key(make("https", "a", 0));
  auto http = make_endpoint_key(make("http", "a", 0));
  REQUIRE(https);
  REQUIRE(http);
  CHECK(https->port == 443);
  CHECK(http->port == 80);
  CHECK(matches(*https, make("https", "a", 443)));
}

TEST_CASE("the Host header leaves out the default port and brackets IPv6") {
  CHECK(host_header(*make_endpoint_key(make("https", "gw.example.com", 443))) == "gw.example.com");
  CHECK(host_header(*make_endpoint_key(make("http", "gw.example.com", 80))) == "gw.example.com");
  CHECK(host_header(*make_endpoint_key(make("https", "gw.example.com", 80))) == "gw.example.com:80");
  CHECK(host_header(*make_endpoint_key(make("http", "127.0.0.1", 18080))) == "127.0.0.1:18080");
  auto v6 = make_endpoint_key(make("https", "[::1]", 8443));
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(host_header(*v6) == "[::1]:8443");
  CHECK(host_header(*make_endpoint_key(make("https", "::1", 443))) == "[::1]");
}

TEST_CASE("an unknown scheme or an empty host is refused") {
  auto ftp = make_endpoint_key(make("ftp", "a", 21));
  REQUIRE_FALSE(ftp);
  CHECK(ftp.message().find("ftp") != std::string::npos);
  CHECK_FALSE(make_endpoint_key(make("https", "", 443)));
}
