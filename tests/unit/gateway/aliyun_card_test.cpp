#include <doctest/doctest.h>

#include "aliyun_test_support.hpp"
#include "herald/gateway/aliyun_card.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

send_context fixed_context() {
  send_context ctx;
  ctx.unix_seconds = 1700000000;
  ctx.nonce = "nonce-card";
  return ctx;
}

aliyun_card card_gateway(std::uint32_t max_batch = 100) {
  auto account = test::aliyun_account(config::gateway_kind::aliyun_card);
  account.max_batch = max_batch;
  return aliyun_card(account);
}

}  // namespace

TEST_CASE("aliyun_card takes up to 100 numbers per call and has a receipt query") {
  CHECK(card_gateway(500).caps().max_batch == 100);
  CHECK(card_gateway(10).caps().max_batch == 10);
  CHECK(card_gateway().caps().routes_by_sign_and_template);
  CHECK(card_gateway().caps().has_receipt_query);
}

TEST_CASE("aliyun_card routes by everything SendCardSms takes once per call, never by the number") {
  const auto gw = card_gateway();
  const auto base = test::card_event("c-1", "13800138000");
  auto other_number = test::card_event("c-2", "13900139000");
  other_number.params_json = R"({"code":"9"})";
  other_number.card->custom_url = "https://shop.example/o/2";
  CHECK(gw.route_key(base) == gw.route_key(other_number));
  CHECK(gw.route_key(base).find("13800138000") == std::string::npos);

  auto changed = base;
  changed.template_code = "CARD_SMS_71";
  CHECK(gw.route_key(changed) != gw.route_key(base));
  changed = base;
  changed.sign_name = "另一个签名";
  CHECK(gw.route_key(changed) != gw.route_key(base));
  changed = base;
  changed.card->fallback_type = "DIGITALSMS";
  CHECK(gw.route_key(changed) != gw.route_key(base));
  changed = base;
  changed.card->fallback_template_code = "SMS_1";
  CHECK(gw.route_key(changed) != gw.route_key(base));
  changed = base;
  changed.card->fallback_params_json = R"({"code":"5"})";
  CHECK(gw.route_key(changed) != gw.route_key(base));
  changed = base;
  changed.extend_code = "01";
  CHECK(gw.route_key(changed) != gw.route_key(base));
}

TEST_CASE("aliyun_card SendCardSms carries CardObjects, the card template, and the SMS fallback") {
  const auto gw = card_gateway();
  std::vector<model::event> events{test::card_event("c-1", "13800138000"), test::card_event("c-2", "13900139000")};
  events[1].params_json = R"({"name":"李四"})";
  events[1].card->custom_url.clear();
  events[1].card->custom_short_code_json = R"({"a":"b"})";

  const auto decoded = test::form_decode(gw.build(test::pointers(events), fixed_context()).body);
  auto fields = test::as_map(decoded);
  CHECK(decoded.size() == fields.size());
  CHECK(fields["Action"] == "SendCardSms");
  CHECK(fields["CardObjects"] ==
        R"([{"mobile":"13800138000","dyncParams":{"code":"1234"},"customUrl":"https://shop.example/o/1"},)"
        R"({"mobile":"13900139000","dyncParams":{"name":"李四"},"customShortCodeJson":"{\"a\":\"b\"}"}])");
  CHECK(fields["CardTemplateCode"] == "CARD_SMS_70");
  CHECK(fields["SignName"] == "阿里云短信测试");
  CHECK(fields["FallbackType"] == "SMS");
  CHECK(fields["SmsTemplateCode"] == "SMS_23425");
  CHECK(fields["SmsTemplateParam"] == R"({"code":"1234"})");
  CHECK(fields.count("DigitalTemplateCode") == 0);
  CHECK(fields.count("SmsUpExtendCode") == 0);
  CHECK(fields["OutId"] == aliyun_call_out_id(test::pointers(events)));
  CHECK(fields["OutId"].starts_with("b:"));
  CHECK(fields["Signature"] == test::server_signature("POST", decoded, "test-secret-not-real"));
}

