#pragma once
// Taobao Open Platform (TOP) request signature: docs/gateways.md "TOP OAID send", "Signature".
// One function per step, so that a rule found wrong is fixed in one place. Secrets and signatures
// are never logged.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/gateway/signers.hpp"  // sign_param

namespace herald::gateway {

// The `sign_method` values TOP accepts (docs/gateways.md).
enum class top_sign_method { md5, hmac, hmac_sha256 };

// "md5", "hmac", "hmac-sha256": the wire spelling, as the account config spells it too.
std::string_view to_string(top_sign_method m);
// The inverse of to_string (exact match); nullopt for anything else.
std::optional<top_sign_method> parse_top_sign_method(std::string_view text);

// The string TOP signs: every parameter except `sign`, sorted by name in byte order (ties by
// value, so the result never depends on the input's order), concatenated as name + value with
// the raw (not URL-encoded) values. A parameter with an empty value is left out, as TOP's own
// SDKs do (they never send one either); Herald never sends an empty parameter, so for Herald's
// requests this is exactly "every parameter that is sent". `herald sign` prints this string.
std::string top_canonical_string(std::vector<sign_param> params);

// The `sign` value, upper-case hex:
//   md5:         MD5(secret + canonical + secret)
//   hmac:        HMAC-MD5(key = secret, canonical)
//   hmac-sha256: HMAC-SHA256(key = secret, canonical)
std::string sign_top(std::vector<sign_param> params, std::string_view secret, top_sign_method method);

}  // namespace herald::gateway
