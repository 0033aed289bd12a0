// Endpoint URLs: https://host[:port][/path][?query] (http:// only where the account allows it).
#include <charconv>

#include "herald/config/load.hpp"

namespace herald::config {
namespace {

bool is_host_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool is_valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  for (char c : host) {
    if (!is_host_name_char(c)) return false;
    if (c == '.') {
      if (label == 0) return false;  // empty label: "a..b", ".a"
      label = 0;
    } else if (++label > 63) {
      return false;
    }
  }
  return host.back() != '-';
}

bool is_valid_ipv6(std::string_view host) {
  if (host.size() < 2 || host.size() > 45) return false;
  for (char c : host)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
      return false;
  return host.find(':') != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

result<endpoint> parse_endpoint(std::string_view url, bool allow_plain_http) {
  endpoint ep;
  ep.url = std::string(url);
  const std::string_view https = "https://", http = "http://";
  std::string_view rest;
  std::string prefix = lower(url.substr(0, https.size()));
  if (prefix.starts_with(https)) {
    ep.scheme = "https";
    ep.port = 443;
    rest = url.substr(https.size());
  } else if (prefix.starts_with(http)) {
    if (!allow_plain_http)
      return make_error("must be an https:// URL; http:// needs \"allow_plain_http\": true on the account");
    ep.scheme = "http";
    ep.port = 80;
    rest = url.substr(http.size());
  } else {
    return make_error("must be an https:// URL");
  }
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return make_error("must not contain spaces or control characters");
  if (url.find('#') != std::string_view::npos) return make_error("must not have a #fragment");

  std::size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos)
    return make_error("must not carry user info (user:password@): credentials belong in the account's options");

  std::string_view host = authority, port_text;
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return make_error("has an unclosed [ in its host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return make_error("has something after its [IPv6] host that is not a :port");
      port_text = after.substr(1);
      if (port_text.empty()) return make_error("has an empty port after \":\"");
    }
    if (!is_valid_ipv6(host)) return make_error("has an invalid IPv6 host");
  } else {
    std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return make_error("has an empty port after \":\"");
    }
    if (host.empty()) return make_error("has no host");
    if (!is_valid_host_name(host)) return make_error("has an invalid host name");
  }
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value < 1 || value > 65535)
      return make_error("has an invalid port (must be 1 to 65535)");
    ep.port = static_cast<std::uint16_t>(value);
  }
  ep.host = lower(host);
  if (target.empty()) {
    ep.target = "/";
  } else if (target[0] == '?') {
    ep.target = "/" + std::string(target);
  } else {
    ep.target = std::string(target);
  }
  return ep;
}

}  // namespace herald::config
