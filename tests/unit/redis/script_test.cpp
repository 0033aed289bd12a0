#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "herald/redis/command.hpp"
#include "herald/redis/script.hpp"

using herald::redis::command;
using herald::redis::script;

TEST_CASE("a script's SHA1 is the lowercase hex digest Redis uses to name it") {
  // The digest SCRIPT LOAD "return 1" answers with.
  CHECK(script("return 1").sha1() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  CHECK(script("return 1").text() == "return 1");
}

TEST_CASE("EVALSHA and EVAL commands carry the key count, then the keys, then the arguments") {
  const script s("return redis.call('GET', KEYS[1])");
  const std::vector<std::string_view> keys{"k1", "k 2"};
  const std::vector<std::string_view> args{"a", ""};
  CHECK(s.evalsha_command(keys, args).bytes() == command{"EVALSHA", s.sha1(), "2", "k1", "k 2", "a", ""}.bytes());
  CHECK(s.eval_command(keys, args).bytes() == command{"EVAL", s.text(), "2", "k1", "k 2", "a", ""}.bytes());
  CHECK(s.evalsha_command({}, {}).bytes() == command{"EVALSHA", s.sha1(), "0"}.bytes());
}
