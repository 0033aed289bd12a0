#include "herald/http/request_head.hpp"

#include <array>
#include <charconv>

namespace herald::http {
namespace {

// RFC 9110 §5.6.2 tchar.
bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

// Field values may hold any visible character, space and tab; CR, LF and NUL would split or end
// the header block (request smuggling), other controls are rejected as well.
bool is_field_value(std::string_view s) noexcept {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

bool is_target(std::string_view s) noexcept {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

constexpr std::array<std::string_view, 4> client_owned_fields{"host", "content-length",
                                                              "transfer-encoding", "connection"};

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

status write_request_head(const request& req, std::string_view host_header, std::string& out) {
  out.clear();
  if (!is_token(req.method)) return make_error("invalid method");
  const std::string_view target = req.target.empty() ? std::string_view("/") : req.target;
  if (!is_target(target)) return make_error("invalid target (control character or space)");
  if (!is_field_value(host_header) || host_header.empty()) return make_error("invalid host");
  if (!is_field_value(req.content_type)) return make_error("invalid Content-Type value");

  bool has_user_agent = false;
  for (const auto& [name, value] : req.headers) {
    if (!is_token(name)) return make_error("invalid header name");
    // The name is a token, so it is safe to show; the value might be a signature.
    if (!is_field_value(value)) return make_error("invalid value for header '" + name + "'");
    for (std::string_view owned : client_owned_fields) {
      if (iequals(name, owned)) return make_error("header '" + name + "' is set by the client");
    }
    if (iequals(name, "user-agent")) has_user_agent = true;
  }

  out.append(req.method).append(" ").append(target).append(" HTTP/1.1\r\n");
  append_field(out, "Host", host_header);
  if (!has_user_agent) append_field(out, "User-Agent", default_user_agent);
  if (!req.content_type.empty()) append_field(out, "Content-Type", req.content_type);
  // RFC 9110 §8.6: no Content-Length on a GET or HEAD without content; always on anything else,
  // so that the server can tell a complete request from a cut one.
  if (!req.body.empty() || !(req.method == "GET" || req.method == "HEAD")) {
    std::array<char, 24> digits{};
    const auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), req.body.size());
    (void)ec;  // 24 characters hold any size_t
    append_field(out, "Content-Length",
                 std::string_view(digits.data(), static_cast<std::size_t>(end - digits.data())));
  }
  append_field(out, "Connection", "keep-alive");
  for (const auto& [name, value] : req.headers) append_field(out, name, value);
  out.append("\r\n");
  return ok;
}

}  // namespace herald::http
