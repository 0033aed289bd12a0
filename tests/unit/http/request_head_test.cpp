#include <doctest/doctest.h>

#include "herald/http/request_head.hpp"

using namespace herald::http;

TEST_CASE("a POST carries Host, User-Agent, Content-Type, Content-Length and keep-alive, then extra headers") {
  request req;
  req.target = "/jst/sms/oaid/send?x=1";
  req.content_type = "application/x-www-form-urlencoded; charset=utf-8";
  req.body = "a=1&b=2";
  req.headers = {{"X-Request-Id", "abc"}};
  std::string out;
  REQUIRE(write_request_head(req, "gw.example.com", out));
  CHECK(out ==
        "POST /jst/sms/oaid/send?x=1 HTTP/1.1\r\n"
        "Host: gw.example.com\r\n"
        "User-Agent: herald/0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
        "Content-Length: 7\r\n"
        "Connection: keep-alive\r\n"
        "X-Request-Id: abc\r\n"
        "\r\n");
}

TEST_CASE("an empty target is sent as / and a GET without a body has no Content-Length") {
  request req;
  req.method = "GET";
  std::string out;
  REQUIRE(write_request_head(req, "h:8080", out));
  CHECK(out == "GET / HTTP/1.1\r\nHost: h:8080\r\nUser-Agent: herald/0.1\r\nConnection: keep-alive\r\n\r\n");
}

TEST_CASE("a POST with an empty body still says Content-Length: 0") {
  request req;
  std::string out;
  REQUIRE(write_request_head(req, "h", out));
  CHECK(out.find("Content-Length: 0\r\n") != std::string::npos);
}

TEST_CASE("a User-Agent given by the caller replaces the default") {
  request req;
  req.headers = {{"user-agent", "custom/1"}};
  std::string out;
  REQUIRE(write_request_head(req, "h", out));
  CHECK(out.find("herald/0.1") == std::string::npos);
  CHECK(out.find("user-agent: custom/1\r\n") != std::string::npos);
}

TEST_CASE("the output string is replaced, not appended to, and keeps its capacity") {
  request req;
  std::string out(1000, 'x');
  const auto capacity = out.capacity();
  REQUIRE(write_request_head(req, "h", out));
  CHECK(out.starts_with("POST / HTTP/1.1\r\n"));
  CHECK(out.capacity() == capacity);
}

TEST_CASE("a header value with CR or LF is refused so it cannot inject headers or requests") {
  request req;
  req.headers = {{"X-Sign", "abc\r\nX-Evil: 1"}};
  std::string out;
  auto result = write_request_head(req, "h", out);
  REQUIRE_FALSE(result);
  CHECK(result.message().find("X-Sign") != std::string::npos);
  CHECK(result.message().find("abc") == std::string::npos);  // the value may be a secret
  req.headers = {{"X-Sign", std::string("a\0b", 3)}};
  CHECK_FALSE(write_request_head(req, "h", out));
}

TEST_CASE("invalid method, target, header name or Content-Type are refused") {
  std::string out;
  request req;
  req.method = "PO ST";
  CHECK_FALSE(write_request_head(req, "h", out));
  req = request{};
  req.target = "/a b";
  CHECK_FALSE(write_request_head(req, "h", out));
  req = request{};
  req.target = "/a\nb";
  CHECK_FALSE(write_request_head(req, "h", out));
  req = request{};
  req.headers = {{"Bad Name", "v"}};
  CHECK_FALSE(write_request_head(req, "h", out));
  req = request{};
  req.content_type = "text/plain\r\nX: y";
  CHECK_FALSE(write_request_head(req, "h", out));
  req = request{};
  CHECK_FALSE(write_request_head(req, "", out));
}

TEST_CASE("headers the client owns cannot be set by the caller") {
  std::string out;
  for (const char* name : {"Host", "content-length", "Transfer-Encoding", "CONNECTION"}) {
    CAPTURE(name);
    request req;
    req.headers = {{name, "x"}};
    CHECK_FALSE(write_request_head(req, "h", out));
  }
}
