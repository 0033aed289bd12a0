#pragma once
// `herald sign`: the signature schemes by name, over exactly the functions the gateways use, so
// that an operator can reproduce what Herald signs when a gateway answers "invalid signature".
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/util/result.hpp"

namespace herald::gateway {

struct signed_text {
  std::string canonical;  // the exact string the scheme signs
  std::string signature;
};

// The scheme names: top-md5, top-hmac, top-hmac-sha256, fw199, aliyun-rpc.
const std::vector<std::string_view>& sign_schemes();

// method matters only for aliyun-rpc (GET or POST). Fails naming an unknown scheme or method.
result<signed_text> sign_with_scheme(std::string_view scheme, std::string_view method,
                                     const std::vector<std::pair<std::string, std::string>>& params,
                                     std::string_view secret);

}  // namespace herald::gateway
