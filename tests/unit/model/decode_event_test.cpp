#include <doctest/doctest.h>

#include "event_test_support.hpp"
#include "herald/model/event.hpp"

using namespace herald;
using namespace herald::model;

namespace {

const config::herald_config cfg = test::accounts_of_every_kind();

std::string error_of(std::string_view json) {
  auto r = decode_event(json, cfg);
  return r.has_value() ? "(no error)" : r.message();
}

// A valid fw199_taobao event with one field replaced (or added) by `field`.
std::string taobao_event_with(std::string_view field) {
  std::string s = R"({"account": "shop-a", "order_id": "3006925020239565830", "recipient": {"oaid": "OAID-SECRET-1"},
                     "sign_name": "Shop A", "template_code": "SMS_12345")";
  if (!field.empty()) s += ", " + std::string(field);
  return s + "}";
}

}  // namespace

TEST_CASE("a fw199_taobao event addressed by oaid decodes with defaults") {
  auto r = decode_event(taobao_event_with(""), cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  const event& e = r.value();
  CHECK(e.account == "shop-a");
  CHECK(e.order_id == "3006925020239565830");
  CHECK(e.to.kind == recipient_kind::oaid);
  CHECK(e.to.value == "OAID-SECRET-1");
  CHECK(e.sign_name == "Shop A");
  CHECK(e.template_code == "SMS_12345");
  CHECK(e.params_json == "{}");
  CHECK(e.category == config::category::transactional);
  CHECK(e.extend.empty());
  CHECK(e.is_event_id_derived);
  CHECK(e.event_id == derive_event_id(e, cfg.ledger.recipient_hash_key));
}

TEST_CASE("every field is read, params kept as compact JSON with numbers as written") {
  auto r = decode_event(R"({
      "event_id": "evt-123", "account": "shop-a", "order_id": "o-1", "recipient": {"oaid": "x"},
      "sign_name": "店铺", "template_code": "SMS_1",
      "params": {"name": "张三", "amount": 1.50, "count": 3, "quote": "a\"b\n", "big": 12345678901234567890123},
      "category": "marketing", "extend": "e", "extend_code": "ec", "extend_name": "en"})",
                        cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  CHECK(r->event_id == "evt-123");
  CHECK_FALSE(r->is_event_id_derived);
  CHECK(r->sign_name == "店铺");
  CHECK(r->params_json == R"({"name":"张三","amount":1.50,"count":3,"quote":"a\"b\n","big":12345678901234567890123})");
  CHECK(r->category == config::category::marketing);
  CHECK(r->extend == "e");
  CHECK(r->extend_code == "ec");
  CHECK(r->extend_name == "en");
}

TEST_CASE("each gateway kind takes its own recipient kind") {
  auto douyin = decode_event(R"({"account": "shop-dy", "order_id": "1", "recipient": {"post_tel": "#enc#tel##"},
                                 "sign_name": "s", "template_code": "ST_72dd4e2c"})",
                             cfg);
  REQUIRE_MESSAGE(douyin.has_value(), douyin.message());
  CHECK(douyin->to.kind == recipient_kind::post_tel);
  CHECK(douyin->to.value == "#enc#tel##");

  auto top = decode_event(R"({"account": "shop-top", "order_id": "1", "recipient": {"oaid": "o"}, "sign_name": "s",
                              "template_code": "SMS_1"})",
                          cfg);
  REQUIRE_MESSAGE(top.has_value(), top.message());
  CHECK(top->to.kind == recipient_kind::oaid);

  for (const char* account : {"brand-sms", "brand-card"}) {
    const std::string card = account == std::string("brand-card") ? R"(, "card": {"fallback_type": "NONE"})" : "";
    for (const char* phone : {"13800138000", "+8613800138000", "12345", "+1234"}) {
      std::string json = std::string(R"({"account": ")") + account + R"(", "order_id": "1", "recipient": {"phone": ")" +
                         phone + R"("}, "sign_name": "s", "template_code": "SMS_1")" + card + "}";
      auto r = decode_event(json, cfg);
      REQUIRE_MESSAGE(r.has_value(), r.message());
      CHECK(r->to.kind == recipient_kind::phone);
      CHECK(r->to.value == phone);
    }
  }
  CHECK(recipient_kind_for(config::gateway_kind::fw199_taobao) == recipient_kind::oaid);
  CHECK(recipient_kind_for(config::gateway_kind::fw199_douyin) == recipient_kind::post_tel);
  CHECK(recipient_kind_for(config::gateway_kind::aliyun_card) == recipient_kind::phone);
}

