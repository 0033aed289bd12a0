#pragma once
// 蜂巢 (fw199) gateway, 抖店 (Douyin shop) SMS batch: docs/gateways.md "fw199 抖店 SMS batch".
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/gateway/gateway.hpp"
#include "herald/util/result.hpp"

namespace herald::gateway {

inline constexpr std::size_t fw199_douyin_max_items = 100;  // sms_message_list per call (docs/gateways.md)

class fw199_douyin final : public gateway {
 public:
  // Throws std::invalid_argument naming the account when a credential it needs is empty.
  explicit fw199_douyin(const config::account_config& account);

  capabilities caps() const override;
  // sign_name + '\x1f' + template_code: `sign` and `template_id` are per call (docs/gateways.md).
  std::string route_key(const model::event& e) const override;
  // The order_id: answers are matched to items by its echo, so no call holds two items with one.
  std::string_view batch_distinct_key(const model::event& e) const override;
  http_request build(std::span<const model::event* const> items, const send_context& ctx) const override;
  std::vector<item_result> parse(int http_status, std::string_view body,
                                 std::span<const model::event* const> items) const override;

  // The send-result query below for the item's message_id, when the account has a
  // receipt_endpoint; without either, nullopt (cannot_tell). src/gateway/fw199_douyin_result.cpp.
  std::optional<http_request> build_receipt_query(const model::event& e, const receipt_context& ctx) const override;
  // 3 delivered, 2 not_delivered, 1 accepted, absent not_found (never not_sent: the id came from
  // the gateway's own answer, so its absence is lag); a failed query retry_query, or cannot_tell
  // when the gateway refuses it as wrong (outer code, classify_fw199_call_message permanent).
  receipt_result parse_receipt_query(int http_status, std::string_view body, const model::event& e,
                                     const receipt_context& ctx) const override;
  const config::endpoint* receipt_endpoint() const override;

 private:
  std::string target_;
  std::string app_id_;
  std::string app_secret_;
  std::string seller_nick_;
  std::size_t max_batch_;
  bool has_receipt_query_;
  std::optional<config::endpoint> receipt_endpoint_;
};

// The `request_data` field: one JSON object for the whole call (no DOM, appended to out). The
// call-level fields (`sign`, `template_id`, `tag`, `user_ext_code`) come from items[0]; see
// docs/gateways.md for why the other items' extension fields are not sent.
void append_fw199_douyin_request_data(std::string& out, std::span<const model::event* const> items);

// The classification table for the message of one item whose own code is not 0 (docs/gateways.md
// lists the same rows). A whole call with an outer code other than 0 is classified by
// classify_fw199_call_message (fw199_taobao.hpp): the same gateway, the same rule.
outcome_class classify_fw199_douyin_item_message(std::string_view message) noexcept;

// ------------------------------------------------------------------------------------------------
// The send-result query, `/gateway/dd/sms/send/result`. *UNCONFIRMED* (docs/gateways.md): the
// gateway is reported to proxy Douyin's sms.sendResult there, but neither the request nor the
// answer shape is published. Everything this code assumes about it is in these two functions
// (src/gateway/fw199_douyin_result.cpp) and in docs/gateways.md; correct it there.
//
// Assumed request: POST, form fields appid, timestamp, seller_nick, request_data =
// {"message_ids":["...",...]} (at most fw199_douyin_max_result_ids), sign (sign_fw199).
// Assumed answer: {"code":0,"message":"ok","data":[{"message_id":"...","status":1|2|3,"err_code":"..."}]}
// with status 1 = waiting for the receipt, 2 = failed, 3 = delivered (Douyin's and Alibaba Cloud's
// SendStatus values); a message id the gateway does not know is absent from data.
// ------------------------------------------------------------------------------------------------

inline constexpr std::size_t fw199_douyin_max_result_ids = 100;

enum class douyin_send_status {
  sent,       // status 3: delivered
  failed,     // status 2: the carrier or gateway reports failure
  pending,    // status 1 (or a status not understood): no receipt yet, look again later
  not_found,  // absent from the answer: not known (yet) to the gateway
};
std::string_view to_string(douyin_send_status s);

struct douyin_send_result {
  std::string message_id;
  douyin_send_status status = douyin_send_status::not_found;
  std::string err_code;  // the gateway's err_code when it gave one
};

// The query for message_ids (1 to fw199_douyin_max_result_ids of them, the caller splits). The
// target is the account's receipt_endpoint path, or, without one, the send endpoint's path +
// "/result" (where the gateway is reported to serve it).
http_request build_douyin_result_query(const config::account_config& account,
                                       std::span<const std::string> message_ids, const send_context& ctx);

// One result per asked id, in the order asked. An error (HTTP 5xx or another non-2xx, an answer
// that cannot be read, an outer code other than 0) means the query told nothing: ask again later.
result<std::vector<douyin_send_result>> parse_douyin_result_query(int http_status, std::string_view body,
                                                                  std::span<const std::string> message_ids);

}  // namespace herald::gateway
