#pragma once
// What the two fw199 (蜂巢) batch gateways share: the signed form of a call and the reading of its
// answer (docs/gateways.md "fw199 Taobao OAID batch" and "fw199 抖店 SMS batch"). They differ only
// in the seller field's name, how an answer item echoes its event, where a sent item's id is, and
// how an item's failure message is classified.
#include <rapidjson/document.h>

#include <optional>
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
  // Matching by position (parse_fw199_answer): empty when the answer item at the item's position
  // is the item's own; else why not (then the item is ambiguous). Unused by other matchings.
  std::string (*mismatch)(const rapidjson::Value& element, const model::event& e);
  // The gateway's send id of an accepted item.
  std::string (*message_id)(const rapidjson::Value& element);
  outcome_class (*classify_item)(std::string_view message);
};

// The call as a whole: 5xx, an answer that is not the gateway's, an outer code ≠ 0 (the call-level
// rule), a non-2xx, no data array, or more data elements than items decide every item (the
// results); nullopt when the items are to be matched to doc["data"], an array of at most n.
std::optional<std::vector<item_result>> read_fw199_call(int http_status, std::string_view body, std::size_t n,
                                                        rapidjson::Document& doc);

// An answer element matched to its item (an object): sent with its id when its code is 0, else
// classified by its message; no code is ambiguous (`unparseable`).
void read_fw199_item(const rapidjson::Value& element, const fw199_item_rules& rules, item_result& r);

// read_fw199_call, then item i is matched to data[i] by position and checked with rules.mismatch;
// anything unmatched is ambiguous.
std::vector<item_result> parse_fw199_answer(int http_status, std::string_view body,
                                            std::span<const model::event* const> items, const fw199_item_rules& rules);

}  // namespace herald::gateway::detail
