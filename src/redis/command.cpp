#include "herald/redis/command.hpp"

#include <charconv>
#include <stdexcept>
#include <string_view>

namespace herald::redis {
namespace {

void append_header(std::string& out, char kind, std::size_t n) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  (void)ec;  // 24 digits hold any size_t
  out.push_back(kind);
  out.append(digits, end);
  out.append("\r\n", 2);
}

// Writes argv in RESP (an array of bulk strings) in one allocation. hiredis's formatter, used
// before, sprintf()ed every argument's length and was copied once more: a ledger call has
// hundreds of arguments, and it showed in profiles.
template <class Range>
std::string format(const Range& args) {
  const std::size_t count = std::size(args);
  if (count == 0) throw std::invalid_argument("redis command: no arguments (the command name is missing)");
  std::size_t total = 0;
  for (const auto& arg : args) total += std::string_view(arg).size();
  // Redis itself refuses requests over 1 GiB.
  if (total > (std::size_t{1} << 30)) throw std::invalid_argument("redis command: larger than 1 GiB");

  std::string out;
  out.reserve(total + 16 * (count + 1));  // "$<length>\r\n" + "\r\n" per argument
  append_header(out, '*', count);
  for (const auto& arg : args) {
    const std::string_view view(arg);
    append_header(out, '$', view.size());
    if (!view.empty()) out.append(view.data(), view.size());  // a null view is an empty argument
    out.append("\r\n", 2);
  }
  return out;
}

}  // namespace

command::command(std::initializer_list<std::string_view> args) : bytes_(format(args)) {}
command::command(std::span<const std::string_view> args) : bytes_(format(args)) {}
command::command(std::span<const std::string> args) : bytes_(format(args)) {}

}  // namespace herald::redis
