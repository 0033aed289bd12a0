// summarize_route (herald decode): the call each gateway kind puts an event in, row by row.
#include <doctest/doctest.h>

#include "herald/config/load.hpp"
#include "herald/gateway/route_summary.hpp"

using namespace herald;

TEST_CASE("each gateway kind names its call and the recipient's kind") {
  struct row {
    config::gateway_kind kind;
    bool use_batch_api;
    model::recipient_kind to;
    const char* api;
  };
  const row rows[] = {
      {config::gateway_kind::fw199_taobao, false, model::recipient_kind::oaid, "fw199 Taobao OAID batch"},
      {config::gateway_kind::top_oaid, false, model::recipient_kind::oaid, "TOP taobao.jst.sms.oaid.message.send"},
      {config::gateway_kind::fw199_douyin, false, model::recipient_kind::post_tel, "fw199 抖店 SMS batch, biz_type 0"},
      {config::gateway_kind::fw199_douyin, false, model::recipient_kind::by_order,
       "fw199 抖店 SMS batch, biz_type 1 (the order's buyer)"},
      {config::gateway_kind::aliyun_sms, false, model::recipient_kind::phone, "Alibaba Cloud SendSms"},
      {config::gateway_kind::aliyun_sms, true, model::recipient_kind::phone, "Alibaba Cloud SendBatchSms"},
      {config::gateway_kind::aliyun_card, false, model::recipient_kind::phone, "Alibaba Cloud SendCardSms"},
  };
  for (const auto& r : rows) {
    config::account_config a;
    a.gateway = r.kind;
    a.use_batch_api = r.use_batch_api;
    a.endpoint = config::parse_endpoint("https://gw.example.com/send?token=abc", false).value();
    a.endpoint.url = "https://gw.example.com/send?token=abc";
    model::event e;
    e.to.kind = r.to;
    e.category = config::category::marketing;
    auto s = gateway::summarize_route(a, e);
    INFO(r.api);
    CHECK(s.api == r.api);
    CHECK(s.gateway == config::to_string(r.kind));
    CHECK(s.recipient_kind == model::to_string(r.to));
    CHECK(s.category == "marketing");
    // The endpoint as check-config prints it: the query may hold a token.
    CHECK(s.endpoint == "https://gw.example.com/send?***");
  }
}
