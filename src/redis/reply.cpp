#include "herald/redis/reply.hpp"

namespace herald::redis {

std::string_view reply::error_code() const noexcept {
  if (kind != type::error) return {};
  std::string_view text = str;
  return text.substr(0, text.find(' '));
}

bool is_noscript(const reply& r) noexcept { return r.error_code() == "NOSCRIPT"; }

std::string_view to_string(reply::type t) noexcept {
  switch (t) {
    case reply::type::string: return "string";
    case reply::type::array: return "array";
    case reply::type::integer: return "integer";
    case reply::type::nil: return "nil";
    case reply::type::status: return "status";
    case reply::type::error: return "error";
  }
  return "unknown";
}

namespace {

constexpr std::size_t max_described_string = 64;

void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s.substr(0, max_described_string)) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  if (s.size() > max_described_string) out += "...";
  out += '"';
}

void append(std::string& out, const reply& r) {
  switch (r.kind) {
    case reply::type::string: append_quoted(out, r.str); break;
    case reply::type::status: out += r.str; break;
    case reply::type::error: out += "(error) "; out += r.str; break;
    case reply::type::integer: out += "(integer) "; out += std::to_string(r.integer); break;
    case reply::type::nil: out += "(nil)"; break;
    case reply::type::array:
      out += '[';
      for (std::size_t i = 0; i < r.elements.size(); ++i) {
        if (i != 0) out += ", ";
        append(out, r.elements[i]);
      }
      out += ']';
      break;
  }
}

}  // namespace

std::string describe(const reply& r) {
  std::string out;
  append(out, r);
  return out;
}

}  // namespace herald::redis
