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

 private:
  std::string bytes_;
};

}  // namespace herald::redis
