#include <doctest/doctest.h>

#include "aliyun_test_support.hpp"
#include "herald/gateway/aliyun_sms.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

struct fixture {
  aliyun_sms gw{test::aliyun_account()};
  std::vector<model::event> events{test::aliyun_event("evt-1", "13800138000")};
  std::vector<const model::event*> items = test::pointers(events);

  item_result one(int status, std::string_view body) {
    auto results = gw.parse(status, body, items);
    REQUIRE(results.size() == 1);
    return results[0];
  }
};

std::string answer(std::string_view code, std::string_view message = "x") {
  return R"({"Code":")" + std::string(code) + R"(","Message":")" + std::string(message) +
         R"(","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990"})";
}

}  // namespace

TEST_CASE("aliyun_sms: Code OK is sent, with the BizId as the message id") {
  fixture f;
  const auto r = f.one(200, R"({"Code":"OK","Message":"OK","BizId":"9006197469364984^0","RequestId":"F655A8D5"})");
  CHECK(r.cls == outcome_class::sent);
  CHECK(r.code == "OK");
  CHECK(r.message_id == "9006197469364984^0");
}

TEST_CASE("aliyun_sms classifies Alibaba Cloud's codes by the table of docs/gateways.md") {
  fixture f;
  const std::vector<std::pair<std::string, outcome_class>> rows{
      {"isv.BUSINESS_LIMIT_CONTROL", outcome_class::recipient_limited},
      {"isv.DAY_LIMIT_CONTROL", outcome_class::recipient_limited},
      {"isv.MOBILE_NUMBER_ILLEGAL", outcome_class::permanent},
      {"isv.SMS_TEMPLATE_ILLEGAL", outcome_class::permanent},
      {"isv.SMS_SIGNATURE_ILLEGAL", outcome_class::permanent},
      {"isv.TEMPLATE_MISSING_PARAMETERS", outcome_class::permanent},
      {"isv.INVALID_PARAMETERS", outcome_class::permanent},
      {"isv.PARAM_LENGTH_LIMIT", outcome_class::permanent},
      {"isv.BLACK_KEY_CONTROL_LIMIT", outcome_class::permanent},
      {"isv.AMOUNT_NOT_ENOUGH", outcome_class::permanent},
      {"isv.OUT_OF_SERVICE", outcome_class::permanent},
      {"isv.ACCOUNT_NOT_EXISTS", outcome_class::permanent},
      {"SignatureDoesNotMatch", outcome_class::permanent},
      {"InvalidAccessKeyId.NotFound", outcome_class::permanent},
      {"InvalidTimeStamp.Expired", outcome_class::permanent},
      {"Forbidden.RAM", outcome_class::permanent},
      {"Forbidden", outcome_class::permanent},
      {"Throttling", outcome_class::throttled},
      {"Throttling.User", outcome_class::throttled},
      {"Throttling.Api", outcome_class::throttled},
      {"isv.BUSINESS_FLOW_CONTROL", outcome_class::throttled},
      {"isv.FLOW_LIMIT", outcome_class::throttled},
      {"isp.SYSTEM_ERROR", outcome_class::ambiguous},
      {"ServiceUnavailable", outcome_class::ambiguous},
      {"InternalError", outcome_class::ambiguous},
      {"SignatureNonceUsed", outcome_class::ambiguous},
      // Beyond the SMS codes: other isv.* and Alibaba Cloud's common request errors are refusals.
      {"isv.INVALID_JSON_PARAM", outcome_class::permanent},
      {"MissingParameter", outcome_class::permanent},
      {"InvalidParameter", outcome_class::permanent},
      // Unknown: may have been sent.
      {"SomethingNew", outcome_class::ambiguous},
  };
  for (const auto& [code, cls] : rows) {
    CAPTURE(code);
    CHECK(classify_aliyun_code(code) == cls);
    const auto r = f.one(200, answer(code, "message of " + code));
    CHECK(r.cls == cls);
    CHECK(r.code == code);
    CHECK(r.message == "message of " + code);
    CHECK(r.message_id.empty());
  }
  CHECK(classify_aliyun_code("OK") == outcome_class::sent);
  CHECK(classify_aliyun_code("ok") == outcome_class::ambiguous);  // codes are case-sensitive
}

