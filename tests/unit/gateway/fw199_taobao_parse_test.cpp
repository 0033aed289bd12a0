#include <doctest/doctest.h>

#include "herald/gateway/fw199_taobao.hpp"
#include "test_support.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

struct batch {
  std::vector<model::event> events;
  std::vector<const model::event*> items;
  explicit batch(std::initializer_list<const char*> order_ids) {
    int n = 0;
    for (const char* id : order_ids) events.push_back(test::fw199_event(id, "oaid-" + std::to_string(++n)));
    items = test::pointers(events);
  }
};

const fw199_taobao& gw() {
  static const fw199_taobao instance(test::fw199_account());
  return instance;
}

}  // namespace

TEST_CASE("fw199 taobao parses the vendor's sample answer: one sent, one recipient-limited") {
  // Verbatim from the vendor's sample (docs/gateways.md "fw199 Taobao OAID batch", "Answer").
  constexpr std::string_view body = R"({"code":0,"message":"ok","trace_id":"",
 "data":[{"order_id":"3006925020239565830","code":0,"message":"success","request_id":"15s99ai9wbln1",
          "module":{"code":"341623067818673604^0","nameLen":3}},
         {"order_id":"3011187783529034024","code":1,
          "message":"Remote service error,请求失败,当前号码的短信发送次数超过当天限制。","request_id":"",
          "module":{"code":"","nameLen":0}}]})";
  batch b{"3006925020239565830", "3011187783529034024"};
  const auto r = gw().parse(200, body, b.items);
  REQUIRE(r.size() == 2);
  CHECK(r[0].cls == outcome_class::sent);
  CHECK(r[0].code == "0");
  CHECK(r[0].message == "success");
  CHECK(r[0].message_id == "341623067818673604^0");
  CHECK(r[1].cls == outcome_class::recipient_limited);
  CHECK(r[1].code == "1");
  CHECK(r[1].message == "Remote service error,请求失败,当前号码的短信发送次数超过当天限制。");
  CHECK(r[1].message_id.empty());
}

TEST_CASE("fw199 taobao: every item sent when every item's code is 0") {
  constexpr std::string_view body =
      R"({"code":0,"message":"ok","data":[)"
      R"({"order_id":"A1","code":0,"message":"success","module":{"code":"111^0"}},)"
      R"({"order_id":"A2","code":0,"message":"success","module":{"code":"222^0"}},)"
      R"({"order_id":"A3","code":0,"message":"success","module":{"code":"333^0"}}]})";
  batch b{"A1", "A2", "A3"};
  const auto r = gw().parse(200, body, b.items);
  REQUIRE(r.size() == 3);
  for (const auto& x : r) CHECK(x.cls == outcome_class::sent);
  CHECK(r[0].message_id == "111^0");
  CHECK(r[1].message_id == "222^0");
  CHECK(r[2].message_id == "333^0");
}

TEST_CASE("fw199 taobao: a partial failure classifies each failed item by its message") {
  constexpr std::string_view body =
      R"({"code":0,"message":"ok","data":[)"
      R"({"order_id":"A1","code":0,"message":"success","module":{"code":"111^0"}},)"
      R"({"order_id":"A2","code":15,"message":"模板不存在","module":{"code":""}},)"
      R"({"order_id":"A3","code":1,"message":"系统错误","module":{"code":""}},)"
      R"({"order_id":"A4","code":1,"message":"调用过于频繁","module":{"code":""}},)"
      R"({"order_id":"A5","code":"isv.invalid-parameter","message":"非法参数: oaid"}]})";
  batch b{"A1", "A2", "A3", "A4", "A5"};
  const auto r = gw().parse(200, body, b.items);
  REQUIRE(r.size() == 5);
  CHECK(r[0].cls == outcome_class::sent);
  CHECK(r[1].cls == outcome_class::permanent);
  CHECK(r[1].code == "15");
  CHECK(r[1].message == "模板不存在");
  CHECK(r[2].cls == outcome_class::ambiguous);
  CHECK(r[3].cls == outcome_class::throttled);
  CHECK(r[4].cls == outcome_class::permanent);
  CHECK(r[4].code == "isv.invalid-parameter");
}

