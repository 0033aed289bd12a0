#pragma once
// What the two fw199 (蜂巢) batch gateways share: the signed form of a call and the reading of its
// answer (docs/gateways.md "fw199 Taobao OAID batch" and "fw199 抖店 SMS batch"). They differ only
// in the seller field's name, how an answer item echoes its event, where a sent item's id is, and
// how an item's failure message is classified.
#include <rapidjson/document.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/gateway/gateway.hpp"

namespace herald::gateway::detail {

// appid, timestamp, <seller_field>, request_data and sign, form-encoded and signed.
http_request build_fw199_call(std::string_view target, std::string_view app_id, std::string_view app_secret,
                              std::string_view seller_field, std::string_view seller, std::string_view request_data,
                              std::int64_t unix_seconds);

struct fw199_item_rules {
  // Empty when the answer item is the item's own; else why not (then the item is ambiguous).
  std::string (*mismatch)(const rapidjson::Value& element, const model::event& e);
  // The gateway's send id of an accepted item.
  std::string (*message_id)(const rapidjson::Value& element);
  outcome_class (*classify_item)(std::string_view message);
};

// 5xx → ambiguous; outer code ≠ 0 → the call-level rule for every item; then item i is matched to
// data[i] by position and checked with rules.mismatch; anything unmatched is ambiguous.
std::vector<item_result> parse_fw199_answer(int http_status, std::string_view body,
                                            std::span<const model::event* const> items, const fw199_item_rules& rules);

}  // namespace herald::gateway::detail
