#include <doctest/doctest.h>

#include <array>

#include "herald/gateway/form.hpp"
#include "test_support.hpp"

using namespace herald::gateway;

// Expected strings below were produced independently with Python:
//   urllib.parse.quote(s, safe='')   (RFC 3986 unreserved kept, upper-case hex, space as %20)

TEST_CASE("form encoding keeps the RFC 3986 unreserved characters as they are") {
  std::string out;
  form::append_encoded(out, "AZaz09-_.~");
  CHECK(out == "AZaz09-_.~");
}

TEST_CASE("form encoding percent-encodes reserved characters with upper-case hex and a space as %20") {
  std::string out;
  form::append_encoded(out, "a b+c&d=e/f?g#h%i*j~k");
  CHECK(out == "a%20b%2Bc%26d%3De%2Ff%3Fg%23h%25i%2Aj~k");
  CHECK(form::encoded_size("a b+c&d=e/f?g#h%i*j~k") == out.size());
}

TEST_CASE("form encoding encodes UTF-8 Chinese byte by byte") {
  std::string out;
  form::append_encoded(out, "订单 #1: 蜂巢 & co.");
  CHECK(out == "%E8%AE%A2%E5%8D%95%20%231%3A%20%E8%9C%82%E5%B7%A2%20%26%20co.");
  CHECK(test::form_unescape(out) == "订单 #1: 蜂巢 & co.");
}

TEST_CASE("form encoding writes control and high bytes as %XX") {
  std::string out;
  form::append_encoded(out, std::string_view("\0\n\x7f\xff", 4));
  CHECK(out == "%00%0A%7F%FF");
}

TEST_CASE("an empty value is written as name= and an empty field list as an empty body") {
  const std::array<form::field, 3> fields{{{"a", ""}, {"b", "1"}, {"", "x"}}};
  CHECK(form::encode(fields) == "a=&b=1&=x");
  CHECK(form::encode(std::span<const form::field>{}).empty());
  std::string out;
  form::append_encoded(out, "");
  CHECK(out.empty());
}

TEST_CASE("append_field separates fields with & and appends to the buffer") {
  std::string out;
  form::append_field(out, "first name", "张三");
  form::append_field(out, "q", "a=b&c");
  CHECK(out == "first%20name=%E5%BC%A0%E4%B8%89&q=a%3Db%26c");
  auto decoded = test::form_decode(out);
  REQUIRE(decoded.size() == 2);
  CHECK(decoded[0] == std::pair<std::string, std::string>{"first name", "张三"});
  CHECK(decoded[1] == std::pair<std::string, std::string>{"q", "a=b&c"});
}