TEST_CASE("a numeric order_id becomes its decimal text, exactly") {
  auto r = decode_event(taobao_event_with("").replace(taobao_event_with("").find("\"3006925020239565830\""), 21,
                                                      "3006925020239565830"),
                        cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  CHECK(r->order_id == "3006925020239565830");

  auto huge = decode_event(R"({"account": "shop-a", "order_id": 123456789012345678901234567890,
                               "recipient": {"oaid": "x"}, "sign_name": "s", "template_code": "t"})",
                           cfg);
  REQUIRE_MESSAGE(huge.has_value(), huge.message());
  CHECK(huge->order_id == "123456789012345678901234567890");

  CHECK(error_of(R"({"order_id": -1})") == "order_id: must be a string or a non-negative whole number");
  CHECK(error_of(R"({"order_id": 1.5})") == "order_id: must be a string or a non-negative whole number");
  CHECK(error_of(R"({"order_id": 1e3})") == "order_id: must be a string or a non-negative whole number");
  CHECK(error_of(R"({"order_id": true})") == "order_id: must be a string (got a boolean)");
}

TEST_CASE("unknown top-level keys are ignored, whatever they hold") {
  auto r = decode_event(taobao_event_with(R"("trace": {"id": [1, {"deep": [true, null]}], "params": 5},
                                              "producer": "x", "ts": 1.5)"),
                        cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  CHECK(r->params_json == "{}");
}

TEST_CASE("null is the same as leaving a field out") {
  auto r = decode_event(taobao_event_with(R"("event_id": null, "params": null, "category": null, "extend": null)"), cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  CHECK(r->is_event_id_derived);
  CHECK(error_of(R"({"account": null})") == "account: missing");
}

TEST_CASE("input that is not a JSON object is invalid") {
  CHECK(error_of(R"({"account": "shop-a" "order_id": "1"})") ==
        "not JSON: Missing a comma or '}' after an object member at offset 21");
  CHECK(error_of("") == "not JSON: The document is empty at offset 0");
  CHECK(error_of(R"({"account": "shop-a"} x)") == "not JSON: The document root must not be followed by other values at offset 22");
  CHECK(error_of("[1, 2]") == "event is not a JSON object");
  CHECK(error_of("\"text\"") == "event is not a JSON object");
  CHECK(error_of("42") == "event is not a JSON object");
  CHECK(error_of(std::string("{\"account\": \"shop-a\"}\0garbage", 29)) == "not JSON: a NUL byte at offset 21");
  CHECK(error_of("{\"sign_name\": \"a\xc3\x28\"}") ==
        "not valid UTF-8: a string holds an invalid UTF-8 sequence at offset 16");
  CHECK(error_of(taobao_event_with("\"x\": \"\xff\"")).starts_with("not valid UTF-8: "));
  std::string deep = taobao_event_with(std::string("\"t\": ") + std::string(100, '[') + std::string(100, ']'));
  CHECK(error_of(deep) == "event nests deeper than 64 levels");
  // The parser recurses: the handler's refusal at 64 levels is what bounds its stack.
  std::string abyss = "{\"t\": " + std::string(1'000'000, '[');
  CHECK(error_of(abyss) == "event nests deeper than 64 levels");
}

TEST_CASE("a text defect gets a reason that names it") {
  // Each of these was reported in RapidJSON's words, which named the wrong problem.
  CHECK(error_of(std::string("\0{}", 3)) == "not JSON: a NUL byte at offset 0");  // was "The document is empty"
  CHECK(error_of(std::string("{\"account\": \"sh\0op\"}", 20)) == "not JSON: a NUL byte at offset 15");
  CHECK(error_of("{\"account\": \"sh\x01op\"}") ==
        "not JSON: raw control character U+0001 in a string at offset 15 (control characters must be escaped)");
  CHECK(error_of(taobao_event_with("\"extend\": \"a\tb\"")).starts_with("not JSON: raw control character U+0009 in a string at offset "));
  CHECK(error_of(R"({"account": "shop-a", "n": 1e999})") ==
        "not JSON: number 1e999 out of range at offset 27 (a number must fit a double)");
  CHECK(error_of(R"({"account": "shop-a", "params": {"n": -1E+400}})") ==
        "not JSON: number -1E+400 out of range at offset 38 (a number must fit a double)");
  CHECK(error_of(R"({"account": "a\qb"})") == "not JSON: invalid escape \\q in a string at offset 14");
}

TEST_CASE("an unpaired surrogate escape is refused wherever it is, naming its offset") {
  // RapidJSON took a lone low surrogate and decoded it into CESU bytes (ED B0 80), not UTF-8,
  // which went on into outcome records; a lone high one it refused as an invalid "pair".
  const std::string lone = taobao_event_with(R"("event_id": "evt-\udc00")");
  CHECK(error_of(lone) == "not valid UTF-8: unpaired UTF-16 surrogate escape \\udc00 in a string at offset " +
                              std::to_string(lone.find("\\udc00")) +
                              " (a high surrogate escape must be followed by a low one)");
  CHECK(error_of(taobao_event_with(R"("params": {"name": "\uDFFFx"})")).starts_with(
      "not valid UTF-8: unpaired UTF-16 surrogate escape \\uDFFF in a string at offset "));
  CHECK(error_of(taobao_event_with(R"("ignored_field": "\ud800")")).starts_with(
      "not valid UTF-8: unpaired UTF-16 surrogate escape \\ud800 in a string at offset "));
  CHECK(error_of(taobao_event_with(R"("\udc00": 1)")).starts_with("not valid UTF-8: unpaired UTF-16 surrogate escape "));
  // A pair is one character, and an escaped backslash before "udc00" is only text.
  auto pair = decode_event(taobao_event_with(R"("event_id": "evt-\ud83d\ude00", "extend": "\\udc00")"), cfg);
  REQUIRE_MESSAGE(pair.has_value(), pair.message());
  CHECK(pair->event_id == "evt-\xF0\x9F\x98\x80");
  CHECK(pair->extend == "\\udc00");
}

TEST_CASE("a UTF-8 byte order mark before the event is skipped") {
  auto r = decode_event("\xEF\xBB\xBF" + taobao_event_with(R"("event_id": "evt-bom")"), cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  CHECK(r->event_id == "evt-bom");
  CHECK(r->account == "shop-a");
  // Offsets still count from the first byte given.
  CHECK(error_of("\xEF\xBB\xBF{\"account\": x}") == "not JSON: Invalid value at offset 15");
  CHECK(error_of("\xEF\xBB\xBF\xEF\xBB\xBF{}") == "not JSON: a byte order mark (EF BB BF) inside the text at offset 3");
}

TEST_CASE("invalid UTF-8 cut short at the very end is reported, not read past") {
  // The validating parse reads a sequence's continuation bytes before checking them.
  for (const char* tail : {"\xE3", "\xF0\x9F", "\xC3"}) {
    std::string text = std::string(R"({"account": ")") + tail;
    CHECK(error_of(text).starts_with("not valid UTF-8: a string holds an invalid UTF-8 sequence at offset 13"));
  }
}

TEST_CASE("a JSON syntax error wins over a field error earlier in the text") {
  CHECK(error_of(R"({"account": 5, "order_id": })").starts_with("not JSON: "));
}

TEST_CASE("required fields are named when missing") {
  CHECK(error_of("{}") == "account: missing");
  CHECK(error_of(R"({"account": "shop-x"})") == "account: \"shop-x\" is not a configured account");
  CHECK(error_of(R"({"account": "shop-a"})") == "order_id: missing");
  CHECK(error_of(R"({"account": "shop-a", "order_id": "1"})") == "recipient: missing");
  CHECK(error_of(R"({"account": "shop-a", "order_id": "1", "recipient": {"oaid": "x"}})") == "sign_name: missing");
  CHECK(error_of(R"({"account": "shop-a", "order_id": "1", "recipient": {"oaid": "x"}, "sign_name": "s"})") ==
        "template_code: missing");
}

TEST_CASE("string fields are checked for type, length and control characters") {
  CHECK(error_of(R"({"account": 5})") == "account: must be a string (got a number)");
  CHECK(error_of(R"({"account": ""})") == "account: empty");
  CHECK(error_of(R"({"sign_name": ["a"]})") == "sign_name: must be a string (got an array)");
  CHECK(error_of(R"({"template_code": {"a": 1}})") == "template_code: must be a string (got an object)");
  CHECK(error_of(R"({"order_id": ")" + std::string(70, '7') + "\"}") == "order_id: too long (70 chars, at most 64)");
  CHECK(error_of(R"({"order_id": ""})") == "order_id: empty");
  CHECK(error_of(R"({"event_id": ""})") == "event_id: empty (leave it out to have one derived)");
  CHECK(error_of(R"({"event_id": ")" + std::string(129, 'e') + "\"}") == "event_id: too long (129 chars, at most 128)");
  CHECK(error_of(R"({"extend_name": ")" + std::string(65, 'n') + "\"}") ==
        "extend_name: too long (65 chars, at most 64)");
  CHECK(error_of(R"({"template_code": "SMS\u00011"})") == "template_code: must not contain control characters");
  CHECK(error_of(R"({"category": "promo"})") == "category: must be \"transactional\" or \"marketing\" (got \"promo\")");
  CHECK(error_of(R"({"category": 1})") == "category: must be \"transactional\" or \"marketing\" (got a number)");
  CHECK(error_of(R"({"account": "a", "account": "b"})") == "account: given more than once");

  // Lengths count characters, not bytes: 64 Chinese characters are a valid sign_name.
  std::string name;
  for (int i = 0; i < 64; ++i) name += "店";
  auto r = decode_event(taobao_event_with("\"event_id\": \"e\"").replace(taobao_event_with("").find("Shop A") , 6, name), cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  CHECK(error_of(R"({"sign_name": ")" + name + "店\"}") == "sign_name: too long (65 chars, at most 64)");
}

