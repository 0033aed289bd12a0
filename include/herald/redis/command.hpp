#pragma once
// One Redis command, written once into its RESP bytes by Herald itself (command.cpp: one
// allocation; hiredis's formatter, used before, printf()ed every length and copied the result
// again). Arguments are binary-safe: spaces, CR/LF, NUL and non-ASCII bytes go through unchanged.
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace herald::redis {

class command {
 public:
  // command{"SET", key, value}. At least one argument (the command name); throws
  // std::invalid_argument for none.
  command(std::initializer_list<std::string_view> args);
  explicit command(std::span<const std::string_view> args);
  explicit command(std::span<const std::string> args);

  // The RESP request: "*<argc>\r\n" then "$<len>\r\n<arg>\r\n" per argument.
  const std::string& bytes() const noexcept { return bytes_; }

  // The key that decides which Redis Cluster node runs the command: the first key of EVAL,
  // EVALSHA and FCALL (after the key count; none when it is 0), nothing for commands without
  // keys (PING, INFO, SCRIPT, CLUSTER, ASKING, AUTH, SELECT, ...), else the first argument. A view
  // into bytes(). Every key of a command Herald sends is in the same slot (docs/ledger.md).
  std::string_view routing_key() const noexcept;

 private:
  std::string bytes_;
};

}  // namespace herald::redis
