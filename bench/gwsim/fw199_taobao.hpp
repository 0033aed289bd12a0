// POST /jst/sms/oaid/send — the fw199 Taobao OAID batch endpoint, as a pure function of the
// request body, the configuration, the store and the clock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "rng.hpp"
#include "store.hpp"

namespace gwsim {

using SecretTable = std::map<std::string, std::string, std::less<>>;  // appid -> secret

struct SendConfig {
  const SecretTable* secrets = nullptr;
  std::uint32_t daily_limit = 10;      // acceptances per number and template per day; 0 = none
  std::int64_t max_clock_skew = 600;   // seconds between `timestamp` and the sim's clock
  std::size_t max_items = 100;         // request_data elements per call
  std::uint32_t receipt_hide_ms = 0;   // receipts absent from queries this long after acceptance
  std::uint32_t receipt_delay_ms = 0;  // then status 1 (waiting) until this long after acceptance
  // fw199 抖店: answer elements in another order than the request (every one moved), as the
  // vendor's own sample answer has them: only the echoed order_id then tells which is whose.
  bool douyin_shuffle_answers = false;
};

// Call-level codes (HTTP 200 with this in "code").
namespace code {
inline constexpr int ok = 0;
inline constexpr int invalid_appid = 40001;
inline constexpr int bad_parameter = 40002;  // missing field, bad timestamp, malformed body
inline constexpr int invalid_sign = 40003;
inline constexpr int bad_request_data = 40004;
// A call refused by the per-account cap (--rate-limit-qps). The vendor publishes no number for
// it: Herald decides by the message (throttled_message), and 429 says what it is to a human.
inline constexpr int throttled = 429;
}  // namespace code

// The message of a call refused by the per-account cap. docs/gateways.md: an outer code ≠ 0
// whose message contains 频繁 or 限流 (among other words) is throttled; this has both, and none
// of the words that would make it something else.
inline constexpr std::string_view throttled_message = "请求过于频繁,触发限流";

// Item-level messages (item "code": 1).
namespace item_message {
inline constexpr std::string_view illegal_parameter = "Remote service error,非法参数: ";
inline constexpr std::string_view template_not_found = "Remote service error,模板不存在";
inline constexpr std::string_view daily_limit =
    "Remote service error,请求失败,当前号码的短信发送次数超过当天限制。";
}  // namespace item_message

struct SendOutcome {
  std::string body;  // the JSON answer
  int code = 0;      // its top-level "code"
  std::size_t items_accepted = 0;
  std::size_t items_rejected = 0;
  unsigned http_status = 200;  // the answer's HTTP status (Alibaba Cloud answers errors with 4xx)
};

// Validates and processes one call. Accepted items are recorded in `store`; call and item
// rejections and max_batch_seen are counted in store.counters() (`requests` is not: the
// caller counts calls, faulted ones included). `content_type` is the request's Content-Type
// header (parameters such as "; charset=utf-8" are allowed).
SendOutcome handle_oaid_send(std::string_view content_type, std::string_view body,
                             const SendConfig& config, Store& store, std::int64_t now_unix,
                             Rng& ids);

// The answer to a call the per-account cap refused, in the shape of the endpoint's other
// call-level errors: HTTP 200, {"code":429,"message":throttled_message,"trace_id","data":[]}.
// Counts nothing (the caller does).
SendOutcome oaid_throttled_answer(Rng& ids);

}  // namespace gwsim
