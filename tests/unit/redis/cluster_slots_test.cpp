#include <doctest/doctest.h>

#include <string>

#include "herald/redis/cluster_slots.hpp"
#include "herald/redis/command.hpp"

using namespace herald::redis;

namespace {

reply integer(long long n) {
  reply r;
  r.kind = reply::type::integer;
  r.integer = n;
  return r;
}
reply text(std::string s) {
  reply r;
  r.kind = reply::type::string;
  r.str = std::move(s);
  return r;
}
reply array(std::vector<reply> e) {
  reply r;
  r.kind = reply::type::array;
  r.elements = std::move(e);
  return r;
}
reply range(long long first, long long last, std::string host, long long port) {
  return array({integer(first), integer(last), array({text(std::move(host)), integer(port), text("0123abcd")})});
}

}  // namespace

TEST_CASE("key slots are Redis Cluster's: CRC16/XMODEM modulo 16384, of the hash tag when there is one") {
  // Values as `CLUSTER KEYSLOT` answers them (and the CRC16 check value of "123456789").
  CHECK(key_slot("123456789") == (0x31C3 & 16383));
  CHECK(key_slot("foo") == 12182);
  CHECK(key_slot("bar") == 5061);
  CHECK(key_slot("hello") == 866);
  CHECK(key_slot("") == 0);
  // A tag: the part between the first '{' and the next '}' ...
  CHECK(key_slot("{user1000}.following") == key_slot("user1000"));
  CHECK(key_slot("herald:l:20424:{0a1f}") == key_slot("herald:q:{0a1f}:acct:t:20261202:x"));
  CHECK(key_slot("a{foo}b{bar}") == key_slot("foo"));
  // ... but not an empty one, nor an unclosed one: then the whole key.
  CHECK(hash_tag_of("foo{}{bar}") == "foo{}{bar}");
  CHECK(hash_tag_of("foo{bar") == "foo{bar");
  CHECK(hash_tag_of("{}") == "{}");
  CHECK(hash_tag_of("x{y}") == "y");
}

TEST_CASE("MOVED and ASK name the slot and the node; anything else is no redirect") {
  auto moved = parse_redirect("MOVED 3999 127.0.0.1:6381");
  REQUIRE(moved);
  CHECK(moved->type == redirect::kind::moved);
  CHECK(moved->slot == 3999);
  CHECK(moved->host == "127.0.0.1");
  CHECK(moved->port == 6381);
  auto ask = parse_redirect("ASK 16383 [::1]:7002");
  REQUIRE(ask);
  CHECK(ask->type == redirect::kind::ask);
  CHECK(ask->slot == 16383);
  CHECK(ask->host == "::1");
  CHECK(ask->port == 7002);
  auto unknown_host = parse_redirect("MOVED 12 :7000");  // the answering node's own address
  REQUIRE(unknown_host);
  CHECK(unknown_host->host.empty());
  CHECK(unknown_host->port == 7000);
  for (const char* other : {"ERR unknown command", "MOVED", "MOVED 16384 127.0.0.1:7000", "MOVED -1 h:1",
                            "MOVED 12 127.0.0.1", "MOVED 12 127.0.0.1:0", "MOVED 12 127.0.0.1:65536", "ASK x h:1",
                            "MOVED 12 :", "moved 12 h:1", "ASKING"}) {
    CAPTURE(other);
    CHECK_FALSE(parse_redirect(other));
  }
}

TEST_CASE("TRYAGAIN and CLUSTERDOWN are a cluster that cannot serve now; other errors are not") {
  reply r;
  r.kind = reply::type::error;
  r.str = "TRYAGAIN Multiple keys request during rehashing of slot";
  CHECK(is_cluster_busy(r));
  r.str = "CLUSTERDOWN The cluster is down";
  CHECK(is_cluster_busy(r));
  r.str = "ERR CLUSTERDOWN";
  CHECK_FALSE(is_cluster_busy(r));
  CHECK_FALSE(is_cluster_busy(text("TRYAGAIN")));  // a string value, not an error
}

