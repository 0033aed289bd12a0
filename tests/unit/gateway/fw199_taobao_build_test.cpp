#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <map>

#include "herald/gateway/fw199_taobao.hpp"
#include "herald/gateway/signers.hpp"
#include "test_support.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

std::vector<model::event> two_events() {
  std::vector<model::event> events;
  events.push_back(test::fw199_event("3006925020239565830", "oaid-AAA"));
  events[0].params_json = R"({"name":"张三","code":"A&B=1"})";
  events.push_back(test::fw199_event("3011187783529034024", "oaid-BBB"));
  events[1].sign_name = R"(店 "Q")";
  events[1].template_code = "SMS_67890";
  events[1].extend = "e1";
  events[1].extend_code = "01";
  events[1].extend_name = "ext";
  return events;
}

constexpr std::string_view expected_request_data =
    R"([{"order_id":"3006925020239565830","oaid":"oaid-AAA","sms_free_sign_name":"蜂巢测试","template_code":"SMS_12345","params":{"name":"张三","code":"A&B=1"}},)"
    R"({"order_id":"3011187783529034024","oaid":"oaid-BBB","sms_free_sign_name":"店 \"Q\"","template_code":"SMS_67890","params":{},"extend":"e1","extend_code":"01","extend_name":"ext"}])";

// Computed outside Herald:
//   printf '%s' 'test-secret-not-realappidapp-123request_data<expected_request_data>tb_seller_nick测试店铺timestamp1700000000test-secret-not-real' | md5sum
constexpr std::string_view expected_sign = "dd8d7ec51dc82629ff8076cbd9e82488";

// Computed outside Herald with Python's urllib.parse.quote(value, safe='') for every name and value.
constexpr std::string_view expected_body =
    "appid=app-123&timestamp=1700000000&tb_seller_nick=%E6%B5%8B%E8%AF%95%E5%BA%97%E9%93%BA&request_data="
    "%5B%7B%22order_id%22%3A%223006925020239565830%22%2C%22oaid%22%3A%22oaid-AAA%22%2C%22sms_free_sign_name%22"
    "%3A%22%E8%9C%82%E5%B7%A2%E6%B5%8B%E8%AF%95%22%2C%22template_code%22%3A%22SMS_12345%22%2C%22params%22%3A"
    "%7B%22name%22%3A%22%E5%BC%A0%E4%B8%89%22%2C%22code%22%3A%22A%26B%3D1%22%7D%7D%2C%7B%22order_id%22%3A"
    "%223011187783529034024%22%2C%22oaid%22%3A%22oaid-BBB%22%2C%22sms_free_sign_name%22%3A%22%E5%BA%97%20%5C"
    "%22Q%5C%22%22%2C%22template_code%22%3A%22SMS_67890%22%2C%22params%22%3A%7B%7D%2C%22extend%22%3A%22e1%22"
    "%2C%22extend_code%22%3A%2201%22%2C%22extend_name%22%3A%22ext%22%7D%5D&sign=dd8d7ec51dc82629ff8076cbd9e82488";

}  // namespace

TEST_CASE("fw199 taobao build writes exactly the expected form body for a fixed context") {
  const fw199_taobao gw(test::fw199_account());
  const auto events = two_events();
  const auto items = test::pointers(events);
  send_context ctx;
  ctx.unix_seconds = 1700000000;

  const http_request req = gw.build(items, ctx);
  CHECK(req.method == "POST");
  CHECK(req.target == "/jst/sms/oaid/send");
  CHECK(req.content_type == "application/x-www-form-urlencoded; charset=utf-8");
  CHECK(req.body == expected_body);
}

TEST_CASE("fw199 taobao build's body decodes back to the fields and its sign verifies") {
  const fw199_taobao gw(test::fw199_account());
  const auto events = two_events();
  const auto items = test::pointers(events);
  send_context ctx;
  ctx.unix_seconds = 1700000000;

  const auto decoded = test::form_decode(gw.build(items, ctx).body);
  std::map<std::string, std::string> fields(decoded.begin(), decoded.end());
  REQUIRE(decoded.size() == 5);
  REQUIRE(fields.size() == 5);
  CHECK(fields["appid"] == "app-123");
  CHECK(fields["timestamp"] == "1700000000");
  CHECK(fields["tb_seller_nick"] == "测试店铺");
  CHECK(fields["request_data"] == expected_request_data);
  CHECK(fields["sign"] == expected_sign);

  // The server's view: sign what was received (everything but sign) and compare.
  std::vector<sign_param> received;
  for (const auto& [name, value] : fields) received.emplace_back(name, value);
  CHECK(sign_fw199(received, "test-secret-not-real") == fields["sign"]);

  // request_data is a JSON array with one object per item, params kept as an object.
  rapidjson::Document doc;
  doc.Parse(fields["request_data"].c_str());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsArray());
  REQUIRE(doc.Size() == 2);
  CHECK(std::string(doc[0]["oaid"].GetString()) == "oaid-AAA");
  CHECK(std::string(doc[0]["params"]["name"].GetString()) == "张三");
  CHECK_FALSE(doc[0].HasMember("extend"));
  CHECK(std::string(doc[1]["sms_free_sign_name"].GetString()) == R"(店 "Q")");
  CHECK(std::string(doc[1]["extend_code"].GetString()) == "01");
}

TEST_CASE("fw199 taobao request_data writes an empty params text as an empty object") {
  std::vector<model::event> events{test::fw199_event("1", "o")};
  events[0].params_json.clear();
  std::string out;
  append_fw199_taobao_request_data(out, test::pointers(events));
  CHECK(out ==
        R"([{"order_id":"1","oaid":"o","sms_free_sign_name":"蜂巢测试","template_code":"SMS_12345","params":{}}])");
}

TEST_CASE("fw199 taobao signs the timestamp it was given, so another second gives another sign") {
  const fw199_taobao gw(test::fw199_account());
  const std::vector<model::event> events{test::fw199_event("1", "o")};
  const auto items = test::pointers(events);
  send_context a, b;
  a.unix_seconds = 1700000000;
  b.unix_seconds = 1700000001;
  const auto fa = test::form_decode(gw.build(items, a).body);
  const auto fb = test::form_decode(gw.build(items, b).body);
  CHECK(fa[1].second == "1700000000");
  CHECK(fb[1].second == "1700000001");
  CHECK(fa[4].second != fb[4].second);
}

TEST_CASE("fw199 taobao caps: at most 100 per call, no routing by sign or template, no receipt query") {
  auto account = test::fw199_account();
  account.max_batch = 500;
  CHECK(fw199_taobao(account).caps().max_batch == 100);
  account.max_batch = 40;
  const fw199_taobao gw(account);
  CHECK(gw.caps().max_batch == 40);
  CHECK_FALSE(gw.caps().routes_by_sign_and_template);
  CHECK_FALSE(gw.caps().has_receipt_query);
  CHECK(gw.route_key(test::fw199_event("1", "o")).empty());
}

TEST_CASE("fw199 taobao refuses an account without the credentials it signs with") {
  auto account = test::fw199_account();
  account.seller_nick.clear();
  CHECK_THROWS_WITH_AS(fw199_taobao{account}, "account 'shop-a': the fw199_taobao gateway needs seller_nick",
                       std::invalid_argument);
}
