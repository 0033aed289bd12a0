// The Taobao Open Platform (TOP) request signature, implemented independently of Herald's client
// (docs/gateways.md "TOP OAID send", "Signature"):
//   payload = name1 + value1 + name2 + value2 + ...  over every parameter except `sign`, sorted
//             by name in byte order, decoded values; empty values left out (TOP's SDKs never
//             send or sign one)
//   md5:         upper_hex(MD5(secret + payload + secret))
//   hmac:        upper_hex(HMAC-MD5(key = secret, payload))
//   hmac-sha256: upper_hex(HMAC-SHA256(key = secret, payload))
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "form.hpp"

namespace gwsim {

enum class TopSignMethod { md5, hmac_md5, hmac_sha256 };

// "md5", "hmac", "hmac-sha256" (exact); nullopt for anything else.
std::optional<TopSignMethod> parse_top_sign_method(std::string_view text);

// The signed string: sorted name+value pairs, `sign` and empty values left out.
std::string top_sign_payload(const Form& form);

// The expected `sign` for `form` (upper-case hex: 32 characters for md5/hmac, 64 for hmac-sha256).
std::string top_sign(const Form& form, std::string_view secret, TopSignMethod method);

// True when `sign` equals top_sign(form, secret, method) exactly (upper case only), compared in
// constant time.
bool top_verify(const Form& form, std::string_view secret, TopSignMethod method, std::string_view sign);

}  // namespace gwsim
