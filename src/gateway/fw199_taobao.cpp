// 蜂巢 (fw199) gateway, Taobao OAID batch: docs/gateways.md "fw199 Taobao OAID batch" documents
// the fields and the classification table below.
#include "herald/gateway/fw199_taobao.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

#include "answer_util.hpp"
#include "fw199_answer.hpp"
#include "herald/gateway/form.hpp"
#include "herald/gateway/signers.hpp"
#include "herald/util/json_text.hpp"

namespace herald::gateway {
namespace {

using detail::message_rule;

// Per-item messages (items whose own code is not 0). First match wins, so the order matters: the
// sample's recipient-limit message also says "Remote service error", and "limit" would match too.
constexpr std::array fw199_item_rules{
    // Daily per-number limit: the vendor's sample answer ("...短信发送次数超过当天限制。") and
    // TOP's isv sub_msg wording (当天限制 / 超过 ... 次数; docs/gateways.md "TOP OAID send").
    message_rule{"当天限制", outcome_class::recipient_limited},
    message_rule{"次数超", outcome_class::recipient_limited},
    // The gateway or TOP behind it failed while handling the item: it may have been sent
    // (the vendor: "system" / "timeout"; TOP's isp.* timeouts and unknown errors).
    message_rule{"system", outcome_class::ambiguous},
    message_rule{"系统", outcome_class::ambiguous},
    message_rule{"timeout", outcome_class::ambiguous},
    message_rule{"timed out", outcome_class::ambiguous},
    message_rule{"超时", outcome_class::ambiguous},
    message_rule{"繁忙", outcome_class::ambiguous},
    // Flow control of the app or account (TOP's code 7 App Call Limited, isv.*-limit*).
    message_rule{"流控", outcome_class::throttled},
    message_rule{"频繁", outcome_class::throttled},
    message_rule{"limit", outcome_class::throttled},
    // Anything else (template 模板, signature name 签名, OAID, 非法参数, ...) is permanent: the
    // item itself is wrong and sending it again cannot help (docs/gateways.md).
};

// Whole-call messages (outer code not 0): the call failed before anything was sent (auth,
// signature, malformed request) → permanent, unless the gateway says it is busy or limiting
// (docs/gateways.md "fw199 Taobao OAID batch", "Classification").
constexpr std::array fw199_call_rules{
    message_rule{"busy", outcome_class::throttled},
    message_rule{"繁忙", outcome_class::throttled},
    message_rule{"limit", outcome_class::throttled},
    message_rule{"too many", outcome_class::throttled},
    message_rule{"频繁", outcome_class::throttled},
    message_rule{"限流", outcome_class::throttled},
    message_rule{"流控", outcome_class::throttled},
};

void require(const config::account_config& account, const std::string& value, std::string_view what) {
  if (value.empty())
    throw std::invalid_argument("account '" + account.name + "': the fw199_taobao gateway needs " +
                                std::string(what));
}

void append_optional(std::string& out, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  json::append_key(out, key);
  json::append_string(out, value);
}

}  // namespace

outcome_class classify_fw199_item_message(std::string_view message) noexcept {
  return detail::classify_by_rules(message, fw199_item_rules, outcome_class::permanent);
}

outcome_class classify_fw199_call_message(std::string_view message) noexcept {
  return detail::classify_by_rules(message, fw199_call_rules, outcome_class::permanent);
}

fw199_taobao::fw199_taobao(const config::account_config& account)
    : target_(account.endpoint.target.empty() ? "/" : account.endpoint.target),
      app_id_(account.app_id),
      app_secret_(account.app_secret),
      seller_nick_(account.seller_nick),
      max_batch_(std::clamp<std::size_t>(account.max_batch, 1, fw199_taobao_max_items)) {
  require(account, app_id_, "app_id");
  require(account, app_secret_, "app_secret");
  require(account, seller_nick_, "seller_nick");
}

capabilities fw199_taobao::caps() const {
  capabilities c;
  c.max_batch = max_batch_;
  c.routes_by_sign_and_template = false;  // each item carries its own signature name and template
  c.has_receipt_query = false;            // none is documented (docs/gateways.md, "Receipt check")
  return c;
}

std::string fw199_taobao::route_key(const model::event&) const { return {}; }

void append_fw199_taobao_request_data(std::string& out, std::span<const model::event* const> items) {
  std::size_t size = 2;
  for (const model::event* e : items)
    size += 112 + e->order_id.size() + e->to.value.size() + e->sign_name.size() + e->template_code.size() +
            e->params_json.size() + e->extend.size() + e->extend_code.size() + e->extend_name.size();
  out.reserve(out.size() + size);

  out.push_back('[');
  bool first = true;
  for (const model::event* e : items) {
    if (!first) out.push_back(',');
    first = false;
    out.push_back('{');
    json::append_key(out, "order_id", true);
    json::append_string(out, e->order_id);
    json::append_key(out, "oaid");
    json::append_string(out, e->to.value);
    json::append_key(out, "sms_free_sign_name");
    json::append_string(out, e->sign_name);
    json::append_key(out, "template_code");
    json::append_string(out, e->template_code);
    // params_json is already compact JSON object text (validated when the event was decoded).
    json::append_key(out, "params");
    out.append(e->params_json.empty() ? std::string_view("{}") : std::string_view(e->params_json));
    append_optional(out, "extend", e->extend);
    append_optional(out, "extend_code", e->extend_code);
    append_optional(out, "extend_name", e->extend_name);
    out.push_back('}');
  }
  out.push_back(']');
}

http_request fw199_taobao::build(std::span<const model::event* const> items, const send_context& ctx) const {
  std::string request_data;
  append_fw199_taobao_request_data(request_data, items);
  return detail::build_fw199_call(target_, app_id_, app_secret_, "tb_seller_nick", seller_nick_, request_data,
                                  ctx.unix_seconds);
}

namespace {

// Items come back in request order and echo order_id (docs/gateways.md, "Answer"): check both.
std::string taobao_mismatch(const rapidjson::Value& element, const model::event& e) {
  std::string text;
  if (!detail::member_text(element, "order_id", text) || text != e.order_id)
    return "answer item at this position has another order_id";
  return {};
}

// module.code is the send id, e.g. "341623067818673604^0"; TOP answers a bare string.
std::string taobao_message_id(const rapidjson::Value& element) {
  auto module_it = element.FindMember("module");
  if (module_it == element.MemberEnd()) return {};
  if (module_it->value.IsObject()) return std::string(detail::member_string(module_it->value, "code"));
  if (module_it->value.IsString()) return {module_it->value.GetString(), module_it->value.GetStringLength()};
  return {};
}

constexpr detail::fw199_item_rules taobao_rules{&taobao_mismatch, &taobao_message_id, &classify_fw199_item_message};

}  // namespace

std::vector<item_result> fw199_taobao::parse(int http_status, std::string_view body,
                                             std::span<const model::event* const> items) const {
  return detail::parse_fw199_answer(http_status, body, items, taobao_rules);
}

}  // namespace herald::gateway
