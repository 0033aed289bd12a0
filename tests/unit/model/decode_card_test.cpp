#include <doctest/doctest.h>

#include "event_test_support.hpp"
#include "herald/model/event.hpp"

using namespace herald;
using namespace herald::model;

namespace {

const config::herald_config cfg = test::accounts_of_every_kind();

// A valid aliyun_card event whose "card" is card_json (left out when empty).
std::string card_event(std::string_view card_json, std::string_view account = "brand-card") {
  std::string s = R"({"account": ")" + std::string(account) +
                  R"(", "order_id": "88231", "recipient": {"phone": "13800138000"}, "sign_name": "Brand",
                      "template_code": "CARD_SMS_6112", "params": {"name": "x"})";
  if (!card_json.empty()) s += R"(, "card": )" + std::string(card_json);
  return s + "}";
}

std::string error_of(std::string_view json) {
  auto r = decode_event(json, cfg);
  return r.has_value() ? "(no error)" : r.message();
}

std::string card_error(std::string_view card_json) { return error_of(card_event(card_json)); }

}  // namespace

TEST_CASE("an aliyun_card event reads every card field, JSON kept compact and as written") {
  auto r = decode_event(card_event(R"({
      "fallback_type": "DIGITALSMS", "fallback_template_code": "DIGITAL_1",
      "fallback_params": {"code": "1234", "amount": 1.50},
      "custom_url": "https://example.com/o/88231",
      "custom_short_code_json": {"a": [1, 2.50, {"b": null}], "t": true, "f": false, "s": "x\"y\n", "e": {}, "l": []}})"),
                        cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  REQUIRE(r->card.has_value());
  const card_fields& c = *r->card;
  CHECK(c.fallback_type == "DIGITALSMS");
  CHECK(c.fallback_template_code == "DIGITAL_1");
  CHECK(c.fallback_params_json == R"({"code":"1234","amount":1.50})");
  CHECK(c.custom_url == "https://example.com/o/88231");
  CHECK(c.custom_short_code_json == R"({"a":[1,2.50,{"b":null}],"t":true,"f":false,"s":"x\"y\n","e":{},"l":[]})");
  CHECK(r->params_json == R"({"name":"x"})");  // the card's own dyncParams, untouched by fallback_params
}

TEST_CASE("a card needs only its fallback template: the rest has defaults") {
  auto r = decode_event(card_event(R"({"fallback_template_code": "SMS_1"})"), cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  REQUIRE(r->card.has_value());
  CHECK(r->card->fallback_type == "SMS");
  CHECK(r->card->fallback_template_code == "SMS_1");
  CHECK(r->card->fallback_params_json.empty());
  CHECK(r->card->custom_url.empty());
  CHECK(r->card->custom_short_code_json.empty());

  auto none = decode_event(card_event(R"({"fallback_type": "NONE"})"), cfg);
  REQUIRE_MESSAGE(none.has_value(), none.message());
  CHECK(none->card->fallback_type == "NONE");
  CHECK(none->card->fallback_template_code.empty());

  auto nulls = decode_event(card_event(R"({"fallback_type": null, "fallback_template_code": "SMS_1",
                                           "fallback_params": null, "custom_url": null, "custom_short_code_json": null})"),
                            cfg);
  REQUIRE_MESSAGE(nulls.has_value(), nulls.message());
  CHECK(nulls->card->fallback_type == "SMS");
}

