#include "herald/http/phase.hpp"

namespace herald::http {

std::string_view to_string(phase p) noexcept {
  switch (p) {
    case phase::request: return "request";
    case phase::pool: return "pool";
    case phase::resolve: return "resolve";
    case phase::connect: return "connect";
    case phase::handshake: return "handshake";
    case phase::write: return "write";
    case phase::read: return "read";
  }
  return "unknown";
}

std::string describe(phase p, std::string_view where, std::string_view what) {
  std::string out;
  const std::string_view name = to_string(p);
  out.reserve(name.size() + where.size() + what.size() + 3);
  out.append(name);
  if (!where.empty()) {
    out.push_back(' ');
    out.append(where);
  }
  out.append(": ");
  out.append(what);
  return out;
}

std::string describe_timeout(std::uint32_t timeout_ms) {
  return "timeout after " + std::to_string(timeout_ms) + " ms";
}

}  // namespace herald::http
