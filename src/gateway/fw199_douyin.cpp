// 蜂巢 (fw199) gateway, 抖店 SMS batch: docs/gateways.md "fw199 抖店 SMS batch"
// documents the fields, the choices made where the vendor is silent, and the classification table
// below. The unconfirmed send-result query is in fw199_douyin_result.cpp.
#include "herald/gateway/fw199_douyin.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

#include "answer_util.hpp"
#include "fw199_answer.hpp"
#include "fw199_douyin_match.hpp"
#include "herald/gateway/form.hpp"
#include "herald/gateway/fw199_taobao.hpp"
#include "herald/gateway/signers.hpp"
#include "herald/util/json_text.hpp"

namespace herald::gateway {
namespace {

using detail::message_rule;

// Per-item messages (items whose own code is not 0). First match wins, so the order matters (see
// the ambiguous rows). Douyin's own item messages are not published: these rows follow the words of
// the outcome classes and the fw199 Taobao wording (docs/gateways.md, the table's sources).
constexpr std::array fw199_douyin_item_rules{
    // Daily per-number limit: the fw199 wording of the Taobao batch's sample answer
    // ("当前号码的短信发送次数超过当天限制。"), which the same gateway is expected to use here.
    // Kept narrow on purpose: an account's or template's own daily quota is not the number's.
    message_rule{"当天限制", outcome_class::recipient_limited},
    message_rule{"次数超", outcome_class::recipient_limited},
    // The gateway or Douyin behind it failed while handling the item: it may have been sent
    // (docs/gateways.md "Common to every gateway": "system error" and timeouts are ambiguous).
    // Before the permanent rows, so that "template service timeout" stays ambiguous.
    message_rule{"system", outcome_class::ambiguous},
    message_rule{"系统", outcome_class::ambiguous},
    message_rule{"timeout", outcome_class::ambiguous},
    message_rule{"timed out", outcome_class::ambiguous},
    message_rule{"超时", outcome_class::ambiguous},
    message_rule{"繁忙", outcome_class::ambiguous},
    // Flow control of the app, shop or account: retry after backoff. No bare "limit": a length or
    // count limit of the template is permanent.
    message_rule{"流控", outcome_class::throttled},
    message_rule{"限流", outcome_class::throttled},
    message_rule{"频繁", outcome_class::throttled},
    message_rule{"qps", outcome_class::throttled},
    message_rule{"rate limit", outcome_class::throttled},
    message_rule{"too many", outcome_class::throttled},
    message_rule{"call limited", outcome_class::throttled},
    // The item itself is wrong: template 模板, signature name 签名, parameters 参数 / 非法, the
    // recipient. Listed for the table's sake; anything unmatched is permanent too.
    message_rule{"模板", outcome_class::permanent},
    message_rule{"template", outcome_class::permanent},
    message_rule{"签名", outcome_class::permanent},
    message_rule{"sign", outcome_class::permanent},
    message_rule{"参数", outcome_class::permanent},
    message_rule{"param", outcome_class::permanent},
    message_rule{"非法", outcome_class::permanent},
};

void require(const config::account_config& account, const std::string& value, std::string_view what) {
  if (value.empty())
    throw std::invalid_argument("account '" + account.name + "': the fw199_douyin gateway needs " +
                                std::string(what));
}

bool is_by_order(const model::event& e) noexcept { return e.to.kind == model::recipient_kind::by_order; }

}  // namespace

outcome_class classify_fw199_douyin_item_message(std::string_view message) noexcept {
  return detail::classify_by_rules(message, fw199_douyin_item_rules, outcome_class::permanent);
}

fw199_douyin::fw199_douyin(const config::account_config& account)
    : target_(account.endpoint.target.empty() ? "/" : account.endpoint.target),
      app_id_(account.app_id),
      app_secret_(account.app_secret),
      seller_nick_(account.seller_nick),
      max_batch_(std::clamp<std::size_t>(account.max_batch, 1, fw199_douyin_max_items)),
      has_receipt_query_(account.receipt_endpoint.has_value()),
      receipt_endpoint_(account.receipt_endpoint) {
  require(account, app_id_, "app_id");
  require(account, app_secret_, "app_secret");
  require(account, seller_nick_, "seller_nick");
}

capabilities fw199_douyin::caps() const {
  capabilities c;
  c.max_batch = max_batch_;
  c.routes_by_sign_and_template = true;  // `sign` and `template_id` are per call (docs/gateways.md)
  c.has_receipt_query = has_receipt_query_;  // the unconfirmed send-result query, when configured
  return c;
}

std::string fw199_douyin::route_key(const model::event& e) const {
  // 0x1F cannot occur in either field (docs/events.md: no control characters).
  std::string key;
  key.reserve(e.sign_name.size() + 1 + e.template_code.size());
  key.append(e.sign_name).push_back('\x1f');
  key.append(e.template_code);
  return key;
}

std::string_view fw199_douyin::batch_distinct_key(const model::event& e) const { return e.order_id; }

void append_fw199_douyin_request_data(std::string& out, std::span<const model::event* const> items) {
  static const model::event no_item;  // the batcher never sends an empty call; stay defined if it did
  const model::event& head = items.empty() ? no_item : *items.front();
  std::size_t size = 96 + head.sign_name.size() + head.template_code.size() + head.extend.size() +
                     head.extend_code.size();
  for (const model::event* e : items)
    size += 72 + e->order_id.size() + e->to.value.size() + 2 * e->params_json.size();
  out.reserve(out.size() + size);

  out.push_back('{');
  json::append_key(out, "sign", true);
  json::append_string(out, head.sign_name);
  json::append_key(out, "template_id");
  json::append_string(out, head.template_code);
  json::append_key(out, "sms_message_list");
  out.push_back('[');
  bool first = true;
  for (const model::event* e : items) {
    if (!first) out.push_back(',');
    first = false;
    out.push_back('{');
    json::append_key(out, "biz_type", true);
    if (is_by_order(*e)) {
      // biz_type 1: the gateway addresses the buyer of order_id.
      out.push_back('1');
      json::append_key(out, "order_id");
      json::append_string(out, e->order_id);
    } else {
      // biz_type 0: the encrypted receiver phone (or a plain number). order_id is sent as well:
      // the vendor says the answer echoes order_id "when one was passed", which only makes
      // sense if a by-phone item may carry one, and the echo lets parse() check every position.
      out.push_back('0');
      json::append_key(out, "post_tel");
      json::append_string(out, e->to.value);
      if (!e->order_id.empty()) {
        json::append_key(out, "order_id");
        json::append_string(out, e->order_id);
      }
    }
    // A JSON string holding the params object: the vendor's samples disagree (object or string);
    // the string form is the one chosen (docs/gateways.md "fw199 抖店 SMS batch").
    json::append_key(out, "template_param");
    json::append_string(out, e->params_json.empty() ? std::string_view("{}") : std::string_view(e->params_json));
    out.push_back('}');
  }
  out.push_back(']');
  // Per call, not per item: taken from the first item (docs/gateways.md, "Fields").
  if (!head.extend.empty()) {
    json::append_key(out, "tag");
    json::append_string(out, head.extend);
  }
  if (!head.extend_code.empty()) {
    json::append_key(out, "user_ext_code");
    json::append_string(out, head.extend_code);
  }
  out.push_back('}');
}

http_request fw199_douyin::build(std::span<const model::event* const> items, const send_context& ctx) const {
  std::string request_data;
  append_fw199_douyin_request_data(request_data, items);
  return detail::build_fw199_call(target_, app_id_, app_secret_, "seller_nick", seller_nick_, request_data,
                                  ctx.unix_seconds);
}

namespace {

std::string douyin_message_id(const rapidjson::Value& element) {
  return std::string(detail::member_string(element, "message_id"));
}

// Matched by echoed order_id, not by position (fw199_douyin_match.cpp): no mismatch rule.
constexpr detail::fw199_item_rules douyin_rules{nullptr, &douyin_message_id, &classify_fw199_douyin_item_message};

}  // namespace

std::vector<item_result> fw199_douyin::parse(int http_status, std::string_view body,
                                             std::span<const model::event* const> items) const {
  rapidjson::Document doc;
  if (auto whole_call = detail::read_fw199_call(http_status, body, items.size(), doc)) return std::move(*whole_call);
  return detail::match_douyin_answer(doc["data"], items, douyin_rules);
}

}  // namespace herald::gateway