TEST_CASE("the recipient must be the kind the account's gateway addresses") {
  CHECK(error_of(R"({"account": "shop-a", "order_id": "1", "recipient": {"phone": "13800138000"}})") ==
        R"(recipient: account "shop-a" (fw199_taobao) needs {"oaid": ...}, got {"phone": ...})");
  CHECK(error_of(R"({"account": "shop-dy", "order_id": "1", "recipient": {"oaid": "x"}})") ==
        R"(recipient: account "shop-dy" (fw199_douyin) needs {"post_tel": ...} or {"by_order": true}, got {"oaid": ...})");
  CHECK(error_of(R"({"account": "shop-top", "order_id": "1", "recipient": {"by_order": true}})") ==
        R"(recipient: account "shop-top" (top_oaid) needs {"oaid": ...}, got {"by_order": true})");
  CHECK(error_of(R"({"account": "brand-card", "order_id": "1", "recipient": {"by_order": true}})") ==
        R"(recipient: account "brand-card" (aliyun_card) needs {"phone": ...}, got {"by_order": true})");
  CHECK(error_of(R"({"account": "brand-sms", "order_id": "1", "recipient": {"post_tel": "x"}})") ==
        R"(recipient: account "brand-sms" (aliyun_sms) needs {"phone": ...}, got {"post_tel": ...})");
  CHECK(error_of(R"({"recipient": {}})") ==
        R"(recipient: must have exactly one key, "oaid", "post_tel", "phone" or "by_order" (got 0))");
  CHECK(error_of(R"({"recipient": {"oaid": "a", "phone": "1"}})") ==
        R"(recipient: must have exactly one key, "oaid", "post_tel", "phone" or "by_order" (got 2))");
  CHECK(error_of(R"({"recipient": {"by_order": true, "post_tel": "x"}})") ==
        R"(recipient: must have exactly one key, "oaid", "post_tel", "phone" or "by_order" (got 2))");
  CHECK(error_of(R"({"recipient": {"email": "a@b.c"}})") ==
        R"(recipient: unknown kind "email" (expected "oaid", "post_tel", "phone" or "by_order"))");
  CHECK(error_of(R"({"recipient": "13800138000"})") ==
        R"(recipient: must be an object with one key, "oaid", "post_tel", "phone" or "by_order" (got a string))");
  CHECK(error_of(R"({"recipient": {"oaid": 5}})") == "recipient.oaid: must be a string (got a number)");
  CHECK(error_of(R"({"recipient": {"oaid": ""}})") == "recipient.oaid: empty");
  CHECK(error_of(R"({"recipient": {"phone": "138-0013-8000"}})") ==
        R"(recipient.phone: must be 5 to 20 characters of digits, optionally after a leading "+")");
  CHECK(error_of(R"({"recipient": {"phone": "1234"}})") ==
        R"(recipient.phone: must be 5 to 20 characters of digits, optionally after a leading "+")");
  CHECK(error_of(R"({"recipient": {"phone": "123456789012345678901"}})") ==
        R"(recipient.phone: must be 5 to 20 characters of digits, optionally after a leading "+")");
  CHECK(error_of(R"({"recipient": {"phone": "+"}})") ==
        R"(recipient.phone: must be 5 to 20 characters of digits, optionally after a leading "+")");
}

