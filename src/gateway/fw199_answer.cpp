#include "fw199_answer.hpp"

#include <array>
#include <charconv>
#include <optional>

#include "answer_util.hpp"
#include "herald/gateway/form.hpp"
#include "herald/gateway/fw199_taobao.hpp"
#include "herald/gateway/signers.hpp"

namespace herald::gateway::detail {

http_request build_fw199_call(std::string_view target, std::string_view app_id, std::string_view app_secret,
                              std::string_view seller_field, std::string_view seller, std::string_view request_data,
                              std::int64_t unix_seconds) {
  char timestamp_buffer[24];
  auto [end, ec] = std::to_chars(timestamp_buffer, timestamp_buffer + sizeof timestamp_buffer, unix_seconds);
  (void)ec;  // 24 bytes hold any int64
  const std::string_view timestamp(timestamp_buffer, static_cast<std::size_t>(end - timestamp_buffer));
  const std::string sign = sign_fw199(
      {{"appid", app_id}, {"timestamp", timestamp}, {seller_field, seller}, {"request_data", request_data}},
      app_secret);
  const std::array<form::field, 5> fields{{{"appid", app_id},
                                           {"timestamp", timestamp},
                                           {seller_field, seller},
                                           {"request_data", request_data},
                                           {"sign", sign}}};
  http_request req;
  req.method = "POST";
  req.target = std::string(target);
  req.body = form::encode(fields);
  return req;
}

std::optional<std::vector<item_result>> read_fw199_call(int http_status, std::string_view body, std::size_t n,
                                                        rapidjson::Document& doc) {
  const bool is_2xx = http_status >= 200 && http_status < 300;

  // A 5xx says nothing about what happened to the items: the request may have been processed.
  if (http_status >= 500)
    return uniform_results(n, outcome_class::ambiguous, http_status_code(http_status),
                                   "HTTP status " + std::to_string(http_status));

  const bool is_parsed = parse_answer(doc, body);
  std::string outer_code;
  const bool is_gateway_answer = is_parsed && doc.IsObject() && member_text(doc, "code", outer_code);
  if (!is_gateway_answer) {
    if (!is_2xx)
      return uniform_results(n, outcome_class::ambiguous, http_status_code(http_status),
                                     "HTTP status " + std::to_string(http_status) + " without a gateway answer");
    return uniform_results(n, outcome_class::ambiguous, "unparseable",
                                   !is_parsed || !doc.IsObject() ? "unparseable answer: not a JSON object"
                                                                          : "unparseable answer: no code");
  }

  if (outer_code != "0") {
    // The whole call was refused before sending (docs/gateways.md "fw199 Taobao OAID batch",
    // "Classification"); this holds under a 4xx too.
    const std::string_view message = member_string(doc, "message");
    return uniform_results(n, classify_fw199_call_message(message), outer_code, message);
  }
  if (!is_2xx)
    return uniform_results(n, outcome_class::ambiguous, http_status_code(http_status),
                                   "HTTP status " + std::to_string(http_status) + " with code 0");

  auto data_it = doc.FindMember("data");
  if (data_it == doc.MemberEnd() || !data_it->value.IsArray())
    return uniform_results(n, outcome_class::ambiguous, "unparseable",
                                   "unparseable answer: code 0 without a data array");
  const std::size_t answered = data_it->value.GetArray().Size();

  // More results than items: the answer does not line up with the request, so no element can be
  // trusted (a shorter answer is still checked item by item).
  if (answered > n)
    return uniform_results(n, outcome_class::ambiguous, "unmatched",
                                   "answer has " + std::to_string(answered) + " items for " + std::to_string(n) +
                                       " sent: cannot match them to the request");
  return std::nullopt;
}

void read_fw199_item(const rapidjson::Value& element, const fw199_item_rules& rules, item_result& r) {
  r.cls = outcome_class::ambiguous;
  if (!member_text(element, "code", r.code)) {
    r.code = "unparseable";
    r.message = "answer item has no code";
    return;
  }
  r.message = member_string(element, "message");
  if (r.code == "0") {
    r.cls = outcome_class::sent;
    r.message_id = rules.message_id(element);
  } else {
    r.cls = rules.classify_item(r.message);
  }
}

std::vector<item_result> parse_fw199_answer(int http_status, std::string_view body,
                                            std::span<const model::event* const> items, const fw199_item_rules& rules) {
  const std::size_t n = items.size();
  rapidjson::Document doc;
  if (auto whole_call = read_fw199_call(http_status, body, n, doc)) return std::move(*whole_call);
  const auto& data = doc["data"].GetArray();
  const std::size_t answered = data.Size();

  std::vector<item_result> results(n);
  for (std::size_t i = 0; i < n; ++i) {
    item_result& r = results[i];
    r.cls = outcome_class::ambiguous;
    if (i >= answered) {
      r.code = "unmatched";
      r.message = "no answer item at this position (answer has " + std::to_string(answered) + " items for " +
                  std::to_string(n) + " sent)";
      continue;
    }
    const auto& element = data[static_cast<rapidjson::SizeType>(i)];
    if (!element.IsObject()) {
      r.code = "unmatched";
      r.message = "answer item at this position is not an object";
      continue;
    }
    if (std::string why = rules.mismatch(element, *items[i]); !why.empty()) {
      r.code = "unmatched";
      r.message = std::move(why);
      continue;
    }
    read_fw199_item(element, rules, r);
  }
  return results;
}

}  // namespace herald::gateway::detail
