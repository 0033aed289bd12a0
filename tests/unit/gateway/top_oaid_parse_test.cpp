#include <doctest/doctest.h>

#include "herald/gateway/top_oaid.hpp"
#include "top_test_support.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

const top_oaid& gw() {
  static const top_oaid instance(test::top_account());
  return instance;
}

item_result parse_one(int status, std::string_view body) {
  static const model::event e = test::top_event();
  const model::event* items[] = {&e};
  const auto r = gw().parse(status, body, items);
  REQUIRE(r.size() == 1);
  return r[0];
}

std::string error_body(std::string_view code, std::string_view msg, std::string_view sub_code = {},
                       std::string_view sub_msg = {}) {
  std::string b = R"({"error_response":{"code":)" + std::string(code) + R"(,"msg":")" + std::string(msg) + '"';
  if (!sub_code.empty()) b += R"(,"sub_code":")" + std::string(sub_code) + '"';
  if (!sub_msg.empty()) b += R"(,"sub_msg":")" + std::string(sub_msg) + '"';
  return b + R"(,"request_id":"r-1"}})";
}

}  // namespace

TEST_CASE("top oaid: TOP's sample success answer is sent, with module as the message id") {
  // Verbatim from TOP's sample (docs/gateways.md "TOP OAID send", "Answer").
  const auto r = parse_one(200, R"({"jst_sms_oaid_message_send_response":{"module":"1234567890^0","req_id":"1235"}})");
  CHECK(r.cls == outcome_class::sent);
  CHECK(r.message_id == "1234567890^0");
  CHECK(r.code.empty());
}

TEST_CASE("top oaid: TOP's sample failure answer (code 50, isv.invalid-parameter) is permanent") {
  // Verbatim from TOP's sample (docs/gateways.md "TOP OAID send", "Answer"; request_id filled in).
  const auto r = parse_one(
      200,
      R"({"error_response":{"code":50,"msg":"Remote service error","sub_code":"isv.invalid-parameter","sub_msg":"非法参数","request_id":"r-1"}})");
  CHECK(r.cls == outcome_class::permanent);
  CHECK(r.code == "isv.invalid-parameter");  // the sub_code when there is one
  CHECK(r.message == "Remote service error: 非法参数");
  CHECK(r.message_id.empty());
}

TEST_CASE("top oaid: the number's daily count exceeded is recipient_limited") {
  auto r = parse_one(200, error_body("15", "Remote service error", "isv.business-limit-control",
                                     "当前号码的短信发送次数超过当天限制"));
  CHECK(r.cls == outcome_class::recipient_limited);
  CHECK(r.code == "isv.business-limit-control");
  CHECK(r.message == "Remote service error: 当前号码的短信发送次数超过当天限制");
  r = parse_one(200, error_body("15", "Remote service error", "isv.invalid-parameter", "超过该号码今日可发送次数"));
  CHECK(r.cls == outcome_class::recipient_limited);
}

TEST_CASE("top oaid: app call limits and isv limit sub-codes are throttled") {
  auto r = parse_one(200, error_body("7", "App Call Limited", "accesscontrol.limited-by-api-access-count",
                                     "This ban will last for 1 more seconds"));
  CHECK(r.cls == outcome_class::throttled);
  CHECK(r.code == "accesscontrol.limited-by-api-access-count");
  r = parse_one(200, error_body("7", "App Call Limited"));
  CHECK(r.cls == outcome_class::throttled);
  CHECK(r.code == "7");  // no sub_code: the code
  // Code 7's own Chinese description is about the app, not the number.
  CHECK(parse_one(200, error_body("7", "App Call Limited", "", "应用调用次数超限")).cls == outcome_class::throttled);
  CHECK(parse_one(200, error_body("15", "Remote service error", "isv.app-call-limited", "调用频率超限")).cls ==
        outcome_class::throttled);
  CHECK(parse_one(200, error_body("15", "Remote service error", "isv.business-limit-control", "触发分钟级流控")).cls ==
        outcome_class::throttled);
}

TEST_CASE("top oaid: isv sub-codes about the template, signature name or OAID are permanent") {
  auto r = parse_one(200, error_body("15", "Remote service error", "isv.template-not-exist", "模板不存在"));
  CHECK(r.cls == outcome_class::permanent);
  CHECK(r.code == "isv.template-not-exist");
  CHECK(parse_one(200, error_body("15", "Remote service error", "isv.sign-name-invalid", "签名不合法")).cls ==
        outcome_class::permanent);
  CHECK(parse_one(200, error_body("15", "Remote service error", "isv.oaid-decrypt-fail", "OAID解密失败")).cls ==
        outcome_class::permanent);
}

TEST_CASE("top oaid: auth, permission, method and argument codes are permanent with the code recorded") {
  for (const char* code : {"25", "26", "27", "28", "29", "11", "12", "13", "21", "22", "40", "41", "31"}) {
    CAPTURE(code);
    const auto r = parse_one(200, error_body(code, "some platform error"));
    CHECK(r.cls == outcome_class::permanent);
    CHECK(r.code == code);
    CHECK(r.message == "some platform error");
  }
  // As TOP writes a bad signature and a bad timestamp.
  auto r = parse_one(200, R"({"error_response":{"code":25,"msg":"Invalid signature","request_id":"x"}})");
  CHECK(r.cls == outcome_class::permanent);
  CHECK(r.message == "Invalid signature");
  // A code written as a string is read the same.
  CHECK(parse_one(200, R"({"error_response":{"code":"29","msg":"Invalid app Key"}})").cls == outcome_class::permanent);
}

