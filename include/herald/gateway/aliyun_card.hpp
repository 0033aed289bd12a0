#pragma once
// Alibaba Cloud card SMS, SendCardSms (gateway kind aliyun_card): docs/gateways.md
// "Alibaba Cloud SMS".
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/gateway/aliyun_rpc.hpp"
#include "herald/gateway/gateway.hpp"

namespace herald::gateway {

// No maximum for CardObjects is published; Alibaba Cloud's SendBatchCardSms takes 100 numbers, and
// so does every other batch here (docs/gateways.md "Common to every gateway": at most 100 items
// per call).
inline constexpr std::size_t aliyun_card_max_items = 100;

class aliyun_card final : public gateway {
 public:
  // Throws std::invalid_argument naming the account when a credential it needs is empty.
  explicit aliyun_card(const config::account_config& account);

  capabilities caps() const override;
  // Everything SendCardSms takes once per call: CardTemplateCode, SignName, FallbackType, the
  // fallback template and its params, SmsUpExtendCode (joined with '\x1f'). No recipient.
  std::string route_key(const model::event& e) const override;
  // The per-call fields are taken from the first item: the batcher groups by route_key.
  http_request build(std::span<const model::event* const> items, const send_context& ctx) const override;
  std::vector<item_result> parse(int http_status, std::string_view body,
                                 std::span<const model::event* const> items) const override;

  // GetCardSmsDetails by the event's number and the send's day, matched on the call's OutId (no
  // Biz*Id filter: which kind of id a number got is not certain): docs/gateways.md "Receipt checks".
  std::optional<http_request> build_receipt_query(const model::event& e, const receipt_context& ctx) const override;
  std::string receipt_call_id(std::span<const model::event* const> items) const override;
  receipt_result parse_receipt_query(int http_status, std::string_view body, const model::event& e,
                                     const receipt_context& ctx) const override;

 private:
  std::string target_;
  aliyun_credentials credentials_;
  std::size_t max_batch_;
};

// The CardObjects field: [{"mobile","dyncParams","customUrl","customShortCodeJson"}, ...] (no DOM;
// appended to out). dyncParams is the event's params object, inserted as the JSON it arrived as;
// customShortCodeJson is a JSON string holding the event's JSON text. Both *unconfirmed*
// (Alibaba Cloud's samples show dyncParams both as an object and as a string): this function is
// the only place that knows.
void append_aliyun_card_objects(std::string& out, std::span<const model::event* const> items);

// Splits MediaMobiles / NotMediaMobiles ("138...,139...") into numbers.
std::vector<std::string_view> split_aliyun_mobiles(std::string_view list);

}  // namespace herald::gateway
