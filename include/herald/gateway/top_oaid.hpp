#pragma once
// Taobao Open Platform (TOP) taobao.jst.sms.oaid.message.send: docs/gateways.md "TOP OAID send".
// One message per call.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/gateway/gateway.hpp"
#include "herald/gateway/top_sign.hpp"

namespace herald::gateway {

inline constexpr std::string_view top_oaid_method = "taobao.jst.sms.oaid.message.send";

class top_oaid final : public gateway {
 public:
  // Throws std::invalid_argument naming the account when a credential it needs is empty or its
  // sign_method is not one TOP knows.
  explicit top_oaid(const config::account_config& account);

  capabilities caps() const override;
  std::string route_key(const model::event& e) const override;
  // One item per call (caps().max_batch is 1): throws std::invalid_argument for any other count,
  // which only a caller that ignores caps() can cause.
  http_request build(std::span<const model::event* const> items, const send_context& ctx) const override;
  std::vector<item_result> parse(int http_status, std::string_view body,
                                 std::span<const model::event* const> items) const override;

 private:
  std::string target_;
  std::string app_key_;
  std::string app_secret_;
  std::string session_;
  top_sign_method sign_method_;
};

// The `param_send_message_by_o_a_i_d_request` value for one event: a JSON object (no DOM,
// appended to out).
void append_top_oaid_request(std::string& out, const model::event& e);

// TOP's error_response as parse() reads it.
struct top_error {
  std::string_view code;      // "25", "15", ... (empty when absent)
  std::string_view sub_code;  // "isv.invalid-parameter", ... (empty when absent)
  std::string_view sub_msg;   // "当前号码的短信发送次数超过当天限制", ...
};

// The classification table (docs/gateways.md lists the same rows, in the same order).
outcome_class classify_top_error(const top_error& e) noexcept;

}  // namespace herald::gateway
