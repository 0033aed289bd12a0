#include "herald/gateway/sign_tool.hpp"

#include "herald/gateway/aliyun_sign.hpp"
#include "herald/gateway/signers.hpp"
#include "herald/gateway/top_sign.hpp"

namespace herald::gateway {

const std::vector<std::string_view>& sign_schemes() {
  static const std::vector<std::string_view> names{"top-md5", "top-hmac", "top-hmac-sha256", "fw199", "aliyun-rpc"};
  return names;
}

result<signed_text> sign_with_scheme(std::string_view scheme, std::string_view method,
                                     const std::vector<std::pair<std::string, std::string>>& params,
                                     std::string_view secret) {
  std::vector<sign_param> views;
  views.reserve(params.size());
  for (const auto& [k, v] : params) views.emplace_back(k, v);
  if (scheme == "fw199") return signed_text{fw199_canonical_string(views), sign_fw199(views, secret)};
  if (scheme.rfind("top-", 0) == 0) {
    auto m = parse_top_sign_method(scheme.substr(4));
    if (!m) return make_error("unknown scheme \"" + std::string(scheme) + "\"");
    return signed_text{top_canonical_string(views), sign_top(views, secret, *m)};
  }
  if (scheme == "aliyun-rpc") {
    if (method != "GET" && method != "POST")
      return make_error("--method must be GET or POST for aliyun-rpc, got \"" + std::string(method) + "\"");
    return signed_text{aliyun_string_to_sign(method, views), sign_aliyun_rpc(method, views, secret)};
  }
  std::string known;
  for (auto s : sign_schemes()) known += (known.empty() ? "" : ", ") + std::string(s);
  return make_error("unknown scheme \"" + std::string(scheme) + "\" (known: " + known + ")");
}

}  // namespace herald::gateway
