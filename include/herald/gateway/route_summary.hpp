#pragma once
// How a decoded event would be sent, in words, for `herald decode` (docs/operations.md, "Operator
// commands"): the gateway call it goes into and how it addresses its recipient. Pure: builds no
// request and signs nothing.
#include <string>
#include <string_view>

#include "herald/config/config.hpp"
#include "herald/model/event.hpp"

namespace herald::gateway {

struct route_summary {
  std::string_view gateway;         // the account's gateway kind: "fw199_taobao", "aliyun_sms", ...
  std::string api;                  // the call: "SendSms", "taobao.jst.sms.oaid.message.send", ...
  std::string_view recipient_kind;  // "oaid", "post_tel", "phone", "by_order"
  std::string_view category;        // "transactional" | "marketing"
  std::string endpoint;             // the account's endpoint, as check-config prints it (redacted)
};

route_summary summarize_route(const config::account_config& account, const model::event& e);

}  // namespace herald::gateway
