// Alibaba Cloud RPC signature V2: docs/gateways.md "Alibaba Cloud SMS", "Signature". Checked
// against the public vector of Alibaba Cloud's signature guide (tests/unit/gateway/
// aliyun_sign_test.cpp); the gateway simulator verifies it with its own implementation of the
// same document.
#include "herald/gateway/aliyun_sign.hpp"

#include <algorithm>
#include <utility>

#include "herald/gateway/form.hpp"
#include "herald/util/crypto.hpp"

namespace herald::gateway {

std::string aliyun_percent_encode(std::string_view raw) {
  // form::append_encoded is exactly RFC 3986 with upper-case hex and %20 for a space
  // (docs/gateways.md, "Form encoding"): the encoding this signature needs.
  std::string out;
  form::append_encoded(out, raw);
  return out;
}

std::string aliyun_canonical_query(const std::vector<sign_param>& params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  std::size_t size = 0;
  for (const auto& [name, value] : params) {
    if (name == "Signature") continue;
    encoded.emplace_back(aliyun_percent_encode(name), aliyun_percent_encode(value));
    size += encoded.back().first.size() + encoded.back().second.size() + 2;
  }
  // Encoded text is ASCII, so std::string's comparison is plain byte order.
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  out.reserve(size);
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(name);
    out.push_back('=');
    out.append(value);
  }
  return out;
}

std::string aliyun_string_to_sign_for_query(std::string_view method, std::string_view canonical_query) {
  std::string out;
  out.reserve(method.size() + 5 + form::encoded_size(canonical_query));
  out.append(method);
  out.append("&%2F&");  // "&" + encode("/") + "&"
  form::append_encoded(out, canonical_query);
  return out;
}

std::string aliyun_string_to_sign(std::string_view method, const std::vector<sign_param>& params) {
  return aliyun_string_to_sign_for_query(method, aliyun_canonical_query(params));
}

std::string sign_aliyun_string(std::string_view string_to_sign, std::string_view access_key_secret) {
  std::string key;
  key.reserve(access_key_secret.size() + 1);
  key.append(access_key_secret);
  key.push_back('&');
  return crypto::base64_encode(crypto::hmac_sha1_raw(key, string_to_sign));
}

std::string sign_aliyun_rpc(std::string_view method, const std::vector<sign_param>& params,
                            std::string_view access_key_secret) {
  return sign_aliyun_string(aliyun_string_to_sign(method, params), access_key_secret);
}

}  // namespace herald::gateway
