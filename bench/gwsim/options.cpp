#include "options.hpp"

#include <charconv>

namespace gwsim {

std::optional<ListenAddress> parse_listen(std::string_view text) {
  ListenAddress out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) return std::nullopt;  // IPv6 needs brackets
  }
  if (out.host.empty() || port_text.empty()) return std::nullopt;
  unsigned port = 0;
  const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || port > 65535)
    return std::nullopt;
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

bool add_app_secret(std::string_view entry, SecretTable& table) {
  const auto eq = entry.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == entry.size()) return false;
  table.insert_or_assign(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  return true;
}

bool add_app_secret_list(std::string_view list, SecretTable& table, std::string* error) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view entry = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry.empty()) continue;
    if (!add_app_secret(entry, table)) {
      if (error) {
        // Never echo the secret: name the entry by its appid part only.
        *error = "malformed entry (want appid=secret): ";
        error->append(entry.substr(0, entry.find('=')));
      }
      return false;
    }
  }
  return true;
}

}  // namespace gwsim