TEST_CASE("aliyun_sms: a 4xx with Alibaba Cloud's JSON error is classified by its Code") {
  fixture f;
  auto r = f.one(400, answer("SignatureDoesNotMatch", "Specified signature is not matched with our calculation."));
  CHECK(r.cls == outcome_class::permanent);
  CHECK(r.code == "SignatureDoesNotMatch");
  r = f.one(400, answer("Throttling.User", "Request was denied due to user flow control."));
  CHECK(r.cls == outcome_class::throttled);
  r = f.one(404, answer("InvalidAccessKeyId.NotFound", "Specified access key is not found."));
  CHECK(r.cls == outcome_class::permanent);
  r = f.one(400, answer("SignatureNonceUsed", "Specified signature nonce was used already."));
  CHECK(r.cls == outcome_class::ambiguous);
}

TEST_CASE("aliyun_sms never records the server's string to sign, which holds the phone numbers") {
  fixture f;
  const auto r = f.one(400, answer("SignatureDoesNotMatch",
                                   "Specified signature is not matched with our calculation. server string to sign "
                                   "is:POST&%2F&AccessKeyId%3Dk%26PhoneNumbers%3D13800138000"));
  CHECK(r.cls == outcome_class::permanent);
  CHECK(r.message.find("13800138000") == std::string::npos);
  CHECK(r.message.find("Specified signature is not matched") == 0);
  CHECK(r.message.find("withheld") != std::string::npos);
}

TEST_CASE("aliyun_sms: 5xx, a 4xx without an answer, Code OK under a 4xx and garbage are ambiguous") {
  fixture f;
  auto r = f.one(503, answer("ServiceUnavailable"));
  CHECK(r.cls == outcome_class::ambiguous);
  CHECK(r.code == "http_503");
  r = f.one(500, R"({"Code":"OK","BizId":"1"})");  // 5xx wins whatever the body says
  CHECK(r.cls == outcome_class::ambiguous);
  r = f.one(403, "<html>forbidden</html>");
  CHECK(r.cls == outcome_class::ambiguous);
  CHECK(r.code == "http_403");
  r = f.one(400, R"({"Code":"OK","BizId":"1"})");
  CHECK(r.cls == outcome_class::ambiguous);
  CHECK(r.code == "http_400");
  r = f.one(200, "not json");
  CHECK(r.cls == outcome_class::ambiguous);
  CHECK(r.code == "unparseable");
  CHECK(r.message.starts_with("unparseable answer"));
  r = f.one(200, R"({"Message":"OK"})");
  CHECK(r.cls == outcome_class::ambiguous);
  CHECK(r.code == "unparseable");
  r = f.one(200, R"({"Code":17})");
  CHECK(r.cls == outcome_class::ambiguous);
  CHECK(r.code == "unparseable");
}

TEST_CASE("aliyun_sms SendBatchSms gives every item the one outcome of the call") {
  auto account = test::aliyun_account();
  account.use_batch_api = true;
  const aliyun_sms gw(account);
  std::vector<model::event> events{test::aliyun_event("b-1", "13800138000"), test::aliyun_event("b-2", "13900139000"),
                                   test::aliyun_event("b-3", "13700137000")};
  const auto items = test::pointers(events);
  auto results = gw.parse(200, R"({"Code":"OK","Message":"OK","BizId":"9006^0","RequestId":"R"})", items);
  REQUIRE(results.size() == 3);
  for (const auto& r : results) {
    CHECK(r.cls == outcome_class::sent);
    CHECK(r.message_id == "9006^0");
  }
  results = gw.parse(200, answer("isv.DAY_LIMIT_CONTROL"), items);
  REQUIRE(results.size() == 3);
  for (const auto& r : results) CHECK(r.cls == outcome_class::recipient_limited);
  results = gw.parse(502, "", items);
  REQUIRE(results.size() == 3);
  for (const auto& r : results) CHECK(r.cls == outcome_class::ambiguous);
}