TEST_CASE("custom_short_code_json may be a string holding a JSON object, kept compact") {
  auto r = decode_event(card_event(R"({"fallback_type": "NONE",
                                       "custom_short_code_json": "{ \"a\" : [1, 2.50],\n \"s\": \"\\u00e9\" }"})"),
                        cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  CHECK(r->card->custom_short_code_json == "{\"a\":[1,2.50],\"s\":\"\xc3\xa9\"}");

  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": "[1]"})") ==
        "card.custom_short_code_json: the string must hold a JSON object");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": "5"})") ==
        "card.custom_short_code_json: the string must hold a JSON object");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": "{\"a\": }"})") ==
        "card.custom_short_code_json: the string is not JSON: Invalid value at offset 6");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": "{} {}"})") ==
        "card.custom_short_code_json: the string is not JSON: The document root must not be followed by other values "
        "at offset 3");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": "{}\u0000"})") ==
        "card.custom_short_code_json: the string is not JSON: a NUL byte at offset 2");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": "{\"a\": \"\\udc00\"}"})") ==
        "card.custom_short_code_json: the string is not valid UTF-8: unpaired UTF-16 surrogate escape \\udc00 in a "
        "string at offset 7 (a high surrogate escape must be followed by a low one)");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": "{\"a\": \"x\ny\"}"})") ==
        "card.custom_short_code_json: the string is not JSON: raw control character U+000A in a string at offset 8 "
        "(control characters must be escaped)");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": ""})") ==
        "card.custom_short_code_json: the string is not JSON: The document is empty at offset 0");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": ")" + std::string(100, '[') + R"("})") ==
        "card.custom_short_code_json: the string must hold a JSON object");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": "{\"a\":)" + std::string(100, '[') + R"("})") ==
        "card.custom_short_code_json: the string's JSON nests deeper than 63 levels");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": 5})") ==
        "card.custom_short_code_json: must be an object or a string holding one (got a number)");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": [{}]})") ==
        "card.custom_short_code_json: must be an object or a string holding one (got an array)");
}

TEST_CASE("custom_short_code_json is at most 4096 characters of compact JSON") {
  const std::string fits = R"({"fallback_type": "NONE", "custom_short_code_json": {"k": ")" + std::string(4088, 'v') + R"("}})";
  auto r = decode_event(card_event(fits), cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  CHECK(r->card->custom_short_code_json.size() == 4096);
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": {"k": ")" + std::string(4089, 'v') + R"("}})") ==
        "card.custom_short_code_json: too long (4097 chars of compact JSON, at most 4096)");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_short_code_json": "{\"k\": \")" + std::string(4089, 'v') +
                   R"(\"}"})") == "card.custom_short_code_json: too long (4097 chars of compact JSON, at most 4096)");
}

TEST_CASE("a card is required for aliyun_card accounts and refused by every other gateway") {
  CHECK(error_of(card_event("")) == "card: missing (required for aliyun_card accounts)");
  CHECK(error_of(card_event("null")) == "card: missing (required for aliyun_card accounts)");
  CHECK(error_of(card_event(R"({"fallback_type": "NONE"})", "brand-sms")) == "card: only aliyun_card accounts take a card");
  CHECK(error_of(R"({"account": "shop-a", "order_id": "1", "recipient": {"oaid": "o"}, "sign_name": "s",
                    "template_code": "t", "card": {"fallback_type": "NONE"}})") ==
        "card: only aliyun_card accounts take a card");
  CHECK(error_of(R"({"account": "shop-dy", "order_id": "1", "recipient": {"by_order": true}, "sign_name": "s",
                    "template_code": "t", "card": {}})") == "card: only aliyun_card accounts take a card");
}

TEST_CASE("the card's keys are checked: unknown, repeated, wrong type") {
  CHECK(card_error("[]") == "card: must be an object (got an array)");
  CHECK(card_error(R"("SMS")") == "card: must be an object (got a string)");
  CHECK(card_error(R"({"fallbak_type": "SMS"})") ==
        R"(card: unknown key "fallbak_type" (expected "fallback_type", "fallback_template_code", "fallback_params", )"
        R"("custom_url" or "custom_short_code_json"))");
  CHECK(card_error(R"({"fallback_type": "NONE", "mobile": {"x": [1]}})").starts_with(R"(card: unknown key "mobile" )"));
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_url": "a", "custom_url": "b"})") ==
        "card.custom_url: given more than once");
  CHECK(card_error(R"({"fallback_type": "sms"})") ==
        R"(card.fallback_type: must be "SMS", "DIGITALSMS" or "NONE" (got "sms"))");
  CHECK(card_error(R"({"fallback_type": 1})") == R"(card.fallback_type: must be "SMS", "DIGITALSMS" or "NONE" (got a number))");
  CHECK(card_error(R"({"fallback_template_code": 5})") == "card.fallback_template_code: must be a string (got a number)");
  CHECK(card_error(R"({"fallback_template_code": ""})") == "card.fallback_template_code: empty");
  CHECK(card_error(R"({"fallback_template_code": ")" + std::string(65, 'T') + R"("})") ==
        "card.fallback_template_code: too long (65 chars, at most 64)");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_url": {"u": 1}})") ==
        "card.custom_url: must be a string (got an object)");
}

