#include <doctest/doctest.h>

#include "herald/config/load.hpp"

using herald::config::parse_endpoint;

TEST_CASE("an https URL is split into host, port and target with defaults") {
  auto ep = parse_endpoint("https://gw.example.com/jst/sms/oaid/send", false);
  REQUIRE(ep.has_value());
  CHECK(ep->url == "https://gw.example.com/jst/sms/oaid/send");
  CHECK(ep->scheme == "https");
  CHECK(ep->host == "gw.example.com");
  CHECK(ep->port == 443);
  CHECK(ep->target == "/jst/sms/oaid/send");

  auto bare = parse_endpoint("https://dysmsapi.aliyuncs.com", false);
  REQUIRE(bare.has_value());
  CHECK(bare->target == "/");

  auto with_port = parse_endpoint("HTTPS://GW.Example.com:18443/a?b=c&d=e", false);
  REQUIRE(with_port.has_value());
  CHECK(with_port->scheme == "https");
  CHECK(with_port->host == "gw.example.com");
  CHECK(with_port->port == 18443);
  CHECK(with_port->target == "/a?b=c&d=e");

  auto query_only = parse_endpoint("https://h?x=1", false);
  REQUIRE(query_only.has_value());
  CHECK(query_only->target == "/?x=1");
}

TEST_CASE("http is accepted only when the account allows plain http, on port 80 by default") {
  CHECK_FALSE(parse_endpoint("http://127.0.0.1/send", false).has_value());
  auto ep = parse_endpoint("http://127.0.0.1/send", true);
  REQUIRE(ep.has_value());
  CHECK(ep->scheme == "http");
  CHECK(ep->port == 80);
  CHECK(ep->host == "127.0.0.1");
}

TEST_CASE("an IPv6 literal keeps its address without brackets") {
  auto ep = parse_endpoint("https://[::1]:8443/x", false);
  REQUIRE(ep.has_value());
  CHECK(ep->host == "::1");
  CHECK(ep->port == 8443);
  CHECK_FALSE(parse_endpoint("https://[::1/x", false).has_value());
  CHECK_FALSE(parse_endpoint("https://[zz]/x", false).has_value());
}

TEST_CASE("malformed endpoints are rejected with a reason") {
  CHECK(parse_endpoint("ftp://x", false).message() == "must be an https:// URL");
  CHECK(parse_endpoint("gw.example.com/send", false).message() == "must be an https:// URL");
  CHECK(parse_endpoint("https://", false).message() == "has no host");
  CHECK(parse_endpoint("https:///path", false).message() == "has no host");
  CHECK(parse_endpoint("https://user:pw@h/", false).message() ==
        "must not carry user info (user:password@): credentials belong in the account's options");
  CHECK(parse_endpoint("https://h:/", false).message() == "has an empty port after \":\"");
  CHECK(parse_endpoint("https://h:65536/", false).message() == "has an invalid port (must be 1 to 65535)");
  CHECK(parse_endpoint("https://h:8x/", false).message() == "has an invalid port (must be 1 to 65535)");
  CHECK(parse_endpoint("https://h_x/", false).message() == "has an invalid host name");
  CHECK(parse_endpoint("https://a..b/", false).message() == "has an invalid host name");
  CHECK(parse_endpoint("https://h/a b", false).message() == "must not contain spaces or control characters");
  CHECK(parse_endpoint("https://h/a#frag", false).message() == "must not have a #fragment");
}
