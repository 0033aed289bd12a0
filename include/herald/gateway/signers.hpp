#pragma once
// The fw199 request signature, one function for the scheme, so that a rule found wrong is fixed in
// one place (docs/gateways.md "Common to every gateway"; TOP's and Alibaba Cloud's are in
// top_sign.hpp and aliyun_sign.hpp). Secrets and signatures are never logged.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::gateway {

using sign_param = std::pair<std::string_view, std::string_view>;  // (name, raw value)

// fw199 (蜂巢) signature, docs/gateways.md "fw199 Taobao OAID batch", "Signature": every field except
// `sign`, sorted by name in byte order (ties by value, so the result never depends on the input's
// order), concatenated as name + value with raw (not URL-encoded) values, empty values included.
// *Unconfirmed* against an official vector: this function is the only place that knows the rule.
std::string fw199_canonical_string(std::vector<sign_param> params);

// MD5 of secret + fw199_canonical_string(params) + secret, lower-case hex (32 characters).
std::string sign_fw199(std::vector<sign_param> params, std::string_view secret);

}  // namespace herald::gateway
