#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "aliyun_test_support.hpp"
#include "herald/gateway/aliyun_sms.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

send_context fixed_context() {
  send_context ctx;
  ctx.unix_seconds = 1700000000;  // 2023-11-14T22:13:20Z
  ctx.nonce = "nonce-0001";
  return ctx;
}

model::event send_sms_event() {
  model::event e = test::aliyun_event("evt-1001", "13800138000");
  e.params_json = R"({"code":"1234","name":"张三 & *~"})";
  e.extend_code = "90999";
  return e;
}

// The form body Python computes for the same fields (aliyun_sign_test.cpp has the script): the
// canonical query, then &Signature=<encoded signature>.
constexpr std::string_view expected_send_sms_body =
    "AccessKeyId=test-key-id&Action=SendSms&Format=JSON&OutId=evt-1001&PhoneNumbers=13800138000"
    "&RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95"
    "&SignatureMethod=HMAC-SHA1&SignatureNonce=nonce-0001&SignatureVersion=1.0&SmsUpExtendCode=90999"
    "&TemplateCode=SMS_154950909"
    "&TemplateParam=%7B%22code%22%3A%221234%22%2C%22name%22%3A%22%E5%BC%A0%E4%B8%89%20%26%20%2A~%22%7D"
    "&Timestamp=2023-11-14T22%3A13%3A20Z&Version=2017-05-25&Signature=V1zx1gub5%2Fia6K%2FtPqljtw4n%2Fxk%3D";

}  // namespace

TEST_CASE("aliyun_sms build writes exactly the expected SendSms body for a fixed context") {
  const aliyun_sms gw(test::aliyun_account());
  const std::vector<model::event> events{send_sms_event()};
  const http_request req = gw.build(test::pointers(events), fixed_context());
  CHECK(req.method == "POST");
  CHECK(req.target == "/");
  CHECK(req.content_type == "application/x-www-form-urlencoded; charset=utf-8");
  CHECK(req.body == expected_send_sms_body);
}

TEST_CASE("aliyun_sms SendSms body decodes back to the fields and its signature verifies independently") {
  const aliyun_sms gw(test::aliyun_account());
  const std::vector<model::event> events{send_sms_event()};
  const auto decoded = test::form_decode(gw.build(test::pointers(events), fixed_context()).body);
  auto fields = test::as_map(decoded);
  REQUIRE(decoded.size() == 16);
  REQUIRE(fields.size() == 16);
  CHECK(fields["Action"] == "SendSms");
  CHECK(fields["Version"] == "2017-05-25");
  CHECK(fields["Format"] == "JSON");
  CHECK(fields["AccessKeyId"] == "test-key-id");
  CHECK(fields["SignatureMethod"] == "HMAC-SHA1");
  CHECK(fields["SignatureVersion"] == "1.0");
  CHECK(fields["SignatureNonce"] == "nonce-0001");
  CHECK(fields["Timestamp"] == "2023-11-14T22:13:20Z");
  CHECK(fields["RegionId"] == "cn-hangzhou");
  CHECK(fields["PhoneNumbers"] == "13800138000");
  CHECK(fields["SignName"] == "阿里云短信测试");
  CHECK(fields["TemplateCode"] == "SMS_154950909");
  CHECK(fields["TemplateParam"] == R"({"code":"1234","name":"张三 & *~"})");
  CHECK(fields["OutId"] == "evt-1001");
  CHECK(fields["SmsUpExtendCode"] == "90999");
  CHECK(fields["Signature"] == test::server_signature("POST", decoded, "test-secret-not-real"));
  CHECK(fields["Signature"] != test::server_signature("POST", decoded, "another-secret"));
}

TEST_CASE("aliyun_sms SendSms leaves out SmsUpExtendCode when the event has none, and signs a fresh nonce") {
  const aliyun_sms gw(test::aliyun_account());
  std::vector<model::event> events{test::aliyun_event("evt-1", "13800138000")};
  send_context first = fixed_context();
  send_context second = fixed_context();
  second.nonce = "nonce-0002";
  const auto a = test::form_decode(gw.build(test::pointers(events), first).body);
  const auto b = test::form_decode(gw.build(test::pointers(events), second).body);
  CHECK(test::as_map(a).count("SmsUpExtendCode") == 0);
  CHECK(test::as_map(a)["SignatureNonce"] == "nonce-0001");
  CHECK(test::as_map(b)["SignatureNonce"] == "nonce-0002");
  CHECK(test::as_map(a)["Signature"] != test::as_map(b)["Signature"]);
  CHECK(test::as_map(b)["Signature"] == test::server_signature("POST", b, "test-secret-not-real"));
}

TEST_CASE("aliyun_sms without the batch API sends one event per call and routes every event together") {
  const aliyun_sms gw(test::aliyun_account());
  CHECK(gw.caps().max_batch == 1);
  CHECK_FALSE(gw.caps().routes_by_sign_and_template);
  CHECK(gw.caps().has_receipt_query);
  CHECK(gw.route_key(test::aliyun_event("e", "13800138000")).empty());
}

