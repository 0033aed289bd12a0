#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <map>

#include "herald/gateway/gateway.hpp"
#include "herald/gateway/top_oaid.hpp"
#include "herald/gateway/top_sign.hpp"
#include "test_support.hpp"
#include "top_test_support.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

constexpr std::int64_t fixed_now = 1700000000;  // 2023-11-14 22:13:20 UTC = 2023-11-15 06:13:20 UTC+8

constexpr std::string_view expected_param =
    R"({"oaid":"AAHk5d-oaid-test","order_id":"3006925020239565830","sms_free_sign_name":"测试店铺",)"
    R"("template_code":"SMS_12345","params":{"name":"张三","code":"A&B=1"}})";

// Computed outside Herald (one line, no breaks):
//   printf '%s' 'test-secret-not-realapp_key12345678formatjsonmethodtaobao.jst.sms.oaid.message.send
//   param_send_message_by_o_a_i_d_request<expected_param>sessiontest-session-not-realsign_methodmd5
//   timestamp2023-11-15 06:13:20v2.0test-secret-not-real' | md5sum  → 76bc0c803807ab7112040f5df798bb2c
constexpr std::string_view expected_md5_sign = "76BC0C803807AB7112040F5DF798BB2C";
// The same string with sign_methodhmac / sign_methodhmac-sha256 in it and without the secrets around it:
//   printf '%s' '<string>' | openssl dgst -md5 -hmac test-secret-not-real
//   printf '%s' '<string>' | openssl dgst -sha256 -hmac test-secret-not-real
constexpr std::string_view expected_hmac_sign = "968FA65C4A54D8116D116588AC43E329";
constexpr std::string_view expected_hmac_sha256_sign =
    "B206CCC423EE7C39846CFD4905863C18F1314F1B0401C954BD51F8F8EC450C67";

// Computed outside Herald with Python's urllib.parse.quote(value, safe='') for every name and value.
constexpr std::string_view expected_body =
    "method=taobao.jst.sms.oaid.message.send&app_key=12345678&session=test-session-not-real"
    "&timestamp=2023-11-15%2006%3A13%3A20&v=2.0&format=json&sign_method=md5"
    "&param_send_message_by_o_a_i_d_request=%7B%22oaid%22%3A%22AAHk5d-oaid-test%22%2C%22order_id%22%3A"
    "%223006925020239565830%22%2C%22sms_free_sign_name%22%3A%22%E6%B5%8B%E8%AF%95%E5%BA%97%E9%93%BA%22%2C"
    "%22template_code%22%3A%22SMS_12345%22%2C%22params%22%3A%7B%22name%22%3A%22%E5%BC%A0%E4%B8%89%22%2C"
    "%22code%22%3A%22A%26B%3D1%22%7D%7D&sign=76BC0C803807AB7112040F5DF798BB2C";

std::map<std::string, std::string> build_fields(const top_oaid& gw, const model::event& e,
                                                std::int64_t now = fixed_now) {
  const model::event* items[] = {&e};
  send_context ctx;
  ctx.unix_seconds = now;
  const auto decoded = test::form_decode(gw.build(items, ctx).body);
  std::map<std::string, std::string> fields(decoded.begin(), decoded.end());
  REQUIRE(decoded.size() == 9);
  REQUIRE(fields.size() == 9);  // no name twice
  return fields;
}

}  // namespace

TEST_CASE("top oaid build writes exactly the expected form body for a fixed context") {
  const top_oaid gw(test::top_account());
  const model::event e = test::top_event();
  const model::event* items[] = {&e};
  send_context ctx;
  ctx.unix_seconds = fixed_now;
  const http_request req = gw.build(items, ctx);
  CHECK(req.method == "POST");
  CHECK(req.target == "/router/rest");
  CHECK(req.content_type == "application/x-www-form-urlencoded; charset=utf-8");
  CHECK(req.body == expected_body);
}

