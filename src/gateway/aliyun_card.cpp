// Alibaba Cloud card SMS, SendCardSms: docs/gateways.md "Alibaba Cloud SMS"
// documents the fields and how an answer becomes one result per number. The classification table
// is classify_aliyun_code (aliyun_rpc.cpp).
#include "herald/gateway/aliyun_card.hpp"

#include <algorithm>

#include "aliyun_answer.hpp"
#include "answer_util.hpp"
#include "herald/gateway/aliyun_receipts.hpp"
#include "herald/util/json_text.hpp"

namespace herald::gateway {
namespace {

// An event of an aliyun_card account carries card fields (the decoder requires them); one
// without them is sent as a card without fallback rather than with a fallback it never asked for.
const model::card_fields& card_of(const model::event& e) {
  static const model::card_fields no_fallback{"NONE", "", "", "", ""};
  return e.card ? *e.card : no_fallback;
}

std::string_view params_or_empty_object(const model::event& e) {
  return e.params_json.empty() ? std::string_view("{}") : std::string_view(e.params_json);
}

bool contains(const std::vector<std::string_view>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// MediaMobiles / NotMediaMobiles: a comma-separated string in Alibaba Cloud's reference; an array
// of strings is read too.
std::vector<std::string_view> mobiles_member(const rapidjson::Value& data, const char* name) {
  auto it = data.FindMember(name);
  if (it == data.MemberEnd()) return {};
  if (it->value.IsString()) return split_aliyun_mobiles({it->value.GetString(), it->value.GetStringLength()});
  std::vector<std::string_view> out;
  if (it->value.IsArray())
    for (const auto& v : it->value.GetArray())
      if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  return out;
}

}  // namespace

aliyun_card::aliyun_card(const config::account_config& account)
    : target_(account.endpoint.target.empty() ? "/" : account.endpoint.target),
      credentials_(aliyun_credentials_from(account, "aliyun_card")),
      max_batch_(std::clamp<std::size_t>(account.max_batch, 1, aliyun_card_max_items)) {}

capabilities aliyun_card::caps() const {
  capabilities c;
  c.max_batch = max_batch_;
  c.routes_by_sign_and_template = true;  // SignName, CardTemplateCode and the fallback are per call
  c.has_receipt_query = true;            // GetCardSmsDetails (aliyun_receipts.hpp)
  return c;
}

std::string aliyun_card::route_key(const model::event& e) const {
  const model::card_fields& card = card_of(e);
  std::string key;
  key.reserve(e.template_code.size() + e.sign_name.size() + card.fallback_type.size() +
              card.fallback_template_code.size() + card.fallback_params_json.size() + e.extend_code.size() + 5);
  key.append(e.template_code);
  for (std::string_view part : {std::string_view(e.sign_name), std::string_view(card.fallback_type),
                                std::string_view(card.fallback_template_code),
                                std::string_view(card.fallback_params_json), std::string_view(e.extend_code)}) {
    key.push_back('\x1f');
    key.append(part);
  }
  return key;
}

void append_aliyun_card_objects(std::string& out, std::span<const model::event* const> items) {
  out.push_back('[');
  bool first = true;
  for (const model::event* e : items) {
    if (!first) out.push_back(',');
    first = false;
    const model::card_fields& card = card_of(*e);
    out.push_back('{');
    json::append_key(out, "mobile", true);
    json::append_string(out, e->to.value);
    json::append_key(out, "dyncParams");
    out.append(params_or_empty_object(*e));
    if (!card.custom_url.empty()) {
      json::append_key(out, "customUrl");
      json::append_string(out, card.custom_url);
    }
    if (!card.custom_short_code_json.empty()) {
      json::append_key(out, "customShortCodeJson");
      json::append_string(out, card.custom_short_code_json);
    }
    out.push_back('}');
  }
  out.push_back(']');
}

std::vector<std::string_view> split_aliyun_mobiles(std::string_view list) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view part = list.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

http_request aliyun_card::build(std::span<const model::event* const> items, const send_context& ctx) const {
  std::string card_objects;
  append_aliyun_card_objects(card_objects, items);
  const std::string out_id = aliyun_call_out_id(items);

  static const model::event no_event;
  const model::event& first = items.empty() ? no_event : *items.front();
  const model::card_fields& card = card_of(first);

  std::vector<sign_param> params{{"CardObjects", card_objects},
                                 {"CardTemplateCode", first.template_code},
                                 {"SignName", first.sign_name},
                                 {"FallbackType", card.fallback_type},
                                 {"OutId", out_id}};
  // The fallback template goes in the field of its kind; with NONE there is none.
  if (card.fallback_type == "SMS" || card.fallback_type == "DIGITALSMS") {
    const bool is_sms = card.fallback_type == "SMS";
    if (!card.fallback_template_code.empty())
      params.emplace_back(is_sms ? "SmsTemplateCode" : "DigitalTemplateCode", card.fallback_template_code);
    if (!card.fallback_params_json.empty())
      params.emplace_back(is_sms ? "SmsTemplateParam" : "DigitalTemplateParam", card.fallback_params_json);
  }
  if (!first.extend_code.empty()) params.emplace_back("SmsUpExtendCode", first.extend_code);
  return build_aliyun_rpc_request(target_, credentials_, "SendCardSms", params, ctx);
}

std::vector<item_result> aliyun_card::parse(int http_status, std::string_view body,
                                            std::span<const model::event* const> items) const {
  detail::aliyun_answer answer = detail::read_aliyun_answer(http_status, body);
  if (!answer.is_ok) return detail::uniform_results(items.size(), answer.cls, answer.code, answer.message);

  // Code OK: the call was accepted for every number. A number that can show a card gets the card
  // (BizCardId); one listed in NotMediaMobiles gets the fallback of the call: text SMS (BizSmsId),
  // digital SMS (BizDigitalId), or nothing with FallbackType NONE (then the item failed for good:
  // that number cannot receive this message as sent).
  std::string_view card_id, sms_id, digital_id;
  std::vector<std::string_view> not_media;
  auto data_it = answer.doc.FindMember("Data");
  if (data_it != answer.doc.MemberEnd() && data_it->value.IsObject()) {
    const auto& data = data_it->value;
    card_id = detail::member_string(data, "BizCardId");
    sms_id = detail::member_string(data, "BizSmsId");
    digital_id = detail::member_string(data, "BizDigitalId");
    not_media = mobiles_member(data, "NotMediaMobiles");
  }

  std::vector<item_result> results(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    item_result& r = results[i];
    r.cls = outcome_class::sent;
    r.code = answer.code;
    r.message = answer.message;
    r.message_id = card_id;
    if (!contains(not_media, items[i]->to.value)) continue;
    const std::string& fallback = card_of(*items[i]).fallback_type;
    if (fallback == "SMS" && !sms_id.empty()) {
      r.message_id = sms_id;
    } else if (fallback == "DIGITALSMS" && !digital_id.empty()) {
      r.message_id = digital_id;
    } else if (fallback == "NONE") {
      r.cls = outcome_class::permanent;
      r.code = "not_media_mobile";
      r.message = "the number cannot show card SMS and the event has no fallback (FallbackType NONE)";
      r.message_id.clear();
    }
  }
  return results;
}

}  // namespace herald::gateway

namespace herald::gateway {

// Receipt check (docs/gateways.md "Receipt checks"). With max_batch above 1 a call may hold
// several events: every call's OutId is named, one-event calls included (an empty one could not
// tell a one-event call from a batch whose OutId was lost). With max_batch 1 the event's own is
// implied.
std::string aliyun_card::receipt_call_id(std::span<const model::event* const> items) const {
  return max_batch_ > 1 && !items.empty() ? aliyun_call_out_id(items) : std::string();
}

std::optional<http_request> aliyun_card::build_receipt_query(const model::event& e, const receipt_context& ctx) const {
  auto check = plan_aliyun_receipt_check(e, ctx, max_batch_ > 1);
  if (!check) return std::nullopt;
  aliyun_card_details_query q;
  q.phone_number = check->phone_number;
  q.send_date = check->days[check->position.day_index];
  q.page_size = aliyun_query_max_page_size;
  q.current_page = check->position.page;
  // No BizCardId / BizSmsId / BizDigitId: an item's message_id is one of the three, and asking
  // with the wrong kind would hide the record.
  return build_aliyun_get_card_sms_details(target_, credentials_, q, send_context{ctx.unix_seconds, ctx.nonce});
}

receipt_result aliyun_card::parse_receipt_query(int http_status, std::string_view body, const model::event& e,
                                                const receipt_context& ctx) const {
  auto check = plan_aliyun_receipt_check(e, ctx, max_batch_ > 1);
  if (!check)
    return receipt_result{receipt_verdict::cannot_tell, "no_receipt_query", check.message(), ctx.message_id, {}};
  return judge_aliyun_receipt_page(parse_aliyun_get_card_sms_details(http_status, body), *check, ctx);
}

}  // namespace herald::gateway
