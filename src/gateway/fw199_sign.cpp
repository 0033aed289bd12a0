// The fw199 (蜂巢) signature: docs/gateways.md "fw199 Taobao OAID batch", "Signature". Unconfirmed
// against an official vector (the vendor's sample calls Utils.Sign without showing it); the
// gateway simulator checks it with its own implementation of the same document.
#include <algorithm>

#include "herald/gateway/signers.hpp"
#include "herald/util/crypto.hpp"

namespace herald::gateway {
namespace {

// Sorts params and appends the canonical string to out. std::string_view compares through
// char_traits<char>, which orders as unsigned char: byte order, as the rule says.
void append_fw199_canonical(std::string& out, std::vector<sign_param>& params) {
  std::erase_if(params, [](const sign_param& p) { return p.first == "sign"; });
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

std::string fw199_canonical_string(std::vector<sign_param> params) {
  std::string out;
  append_fw199_canonical(out, params);
  return out;
}

std::string sign_fw199(std::vector<sign_param> params, std::string_view secret) {
  std::string text;
  std::size_t size = 2 * secret.size();
  for (const auto& [name, value] : params) size += name.size() + value.size();
  text.reserve(size);
  text.append(secret);
  append_fw199_canonical(text, params);
  text.append(secret);
  return crypto::md5_hex(text, crypto::hex_case::lower);
}

}  // namespace herald::gateway
