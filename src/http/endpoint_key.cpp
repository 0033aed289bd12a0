#include "herald/http/endpoint_key.hpp"

#include <string_view>

namespace herald::http {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view strip_brackets(std::string_view host) noexcept {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

// 1 https, 0 http, -1 anything else.
int tls_of(std::string_view scheme) noexcept {
  if (iequals(scheme, "https")) return 1;
  if (iequals(scheme, "http")) return 0;
  return -1;
}

std::uint16_t effective_port(bool is_tls, std::uint16_t port) noexcept {
  return port != 0 ? port : (is_tls ? 443 : 80);
}

bool is_ipv6(std::string_view host) noexcept { return host.find(':') != std::string_view::npos; }

}  // namespace

result<endpoint_key> make_endpoint_key(const config::endpoint& ep) {
  const int tls = tls_of(ep.scheme);
  if (tls < 0) return make_error("unsupported scheme '" + ep.scheme + "' (expected http or https)");
  const std::string_view host = strip_brackets(ep.host);
  if (host.empty()) return make_error("empty host");
  endpoint_key key;
  key.is_tls = tls == 1;
  key.host.reserve(host.size());
  for (char c : host) key.host.push_back(lower(c));
  key.port = effective_port(key.is_tls, ep.port);
  return key;
}

bool matches(const endpoint_key& key, const config::endpoint& ep) noexcept {
  const int tls = tls_of(ep.scheme);
  if (tls < 0 || (tls == 1) != key.is_tls) return false;
  if (effective_port(key.is_tls, ep.port) != key.port) return false;
  return iequals(key.host, strip_brackets(ep.host));
}

std::string authority(const endpoint_key& key) {
  std::string out;
  if (is_ipv6(key.host)) {
    out.append("[").append(key.host).append("]");
  } else {
    out.append(key.host);
  }
  out.append(":").append(std::to_string(key.port));
  return out;
}

std::string to_string(const endpoint_key& key) {
  return std::string(key.is_tls ? "https://" : "http://") + authority(key);
}

std::string host_header(const endpoint_key& key) {
  const bool is_default_port = key.port == (key.is_tls ? 443 : 80);
  if (!is_default_port) return authority(key);
  return is_ipv6(key.host) ? "[" + key.host + "]" : key.host;
}

}  // namespace herald::http
