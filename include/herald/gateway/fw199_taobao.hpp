#pragma once
// 蜂巢 (fw199) gateway, Taobao OAID batch: docs/gateways.md "fw199 Taobao OAID batch".
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/gateway/gateway.hpp"

namespace herald::gateway {

inline constexpr std::size_t fw199_taobao_max_items = 100;  // per call (docs/gateways.md)

class fw199_taobao final : public gateway {
 public:
  // Throws std::invalid_argument naming the account when a credential it needs is empty.
  explicit fw199_taobao(const config::account_config& account);

  capabilities caps() const override;
  std::string route_key(const model::event& e) const override;
  http_request build(std::span<const model::event* const> items, const send_context& ctx) const override;
  std::vector<item_result> parse(int http_status, std::string_view body,
                                 std::span<const model::event* const> items) const override;

 private:
  std::string target_;
  std::string app_id_;
  std::string app_secret_;
  std::string seller_nick_;
  std::size_t max_batch_;
};

// The `request_data` field: a JSON array with one object per item (no DOM, appended to out).
void append_fw199_taobao_request_data(std::string& out, std::span<const model::event* const> items);

// The classification tables (docs/gateways.md lists the same rows):
// the message of one item whose own code is not 0,
outcome_class classify_fw199_item_message(std::string_view message) noexcept;
// and the message of a whole call whose outer code is not 0.
outcome_class classify_fw199_call_message(std::string_view message) noexcept;

}  // namespace herald::gateway
