#pragma once
// Fixtures for the fw199 抖店 gateway's unit tests (on top of test_support.hpp).
#include <string>
#include <utility>

#include "test_support.hpp"

namespace herald::gateway::test {

inline config::account_config douyin_account() {
  config::account_config a = fw199_account();
  a.name = "shop-dy";
  a.gateway = config::gateway_kind::fw199_douyin;
  a.endpoint.url = "https://gateway.example/gateway/dd/sms/send";
  a.endpoint.target = "/gateway/dd/sms/send";
  a.seller_nick = "测试抖店";
  return a;
}

// An event addressed by post_tel (biz_type 0).
inline model::event douyin_event(std::string order_id, std::string post_tel) {
  model::event e = fw199_event(std::move(order_id), std::move(post_tel));
  e.account = "shop-dy";
  e.to.kind = model::recipient_kind::post_tel;
  e.template_code = "ST_72dd4e2c";
  return e;
}

// An event addressed by order (biz_type 1: the buyer of order_id; the recipient value is empty).
inline model::event douyin_order_event(std::string order_id) {
  model::event e = douyin_event(std::move(order_id), "");
  e.to.kind = model::recipient_kind::by_order;
  return e;
}

}  // namespace herald::gateway::test