TEST_CASE("top oaid: isp sub-codes, 10, and 15/50 without an isv sub-code are ambiguous") {
  auto r = parse_one(200, error_body("15", "Remote service error", "isp.top-remote-connection-timeout", "连接超时"));
  CHECK(r.cls == outcome_class::ambiguous);
  CHECK(r.code == "isp.top-remote-connection-timeout");
  CHECK(parse_one(200, error_body("15", "Remote service error", "isp.remote-service-timeout")).cls ==
        outcome_class::ambiguous);
  CHECK(parse_one(200, error_body("50", "Remote service error", "isp.unknown-error")).cls == outcome_class::ambiguous);
  CHECK(parse_one(200, error_body("10", "Service Currently Unavailable")).cls == outcome_class::ambiguous);
  CHECK(parse_one(200, error_body("15", "Remote service error")).cls == outcome_class::ambiguous);
  CHECK(parse_one(200, error_body("50", "Remote service error")).cls == outcome_class::ambiguous);
  CHECK(parse_one(200, error_body("999", "something new")).cls == outcome_class::ambiguous);
}

TEST_CASE("top oaid: HTTP 5xx is ambiguous whatever the body says") {
  for (std::string_view body : {std::string_view(R"({"jst_sms_oaid_message_send_response":{"module":"1^0"}})"),
                                std::string_view(R"({"error_response":{"code":25,"msg":"Invalid signature"}})"),
                                std::string_view("<html>502</html>")}) {
    const auto r = parse_one(503, body);
    CHECK(r.cls == outcome_class::ambiguous);
    CHECK(r.code == "http_503");
    CHECK(r.message_id.empty());
  }
}

TEST_CASE("top oaid: a body that cannot be read is ambiguous") {
  for (std::string_view body : {std::string_view("<html>oops</html>"), std::string_view(""), std::string_view("[1]"),
                                std::string_view(R"({"something_else":{}})"),
                                std::string_view(R"({"jst_sms_oaid_message_send_response":"ok"})"),
                                std::string_view(R"({"error_response":{"msg":"no code"}})")}) {
    CAPTURE(body);
    const auto r = parse_one(200, body);
    CHECK(r.cls == outcome_class::ambiguous);
    CHECK(r.code == "unparseable");
    CHECK(r.message.starts_with("unparseable answer"));
  }
  // A success without its send id is not taken as sent on a guess.
  const auto r = parse_one(200, R"({"jst_sms_oaid_message_send_response":{"req_id":"1235"}})");
  CHECK(r.cls == outcome_class::ambiguous);
  CHECK(r.message == "unparseable answer: success without a module (send id)");
}

TEST_CASE("top oaid: a 4xx is ambiguous unless its body is a TOP error_response") {
  auto r = parse_one(404, "<html>Not Found</html>");
  CHECK(r.cls == outcome_class::ambiguous);
  CHECK(r.code == "http_404");
  r = parse_one(400, error_body("41", "Invalid arguments", "isv.invalid-parameter", "bad"));
  CHECK(r.cls == outcome_class::permanent);
  r = parse_one(403, R"({"jst_sms_oaid_message_send_response":{"module":"1^0"}})");
  CHECK(r.cls == outcome_class::ambiguous);
  CHECK(r.code == "http_403");
}

TEST_CASE("top oaid: a recipient echoed in an error message does not reach the outcome") {
  const auto r = parse_one(200, error_body("15", "Remote service error", "isv.invalid-parameter",
                                           "oaid AAHk5d-oaid-test is invalid; AAHk5d-oaid-test"));
  CHECK(r.cls == outcome_class::permanent);
  CHECK(r.message == "Remote service error: oaid <recipient> is invalid; <recipient>");
}

TEST_CASE("top classification table, row by row") {
  auto cls = [](std::string_view code, std::string_view sub_code, std::string_view sub_msg = {}) {
    return classify_top_error({code, sub_code, sub_msg});
  };
  CHECK(cls("7", "") == outcome_class::throttled);
  CHECK(cls("8", "") == outcome_class::throttled);
  CHECK(cls("", "accesscontrol.limited-by-app-access-count") == outcome_class::throttled);
  CHECK(cls("15", "isp.unknown-error", "当前号码的短信发送次数超过当天限制") == outcome_class::ambiguous);
  CHECK(cls("15", "ISV.Business-Limit-Control", "当前号码的短信发送次数超过当天限制") ==
        outcome_class::recipient_limited);
  CHECK(cls("15", "isv.business-limit-control") == outcome_class::throttled);
  CHECK(cls("15", "isv.invalid-parameter", "非法参数") == outcome_class::permanent);
  CHECK(cls("27", "invalid-sessionkey") == outcome_class::permanent);
  CHECK(cls("43", "") == outcome_class::permanent);
  CHECK(cls("10", "") == outcome_class::ambiguous);
  CHECK(cls("", "") == outcome_class::ambiguous);
  CHECK(cls("250", "") == outcome_class::ambiguous);  // whole-code match: 25 is not 250
}
