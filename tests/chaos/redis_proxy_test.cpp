// The reply-dropping Redis proxy of the chaos tests: its RESP framing row by row, and the proxy
// itself against the shared test Redis (a dropped reply's command ran; the ones behind it did not).
#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "chaos/support/redis_proxy.hpp"

using namespace herald::chaos;

namespace {

std::size_t complete(std::string_view s) {
  const frame f = resp_frame(s);
  REQUIRE_MESSAGE(f.status == frame_status::complete, "not complete: ", s);
  return f.length;
}

frame_status status_of(std::string_view s) { return resp_frame(s).status; }

int shared_redis_port() {
  const char* p = std::getenv("HERALD_REDIS_PORT");
  return p && *p ? std::atoi(p) : 16379;
}

std::string unique_key(const char* what) {
  return std::string("chaos-proxy:") + what + ":" + std::to_string(::getpid()) + ":" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

std::string direct(const std::vector<std::string>& args) {
  redisContext* c = redisConnect("127.0.0.1", shared_redis_port());
  REQUIRE_MESSAGE((c && !c->err), "the test Redis is not reachable");
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
  REQUIRE(r);
  std::string out = r->type == REDIS_REPLY_NIL ? "(nil)"
                    : r->type == REDIS_REPLY_INTEGER ? std::to_string(r->integer)
                                                     : std::string(r->str ? r->str : "", r->len);
  freeReplyObject(r);
  redisFree(c);
  return out;
}

}  // namespace

TEST_CASE("redis proxy: RESP frames are measured whole, value by value") {
  CHECK(complete("+OK\r\n") == 5);
  CHECK(complete("-ERR no\r\n:1\r\n") == 9);  // only the first value
  CHECK(complete(":-42\r\n") == 6);
  CHECK(complete("$3\r\nfoo\r\n") == 9);
  CHECK(complete("$0\r\n\r\n") == 6);
  CHECK(complete("$-1\r\n") == 5);
  CHECK(complete("*-1\r\n") == 5);
  CHECK(complete("*0\r\n") == 4);
  // A bulk string may hold CRLF: its length decides, not the bytes.
  CHECK(complete("$4\r\n\r\n\r\n\r\n") == 10);
  // A reserve-like answer: an array of arrays of mixed values.
  const std::string nested = "*2\r\n*3\r\n:1\r\n$2\r\nr1\r\n$-1\r\n*1\r\n+s\r\n";
  CHECK(complete(nested) == nested.size());
  CHECK(complete(nested + "+PONG\r\n") == nested.size());
  // RESP3 values, in case a server speaks it.
  CHECK(complete("_\r\n") == 3);
  CHECK(complete("#t\r\n") == 4);
  CHECK(complete(",1.5\r\n") == 6);
  CHECK(complete("(123\r\n") == 6);
  CHECK(complete("=7\r\ntxt:abc\r\n") == 13);
  CHECK(complete("%1\r\n+k\r\n:1\r\n") == 12);
  CHECK(complete("~2\r\n:1\r\n:2\r\n") == 12);
  CHECK(complete("|1\r\n+a\r\n:1\r\n+OK\r\n") == 17);  // an attribute, then its value

  SUBCASE("every proper prefix of a value is incomplete, never complete or invalid") {
    for (const std::string& v : {std::string("$5\r\nhello\r\n"), nested, std::string("%1\r\n+k\r\n:1\r\n")}) {
      for (std::size_t n = 0; n < v.size(); ++n) {
        CAPTURE(v.substr(0, n));
        CHECK(status_of(std::string_view(v).substr(0, n)) == frame_status::incomplete);
      }
    }
  }
  SUBCASE("malformed headers are invalid") {
    CHECK(status_of("?x\r\n") == frame_status::invalid);
    CHECK(status_of("PING\r\n") == frame_status::invalid);  // inline command
    CHECK(status_of("$x\r\n") == frame_status::invalid);
    CHECK(status_of("$-2\r\n") == frame_status::invalid);
    CHECK(status_of("$3\r\nfooXY") == frame_status::invalid);  // no CRLF after the bytes
    CHECK(status_of("*1x\r\n") == frame_status::invalid);
    CHECK(status_of("%-1\r\n") == frame_status::invalid);
  }
}

TEST_CASE("redis proxy: a command frame's arguments, and the matchers") {
  const std::string cmd = "*4\r\n$7\r\nEVALSHA\r\n$3\r\nabc\r\n$1\r\n0\r\n$2\r\nx\n\r\n";
  const auto args = resp_command_args(cmd);
  REQUIRE(args.size() == 4);
  CHECK(args[0] == "EVALSHA");
  CHECK(args[3] == "x\n");
  CHECK(resp_command_args("+OK\r\n").empty());
  CHECK(resp_command_args("*1\r\n:1\r\n").empty());

  CHECK(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
  const std::string script = "return 1";
  const auto m = script_matcher(script);
  const std::string sha = sha1_hex(script);
  CHECK(m({"EVALSHA", sha, "0"}));
  CHECK(m({"evalsha", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"}));  // sha1("return 1"), upper case
  CHECK(m({"EVAL", script, "0"}));
  CHECK_FALSE(m({"EVAL", "return 2", "0"}));
  CHECK_FALSE(m({"EVALSHA", sha1_hex("return 2"), "0"}));
  CHECK_FALSE(m({"GET", sha}));
  CHECK(name_matcher("set")({"SET", "k", "v"}));
  CHECK_FALSE(name_matcher("set")({"GET", "k"}));
}

TEST_CASE("redis proxy: the dropped reply's command ran, the pipelined ones behind it never did") {
  redis_proxy proxy(shared_redis_port());
  const std::string key = unique_key("incr"), other = unique_key("behind");
  redisContext* c = redisConnect("127.0.0.1", proxy.port());
  REQUIRE((c && !c->err));

  // Replies pass unchanged while nothing is armed.
  auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
  REQUIRE(r);
  CHECK(std::string(r->str, r->len) == "PONG");
  freeReplyObject(r);

  proxy.drop_replies(name_matcher("INCR"));
  redisAppendCommand(c, "PING");
  redisAppendCommand(c, "INCR %s", key.c_str());
  redisAppendCommand(c, "SET %s 1", other.c_str());
  void* reply = nullptr;
  REQUIRE(redisGetReply(c, &reply) == REDIS_OK);  // the PING before it is answered
  r = static_cast<redisReply*>(reply);
  CHECK(std::string(r->str, r->len) == "PONG");
  freeReplyObject(r);
  reply = nullptr;
  CHECK(redisGetReply(c, &reply) == REDIS_ERR);  // then the connection closes: no INCR reply
  CHECK(reply == nullptr);
  redisFree(c);

  CHECK(proxy.dropped() == 1);
  CHECK(proxy.armed() == 0);
  CHECK(direct({"GET", key}) == "1");        // the INCR ran
  CHECK(direct({"GET", other}) == "(nil)");  // the SET behind it did not
  direct({"DEL", key});

  // Disarmed after one: a new connection gets every reply.
  c = redisConnect("127.0.0.1", proxy.port());
  REQUIRE((c && !c->err));
  r = static_cast<redisReply*>(redisCommand(c, "INCR %s", key.c_str()));
  REQUIRE(r);
  CHECK(r->integer == 1);
  freeReplyObject(r);
  redisFree(c);
  CHECK(proxy.matched_commands() == 2);
  CHECK(proxy.connections_accepted() == 2);
  direct({"DEL", key});
}

TEST_CASE("redis proxy: a large reply split over many reads is delivered whole") {
  redis_proxy proxy(shared_redis_port());
  const std::string key = unique_key("big");
  const std::string value(3 * 1024 * 1024, 'v');
  direct({"SET", key, value});
  redisContext* c = redisConnect("127.0.0.1", proxy.port());
  REQUIRE((c && !c->err));
  auto* r = static_cast<redisReply*>(redisCommand(c, "GET %s", key.c_str()));
  REQUIRE(r);
  CHECK(r->len == value.size());
  freeReplyObject(r);
  redisFree(c);
  direct({"DEL", key});
}

TEST_CASE("redis proxy: raw bytes pass unparsed, and a refusing proxy refuses like a stopped server") {
  redis_proxy proxy(shared_redis_port(), /*resp_framing=*/false);
  auto ping = [&] {
    redisContext* c = redisConnect("127.0.0.1", proxy.port());
    if (!c || c->err) {
      const int err = c ? c->err : -1;
      if (c) redisFree(c);
      return "connect error " + std::to_string(err);
    }
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    std::string out = r && r->str ? std::string(r->str, r->len) : "no reply";
    if (r) freeReplyObject(r);
    redisFree(c);
    return out;
  };
  CHECK(ping() == "PONG");
  // A link open while the proxy starts refusing is cut.
  redisContext* open_link = redisConnect("127.0.0.1", proxy.port());
  REQUIRE((open_link && !open_link->err));
  proxy.refuse_connections();
  CHECK(ping().rfind("connect error", 0) == 0);
  auto* r = static_cast<redisReply*>(redisCommand(open_link, "PING"));
  CHECK(r == nullptr);
  if (r) freeReplyObject(r);
  redisFree(open_link);
  proxy.accept_connections();
  CHECK(ping() == "PONG");
  CHECK(proxy.dropped() == 0);
}
