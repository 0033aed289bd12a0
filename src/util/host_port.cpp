#include "herald/util/host_port.hpp"

#include <charconv>

namespace herald {

result<host_port> parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return make_error("address '" + std::string(text) + "': expected [ipv6]:port");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return make_error("address '" + std::string(text) + "': expected host:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return make_error("address '" + std::string(text) + "': an IPv6 address goes in brackets, [::1]:7000");
  }
  if (host.empty()) return make_error("address '" + std::string(text) + "': no host");
  std::uint32_t p = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || port.empty() || p == 0 || p > 65535)
    return make_error("address '" + std::string(text) + "': the port must be 1..65535");
  return host_port{std::string(host), static_cast<std::uint16_t>(p)};
}

std::string to_string(const host_port& a) {
  if (a.host.find(':') != std::string::npos) return "[" + a.host + "]:" + std::to_string(a.port);
  return a.host + ":" + std::to_string(a.port);
}

}  // namespace herald
