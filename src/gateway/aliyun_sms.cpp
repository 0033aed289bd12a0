// Alibaba Cloud SMS, SendSms / SendBatchSms: docs/gateways.md "Alibaba Cloud SMS"
// documents the fields. The classification table is classify_aliyun_code (aliyun_rpc.cpp).
#include "herald/gateway/aliyun_sms.hpp"

#include <algorithm>

#include "aliyun_answer.hpp"
#include "answer_util.hpp"
#include "herald/gateway/aliyun_receipts.hpp"
#include "herald/util/json_text.hpp"

namespace herald::gateway {
namespace {

std::string_view params_or_empty_object(const model::event& e) {
  return e.params_json.empty() ? std::string_view("{}") : std::string_view(e.params_json);
}

template <class Field>
void append_string_array(std::string& out, std::span<const model::event* const> items, Field field) {
  out.push_back('[');
  bool first = true;
  for (const model::event* e : items) {
    if (!first) out.push_back(',');
    first = false;
    json::append_string(out, field(*e));
  }
  out.push_back(']');
}

}  // namespace

aliyun_sms::aliyun_sms(const config::account_config& account)
    : target_(account.endpoint.target.empty() ? "/" : account.endpoint.target),
      credentials_(aliyun_credentials_from(account, "aliyun_sms")),
      use_batch_api_(account.use_batch_api),
      max_batch_(account.use_batch_api ? std::clamp<std::size_t>(account.max_batch, 1, aliyun_max_batch) : 1) {}

capabilities aliyun_sms::caps() const {
  capabilities c;
  c.max_batch = max_batch_;
  // SendBatchSms has one TemplateCode per call (sign names are per number); SendSms one event.
  c.routes_by_sign_and_template = use_batch_api_;
  c.has_receipt_query = true;  // QuerySendDetails (aliyun_receipts.hpp)
  return c;
}

std::string aliyun_sms::route_key(const model::event& e) const {
  return use_batch_api_ ? e.template_code : std::string();
}

void append_aliyun_phone_number_json(std::string& out, std::span<const model::event* const> items) {
  append_string_array(out, items, [](const model::event& e) -> std::string_view { return e.to.value; });
}

void append_aliyun_sign_name_json(std::string& out, std::span<const model::event* const> items) {
  append_string_array(out, items, [](const model::event& e) -> std::string_view { return e.sign_name; });
}

void append_aliyun_template_param_json(std::string& out, std::span<const model::event* const> items) {
  out.push_back('[');
  bool first = true;
  for (const model::event* e : items) {
    if (!first) out.push_back(',');
    first = false;
    out.append(params_or_empty_object(*e));  // compact JSON object text, validated when decoded
  }
  out.push_back(']');
}

http_request aliyun_sms::build(std::span<const model::event* const> items, const send_context& ctx) const {
  if (!use_batch_api_ && items.size() == 1) return build_send_sms(*items.front(), ctx);
  return build_send_batch_sms(items, ctx);
}

http_request aliyun_sms::build_send_sms(const model::event& e, const send_context& ctx) const {
  const std::string out_id = aliyun_event_out_id(e);
  std::vector<sign_param> params{{"PhoneNumbers", e.to.value},
                                 {"SignName", e.sign_name},
                                 {"TemplateCode", e.template_code},
                                 {"TemplateParam", params_or_empty_object(e)},
                                 {"OutId", out_id}};
  if (!e.extend_code.empty()) params.emplace_back("SmsUpExtendCode", e.extend_code);
  return build_aliyun_rpc_request(target_, credentials_, "SendSms", params, ctx);
}

http_request aliyun_sms::build_send_batch_sms(std::span<const model::event* const> items,
                                              const send_context& ctx) const {
  std::string phones, sign_names, template_params, extend_codes;
  append_aliyun_phone_number_json(phones, items);
  append_aliyun_sign_name_json(sign_names, items);
  append_aliyun_template_param_json(template_params, items);
  const bool has_extend_code =
      std::any_of(items.begin(), items.end(), [](const model::event* e) { return !e->extend_code.empty(); });
  if (has_extend_code)
    append_string_array(extend_codes, items, [](const model::event& e) -> std::string_view { return e.extend_code; });
  const std::string out_id = aliyun_call_out_id(items);

  std::vector<sign_param> params{{"PhoneNumberJson", phones},
                                 {"SignNameJson", sign_names},
                                 {"TemplateCode", items.empty() ? std::string_view() : items.front()->template_code},
                                 {"TemplateParamJson", template_params},
                                 {"OutId", out_id}};
  // SmsUpExtendCodeJson is the batch form of SmsUpExtendCode (Alibaba Cloud's API reference):
  // sent only when some item has an extend code.
  if (has_extend_code) params.emplace_back("SmsUpExtendCodeJson", extend_codes);
  return build_aliyun_rpc_request(target_, credentials_, "SendBatchSms", params, ctx);
}

std::vector<item_result> aliyun_sms::parse(int http_status, std::string_view body,
                                           std::span<const model::event* const> items) const {
  // SendSms carries one event, and SendBatchSms has one BizId and one outcome for the whole call
  // (docs/gateways.md "Alibaba Cloud SMS", "Answer"): either way every item gets the same result.
  detail::aliyun_answer answer = detail::read_aliyun_answer(http_status, body);
  if (!answer.is_ok) return detail::uniform_results(items.size(), answer.cls, answer.code, answer.message);
  item_result r;
  r.cls = outcome_class::sent;
  r.code = answer.code;
  r.message = answer.message;
  r.message_id = detail::member_string(answer.doc, "BizId");
  return std::vector<item_result>(items.size(), r);
}

}  // namespace herald::gateway

namespace herald::gateway {

// Receipt check (docs/gateways.md "Receipt checks"). A SendBatchSms account whose calls may hold
// several events names every call's OutId, one-event calls included: kept with the send, it tells
// the check which OutId to match, where an empty one could not tell a one-event call from a batch.
// SendSms carries one event per call, whose own OutId is implied: nothing to keep.
std::string aliyun_sms::receipt_call_id(std::span<const model::event* const> items) const {
  return calls_may_hold_several() && !items.empty() ? aliyun_call_out_id(items) : std::string();
}

std::optional<http_request> aliyun_sms::build_receipt_query(const model::event& e, const receipt_context& ctx) const {
  auto check = plan_aliyun_receipt_check(e, ctx, calls_may_hold_several());
  if (!check) return std::nullopt;
  aliyun_send_details_query q;
  q.phone_number = check->phone_number;
  q.send_date = check->days[check->position.day_index];
  q.page_size = aliyun_query_max_page_size;
  q.current_page = check->position.page;
  q.biz_id = ctx.message_id;  // SendSms's BizId, or SendBatchSms's (shared by the call): both narrow it
  return build_aliyun_query_send_details(target_, credentials_, q, send_context{ctx.unix_seconds, ctx.nonce});
}

receipt_result aliyun_sms::parse_receipt_query(int http_status, std::string_view body, const model::event& e,
                                               const receipt_context& ctx) const {
  auto check = plan_aliyun_receipt_check(e, ctx, calls_may_hold_several());
  if (!check)
    return receipt_result{receipt_verdict::cannot_tell, "no_receipt_query", check.message(), ctx.message_id, {}};
  return judge_aliyun_receipt_page(parse_aliyun_query_send_details(http_status, body), *check, ctx);
}

}  // namespace herald::gateway