TEST_CASE("top oaid build's body decodes back to the fields and its sign verifies") {
  const top_oaid gw(test::top_account());
  auto fields = build_fields(gw, test::top_event());
  CHECK(fields["method"] == "taobao.jst.sms.oaid.message.send");
  CHECK(fields["app_key"] == "12345678");
  CHECK(fields["session"] == "test-session-not-real");
  CHECK(fields["timestamp"] == "2023-11-15 06:13:20");
  CHECK(fields["v"] == "2.0");
  CHECK(fields["format"] == "json");
  CHECK(fields["sign_method"] == "md5");
  CHECK(fields["param_send_message_by_o_a_i_d_request"] == expected_param);
  CHECK(fields["sign"] == expected_md5_sign);

  // The server's view: sign what was received (everything but sign) and compare.
  std::vector<sign_param> received;
  for (const auto& [name, value] : fields) received.emplace_back(name, value);
  CHECK(sign_top(received, "test-secret-not-real", top_sign_method::md5) == fields["sign"]);

  rapidjson::Document doc;
  doc.Parse(fields["param_send_message_by_o_a_i_d_request"].c_str());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["oaid"].GetString()) == "AAHk5d-oaid-test");
  CHECK(std::string(doc["params"]["name"].GetString()) == "张三");  // an object, not a string
  CHECK_FALSE(doc.HasMember("extend"));
  CHECK_FALSE(doc.HasMember("additional_info"));
}

TEST_CASE("top oaid build signs with the account's sign_method, and says which") {
  SUBCASE("hmac") {
    auto fields = build_fields(top_oaid(test::top_account("hmac")), test::top_event());
    CHECK(fields["sign_method"] == "hmac");
    CHECK(fields["sign"] == expected_hmac_sign);
  }
  SUBCASE("hmac-sha256") {
    auto fields = build_fields(top_oaid(test::top_account("hmac-sha256")), test::top_event());
    CHECK(fields["sign_method"] == "hmac-sha256");
    CHECK(fields["sign"] == expected_hmac_sha256_sign);
  }
}

TEST_CASE("top oaid request JSON carries the extension fields only when they are set") {
  model::event e = test::top_event("1", "o");
  e.sign_name = R"(店 "Q")";
  e.params_json.clear();
  e.extend = "e1";
  e.extend_code = "01";
  e.extend_name = "ext";
  std::string out;
  append_top_oaid_request(out, e);
  CHECK(out ==
        R"({"oaid":"o","order_id":"1","sms_free_sign_name":"店 \"Q\"","template_code":"SMS_12345","params":{},)"
        R"("extend":"e1","extend_code":"01","extend_name":"ext"})");
}

TEST_CASE("top oaid writes the timestamp in UTC+8, so another second gives another sign") {
  const top_oaid gw(test::top_account());
  const auto e = test::top_event();
  auto a = build_fields(gw, e, fixed_now);
  auto b = build_fields(gw, e, fixed_now + 1);
  CHECK(a["timestamp"] == "2023-11-15 06:13:20");
  CHECK(b["timestamp"] == "2023-11-15 06:13:21");
  CHECK(a["sign"] != b["sign"]);
  // 16:00 UTC is midnight in China: the date moves on.
  CHECK(build_fields(gw, e, 1699977600)["timestamp"] == "2023-11-15 00:00:00");
}

TEST_CASE("top oaid caps: one message per call, no routing by sign or template, no receipt query") {
  auto account = test::top_account();
  account.max_batch = 100;
  const top_oaid gw(account);
  CHECK(gw.caps().max_batch == 1);
  CHECK_FALSE(gw.caps().routes_by_sign_and_template);
  CHECK_FALSE(gw.caps().has_receipt_query);
  CHECK(gw.route_key(test::top_event()).empty());
}

TEST_CASE("top oaid build refuses anything but exactly one item") {
  const top_oaid gw(test::top_account());
  const auto a = test::top_event("1", "o1");
  const auto b = test::top_event("2", "o2");
  const model::event* two[] = {&a, &b};
  CHECK_THROWS_WITH_AS(gw.build(two, send_context{}), "the top_oaid gateway sends one item per call, got 2",
                       std::invalid_argument);
  CHECK_THROWS_AS(gw.build(std::span<const model::event* const>{}, send_context{}), std::invalid_argument);
}

TEST_CASE("top oaid refuses an account without the credentials it signs with") {
  auto account = test::top_account();
  account.session.clear();
  CHECK_THROWS_WITH_AS(top_oaid{account}, "account 'shop-t': the top_oaid gateway needs session",
                       std::invalid_argument);
  account = test::top_account("sha1");
  CHECK_THROWS_WITH_AS(top_oaid{account}, "account 'shop-t': the top_oaid gateway's sign_method must be md5, hmac or hmac-sha256",
                       std::invalid_argument);
}

TEST_CASE("make_gateway gives the TOP gateway for a top_oaid account") {
  const auto gw = make_gateway(test::top_account("hmac"));
  REQUIRE(gw != nullptr);
  CHECK(gw->caps().max_batch == 1);
  CHECK(dynamic_cast<const top_oaid*>(gw.get()) != nullptr);
}
