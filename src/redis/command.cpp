#include "herald/redis/command.hpp"

#include <charconv>
#include <optional>
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

// The argument at `index` of a command written by format(), or nullopt past the last.
std::optional<std::string_view> argument(std::string_view bytes, std::size_t index) noexcept {
  std::size_t at = bytes.find("\r\n");
  if (at == std::string_view::npos) return std::nullopt;
  at += 2;
  for (std::size_t i = 0;; ++i) {
    if (at >= bytes.size() || bytes[at] != '$') return std::nullopt;
    const auto eol = bytes.find("\r\n", at);
    if (eol == std::string_view::npos) return std::nullopt;
    std::size_t len = 0;
    const auto [end, ec] = std::from_chars(bytes.data() + at + 1, bytes.data() + eol, len);
    if (ec != std::errc() || end != bytes.data() + eol || eol + 2 + len > bytes.size()) return std::nullopt;
    if (i == index) return bytes.substr(eol + 2, len);
    at = eol + 2 + len + 2;
  }
}

bool equals_upper(std::string_view name, std::string_view upper) noexcept {
  if (name.size() != upper.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view command::routing_key() const noexcept {
  const auto name = argument(bytes_, 0);
  if (!name) return {};
  for (std::string_view keyless : {"PING", "INFO", "SCRIPT", "CLUSTER", "ASKING", "AUTH", "SELECT", "HELLO", "CLIENT",
                                   "READONLY", "READWRITE", "DBSIZE", "FLUSHALL", "FLUSHDB", "TIME", "COMMAND",
                                   "ECHO", "QUIT", "ACL", "CONFIG", "DEBUG", "FUNCTION", "MULTI", "EXEC"})
    if (equals_upper(*name, keyless)) return {};
  for (std::string_view scripted : {"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"}) {
    if (!equals_upper(*name, scripted)) continue;
    const auto count = argument(bytes_, 2);
    if (!count || *count == "0") return {};
    return argument(bytes_, 3).value_or(std::string_view());
  }
  return argument(bytes_, 1).value_or(std::string_view());
}

command::command(std::initializer_list<std::string_view> args) : bytes_(format(args)) {}
command::command(std::span<const std::string_view> args) : bytes_(format(args)) {}
command::command(std::span<const std::string> args) : bytes_(format(args)) {}

}  // namespace herald::redis
