#include <doctest/doctest.h>

#include "fw199_douyin_support.hpp"
#include "herald/gateway/fw199_douyin.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

// Items A1, A2, ... : odd positions by post_tel, even ones by order (biz_type 1).
struct batch {
  std::vector<model::event> events;
  std::vector<const model::event*> items;
  explicit batch(std::initializer_list<const char*> order_ids) {
    int n = 0;
    for (const char* id : order_ids) {
      ++n;
      events.push_back(n % 2 ? test::douyin_event(id, "tel-" + std::to_string(n)) : test::douyin_order_event(id));
    }
    items = test::pointers(events);
  }
};

const fw199_douyin& gw() {
  static const fw199_douyin instance(test::douyin_account());
  return instance;
}

}  // namespace

TEST_CASE("fw199 douyin parses the vendor's answer shape: every item sent with its message_id") {
  constexpr std::string_view body =
      R"({"code":0,"message":"ok","data":[)"
      R"({"code":0,"message":"","order_id":"A1","message_id":"0a01be41-0001"},)"
      R"({"code":0,"message":"","order_id":"A2","message_id":"0a01be41-0002"},)"
      R"({"code":0,"message":"","order_id":"","message_id":"0a01be41-0003"}]})";
  batch b{"A1", "A2", "A3"};
  const auto r = gw().parse(200, body, b.items);
  REQUIRE(r.size() == 3);
  for (const auto& x : r) {
    CHECK(x.cls == outcome_class::sent);
    CHECK(x.code == "0");
  }
  CHECK(r[0].message_id == "0a01be41-0001");
  CHECK(r[1].message_id == "0a01be41-0002");
  CHECK(r[2].message_id == "0a01be41-0003");  // an empty echo is matched by position alone
}

TEST_CASE("fw199 douyin: a partial failure classifies each failed item by its message") {
  constexpr std::string_view body =
      R"({"code":0,"message":"ok","data":[)"
      R"({"code":0,"message":"","order_id":"A1","message_id":"m1"},)"
      R"({"code":1,"message":"Remote service error,请求失败,当前号码的短信发送次数超过当天限制。","order_id":"A2","message_id":""},)"
      R"({"code":2,"message":"模板不存在","order_id":"A3"},)"
      R"({"code":3,"message":"系统错误，请稍后重试","order_id":"A4"},)"
      R"({"code":4,"message":"请求过于频繁，触发流控","order_id":"A5"},)"
      R"({"code":"isv.param-error","message":"template_param参数错误","order_id":"A6"}]})";
  batch b{"A1", "A2", "A3", "A4", "A5", "A6"};
  const auto r = gw().parse(200, body, b.items);
  REQUIRE(r.size() == 6);
  CHECK(r[0].cls == outcome_class::sent);
  CHECK(r[1].cls == outcome_class::recipient_limited);
  CHECK(r[1].code == "1");
  CHECK(r[1].message_id.empty());
  CHECK(r[2].cls == outcome_class::permanent);
  CHECK(r[2].code == "2");
  CHECK(r[2].message == "模板不存在");
  CHECK(r[3].cls == outcome_class::ambiguous);
  CHECK(r[4].cls == outcome_class::throttled);
  CHECK(r[5].cls == outcome_class::permanent);
  CHECK(r[5].code == "isv.param-error");
}

TEST_CASE("fw199 douyin: an echo of an order_id the call did not send, or not text, credits no item") {
  constexpr std::string_view body =
      R"({"code":0,"message":"ok","data":[)"
      R"({"code":0,"message":"","order_id":"A1","message_id":"m1"},)"
      R"({"code":0,"message":"","order_id":"ZZ","message_id":"m2"},)"
      R"({"code":0,"message":"","order_id":7,"message_id":"m3"}]})";
  batch b{"A1", "A2", "A3"};
  const auto r = gw().parse(200, body, b.items);
  REQUIRE(r.size() == 3);
  CHECK(r[0].cls == outcome_class::sent);
  for (std::size_t i : {1u, 2u}) {
    CAPTURE(i);
    CHECK(r[i].cls == outcome_class::ambiguous);
    CHECK(r[i].code == "unmatched");
    CHECK(r[i].message == "no answer item echoes this item's order_id, and the answer cannot be matched by position");
    CHECK(r[i].message_id.empty());
  }
}

TEST_CASE("fw199 douyin: items missing from a shorter answer are ambiguous, the others decided") {
  constexpr std::string_view body = R"({"code":0,"message":"ok","data":[{"code":0,"order_id":"A1","message_id":"m1"}]})";
  batch b{"A1", "A2", "A3"};
  const auto r = gw().parse(200, body, b.items);
  REQUIRE(r.size() == 3);
  CHECK(r[0].cls == outcome_class::sent);
  CHECK(r[1].cls == outcome_class::ambiguous);
  CHECK(r[1].code == "unmatched");
  CHECK(r[1].message == "no answer item at this position (answer has 1 items for 3 sent)");
  CHECK(r[2].cls == outcome_class::ambiguous);
}