TEST_CASE("a card falls back to a template unless its fallback_type is NONE") {
  CHECK(card_error("{}") == R"(card.fallback_template_code: missing (required unless fallback_type is "NONE"))");
  CHECK(card_error(R"({"fallback_type": "DIGITALSMS", "fallback_params": {"a": "1"}})") ==
        R"(card.fallback_template_code: missing (required unless fallback_type is "NONE"))");
  CHECK(card_error(R"({"fallback_type": "NONE", "fallback_template_code": "SMS_1"})") ==
        R"(card.fallback_template_code: not used when fallback_type is "NONE")");
  CHECK(card_error(R"({"fallback_type": "NONE", "fallback_params": {}})") ==
        R"(card.fallback_params: not used when fallback_type is "NONE")");
}

TEST_CASE("fallback_params follow the rules of params") {
  const std::string fallback = R"("fallback_template_code": "SMS_1", )";
  CHECK(card_error("{" + fallback + R"("fallback_params": "{}"})") == "card.fallback_params: must be an object (got a string)");
  CHECK(card_error("{" + fallback + R"("fallback_params": {"a": true}})") ==
        "card.fallback_params.a: must be a string or a number (got a boolean)");
  CHECK(card_error("{" + fallback + R"("fallback_params": {"a": {"b": 1}}})") ==
        "card.fallback_params.a: must be a string or a number (got an object)");
  CHECK(card_error("{" + fallback + R"("fallback_params": {"a": "1", "a": "2"}})") ==
        "card.fallback_params.a: given more than once");
  CHECK(card_error("{" + fallback + R"("fallback_params": {"": "1"}})") == "card.fallback_params: a key is empty");
  auto r = decode_event(card_event("{" + fallback + R"("fallback_params": {}})"), cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  CHECK(r->card->fallback_params_json == "{}");
}

TEST_CASE("custom_url is a string of at most 512 characters without control characters") {
  const std::string url = "https://example.com/" + std::string(492, 'u');
  auto r = decode_event(card_event(R"({"fallback_type": "NONE", "custom_url": ")" + url + R"("})"), cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  CHECK(r->card->custom_url == url);
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_url": ")" + url + R"(x"})") ==
        "card.custom_url: too long (513 chars, at most 512)");
  CHECK(card_error(R"({"fallback_type": "NONE", "custom_url": "https://x/\n"})") ==
        "card.custom_url: must not contain control characters");
}

TEST_CASE("fields after a card are decoded as usual, and nothing of one event leaks into the next") {
  auto r = decode_event(R"({"card": {"custom_short_code_json": {"p": {"q": [{"r": 1}]}}, "fallback_params": {"f": 1},
                                     "fallback_template_code": "SMS_9"},
                            "params": {"name": "late"}, "account": "brand-card", "order_id": "1",
                            "recipient": {"phone": "13800138000"}, "sign_name": "s", "template_code": "CARD_1",
                            "category": "marketing"})",
                        cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  CHECK(r->params_json == R"({"name":"late"})");
  CHECK(r->category == config::category::marketing);
  CHECK(r->card->custom_short_code_json == R"({"p":{"q":[{"r":1}]}})");
  CHECK(r->card->fallback_params_json == R"({"f":1})");

  auto next = decode_event(card_event(R"({"fallback_type": "NONE"})"), cfg);
  REQUIRE_MESSAGE(next.has_value(), next.message());
  CHECK(next->card->custom_short_code_json.empty());
  CHECK(next->card->fallback_params_json.empty());
  CHECK(next->params_json == R"({"name":"x"})");
}

TEST_CASE("nesting inside a card counts towards the 64-level limit") {
  std::string deep = R"({"fallback_type": "NONE", "custom_short_code_json": {"a": )" + std::string(70, '[') +
                     std::string(70, ']') + "}}";
  CHECK(card_error(deep) == "event nests deeper than 64 levels");
}