TEST_CASE("no error message contains the recipient's value") {
  const std::string value = "1380013800099";
  for (const std::string& json : {
           R"({"account": "shop-a", "order_id": "1", "recipient": {"phone": ")" + value + R"("}})",
           R"({"recipient": {"phone": ")" + value + R"(x"}})",
           R"({"recipient": {"oaid": ")" + value + R"(", "phone": ")" + value + R"("}})",
           R"({"recipient": {"oaid": ")" + value + std::string(600, '9') + R"("}})",
           R"({"recipient": {"oaid": ")" + value + R"(\n"}})",
           R"({"recipient": {")" + value + R"(": "x"}})",
           R"({"recipient": {"+)" + value + R"(": "x"}})",
           R"({"recipient": {"by_order": ")" + value + R"("}})",
           R"({"account": "shop-dy", "order_id": "1", "recipient": {"by_order": ")" + value + R"("}})",
       }) {
    std::string message = error_of(json);
    CHECK(message != "(no error)");
    CHECK_MESSAGE(message.find(value) == std::string::npos, message);
  }
}

TEST_CASE("params must be an object of strings and numbers") {
  CHECK(error_of(R"({"params": {"amount": true}})") == "params.amount: must be a string or a number (got a boolean)");
  CHECK(error_of(R"({"params": {"amount": null}})") == "params.amount: must be a string or a number (got null)");
  CHECK(error_of(R"({"params": {"amount": {"v": 1}}})") == "params.amount: must be a string or a number (got an object)");
  CHECK(error_of(R"({"params": {"list": [1]}})") == "params.list: must be a string or a number (got an array)");
  CHECK(error_of(R"({"params": [1]})") == "params: must be an object (got an array)");
  CHECK(error_of(R"({"params": "{}"})") == "params: must be an object (got a string)");
  CHECK(error_of(R"({"params": {"a": "1", "a": "2"}})") == "params.a: given more than once");
  CHECK(error_of(R"({"params": {"a": "1", "\u0061": "2"}})") == "params.a: given more than once");
  CHECK(error_of(R"({"params": {"": "1"}})") == "params: a key is empty");
  auto r = decode_event(taobao_event_with(R"("params": {})"), cfg);
  REQUIRE(r.has_value());
  CHECK(r->params_json == "{}");
  auto escaped = decode_event(taobao_event_with(R"("params": {"a\"b": "x", "a\\b": "y", "c": "z\u0001"})"), cfg);
  REQUIRE_MESSAGE(escaped.has_value(), escaped.message());
  CHECK(escaped->params_json == R"({"a\"b":"x","a\\b":"y","c":"z\u0001"})");
}

