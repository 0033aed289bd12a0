// POST /gateway/dd/sms/send and /gateway/dd/sms/send/result — the fw199 (蜂巢) 抖店 SMS batch endpoint
// and its send-result query (docs/gateways.md "fw199 抖店 SMS batch"), as pure functions of the
// request body, the configuration, the store and the clock. Written from docs/gateways.md, not from
// Herald's client.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fw199_taobao.hpp"  // SendConfig, SendOutcome, the call-level codes, item_message::daily_limit
#include "rng.hpp"
#include "store.hpp"

namespace gwsim {

inline constexpr std::string_view douyin_send_path = "/gateway/dd/sms/send";
// Unconfirmed upstream (request and answer shape not published); the sim serves
// the shape docs/gateways.md assumes.
inline constexpr std::string_view douyin_result_path = "/gateway/dd/sms/send/result";

// Item-level messages of the 抖店 endpoint (item "code": 1). The daily limit uses the same words
// as the Taobao endpoint (item_message::daily_limit).
namespace douyin_item_message {
inline constexpr std::string_view illegal_parameter = "参数错误: ";
inline constexpr std::string_view template_not_found = "模板不存在";
}  // namespace douyin_item_message

// Validates and processes one send call, like handle_oaid_send: accepted items are recorded in
// `store` (key appid|seller_nick|order_id, or post_tel when no order_id|template_id|recipient,
// where the recipient is post_tel for biz_type 0 and order_id for biz_type 1), their message_id
// remembered with `now_ms` (default now_unix * 1000) for the send-result query; rejections and
// max_batch_seen are counted.
SendOutcome handle_douyin_send(std::string_view content_type, std::string_view body,
                               const SendConfig& config, Store& store, std::int64_t now_unix,
                               Rng& ids, std::int64_t now_ms = -1);

// With config.douyin_shuffle_answers the answer's elements come in another order than the
// request: shuffle_moving_every_element (a random cycle: with two or more, none stays in place).
void shuffle_moving_every_element(std::vector<std::string>& elements, Rng& rng);

// The answer to a send call the per-account cap refused: the Taobao endpoint's code and message
// (the same gateway, and Herald reads its call level with the same rule) in this endpoint's
// call-error shape: HTTP 200, {"code":429,"message":throttled_message,"data":[]}.
SendOutcome douyin_throttled_answer();

// The send-result query: the same form fields and signature, request_data
// {"message_ids":[...]} (1..config.max_items ids). Answers status 3 (delivered) for every message
// id the store accepted and leaves unknown ids out of `data`; with config.receipt_hide_ms /
// receipt_delay_ms an id is left out, then reported as status 1, until that long after its
// acceptance (`now_ms`, default now_unix * 1000). Counts nothing in the stats.
SendOutcome handle_douyin_result(std::string_view content_type, std::string_view body,
                                 const SendConfig& config, const Store& store,
                                 std::int64_t now_unix, Rng& ids, std::int64_t now_ms = -1);

}  // namespace gwsim
