// The fw199 抖店 send-result query, `/gateway/dd/sms/send/result`: docs/gateways.md
// "fw199 抖店 SMS batch", "Receipt check".
//
// *UNCONFIRMED*. The gateway is reported to proxy Douyin's sms.sendResult at this path, but its
// request and answer are not published. This file is the one place that assumes a shape (the
// header fw199_douyin.hpp and docs/gateways.md say which); the gateway simulator follows the same
// description, not this code. Correct both when the vendor documents it.
#include <rapidjson/document.h>

#include <array>
#include <charconv>
#include <unordered_map>

#include "answer_util.hpp"
#include "herald/gateway/form.hpp"
#include "herald/gateway/fw199_taobao.hpp"  // classify_fw199_call_message
#include "herald/gateway/fw199_douyin.hpp"
#include "herald/gateway/signers.hpp"
#include "herald/util/json_text.hpp"

namespace herald::gateway {
namespace {

// Douyin's sendResult status values, the same as Alibaba Cloud's SendStatus (docs/gateways.md
// "Receipt checks").
douyin_send_status status_from_code(std::int64_t status) noexcept {
  switch (status) {
    case 3: return douyin_send_status::sent;
    case 2: return douyin_send_status::failed;
    default: return douyin_send_status::pending;  // 1 = waiting for the receipt; unknown values too
  }
}

std::string result_target(const config::account_config& account) {
  if (account.receipt_endpoint) return account.receipt_endpoint->target.empty() ? "/" : account.receipt_endpoint->target;
  std::string target = account.endpoint.target.substr(0, account.endpoint.target.find('?'));
  while (!target.empty() && target.back() == '/') target.pop_back();
  return target + "/result";
}

}  // namespace

std::string_view to_string(douyin_send_status s) {
  switch (s) {
    case douyin_send_status::sent: return "sent";
    case douyin_send_status::failed: return "failed";
    case douyin_send_status::pending: return "pending";
    case douyin_send_status::not_found: return "not_found";
  }
  return "unknown";
}

namespace {

http_request result_request(std::string target, std::string_view app_id, std::string_view seller_nick,
                            std::string_view app_secret, std::span<const std::string> message_ids,
                            const send_context& ctx) {
  std::string request_data;
  std::size_t size = 20;
  for (const auto& id : message_ids) size += id.size() + 3;
  request_data.reserve(size);
  request_data.push_back('{');
  json::append_key(request_data, "message_ids", true);
  request_data.push_back('[');
  bool first = true;
  for (const auto& id : message_ids) {
    if (!first) request_data.push_back(',');
    first = false;
    json::append_string(request_data, id);
  }
  request_data.append("]}");

  char timestamp_buffer[24];
  auto [end, ec] = std::to_chars(timestamp_buffer, timestamp_buffer + sizeof timestamp_buffer, ctx.unix_seconds);
  (void)ec;
  const std::string_view timestamp(timestamp_buffer, static_cast<std::size_t>(end - timestamp_buffer));

  const std::string sign = sign_fw199({{"appid", app_id},
                                       {"timestamp", timestamp},
                                       {"seller_nick", seller_nick},
                                       {"request_data", request_data}},
                                      app_secret);
  const std::array<form::field, 5> fields{{{"appid", app_id},
                                           {"timestamp", timestamp},
                                           {"seller_nick", seller_nick},
                                           {"request_data", request_data},
                                           {"sign", sign}}};
  http_request req;
  req.method = "POST";
  req.target = std::move(target);
  req.body = form::encode(fields);
  return req;
}

}  // namespace

http_request build_douyin_result_query(const config::account_config& account,
                                       std::span<const std::string> message_ids, const send_context& ctx) {
  return result_request(result_target(account), account.app_id, account.seller_nick, account.app_secret,
                        message_ids, ctx);
}

result<std::vector<douyin_send_result>> parse_douyin_result_query(int http_status, std::string_view body,
                                                                  std::span<const std::string> message_ids) {
  if (http_status >= 500) return make_error("send-result query: HTTP status " + std::to_string(http_status));

  rapidjson::Document doc;
  std::string code;
  if (!detail::parse_answer(doc, body) || !doc.IsObject() || !detail::member_text(doc, "code", code)) {
    if (http_status < 200 || http_status >= 300)
      return make_error("send-result query: HTTP status " + std::to_string(http_status) + " without a gateway answer");
    return make_error("send-result query: unparseable answer");
  }
  if (code != "0")
    return make_error("send-result query refused: code " + code + ", " +
                      std::string(detail::member_string(doc, "message")));
  if (http_status < 200 || http_status >= 300)
    return make_error("send-result query: HTTP status " + std::to_string(http_status) + " with code 0");

  const auto data_it = doc.FindMember("data");
  if (data_it == doc.MemberEnd() || data_it->value.IsNull())
    return make_error("send-result query: unparseable answer, code 0 without data");
  if (!data_it->value.IsArray()) return make_error("send-result query: unparseable answer, data is not an array");

  // Matched by message_id, not position: unknown ids are left out of the answer (assumed).
  std::unordered_map<std::string_view, std::size_t> asked;
  asked.reserve(message_ids.size());
  std::vector<douyin_send_result> results(message_ids.size());
  for (std::size_t i = 0; i < message_ids.size(); ++i) {
    results[i].message_id = message_ids[i];
    asked.emplace(message_ids[i], i);
  }
  for (const auto& element : data_it->value.GetArray()) {
    if (!element.IsObject()) return make_error("send-result query: unparseable answer, a data item is not an object");
    const std::string_view id = detail::member_string(element, "message_id");
    const auto it = asked.find(id);
    if (it == asked.end()) continue;  // an id not asked about: nothing to learn from it
    const auto status_it = element.FindMember("status");
    std::int64_t status = 1;
    if (status_it != element.MemberEnd()) {
      if (status_it->value.IsInt64()) {
        status = status_it->value.GetInt64();
      } else if (status_it->value.IsString()) {
        const std::string_view text(status_it->value.GetString(), status_it->value.GetStringLength());
        std::from_chars(text.data(), text.data() + text.size(), status);  // not a number: stays pending
      }
    }
    douyin_send_result& r = results[it->second];
    r.status = status_from_code(status);
    detail::member_text(element, "err_code", r.err_code);
  }
  return results;
}

// ------------------------------------------------------------------------------------------------
// The same query as the receipt check of the gateway interface (gateway.hpp; docs/gateways.md
// "Receipt checks"): one item, by the message id its send answer gave.

std::optional<http_request> fw199_douyin::build_receipt_query(const model::event&, const receipt_context& ctx) const {
  if (!receipt_endpoint_ || ctx.message_id.empty()) return std::nullopt;
  const std::array<std::string, 1> ids{ctx.message_id};
  return result_request(receipt_endpoint_->target.empty() ? "/" : receipt_endpoint_->target, app_id_, seller_nick_,
                        app_secret_, ids, send_context{ctx.unix_seconds, ctx.nonce});
}

receipt_result fw199_douyin::parse_receipt_query(int http_status, std::string_view body, const model::event&,
                                                 const receipt_context& ctx) const {
  receipt_result out;
  out.message_id = ctx.message_id;
  if (!receipt_endpoint_ || ctx.message_id.empty()) {
    out.verdict = receipt_verdict::cannot_tell;
    out.code = "no_receipt_query";
    out.message = receipt_endpoint_ ? "the send answer gave no message_id to ask about"
                                    : "the account has no receipt_endpoint";
    return out;
  }
  const std::array<std::string, 1> ids{ctx.message_id};
  auto parsed = parse_douyin_result_query(http_status, body, ids);
  if (!parsed) {
    // The query told nothing. Only the gateway's own refusal of the query as wrong (auth,
    // signature, malformed) is final; anything else is asked again after a backoff.
    out.verdict = receipt_verdict::retry_query;
    out.message = parsed.message();
    out.code = http_status < 200 || http_status >= 300 ? detail::http_status_code(http_status) : "unparseable";
    if (http_status < 500) {
      rapidjson::Document doc;
      std::string code;
      if (detail::parse_answer(doc, body) && doc.IsObject() && detail::member_text(doc, "code", code) && code != "0") {
        out.code = code;
        if (classify_fw199_call_message(detail::member_string(doc, "message")) == outcome_class::permanent)
          out.verdict = receipt_verdict::cannot_tell;
      }
    }
    return out;
  }
  const douyin_send_result& r = parsed->front();
  switch (r.status) {
    case douyin_send_status::sent: out.verdict = receipt_verdict::delivered; break;
    case douyin_send_status::failed: out.verdict = receipt_verdict::not_delivered; break;
    case douyin_send_status::pending: out.verdict = receipt_verdict::accepted; break;
    // The id came from the gateway's answer to the send: absent is lag, never proof of not sent.
    case douyin_send_status::not_found: out.verdict = receipt_verdict::not_found; break;
  }
  out.code = r.err_code.empty() ? std::string(to_string(r.status)) : r.err_code;
  out.message = "send result: " + std::string(to_string(r.status));
  if (!r.err_code.empty()) out.message += " (" + r.err_code + ")";
  return out;
}

const config::endpoint* fw199_douyin::receipt_endpoint() const {
  return receipt_endpoint_ ? &*receipt_endpoint_ : nullptr;
}

}  // namespace herald::gateway
