// Taobao Open Platform (TOP) taobao.jst.sms.oaid.message.send: docs/gateways.md "TOP OAID send"
// documents the fields and the classification table below.
#include "herald/gateway/top_oaid.hpp"

#include <rapidjson/document.h>

#include <array>
#include <stdexcept>

#include "answer_util.hpp"
#include "herald/gateway/form.hpp"
#include "herald/util/json_text.hpp"
#include "herald/util/time.hpp"

namespace herald::gateway {
namespace {

constexpr std::string_view success_member = "jst_sms_oaid_message_send_response";
constexpr std::string_view param_name = "param_send_message_by_o_a_i_d_request";
constexpr int china_offset_minutes = 8 * 60;  // TOP's timestamp is UTC+8 (docs/gateways.md)

// Whether text matches pattern as a whole, '*' standing for any run of bytes, ASCII
// case-insensitively (pattern lower-case). UTF-8 literals can only match whole characters.
bool glob_matches_one(std::string_view text, std::string_view pattern) noexcept {
  std::size_t t = 0, p = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && detail::fold_ascii(text[t]) == pattern[p]) {
      ++t;
      ++p;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// patterns: alternatives separated by '|'; an empty pattern matches anything.
bool glob_matches(std::string_view text, std::string_view patterns) noexcept {
  if (patterns.empty()) return true;
  while (true) {
    const auto bar = patterns.find('|');
    if (glob_matches_one(text, patterns.substr(0, bar))) return true;
    if (bar == std::string_view::npos) return false;
    patterns.remove_prefix(bar + 1);
  }
}

// One row of the classification table: it matches when every non-empty pattern matches.
struct top_error_rule {
  std::string_view code;
  std::string_view sub_code;
  std::string_view sub_msg;
  outcome_class cls;
};

// TOP's error codes, in the order docs/gateways.md "TOP OAID send", "Classification" lists them.
// First match wins; no match is ambiguous (the request may have been processed).
constexpr std::array top_error_rules{
    // Call limits of the app (7 App Call Limited) and of the user, session or partner
    // (4/5/6, 8: TOP's platform error list), and TOP's access control.
    top_error_rule{"7|4|5|6|8", "", "", outcome_class::throttled},
    top_error_rule{"", "accesscontrol.limited-by-*", "", outcome_class::throttled},
    // TOP or the service behind it failed while handling the call: it may have been sent.
    top_error_rule{"", "isp.*", "", outcome_class::ambiguous},
    // The number's own daily count (当天限制 / 超过 ... 次数). Only under an isv sub-code:
    // code 7's own description, 应用调用次数超限, is an app limit, not the number's.
    top_error_rule{"", "isv.*", "*当天限制*|*超过*次数*", outcome_class::recipient_limited},
    // Flow control of the app or account.
    top_error_rule{"", "isv.*-limit*", "", outcome_class::throttled},
    // The request itself is wrong (parameter, template, signature name, OAID).
    top_error_rule{"", "isv.*", "", outcome_class::permanent},
    // Auth, permissions, method, arguments: the account configuration is wrong.
    top_error_rule{"25|26|27|28|29|11|12|13|21|22|40|41", "", "", outcome_class::permanent},
    // The rest of TOP's platform validation errors, all refused before anything was sent:
    // 9 HTTP method, 23 format, 24 missing signature, 30/31 timestamp, 32-34 version,
    // 42 forbidden, 43 parameter error.
    top_error_rule{"9|23|24|30|31|32|33|34|42|43", "", "", outcome_class::permanent},
    // 10 Service Currently Unavailable; 15/50 Remote service error without an isv sub-code.
    top_error_rule{"10|15|50", "", "", outcome_class::ambiguous},
};

void require(const config::account_config& account, const std::string& value, std::string_view what) {
  if (value.empty())
    throw std::invalid_argument("account '" + account.name + "': the top_oaid gateway needs " + std::string(what));
}

top_sign_method sign_method_of(const config::account_config& account) {
  auto m = parse_top_sign_method(account.sign_method);
  if (!m)
    throw std::invalid_argument("account '" + account.name +
                                "': the top_oaid gateway's sign_method must be md5, hmac or hmac-sha256");
  return *m;
}

void append_optional(std::string& out, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  json::append_key(out, key);
  json::append_string(out, value);
}

// The gateway's message as it said it, minus the recipient: an OAID echoed back in a sub_msg
// must not reach an outcome record (docs/gateways.md "Rules every parse() follows").
std::string without_recipient(std::string message, std::string_view recipient) {
  constexpr std::string_view placeholder = "<recipient>";
  if (recipient.empty()) return message;
  for (auto at = message.find(recipient); at != std::string::npos;
       at = message.find(recipient, at + placeholder.size()))
    message.replace(at, recipient.size(), placeholder);
  return message;
}

}  // namespace

outcome_class classify_top_error(const top_error& e) noexcept {
  for (const auto& rule : top_error_rules) {
    if (!rule.code.empty() && (e.code.empty() || !glob_matches(e.code, rule.code))) continue;
    if (!rule.sub_code.empty() && (e.sub_code.empty() || !glob_matches(e.sub_code, rule.sub_code))) continue;
    if (!rule.sub_msg.empty() && !glob_matches(e.sub_msg, rule.sub_msg)) continue;
    return rule.cls;
  }
  return outcome_class::ambiguous;
}

top_oaid::top_oaid(const config::account_config& account)
    : target_(account.endpoint.target.empty() ? "/" : account.endpoint.target),
      app_key_(account.app_id),
      app_secret_(account.app_secret),
      session_(account.session),
      sign_method_(sign_method_of(account)) {
  require(account, app_key_, "app_key");
  require(account, app_secret_, "app_secret");
  require(account, session_, "session");
}

capabilities top_oaid::caps() const {
  capabilities c;
  c.max_batch = 1;                        // one message per call: throughput comes from concurrency
  c.routes_by_sign_and_template = false;  // each call carries its own signature name and template
  c.has_receipt_query = false;            // none is documented (docs/gateways.md, "Receipt check")
  return c;
}

std::string top_oaid::route_key(const model::event&) const { return {}; }

void append_top_oaid_request(std::string& out, const model::event& e) {
  out.reserve(out.size() + 96 + e.to.value.size() + e.order_id.size() + e.sign_name.size() +
              e.template_code.size() + e.params_json.size() + e.extend.size() + e.extend_code.size() +
              e.extend_name.size());
  out.push_back('{');
  json::append_key(out, "oaid", true);
  json::append_string(out, e.to.value);
  json::append_key(out, "order_id");
  json::append_string(out, e.order_id);
  json::append_key(out, "sms_free_sign_name");
  json::append_string(out, e.sign_name);
  json::append_key(out, "template_code");
  json::append_string(out, e.template_code);
  // params_json is already compact JSON object text (validated when the event was decoded).
  json::append_key(out, "params");
  out.append(e.params_json.empty() ? std::string_view("{}") : std::string_view(e.params_json));
  append_optional(out, "extend", e.extend);
  append_optional(out, "extend_code", e.extend_code);
  append_optional(out, "extend_name", e.extend_name);
  out.push_back('}');
}

http_request top_oaid::build(std::span<const model::event* const> items, const send_context& ctx) const {
  if (items.size() != 1)
    throw std::invalid_argument("the top_oaid gateway sends one item per call, got " + std::to_string(items.size()));
  std::string param;
  append_top_oaid_request(param, *items[0]);
  const std::string timestamp = time::format_datetime(ctx.unix_seconds, china_offset_minutes);
  const std::string_view sign_method = to_string(sign_method_);

  // Every value is non-empty, so every field sent is signed (top_canonical_string).
  const std::array<form::field, 8> fields{{{"method", top_oaid_method},
                                           {"app_key", app_key_},
                                           {"session", session_},
                                           {"timestamp", timestamp},
                                           {"v", "2.0"},
                                           {"format", "json"},
                                           {"sign_method", sign_method},
                                           {param_name, param}}};
  const std::string sign = sign_top(std::vector<sign_param>(fields.begin(), fields.end()), app_secret_, sign_method_);

  http_request req;
  req.method = "POST";
  req.target = target_;
  std::size_t size = 8 + sign.size();
  for (const auto& [name, value] : fields) size += 2 + form::encoded_size(name) + form::encoded_size(value);
  req.body.reserve(size);
  for (const auto& [name, value] : fields) form::append_field(req.body, name, value);
  form::append_field(req.body, "sign", sign);
  return req;
}

std::vector<item_result> top_oaid::parse(int http_status, std::string_view body,
                                         std::span<const model::event* const> items) const {
  const std::size_t n = items.size();
  const bool is_2xx = http_status >= 200 && http_status < 300;
  const std::string status_text = "HTTP status " + std::to_string(http_status);

  // A 5xx says nothing about what happened: the request may have been processed.
  if (http_status >= 500)
    return detail::uniform_results(n, outcome_class::ambiguous, detail::http_status_code(http_status), status_text);

  rapidjson::Document doc;
  if (!detail::parse_answer(doc, body) || !doc.IsObject()) {
    if (!is_2xx)
      return detail::uniform_results(n, outcome_class::ambiguous, detail::http_status_code(http_status),
                                     status_text + " without a gateway answer");
    return detail::uniform_results(n, outcome_class::ambiguous, "unparseable", "unparseable answer: not a JSON object");
  }

  // TOP refused the call: {"error_response":{"code":..,"msg":..,"sub_code":..,"sub_msg":..}}. It is
  // a call-level answer, so it decides under a 4xx too.
  if (auto it = doc.FindMember("error_response"); it != doc.MemberEnd() && it->value.IsObject()) {
    const auto& error = it->value;
    std::string code;
    detail::member_text(error, "code", code);
    const std::string_view sub_code = detail::member_string(error, "sub_code");
    if (code.empty() && sub_code.empty())
      return detail::uniform_results(n, outcome_class::ambiguous, "unparseable",
                                     "unparseable answer: error_response without code");
    const std::string_view msg = detail::member_string(error, "msg");
    const std::string_view sub_msg = detail::member_string(error, "sub_msg");
    const outcome_class cls = classify_top_error({code, sub_code, sub_msg});

    std::string message(msg);
    if (!sub_msg.empty()) message.append(message.empty() ? "" : ": ").append(sub_msg);
    if (n > 0) message = without_recipient(std::move(message), items[0]->to.value);
    return detail::uniform_results(n, cls, sub_code.empty() ? std::string_view(code) : sub_code, message);
  }

  auto it = doc.FindMember(rapidjson::StringRef(success_member.data(), success_member.size()));
  if (it == doc.MemberEnd() || !it->value.IsObject()) {
    if (!is_2xx)
      return detail::uniform_results(n, outcome_class::ambiguous, detail::http_status_code(http_status),
                                     status_text + " without a gateway answer");
    return detail::uniform_results(n, outcome_class::ambiguous, "unparseable",
                                   "unparseable answer: neither " + std::string(success_member) + " nor error_response");
  }
  if (!is_2xx)
    return detail::uniform_results(n, outcome_class::ambiguous, detail::http_status_code(http_status),
                                   status_text + " with a success answer");
  // One item per call, so the answer cannot be matched to the wrong item: there is no echo to check.
  const std::string_view module = detail::member_string(it->value, "module");
  if (module.empty())
    return detail::uniform_results(n, outcome_class::ambiguous, "unparseable",
                                   "unparseable answer: success without a module (send id)");
  std::vector<item_result> results = detail::uniform_results(n, outcome_class::sent, "", "");
  for (auto& r : results) r.message_id = module;
  return results;
}

}  // namespace herald::gateway
