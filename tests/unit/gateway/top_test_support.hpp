#pragma once
// Fixtures for the TOP (taobao.jst.sms.oaid.message.send) gateway tests.
#include <string>
#include <utility>

#include "herald/config/config.hpp"
#include "herald/model/event.hpp"

namespace herald::gateway::test {

inline config::account_config top_account(std::string sign_method = "md5") {
  config::account_config a;
  a.name = "shop-t";
  a.gateway = config::gateway_kind::top_oaid;
  a.endpoint.url = "https://gw.api.example/router/rest";
  a.endpoint.scheme = "https";
  a.endpoint.host = "gw.api.example";
  a.endpoint.target = "/router/rest";
  a.app_id = "12345678";                    // the app_key
  a.app_secret = "test-secret-not-real";    // a test value, not a real secret
  a.session = "test-session-not-real";      // likewise
  a.sign_method = std::move(sign_method);
  return a;
}

inline model::event top_event(std::string order_id = "3006925020239565830", std::string oaid = "AAHk5d-oaid-test") {
  model::event e;
  e.event_id = "ev-" + order_id;
  e.account = "shop-t";
  e.order_id = std::move(order_id);
  e.to.kind = model::recipient_kind::oaid;
  e.to.value = std::move(oaid);
  e.sign_name = "测试店铺";
  e.template_code = "SMS_12345";
  e.params_json = R"({"name":"张三","code":"A&B=1"})";
  return e;
}

}  // namespace herald::gateway::test