TEST_CASE("CLUSTER SLOTS: the primaries' ranges, sorted; replicas ignored") {
  auto ranges = parse_cluster_slots(array({range(10923, 16383, "127.0.0.1", 17003), range(0, 5460, "127.0.0.1", 17001),
                                           range(5461, 10922, "", 17002)}));
  REQUIRE(ranges);
  REQUIRE(ranges->size() == 3);
  CHECK(ranges->at(0).first == 0);
  CHECK(ranges->at(0).last == 5460);
  CHECK(ranges->at(0).port == 17001);
  CHECK(ranges->at(1).host.empty());  // "the node you asked"
  CHECK(ranges->at(2).last == 16383);
  CHECK(parse_cluster_slots(array({}))->empty());  // a cluster with no slots assigned yet
}

TEST_CASE("a malformed CLUSTER SLOTS answer is refused with what was wrong, never used") {
  struct row {
    const char* name;
    reply r;
    const char* says;
  };
  reply refused;
  refused.kind = reply::type::error;
  refused.str = "ERR This instance has cluster support disabled";
  const row rows[] = {
      {"an error", refused, "cluster support disabled"},
      {"not an array", text("x"), "expected an array"},
      {"a range too short", array({array({integer(0), integer(1)})}), "expected [first, last, primary"},
      {"slots not integers", array({array({text("0"), integer(1), array({text("h"), integer(1)})})}), "not integers"},
      {"last beyond 16383", array({range(0, 16384, "h", 1)}), "not a range"},
      {"first after last", array({range(10, 9, "h", 1)}), "not a range"},
      {"a negative slot", array({range(-1, 9, "h", 1)}), "not a range"},
      {"port 0", array({range(0, 9, "h", 0)}), "port 0"},
      {"port 70000", array({range(0, 9, "h", 70000)}), "port 70000"},
      {"an unknown address", array({range(0, 9, "?", 1)}), "unknown"},
      {"the primary not an array", array({array({integer(0), integer(1), text("h")})}), "not [host, port"},
      {"overlapping ranges", array({range(0, 100, "h", 1), range(100, 200, "h", 2)}), "overlap"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    auto parsed = parse_cluster_slots(r.r);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.message().find(r.says) != std::string::npos);
  }
}

TEST_CASE("a command's routing key: EVAL/EVALSHA's first key, none for keyless commands, else the first argument") {
  CHECK(command{"GET", "k1"}.routing_key() == "k1");
  CHECK(command{"hset", "bucket", "f", "v"}.routing_key() == "bucket");
  CHECK(command{"EXPIRE", "b", "10", "NX"}.routing_key() == "b");
  CHECK(command{"EVALSHA", "abc", "2", "q1", "q2", "arg"}.routing_key() == "q1");
  CHECK(command{"eval", "return 1", "1", "k", "a"}.routing_key() == "k");
  CHECK(command{"EVALSHA", "abc", "0", "arg"}.routing_key().empty());
  CHECK(command{"EVAL", "x"}.routing_key().empty());  // malformed: no key count
  CHECK(command{"FCALL", "f", "1", "fk"}.routing_key() == "fk");
  for (const auto& keyless : {command{"PING"}, command{"INFO", "server"}, command{"SCRIPT", "LOAD", "return 1"},
                              command{"CLUSTER", "SLOTS"}, command{"ASKING"}, command{"AUTH", "u", "p"},
                              command{"select", "1"}}) {
    CAPTURE(keyless.bytes());
    CHECK(keyless.routing_key().empty());
  }
  CHECK(command{"GET"}.routing_key().empty());  // no argument at all
  const std::string binary_key("a\r\nb\0c", 6);
  CHECK(command{"HGET", binary_key, "f"}.routing_key() == binary_key);
}
