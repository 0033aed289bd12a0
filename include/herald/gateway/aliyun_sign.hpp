#pragma once
// Alibaba Cloud RPC signature, V2 (HMAC-SHA1): docs/gateways.md "Alibaba Cloud SMS",
// "Signature". These functions are the only place that knows the rule;
// `herald sign --scheme aliyun-rpc` prints the canonical query and the string to sign they make.
// Secrets and signatures are never logged.
#include <string>
#include <string_view>
#include <vector>

#include "herald/gateway/signers.hpp"  // sign_param

namespace herald::gateway {

// RFC 3986 percent-encoding of UTF-8 bytes: A-Z a-z 0-9 - _ . ~ stay, every other byte becomes
// %XX with upper-case hex (space %20, '*' %2A, '~' kept). The same bytes as form::append_encoded.
std::string aliyun_percent_encode(std::string_view raw);

// Every name and value percent-encoded, the pairs sorted by encoded name (byte order; ties by
// encoded value, so that the result never depends on the input's order), joined as name=value
// with '&'. A parameter named `Signature` is left out. This text is also a valid form body.
std::string aliyun_canonical_query(const std::vector<sign_param>& params);

// METHOD + "&" + encode("/") + "&" + encode(canonical query).
std::string aliyun_string_to_sign(std::string_view method, const std::vector<sign_param>& params);
// The same from a canonical query already made (the request builder signs what it sends).
std::string aliyun_string_to_sign_for_query(std::string_view method, std::string_view canonical_query);

// Base64(HMAC-SHA1(key = access_key_secret + "&", string to sign)), 28 characters.
std::string sign_aliyun_rpc(std::string_view method, const std::vector<sign_param>& params,
                            std::string_view access_key_secret);
std::string sign_aliyun_string(std::string_view string_to_sign, std::string_view access_key_secret);

}  // namespace herald::gateway
