#pragma once
// A Lua script run by its SHA1 (EVALSHA), with its text at hand for when Redis does not have it
// cached (NOSCRIPT after a restart or SCRIPT FLUSH). client::eval does the fallback; the command
// builders are here for callers that put a script call into a larger pipeline.
#include <span>
#include <string>
#include <string_view>

#include "herald/redis/command.hpp"

namespace herald::redis {

class script {
 public:
  explicit script(std::string lua);

  const std::string& text() const noexcept { return text_; }
  const std::string& sha1() const noexcept { return sha1_; }  // 40 lowercase hex digits, as Redis names it

  // EVALSHA <sha1> <number of keys> keys... args...
  command evalsha_command(std::span<const std::string_view> keys, std::span<const std::string_view> args) const;
  // EVAL <text> <number of keys> keys... args... (also caches the script on the server)
  command eval_command(std::span<const std::string_view> keys, std::span<const std::string_view> args) const;

 private:
  std::string text_;
  std::string sha1_;
};

}  // namespace herald::redis
