// The Alibaba Cloud RPC signature (V2, HMAC-SHA1), implemented independently of Herald's client
// from docs/gateways.md "Alibaba Cloud SMS", "Signature":
//   canonical = sorted(encode(name) "=" encode(value)) joined by "&"  (Signature left out)
//   to_sign   = METHOD "&" encode("/") "&" encode(canonical)
//   Signature = base64(HMAC-SHA1(secret + "&", to_sign))
// where encode is RFC 3986 on UTF-8 bytes with upper-case hex (url_encode in form.hpp).
#pragma once

#include <string>
#include <string_view>

#include "form.hpp"

namespace gwsim {

// Base64 of the raw HMAC-SHA1 (OpenSSL EVP_MAC).
std::string hmac_sha1_base64(std::string_view key, std::string_view data);

// The string to sign for the received (decoded) parameters, `Signature` left out.
std::string aliyun_string_to_sign(std::string_view method, const Form& params);

// The expected Signature for `params`.
std::string aliyun_sign(std::string_view method, const Form& params, std::string_view secret);

// True when `signature` equals aliyun_sign(...) exactly, compared in constant time.
bool aliyun_verify(std::string_view method, const Form& params, std::string_view secret,
                   std::string_view signature);

}  // namespace gwsim
