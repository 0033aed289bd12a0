// The TOP signature: docs/gateways.md "TOP OAID send", "Signature". Checked against TOP's public
// test vector (tests/unit/gateway/top_sign_test.cpp); the gateway simulator verifies it with its
// own code.
#include "herald/gateway/top_sign.hpp"

#include <algorithm>

#include "herald/util/crypto.hpp"

namespace herald::gateway {
namespace {

// Sorts params and appends the canonical string to out. std::string_view compares through
// char_traits<char>, which orders as unsigned char: byte order, as the rule says.
void append_top_canonical(std::string& out, std::vector<sign_param>& params) {
  std::erase_if(params, [](const sign_param& p) { return p.first == "sign" || p.second.empty(); });
  std::sort(params.begin(), params.end());
  std::size_t size = 0;
  for (const auto& [name, value] : params) size += name.size() + value.size();
  out.reserve(out.size() + size);
  for (const auto& [name, value] : params) {
    out.append(name);
    out.append(value);
  }
}

}  // namespace

std::string_view to_string(top_sign_method m) {
  switch (m) {
    case top_sign_method::md5: return "md5";
    case top_sign_method::hmac: return "hmac";
    case top_sign_method::hmac_sha256: return "hmac-sha256";
  }
  return "md5";
}

std::optional<top_sign_method> parse_top_sign_method(std::string_view text) {
  if (text == "md5") return top_sign_method::md5;
  if (text == "hmac") return top_sign_method::hmac;
  if (text == "hmac-sha256") return top_sign_method::hmac_sha256;
  return std::nullopt;
}

std::string top_canonical_string(std::vector<sign_param> params) {
  std::string out;
  append_top_canonical(out, params);
  return out;
}

std::string sign_top(std::vector<sign_param> params, std::string_view secret, top_sign_method method) {
  std::string text;
  switch (method) {
    case top_sign_method::md5:
      text.append(secret);
      append_top_canonical(text, params);
      text.append(secret);
      return crypto::md5_hex(text, crypto::hex_case::upper);
    case top_sign_method::hmac:
      append_top_canonical(text, params);
      return crypto::hmac_md5_hex(secret, text, crypto::hex_case::upper);
    case top_sign_method::hmac_sha256:
      append_top_canonical(text, params);
      return crypto::hmac_sha256_hex(secret, text, crypto::hex_case::upper);
  }
  return {};
}

}  // namespace herald::gateway
