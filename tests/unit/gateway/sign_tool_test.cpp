#include <doctest/doctest.h>

#include "herald/gateway/sign_tool.hpp"

using namespace herald::gateway;

TEST_CASE("herald sign reproduces TOP's published md5 vector") {
  // TOP signing guide (docs/gateways.md "TOP OAID send").
  std::vector<std::pair<std::string, std::string>> p{{"app_key", "12345678"},
                                                     {"fields", "num_iid,title,nick,price,num"},
                                                     {"format", "json"},
                                                     {"method", "taobao.item.seller.get"},
                                                     {"num_iid", "11223344"},
                                                     {"session", "test"},
                                                     {"sign_method", "md5"},
                                                     {"timestamp", "2016-01-01 12:00:00"},
                                                     {"v", "2.0"}};
  auto r = sign_with_scheme("top-md5", "POST", p, "helloworld");
  REQUIRE(r.has_value());
  CHECK(r->signature == "66987CB115214E59E6EC978214934FB8");
  CHECK(r->canonical.rfind("app_key12345678fieldsnum_iid", 0) == 0);
}

TEST_CASE("herald sign reproduces Alibaba Cloud's published RPC vector") {
  // Alibaba Cloud signature guide (docs/gateways.md "Alibaba Cloud SMS").
  std::vector<std::pair<std::string, std::string>> p{{"AccessKeyId", "testid"},
                                                     {"Action", "DescribeRegions"},
                                                     {"Format", "XML"},
                                                     {"SignatureMethod", "HMAC-SHA1"},
                                                     {"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
                                                     {"SignatureVersion", "1.0"},
                                                     {"Timestamp", "2016-02-23T12:46:24Z"},
                                                     {"Version", "2014-05-26"}};
  auto r = sign_with_scheme("aliyun-rpc", "GET", p, "testsecret");
  REQUIRE(r.has_value());
  CHECK(r->signature == "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
  CHECK(r->canonical.rfind("GET&%2F&AccessKeyId%3Dtestid", 0) == 0);
}

TEST_CASE("herald sign's fw199 scheme is the gateway's signer") {
  std::vector<std::pair<std::string, std::string>> p{{"b", "2"}, {"a", "1"}};
  auto r = sign_with_scheme("fw199", "POST", p, "s");
  REQUIRE(r.has_value());
  CHECK(r->canonical == "a1b2");
  // Computed independently: printf '%s' 'sa1b2s' | md5sum
  CHECK(r->signature == "5ee29085af57d942f21f1c5ba3c2a90a");
}

TEST_CASE("herald sign names an unknown scheme or method") {
  auto r = sign_with_scheme("sha1", "POST", {}, "s");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.message().find("unknown scheme \"sha1\"") != std::string::npos);
  auto m = sign_with_scheme("aliyun-rpc", "PUT", {}, "s");
  REQUIRE_FALSE(m.has_value());
  CHECK(m.message().find("--method") != std::string::npos);
}
