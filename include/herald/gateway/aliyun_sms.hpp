#pragma once
// Alibaba Cloud SMS, SendSms / SendBatchSms (gateway kind aliyun_sms): docs/gateways.md
// "Alibaba Cloud SMS".
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/gateway/aliyun_rpc.hpp"
#include "herald/gateway/gateway.hpp"

namespace herald::gateway {

class aliyun_sms final : public gateway {
 public:
  // Throws std::invalid_argument naming the account when a credential it needs is empty.
  explicit aliyun_sms(const config::account_config& account);

  // SendSms: one event per call. SendBatchSms (use_batch_api): up to 100 events of one
  // template per call, all with one outcome.
  capabilities caps() const override;
  // Empty for SendSms; the template code for SendBatchSms (TemplateCode is per call).
  std::string route_key(const model::event& e) const override;
  // SendBatchSms takes the TemplateCode of the first item: the batcher groups by route_key.
  http_request build(std::span<const model::event* const> items, const send_context& ctx) const override;
  std::vector<item_result> parse(int http_status, std::string_view body,
                                 std::span<const model::event* const> items) const override;

  // QuerySendDetails by the event's number and the send's day (and BizId when the send answer
  // gave one), matched on the call's OutId: aliyun_receipt_check, docs/gateways.md "Receipt checks".
  std::optional<http_request> build_receipt_query(const model::event& e, const receipt_context& ctx) const override;
  std::string receipt_call_id(std::span<const model::event* const> items) const override;
  receipt_result parse_receipt_query(int http_status, std::string_view body, const model::event& e,
                                     const receipt_context& ctx) const override;

  bool uses_batch_api() const noexcept { return use_batch_api_; }
  // SendBatchSms with max_batch above 1: a call's OutId cannot be recomputed from one event.
  bool calls_may_hold_several() const noexcept { return use_batch_api_ && max_batch_ > 1; }

 private:
  http_request build_send_sms(const model::event& e, const send_context& ctx) const;
  http_request build_send_batch_sms(std::span<const model::event* const> items, const send_context& ctx) const;

  std::string target_;
  aliyun_credentials credentials_;
  bool use_batch_api_;
  std::size_t max_batch_;
};

// SendBatchSms's parallel JSON arrays (no DOM; appended to out): PhoneNumberJson,
// SignNameJson, TemplateParamJson (each item's params object as it arrived).
void append_aliyun_phone_number_json(std::string& out, std::span<const model::event* const> items);
void append_aliyun_sign_name_json(std::string& out, std::span<const model::event* const> items);
void append_aliyun_template_param_json(std::string& out, std::span<const model::event* const> items);

}  // namespace herald::gateway
