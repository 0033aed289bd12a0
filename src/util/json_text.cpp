#include "herald/util/json_text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace herald::json {

namespace {

// Characters JSON text must escape: the quote, the backslash and the control characters. A table:
// one load per byte instead of three comparisons (every outcome and gateway call is written here).
constexpr auto escape_table = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = true;
  t['"'] = true;
  t['\\'] = true;
  return t;
}();
constexpr bool needs_escape(unsigned char c) { return escape_table[c]; }

// Whether any of the eight bytes of w needs escaping, eight bytes in a few instructions: a byte
// below 0x20 sets its high bit in (w - 0x20..) & ~w, a byte equal to '"' or '\\' is a zero byte
// of w ^ that byte (Hacker's Delight, 6-1). Exact as a yes/no; bytes of 0x80 and up never match.
constexpr std::uint64_t ones = 0x0101010101010101ull;
constexpr std::uint64_t highs = 0x8080808080808080ull;
constexpr bool any_needs_escape(std::uint64_t w) {
  const std::uint64_t quote = w ^ (ones * '"');
  const std::uint64_t backslash = w ^ (ones * '\\');
  return (((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)) & highs;
}

void append_escape(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xf]);
  }
}

}  // namespace

void append_string(std::string& out, std::string_view s) {
  out.push_back('"');
  // Outcome records and gateway calls are written for every event: blocks of eight bytes without
  // an escape are passed over at once, and runs without escapes appended whole.
  const std::size_t n = s.size();
  std::size_t run = 0;
  std::size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (!any_needs_escape(w)) {
        i += 8;
        continue;
      }
    }
    for (const std::size_t block_end = std::min(n, i + 8); i < block_end; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (!needs_escape(c)) continue;
      out.append(s.data() + run, i - run);
      run = i + 1;
      append_escape(out, c);
    }
  }
  out.append(s.data() + run, n - run);
  out.push_back('"');
}

void append_key(std::string& out, std::string_view key, bool first) {
  if (!first) out.push_back(',');
  append_string(out, key);
  out.push_back(':');
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

}  // namespace herald::json