TEST_CASE("a fw199_douyin event may address the buyer of its order with {\"by_order\": true}") {
  auto r = decode_event(R"({"account": "shop-dy", "order_id": "6919023423442342342", "recipient": {"by_order": true},
                            "sign_name": "s", "template_code": "ST_72dd4e2c"})",
                        cfg);
  REQUIRE_MESSAGE(r.has_value(), r.message());
  CHECK(r->to.kind == recipient_kind::by_order);
  CHECK(r->to.value.empty());
  CHECK(r->is_event_id_derived);
  CHECK(r->event_id == derive_event_id(r.value(), cfg.ledger.recipient_hash_key));
  CHECK(recipient_kind_for(config::gateway_kind::fw199_douyin) == recipient_kind::post_tel);  // still the main kind
}

TEST_CASE("by_order takes only true") {
  CHECK(error_of(R"({"recipient": {"by_order": false}})") == "recipient.by_order: must be true (got false)");
  CHECK(error_of(R"({"recipient": {"by_order": "true"}})") == "recipient.by_order: must be true (got a string)");
  CHECK(error_of(R"({"recipient": {"by_order": 1}})") == "recipient.by_order: must be true (got a number)");
  CHECK(error_of(R"({"recipient": {"by_order": null}})") == "recipient.by_order: must be true (got null)");
  CHECK(error_of(R"({"recipient": {"by_order": {"order_id": "1"}}})") ==
        "recipient.by_order: must be true (got an object)");
  CHECK(error_of(R"({"recipient": {"by_order": [true]}})") == "recipient.by_order: must be true (got an array)");
}

TEST_CASE("which gateway accepts which recipient kind") {
  using config::gateway_kind;
  struct row {
    gateway_kind gateway;
    bool oaid, post_tel, phone, by_order;
  };
  for (const row& r : {row{gateway_kind::fw199_taobao, true, false, false, false},
                       row{gateway_kind::top_oaid, true, false, false, false},
                       row{gateway_kind::fw199_douyin, false, true, false, true},
                       row{gateway_kind::aliyun_sms, false, false, true, false},
                       row{gateway_kind::aliyun_card, false, false, true, false}}) {
    CAPTURE(config::to_string(r.gateway));
    CHECK(accepts_recipient(r.gateway, recipient_kind::oaid) == r.oaid);
    CHECK(accepts_recipient(r.gateway, recipient_kind::post_tel) == r.post_tel);
    CHECK(accepts_recipient(r.gateway, recipient_kind::phone) == r.phone);
    CHECK(accepts_recipient(r.gateway, recipient_kind::by_order) == r.by_order);
    CHECK(accepts_recipient(r.gateway, recipient_kind_for(r.gateway)));  // the main kind is always accepted
  }
}