TEST_CASE("aliyun_card puts a digital fallback in the Digital fields, and none with NONE") {
  const auto gw = card_gateway();
  std::vector<model::event> events{test::card_event("c-1", "13800138000")};
  events[0].card->fallback_type = "DIGITALSMS";
  events[0].card->fallback_template_code = "DIGITAL_1";
  events[0].extend_code = "77";
  auto fields = test::as_map(test::form_decode(gw.build(test::pointers(events), fixed_context()).body));
  CHECK(fields["FallbackType"] == "DIGITALSMS");
  CHECK(fields["DigitalTemplateCode"] == "DIGITAL_1");
  CHECK(fields["DigitalTemplateParam"] == R"({"code":"1234"})");
  CHECK(fields.count("SmsTemplateCode") == 0);
  CHECK(fields["SmsUpExtendCode"] == "77");
  CHECK(fields["OutId"] == "c-1");

  events[0].card->fallback_type = "NONE";
  fields = test::as_map(test::form_decode(gw.build(test::pointers(events), fixed_context()).body));
  CHECK(fields["FallbackType"] == "NONE");
  CHECK(fields.count("DigitalTemplateCode") == 0);
  CHECK(fields.count("SmsTemplateCode") == 0);
}

TEST_CASE("aliyun_card: Code OK sends every number, card or fallback, with the id of what it got") {
  const auto gw = card_gateway();
  std::vector<model::event> events{test::card_event("c-1", "13800138000"), test::card_event("c-2", "13900139000"),
                                   test::card_event("c-3", "13700137000")};
  const auto items = test::pointers(events);
  const std::string body = R"({"Code":"OK","RequestId":"R","Success":true,"Data":{"BizCardId":"card^0",)"
                           R"("BizSmsId":"sms^0","BizDigitalId":"","MediaMobiles":"13800138000,13700137000",)"
                           R"("NotMediaMobiles":"13900139000","CardTmpState":1}})";
  auto results = gw.parse(200, body, items);
  REQUIRE(results.size() == 3);
  CHECK(results[0].cls == outcome_class::sent);
  CHECK(results[0].message_id == "card^0");
  CHECK(results[1].cls == outcome_class::sent);
  CHECK(results[1].message_id == "sms^0");
  CHECK(results[2].message_id == "card^0");

  // Without a fallback, a number that cannot show the card got nothing.
  for (auto& e : events) e.card->fallback_type = "NONE";
  results = gw.parse(200, body, items);
  CHECK(results[0].cls == outcome_class::sent);
  CHECK(results[1].cls == outcome_class::permanent);
  CHECK(results[1].code == "not_media_mobile");
  CHECK(results[1].message.find("13900139000") == std::string::npos);

  // A digital fallback gets the BizDigitalId.
  for (auto& e : events) e.card->fallback_type = "DIGITALSMS";
  results = gw.parse(200, R"({"Code":"OK","Data":{"BizCardId":"c","BizDigitalId":"d","NotMediaMobiles":["13900139000"]}})",
                     items);
  CHECK(results[1].message_id == "d");
  CHECK(results[0].message_id == "c");
}

TEST_CASE("aliyun_card: a refused call gives every number the call's class") {
  const auto gw = card_gateway();
  std::vector<model::event> events{test::card_event("c-1", "13800138000"), test::card_event("c-2", "13900139000")};
  const auto items = test::pointers(events);
  auto results = gw.parse(200, R"({"Code":"isv.SMS_TEMPLATE_ILLEGAL","Message":"bad","Success":false})", items);
  REQUIRE(results.size() == 2);
  for (const auto& r : results) CHECK(r.cls == outcome_class::permanent);
  results = gw.parse(400, R"({"Code":"Throttling.User","Message":"slow down"})", items);
  for (const auto& r : results) CHECK(r.cls == outcome_class::throttled);
  results = gw.parse(200, "{", items);
  for (const auto& r : results) CHECK(r.cls == outcome_class::ambiguous);
}

TEST_CASE("MediaMobiles lists split on commas, blanks dropped") {
  CHECK(split_aliyun_mobiles("") == std::vector<std::string_view>{});
  CHECK(split_aliyun_mobiles("1") == std::vector<std::string_view>{"1"});
  CHECK(split_aliyun_mobiles("1, 2,,3 ") == std::vector<std::string_view>{"1", "2", "3"});
}
