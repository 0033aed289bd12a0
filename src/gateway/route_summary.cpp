#include "herald/gateway/route_summary.hpp"

#include "herald/config/load.hpp"
#include "herald/gateway/top_oaid.hpp"

namespace herald::gateway {

route_summary summarize_route(const config::account_config& account, const model::event& e) {
  route_summary s;
  s.gateway = config::to_string(account.gateway);
  s.recipient_kind = model::to_string(e.to.kind);
  s.category = config::to_string(e.category);
  s.endpoint = config::redact_url(account.endpoint.url);
  switch (account.gateway) {
    case config::gateway_kind::fw199_taobao:
      s.api = "fw199 Taobao OAID batch";
      break;
    case config::gateway_kind::fw199_douyin:
      // biz_type 1: the gateway finds the buyer of the order; 0: the receiver phone given.
      s.api = e.to.kind == model::recipient_kind::by_order ? "fw199 抖店 SMS batch, biz_type 1 (the order's buyer)"
                                                           : "fw199 抖店 SMS batch, biz_type 0";
      break;
    case config::gateway_kind::top_oaid:
      s.api = "TOP " + std::string(top_oaid_method);
      break;
    case config::gateway_kind::aliyun_sms:
      s.api = account.use_batch_api ? "Alibaba Cloud SendBatchSms" : "Alibaba Cloud SendSms";
      break;
    case config::gateway_kind::aliyun_card:
      s.api = "Alibaba Cloud SendCardSms";
      break;
  }
  return s;
}

}  // namespace herald::gateway