TEST_CASE("fw199 taobao: an answer item echoing another order_id makes that item ambiguous") {
  constexpr std::string_view body =
      R"({"code":0,"message":"ok","data":[)"
      R"({"order_id":"A1","code":0,"message":"success","module":{"code":"111^0"}},)"
      R"({"order_id":"ZZ","code":0,"message":"success","module":{"code":"222^0"}}]})";
  batch b{"A1", "A2"};
  const auto r = gw().parse(200, body, b.items);
  REQUIRE(r.size() == 2);
  CHECK(r[0].cls == outcome_class::sent);
  CHECK(r[1].cls == outcome_class::ambiguous);
  CHECK(r[1].code == "unmatched");
  CHECK(r[1].message == "answer item at this position has another order_id");
  CHECK(r[1].message_id.empty());
}

TEST_CASE("fw199 taobao: items missing from a shorter answer are ambiguous, the others decided") {
  constexpr std::string_view body =
      R"({"code":0,"message":"ok","data":[{"order_id":"A1","code":0,"message":"success","module":{"code":"111^0"}}]})";
  batch b{"A1", "A2", "A3"};
  const auto r = gw().parse(200, body, b.items);
  REQUIRE(r.size() == 3);
  CHECK(r[0].cls == outcome_class::sent);
  CHECK(r[1].cls == outcome_class::ambiguous);
  CHECK(r[1].code == "unmatched");
  CHECK(r[1].message == "no answer item at this position (answer has 1 items for 3 sent)");
  CHECK(r[2].cls == outcome_class::ambiguous);
}

TEST_CASE("fw199 taobao: an answer with more items than the request makes every item ambiguous") {
  constexpr std::string_view body =
      R"({"code":0,"message":"ok","data":[)"
      R"({"order_id":"A1","code":0,"message":"success","module":{"code":"111^0"}},)"
      R"({"order_id":"A2","code":0,"message":"success","module":{"code":"222^0"}}]})";
  batch b{"A1"};
  const auto r = gw().parse(200, body, b.items);
  REQUIRE(r.size() == 1);
  CHECK(r[0].cls == outcome_class::ambiguous);
  CHECK(r[0].message == "answer has 2 items for 1 sent: cannot match them to the request");
}

TEST_CASE("fw199 taobao: an outer code other than 0 makes every item permanent with the outer code") {
  constexpr std::string_view body = R"({"code":40001,"message":"签名错误","trace_id":"t-1"})";
  batch b{"A1", "A2"};
  const auto r = gw().parse(200, body, b.items);
  REQUIRE(r.size() == 2);
  for (const auto& x : r) {
    CHECK(x.cls == outcome_class::permanent);
    CHECK(x.code == "40001");
    CHECK(x.message == "签名错误");
  }
}

TEST_CASE("fw199 taobao: an outer busy or limit message makes every item throttled") {
  batch b{"A1", "A2"};
  for (std::string_view body : {R"({"code":429,"message":"Server busy, try again later"})",
                                R"({"code":7,"message":"App Call Limited"})",
                                R"({"code":1,"message":"请求过于频繁"})",
                                R"({"code":1,"message":"触发限流"})"}) {
    CAPTURE(body);
    const auto r = gw().parse(200, body, b.items);
    REQUIRE(r.size() == 2);
    CHECK(r[0].cls == outcome_class::throttled);
    CHECK(r[1].cls == outcome_class::throttled);
  }
}

TEST_CASE("fw199 taobao: HTTP 503 makes every item ambiguous whatever the body says") {
  batch b{"A1", "A2"};
  const auto r = gw().parse(503, R"({"code":1,"message":"模板不存在"})", b.items);
  REQUIRE(r.size() == 2);
  for (const auto& x : r) {
    CHECK(x.cls == outcome_class::ambiguous);
    CHECK(x.code == "http_503");
  }
}

