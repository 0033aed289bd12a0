// Which servers the client accepts: the redis_version of INFO server, row by row.
#include <doctest/doctest.h>

#include <string>

#include "herald/redis/server_version.hpp"

using namespace herald::redis;

namespace {

std::string info_with(std::string_view version_line) {
  return "# Server\r\nredis_git_sha1:00000000\r\n" + std::string(version_line) +
         "\r\nredis_mode:standalone\r\nos:Linux\r\n";
}

}  // namespace

TEST_CASE("the server's version is accepted from 7.0.0 on, row by row") {
  struct row {
    const char* line;
    bool is_supported;
  };
  for (const row& r : {
           row{"redis_version:7.0.0", true},
           row{"redis_version:7.2.4", true},
           row{"redis_version:7.4.1", true},
           row{"redis_version:8.0.2", true},
           row{"redis_version:10.0.0", true},
           row{"redis_version:255.255.255", true},
           row{"redis_version:6.2.14", false},
           row{"redis_version:6.9.9", false},
           row{"redis_version:5.0.7", false},
           row{"redis_version:0.0.0", false},
       }) {
    CAPTURE(r.line);
    CHECK(static_cast<bool>(check_server_version(info_with(r.line))) == r.is_supported);
  }
}

TEST_CASE("a refusal names the version found and the one needed") {
  const auto refused = check_server_version(info_with("redis_version:6.2.14"));
  REQUIRE_FALSE(refused);
  CHECK(refused.message() ==
        "Redis 6.2.14 is not supported: Herald needs Redis 7.0.0 or later (the ledger's scripts use EXPIRE ... NX)");
}

TEST_CASE("the version is parsed from its own line only") {
  auto v = parse_redis_version(info_with("redis_version:7.2.4"));
  REQUIRE(v.has_value());
  CHECK(v.value() == server_version{7, 2, 4});
  CHECK(to_string(v.value()) == "7.2.4");
  // Without the \r, as a proxy may send it, and as the first or the last line.
  CHECK(parse_redis_version("redis_version:7.0.15\nredis_mode:standalone\n").value() == server_version{7, 0, 15});
  CHECK(parse_redis_version("# Server\r\nredis_version:7.1.0").value() == server_version{7, 1, 0});
  // Another field that ends in redis_version is not it.
  CHECK_FALSE(parse_redis_version("valkey_redis_version:7.2.4\r\n").has_value());
  CHECK(parse_redis_version("x_redis_version:6.0.0\r\nredis_version:7.0.1\r\n").value() == server_version{7, 0, 1});
  CHECK(server_version{7, 0, 0} < server_version{7, 0, 1});
  CHECK(server_version{6, 99, 99} < server_version{7, 0, 0});
}

TEST_CASE("a missing or unreadable version is refused too, saying what was there") {
  struct row {
    std::string info;
    const char* why;
  };
  for (const row& r : {
           row{info_with("redis_mode:standalone"), "the INFO reply has no redis_version field"},
           row{"", "the INFO reply has no redis_version field"},
           row{info_with("redis_version:"), "redis_version \"\" is not a version"},
           row{info_with("redis_version:seven"), "redis_version \"seven\" is not a version"},
           row{info_with("redis_version:7.2"), "redis_version \"7.2\" is not a version"},
           row{info_with("redis_version:7.2.4.1"), "redis_version \"7.2.4.1\" is not a version"},
           row{info_with("redis_version:7.2.4-rc1"), "redis_version \"7.2.4-rc1\" is not a version"},
           row{info_with("redis_version: 7.2.4"), "redis_version \" 7.2.4\" is not a version"},
           row{info_with("redis_version:-7.2.4"), "redis_version \"-7.2.4\" is not a version"},
           row{info_with("redis_version:7..4"), "redis_version \"7..4\" is not a version"},
           row{info_with("redis_version:4294967296.0.0"), "redis_version \"4294967296.0.0\" is not a version"},
           row{info_with("redis_version:7.2.4\x01"), "redis_version \"7.2.4?\" is not a version"},
       }) {
    CAPTURE(r.info);
    const auto v = parse_redis_version(r.info);
    REQUIRE_FALSE(v.has_value());
    CHECK(v.message() == r.why);
    const auto refused = check_server_version(r.info);
    REQUIRE_FALSE(refused);
    CHECK(refused.message() == "cannot tell the server's version (" + std::string(r.why) +
                                   "): Herald needs Redis 7.0.0 or later (the ledger's scripts use EXPIRE ... NX)");
  }
  const auto long_value = parse_redis_version("redis_version:" + std::string(100, '9'));
  REQUIRE_FALSE(long_value.has_value());
  CHECK(long_value.message() == "redis_version \"" + std::string(40, '9') + "...\" is not a version");
}
