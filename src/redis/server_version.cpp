#include "herald/redis/server_version.hpp"

#include <charconv>

namespace herald::redis {
namespace {

constexpr std::string_view field = "redis_version:";

// The value of `field` on a line of its own, without the line end; false when there is none.
bool find_field(std::string_view info, std::string_view& value) {
  std::size_t at = 0;
  while (at < info.size()) {
    std::size_t end = info.find('\n', at);
    if (end == std::string_view::npos) end = info.size();
    std::string_view line = info.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with(field)) {
      value = line.substr(field.size());
      return true;
    }
    at = end + 1;
  }
  return false;
}

// One number of the version, at most 9 digits (no overflow, no sign, no spaces).
bool take_number(std::string_view& text, std::uint32_t& out) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return false;
  std::from_chars(text.data(), text.data() + digits, out);
  text.remove_prefix(digits);
  return true;
}

// What the server said, cut and without control characters, for a message.
std::string shown(std::string_view value) {
  std::string out;
  for (char c : value.substr(0, 40)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  return "\"" + out + (value.size() > 40 ? "...\"" : "\"");
}

}  // namespace

std::string to_string(const server_version& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
}

result<server_version> parse_redis_version(std::string_view info) {
  std::string_view value;
  if (!find_field(info, value)) return make_error("the INFO reply has no redis_version field");
  server_version v;
  std::string_view rest = value;
  std::uint32_t* parts[] = {&v.major, &v.minor, &v.patch};
  for (std::size_t i = 0; i < 3; ++i) {
    if (i > 0) {
      if (!rest.starts_with('.')) return make_error("redis_version " + shown(value) + " is not a version");
      rest.remove_prefix(1);
    }
    if (!take_number(rest, *parts[i])) return make_error("redis_version " + shown(value) + " is not a version");
  }
  if (!rest.empty()) return make_error("redis_version " + shown(value) + " is not a version");
  return v;
}

status check_server_version(std::string_view info) {
  const std::string needed = "Herald needs Redis " + to_string(min_server_version) +
                             " or later (the ledger's scripts use EXPIRE ... NX)";
  auto v = parse_redis_version(info);
  if (!v) return make_error("cannot tell the server's version (" + v.message() + "): " + needed);
  if (v.value() < min_server_version) return make_error("Redis " + to_string(v.value()) + " is not supported: " + needed);
  return ok;
}

}  // namespace herald::redis