TEST_CASE("fw199 taobao: a body that is not JSON or has no code makes every item ambiguous") {
  batch b{"A1", "A2"};
  for (std::string_view body : {std::string_view("<html>502 Bad Gateway</html>"), std::string_view(""),
                                std::string_view(R"({"message":"ok","data":[]})"), std::string_view("[1,2]"),
                                std::string_view(R"({"code":0,"message":"ok"})")}) {
    CAPTURE(body);
    const auto r = gw().parse(200, body, b.items);
    REQUIRE(r.size() == 2);
    CHECK(r[0].cls == outcome_class::ambiguous);
    CHECK(r[1].cls == outcome_class::ambiguous);
    CHECK(r[0].code == "unparseable");
    CHECK(r[0].message.starts_with("unparseable answer"));
  }
}

TEST_CASE("fw199 taobao: a 4xx is ambiguous unless its body is a recognisable gateway error") {
  batch b{"A1"};
  auto r = gw().parse(404, "<html>Not Found</html>", b.items);
  CHECK(r[0].cls == outcome_class::ambiguous);
  CHECK(r[0].code == "http_404");
  r = gw().parse(400, R"({"code":1001,"message":"appid不存在"})", b.items);
  CHECK(r[0].cls == outcome_class::permanent);
  CHECK(r[0].code == "1001");
  r = gw().parse(429, R"({"code":429,"message":"rate limit exceeded"})", b.items);
  CHECK(r[0].cls == outcome_class::throttled);
  r = gw().parse(400, R"({"code":0,"message":"ok","data":[{"order_id":"A1","code":0}]})", b.items);
  CHECK(r[0].cls == outcome_class::ambiguous);
  CHECK(r[0].code == "http_400");
}

TEST_CASE("fw199 taobao: an answer item without a code is ambiguous") {
  batch b{"A1"};
  const auto r = gw().parse(200, R"({"code":0,"data":[{"order_id":"A1","message":"?"}]})", b.items);
  CHECK(r[0].cls == outcome_class::ambiguous);
  CHECK(r[0].message == "answer item has no code");
}

TEST_CASE("fw199 item messages: daily number limit, system, flow control, everything else") {
  CHECK(classify_fw199_item_message("当前号码的短信发送次数超过当天限制。") == outcome_class::recipient_limited);
  CHECK(classify_fw199_item_message("该号码当天限制") == outcome_class::recipient_limited);
  CHECK(classify_fw199_item_message("发送次数超出") == outcome_class::recipient_limited);
  CHECK(classify_fw199_item_message("System error") == outcome_class::ambiguous);
  CHECK(classify_fw199_item_message("系统繁忙") == outcome_class::ambiguous);
  CHECK(classify_fw199_item_message("isp.remote-service-timeout") == outcome_class::ambiguous);
  CHECK(classify_fw199_item_message("请求超时") == outcome_class::ambiguous);
  CHECK(classify_fw199_item_message("触发流控") == outcome_class::throttled);
  CHECK(classify_fw199_item_message("操作频繁") == outcome_class::throttled);
  CHECK(classify_fw199_item_message("App Call LIMITED") == outcome_class::throttled);
  CHECK(classify_fw199_item_message("模板不存在") == outcome_class::permanent);
  CHECK(classify_fw199_item_message("签名不合法") == outcome_class::permanent);
  CHECK(classify_fw199_item_message("oaid解密失败") == outcome_class::permanent);
  CHECK(classify_fw199_item_message("非法参数") == outcome_class::permanent);
  CHECK(classify_fw199_item_message("") == outcome_class::permanent);
}

TEST_CASE("fw199 call messages: busy or limiting is throttled, anything else permanent") {
  CHECK(classify_fw199_call_message("busy") == outcome_class::throttled);
  CHECK(classify_fw199_call_message("系统繁忙") == outcome_class::throttled);
  CHECK(classify_fw199_call_message("Too Many Requests") == outcome_class::throttled);
  CHECK(classify_fw199_call_message("sign error") == outcome_class::permanent);
  CHECK(classify_fw199_call_message("appid不存在") == outcome_class::permanent);
}
