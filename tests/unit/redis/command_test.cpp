#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "herald/redis/command.hpp"

using herald::redis::command;
using namespace std::string_literals;

TEST_CASE("a command is formatted as a RESP array of bulk strings") {
  CHECK(command{"GET", "key"}.bytes() == "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
  CHECK(command{"PING"}.bytes() == "*1\r\n$4\r\nPING\r\n");
}

TEST_CASE("arguments are binary-safe: spaces, CR/LF, empty, NUL and non-ASCII bytes pass unchanged") {
  const std::string with_nul = "a\0b"s;
  const command c{"SET", "key with spaces", "line1\r\nline2", "", with_nul, "短信 ✓"};
  CHECK(c.bytes() ==
        "*6\r\n"
        "$3\r\nSET\r\n"
        "$15\r\nkey with spaces\r\n"
        "$12\r\nline1\r\nline2\r\n"
        "$0\r\n\r\n"
        "$3\r\na\0b\r\n"s
        "$10\r\n短信 ✓\r\n");
}

TEST_CASE("a default-constructed (null) string_view argument formats as an empty string") {
  CHECK(command{"ECHO", std::string_view{}}.bytes() == "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
}

TEST_CASE("commands built from a vector of strings or a span of views match the initializer-list form") {
  const std::vector<std::string> strings{"HSET", "h", "field", "value"};
  const std::vector<std::string_view> views{"HSET", "h", "field", "value"};
  const command expected{"HSET", "h", "field", "value"};
  CHECK(command(strings).bytes() == expected.bytes());
  CHECK(command(std::span<const std::string_view>(views)).bytes() == expected.bytes());
}

TEST_CASE("a command with more arguments than fit inline is formatted completely") {
  std::vector<std::string> args{"MSET"};
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    args.push_back("k" + std::to_string(i));
    args.push_back("v" + std::to_string(i));
  }
  expected = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) expected += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  CHECK(command(args).bytes() == expected);
}

TEST_CASE("a large value is formatted with its exact length") {
  const std::string big(1 << 20, 'x');
  const command c{"SET", "k", big};
  CHECK(c.bytes().size() == std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n").size() + big.size() + 2);
  CHECK(c.bytes().ends_with("xx\r\n"));
}

TEST_CASE("a command without arguments is rejected") {
  CHECK_THROWS_AS(command(std::vector<std::string>{}), std::invalid_argument);
}