TEST_CASE("aliyun_sms with the batch API takes up to 100 events of one template per call") {
  auto account = test::aliyun_account();
  account.use_batch_api = true;
  account.max_batch = 500;
  const aliyun_sms gw(account);
  CHECK(gw.caps().max_batch == 100);
  CHECK(gw.caps().routes_by_sign_and_template);
  auto e = test::aliyun_event("e", "13800138000");
  CHECK(gw.route_key(e) == "SMS_154950909");
  account.max_batch = 20;
  CHECK(aliyun_sms(account).caps().max_batch == 20);
}

TEST_CASE("aliyun_sms SendBatchSms sends parallel arrays, one TemplateCode and a batch OutId") {
  auto account = test::aliyun_account();
  account.use_batch_api = true;
  const aliyun_sms gw(account);
  std::vector<model::event> events{test::aliyun_event("b-1", "13800138000"), test::aliyun_event("b-2", "13900139000"),
                                   test::aliyun_event("b-3", "13700137000")};
  events[1].sign_name = R"(店 "Q")";
  events[1].params_json = R"({"name":"李四"})";
  events[2].params_json = "";

  const auto decoded = test::form_decode(gw.build(test::pointers(events), fixed_context()).body);
  auto fields = test::as_map(decoded);
  CHECK(fields["Action"] == "SendBatchSms");
  CHECK(fields["PhoneNumberJson"] == R"(["13800138000","13900139000","13700137000"])");
  CHECK(fields["SignNameJson"] == R"(["阿里云短信测试","店 \"Q\"","阿里云短信测试"])");
  CHECK(fields["TemplateParamJson"] == R"([{"code":"1234"},{"name":"李四"},{}])");
  CHECK(fields["TemplateCode"] == "SMS_154950909");
  // python3 -c 'import hashlib; print("b:" + hashlib.sha256(b"b-1\nb-2\nb-3\n").hexdigest()[:32])'
  CHECK(fields["OutId"] == "b:765e2457cbccc7e4eb2742711aef54f7");
  CHECK(fields.count("SmsUpExtendCodeJson") == 0);
  CHECK(fields.count("PhoneNumbers") == 0);
  CHECK(fields["Signature"] == test::server_signature("POST", decoded, "test-secret-not-real"));
  for (const char* name : {"PhoneNumberJson", "SignNameJson", "TemplateParamJson"}) {
    rapidjson::Document d;
    d.Parse(fields[name].c_str());
    CHECK_MESSAGE((d.IsArray() && d.Size() == 3), name);
  }

  events[1].extend_code = "01";
  const auto with_extend = test::as_map(test::form_decode(gw.build(test::pointers(events), fixed_context()).body));
  CHECK(with_extend.at("SmsUpExtendCodeJson") == R"(["","01",""])");
}

TEST_CASE("the OutId is the event_id, hashed when longer than 256 characters") {
  auto e = test::aliyun_event("evt-1", "13800138000");
  CHECK(aliyun_event_out_id(e) == "evt-1");
  e.event_id = std::string(256, 'x');
  CHECK(aliyun_event_out_id(e) == e.event_id);
  e.event_id = std::string(300, 'x');
  // python3 -c 'import hashlib; print("h:" + hashlib.sha256(b"x" * 300).hexdigest())'
  CHECK(aliyun_event_out_id(e) == "h:0d4e2ca9e9cbced7a7a5380eb29e1a3783b9b6d0db72de36a1051038e1c1fbc7");

  // One item: the event's own; several: depends on the ids and their order only.
  std::vector<model::event> one{test::aliyun_event("solo", "1")};
  CHECK(aliyun_call_out_id(test::pointers(one)) == "solo");
  std::vector<model::event> ab{test::aliyun_event("a", "1"), test::aliyun_event("b", "2")};
  std::vector<model::event> ba{test::aliyun_event("b", "3"), test::aliyun_event("a", "4")};
  CHECK(aliyun_call_out_id(test::pointers(ab)) != aliyun_call_out_id(test::pointers(ba)));
  ab[0].to.value = "999";
  CHECK(aliyun_call_out_id(test::pointers(ab)).size() == 34);
}

TEST_CASE("an aliyun account without its AccessKey cannot make a gateway") {
  auto account = test::aliyun_account();
  account.app_secret.clear();
  CHECK_THROWS_WITH_AS(aliyun_sms{account}, "account 'aliyun-a': the aliyun_sms gateway needs app_secret (the AccessKeySecret)",
                       std::invalid_argument);
  account = test::aliyun_account();
  account.app_id.clear();
  CHECK_THROWS_AS(aliyun_sms{account}, std::invalid_argument);
}
