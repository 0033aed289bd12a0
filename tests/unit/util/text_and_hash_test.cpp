// The hot-path helpers written by hand for speed: JSON string escaping, the outcome timestamp and
// SHA-256 with a reused context, checked against known answers.
#include <doctest/doctest.h>

#include <string>

#include "herald/util/crypto.hpp"
#include "herald/util/json_text.hpp"
#include "herald/util/time.hpp"

using namespace herald;

namespace {
std::string quoted(std::string_view s) {
  std::string out = "prefix:";
  json::append_string(out, s);
  return out;
}
std::string hex(const std::array<std::uint8_t, 32>& d) {
  return crypto::to_hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}
}  // namespace

TEST_CASE("append_string escapes quotes, backslashes and control characters, keeps the rest") {
  CHECK(quoted("") == "prefix:\"\"");
  CHECK(quoted("plain 订单 text") == "prefix:\"plain 订单 text\"");
  CHECK(quoted("a\"b\\c") == "prefix:\"a\\\"b\\\\c\"");
  CHECK(quoted("\n\r\t\b\f") == "prefix:\"\\n\\r\\t\\b\\f\"");
  CHECK(quoted(std::string_view("x\x01y\x1f", 4)) == "prefix:\"x\\u0001y\\u001f\"");
  CHECK(quoted("\"") == "prefix:\"\\\"\"");
  CHECK(quoted("end\\") == "prefix:\"end\\\\\"");
}

TEST_CASE("append_string finds an escape at every position of a long string, next to any byte") {
  // Eight bytes are checked at a time: each escape, and bytes either side of the boundaries
  // (0x1f/0x20, 0x7f/0x80, 0xff), is put at every offset of a 40-byte string and the result
  // compared with a byte-by-byte escaping.
  auto reference = [](std::string_view s) {
    std::string out = "prefix:\"";
    for (unsigned char c : s) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (c == '\b') out += "\\b";
      else if (c == '\f') out += "\\f";
      else if (c < 0x20) {
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
      } else out += static_cast<char>(c);
    }
    return out + "\"";
  };
  const unsigned char probes[] = {'"', '\\', 0x00, 0x01, 0x1f, 0x20, '!', '#', '[', ']', 0x7f, 0x80, 0xe8, 0xff};
  for (unsigned char probe : probes) {
    for (std::size_t at = 0; at < 40; ++at) {
      std::string s(40, 'a');
      s[at] = static_cast<char>(probe);
      CHECK(quoted(s) == reference(s));
      s[39 - at] = '"';  // a second escape in another block
      CHECK(quoted(s) == reference(s));
    }
  }
}

TEST_CASE("format_iso8601_ms writes UTC with milliseconds") {
  CHECK(time::format_iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(time::format_iso8601_ms(1795618863123) == "2026-11-25T15:01:03.123Z");
  CHECK(time::format_iso8601_ms(951782400007) == "2000-02-29T00:00:00.007Z");
  CHECK(time::format_iso8601_ms(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(time::format_iso8601_ms(253402300799999) == "9999-12-31T23:59:59.999Z");
}

TEST_CASE("sha256 matches the published vectors, call after call") {
  for (int round = 0; round < 3; ++round) {
    CHECK(hex(crypto::sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex(crypto::sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
}