TEST_CASE("fw199 douyin: an answer with more items than the request makes every item ambiguous") {
  constexpr std::string_view body =
      R"({"code":0,"message":"ok","data":[{"code":0,"order_id":"A1","message_id":"m1"},)"
      R"({"code":0,"order_id":"","message_id":"m2"}]})";
  batch b{"A1"};
  const auto r = gw().parse(200, body, b.items);
  REQUIRE(r.size() == 1);
  CHECK(r[0].cls == outcome_class::ambiguous);
  CHECK(r[0].code == "unmatched");
}

TEST_CASE("fw199 douyin: an answer item that is not an object or has no code is ambiguous") {
  batch b{"A1", "A2"};
  const auto r = gw().parse(200, R"({"code":0,"data":["x",{"order_id":"A2","message":"?"}]})", b.items);
  REQUIRE(r.size() == 2);
  CHECK(r[0].cls == outcome_class::ambiguous);
  CHECK(r[0].code == "unmatched");
  CHECK(r[1].cls == outcome_class::ambiguous);
  CHECK(r[1].code == "unparseable");
}

TEST_CASE("fw199 douyin: an outer code other than 0 makes every item permanent, or throttled when busy") {
  batch b{"A1", "A2"};
  auto r = gw().parse(200, R"({"code":40003,"message":"invalid sign","data":[]})", b.items);
  REQUIRE(r.size() == 2);
  for (const auto& x : r) {
    CHECK(x.cls == outcome_class::permanent);
    CHECK(x.code == "40003");
    CHECK(x.message == "invalid sign");
  }
  for (std::string_view body : {R"({"code":429,"message":"Server busy, try again later"})",
                                R"({"code":1,"message":"请求过于频繁"})", R"({"code":1,"message":"触发限流"})"}) {
    CAPTURE(body);
    r = gw().parse(200, body, b.items);
    CHECK(r[0].cls == outcome_class::throttled);
    CHECK(r[1].cls == outcome_class::throttled);
  }
}

TEST_CASE("fw199 douyin: HTTP 5xx, a 4xx without a gateway answer, and garbage make every item ambiguous") {
  batch b{"A1", "A2"};
  auto r = gw().parse(503, R"({"code":0,"data":[{"code":0,"order_id":"A1"},{"code":0,"order_id":"A2"}]})", b.items);
  REQUIRE(r.size() == 2);
  for (const auto& x : r) {
    CHECK(x.cls == outcome_class::ambiguous);
    CHECK(x.code == "http_503");
  }
  r = gw().parse(404, "<html>Not Found</html>", b.items);
  CHECK(r[0].cls == outcome_class::ambiguous);
  CHECK(r[0].code == "http_404");
  r = gw().parse(400, R"({"code":40002,"message":"missing field: seller_nick"})", b.items);
  CHECK(r[0].cls == outcome_class::permanent);
  for (std::string_view body : {std::string_view("<html>502 Bad Gateway</html>"), std::string_view(""),
                                std::string_view(R"({"message":"ok","data":[]})"),
                                std::string_view(R"({"code":0,"message":"ok"})")}) {
    CAPTURE(body);
    r = gw().parse(200, body, b.items);
    REQUIRE(r.size() == 2);
    CHECK(r[0].cls == outcome_class::ambiguous);
    CHECK(r[1].cls == outcome_class::ambiguous);
    CHECK(r[0].code == "unparseable");
  }
}

TEST_CASE("fw199 douyin item messages: daily number limit, system, flow control, everything else") {
  CHECK(classify_fw199_douyin_item_message("当前号码的短信发送次数超过当天限制。") == outcome_class::recipient_limited);
  CHECK(classify_fw199_douyin_item_message("发送次数超出") == outcome_class::recipient_limited);
  CHECK(classify_fw199_douyin_item_message("System error") == outcome_class::ambiguous);
  CHECK(classify_fw199_douyin_item_message("系统繁忙") == outcome_class::ambiguous);
  CHECK(classify_fw199_douyin_item_message("template service timeout") == outcome_class::ambiguous);
  CHECK(classify_fw199_douyin_item_message("请求超时") == outcome_class::ambiguous);
  CHECK(classify_fw199_douyin_item_message("触发流控") == outcome_class::throttled);
  CHECK(classify_fw199_douyin_item_message("QPS exceeded") == outcome_class::throttled);
  CHECK(classify_fw199_douyin_item_message("Rate Limit exceeded") == outcome_class::throttled);
  CHECK(classify_fw199_douyin_item_message("模板不存在") == outcome_class::permanent);
  CHECK(classify_fw199_douyin_item_message("签名未审核通过") == outcome_class::permanent);
  CHECK(classify_fw199_douyin_item_message("template_param参数错误") == outcome_class::permanent);
  CHECK(classify_fw199_douyin_item_message("param length limit exceeded") == outcome_class::permanent);
  CHECK(classify_fw199_douyin_item_message("post_tel解密失败") == outcome_class::permanent);
  CHECK(classify_fw199_douyin_item_message("") == outcome_class::permanent);
}
