#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <map>

#include "fw199_douyin_support.hpp"
#include "herald/gateway/fw199_douyin.hpp"
#include "herald/gateway/signers.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

std::vector<model::event> two_events() {
  std::vector<model::event> events;
  events.push_back(test::douyin_event("6919023423442342342", "$1234#abcdEFGH#1##"));
  events[0].params_json = R"({"name":"张三","code":"A&B=1"})";
  events[0].extend = "tag-1";
  events[0].extend_code = "01";
  events[0].extend_name = "not sent";
  events.push_back(test::douyin_order_event("6919023423442342343"));
  events[1].extend = "another tag";  // call-level: only the first item's is sent
  return events;
}

// template_param is a JSON *string* holding the params object (docs/gateways.md "fw199 抖店 SMS
// batch").
constexpr std::string_view expected_request_data =
    R"({"sign":"蜂巢测试","template_id":"ST_72dd4e2c","sms_message_list":[)"
    R"({"biz_type":0,"post_tel":"$1234#abcdEFGH#1##","order_id":"6919023423442342342","template_param":"{\"name\":\"张三\",\"code\":\"A&B=1\"}"},)"
    R"({"biz_type":1,"order_id":"6919023423442342343","template_param":"{}"}],"tag":"tag-1","user_ext_code":"01"})";

// Computed outside Herald (Python hashlib.md5 over
//   'test-secret-not-realappidapp-123request_data<expected_request_data>seller_nick测试抖店timestamp1700000000test-secret-not-real').
constexpr std::string_view expected_sign = "53fb86a810ab834d4ece20abac9a61df";

// Computed outside Herald with Python's urllib.parse.quote(value, safe='') for every name and value.
constexpr std::string_view expected_body =
    "appid=app-123&timestamp=1700000000&seller_nick=%E6%B5%8B%E8%AF%95%E6%8A%96%E5%BA%97&request_data="
    "%7B%22sign%22%3A%22%E8%9C%82%E5%B7%A2%E6%B5%8B%E8%AF%95%22%2C%22template_id%22%3A%22ST_72dd4e2c%22%2C"
    "%22sms_message_list%22%3A%5B%7B%22biz_type%22%3A0%2C%22post_tel%22%3A%22%241234%23abcdEFGH%231%23%23%22%2C"
    "%22order_id%22%3A%226919023423442342342%22%2C%22template_param%22%3A%22%7B%5C%22name%5C%22%3A%5C%22"
    "%E5%BC%A0%E4%B8%89%5C%22%2C%5C%22code%5C%22%3A%5C%22A%26B%3D1%5C%22%7D%22%7D%2C%7B%22biz_type%22%3A1%2C"
    "%22order_id%22%3A%226919023423442342343%22%2C%22template_param%22%3A%22%7B%7D%22%7D%5D%2C%22tag%22%3A"
    "%22tag-1%22%2C%22user_ext_code%22%3A%2201%22%7D&sign=53fb86a810ab834d4ece20abac9a61df";

send_context at(std::int64_t unix_seconds) {
  send_context ctx;
  ctx.unix_seconds = unix_seconds;
  return ctx;
}

}  // namespace

TEST_CASE("fw199 douyin build writes exactly the expected form body for a fixed context") {
  const fw199_douyin gw(test::douyin_account());
  const auto events = two_events();
  const http_request req = gw.build(test::pointers(events), at(1700000000));
  CHECK(req.method == "POST");
  CHECK(req.target == "/gateway/dd/sms/send");
  CHECK(req.content_type == "application/x-www-form-urlencoded; charset=utf-8");
  CHECK(req.body == expected_body);
}

TEST_CASE("fw199 douyin build's body decodes back to the fields and its sign verifies") {
  const fw199_douyin gw(test::douyin_account());
  const auto events = two_events();
  const auto decoded = test::form_decode(gw.build(test::pointers(events), at(1700000000)).body);
  std::map<std::string, std::string> fields(decoded.begin(), decoded.end());
  REQUIRE(decoded.size() == 5);
  REQUIRE(fields.size() == 5);
  CHECK(fields["appid"] == "app-123");
  CHECK(fields["timestamp"] == "1700000000");
  CHECK(fields["seller_nick"] == "测试抖店");
  CHECK(fields["request_data"] == expected_request_data);
  CHECK(fields["sign"] == expected_sign);

  // The server's view: sign what was received (everything but sign) and compare.
  std::vector<sign_param> received;
  for (const auto& [name, value] : fields) received.emplace_back(name, value);
  CHECK(sign_fw199(received, "test-secret-not-real") == fields["sign"]);

  // request_data is one object; each template_param is a string that parses to the params object.
  rapidjson::Document doc;
  doc.Parse(fields["request_data"].c_str());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["sign"].GetString()) == "蜂巢测试");
  CHECK(std::string(doc["template_id"].GetString()) == "ST_72dd4e2c");
  const auto& list = doc["sms_message_list"];
  REQUIRE(list.IsArray());
  REQUIRE(list.Size() == 2);
  CHECK(list[0]["biz_type"].GetInt() == 0);
  CHECK(std::string(list[0]["post_tel"].GetString()) == "$1234#abcdEFGH#1##");
  REQUIRE(list[0]["template_param"].IsString());
  rapidjson::Document params;
  params.Parse(list[0]["template_param"].GetString());
  REQUIRE(params.IsObject());
  CHECK(std::string(params["name"].GetString()) == "张三");
  CHECK(list[1]["biz_type"].GetInt() == 1);
  CHECK_FALSE(list[1].HasMember("post_tel"));
  CHECK(std::string(list[1]["order_id"].GetString()) == "6919023423442342343");
  CHECK(std::string(list[1]["template_param"].GetString()) == "{}");
  CHECK(std::string(doc["tag"].GetString()) == "tag-1");
  CHECK_FALSE(doc.HasMember("extend_name"));
}

TEST_CASE("fw199 douyin request_data leaves tag and user_ext_code out when the first item has none") {
  std::vector<model::event> events{test::douyin_order_event("1")};
  events[0].params_json.clear();
  std::string out;
  append_fw199_douyin_request_data(out, test::pointers(events));
  CHECK(out ==
        R"({"sign":"蜂巢测试","template_id":"ST_72dd4e2c","sms_message_list":[{"biz_type":1,"order_id":"1","template_param":"{}"}]})");
}

TEST_CASE("fw199 douyin request_data for no items is still well-formed") {
  std::string out;
  append_fw199_douyin_request_data(out, {});
  CHECK(out == R"({"sign":"","template_id":"","sms_message_list":[]})");
}

TEST_CASE("fw199 douyin signs the timestamp it was given, so another second gives another sign") {
  const fw199_douyin gw(test::douyin_account());
  const std::vector<model::event> events{test::douyin_event("1", "13800000000")};
  const auto fa = test::form_decode(gw.build(test::pointers(events), at(1700000000)).body);
  const auto fb = test::form_decode(gw.build(test::pointers(events), at(1700000001)).body);
  CHECK(fa[1].second == "1700000000");
  CHECK(fb[1].second == "1700000001");
  CHECK(fa[4].second != fb[4].second);
}

TEST_CASE("fw199 douyin route key groups by signature name and template, nothing else") {
  const fw199_douyin gw(test::douyin_account());
  auto a = test::douyin_event("1", "p1");
  auto b = test::douyin_order_event("2");  // another order, recipient kind, params, tag: same call
  b.params_json = R"({"x":"y"})";
  b.extend = "t";
  CHECK(gw.route_key(a) == gw.route_key(b));
  CHECK(gw.route_key(a) == "蜂巢测试\x1fST_72dd4e2c");
  auto c = a;
  c.template_code = "ST_other";
  CHECK(gw.route_key(a) != gw.route_key(c));
  auto d = a;
  d.sign_name = "其他店";
  CHECK(gw.route_key(a) != gw.route_key(d));
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  auto e = a, f = a;
  e.sign_name = "ab";
  e.template_code = "c";
  f.sign_name = "a";
  f.template_code = "bc";
  CHECK(gw.route_key(e) != gw.route_key(f));
}

TEST_CASE("fw199 douyin caps: at most 100 per call, routing by sign and template, receipt query when configured") {
  auto account = test::douyin_account();
  account.max_batch = 500;
  CHECK(fw199_douyin(account).caps().max_batch == 100);
  account.max_batch = 40;
  const fw199_douyin gw(account);
  CHECK(gw.caps().max_batch == 40);
  CHECK(gw.caps().routes_by_sign_and_template);
  CHECK_FALSE(gw.caps().has_receipt_query);
  account.receipt_endpoint = account.endpoint;
  account.receipt_endpoint->target = "/gateway/dd/sms/send/result";
  CHECK(fw199_douyin(account).caps().has_receipt_query);
}

TEST_CASE("fw199 douyin refuses an account without the credentials it signs with") {
  auto account = test::douyin_account();
  account.seller_nick.clear();
  CHECK_THROWS_WITH_AS(fw199_douyin{account}, "account 'shop-dy': the fw199_douyin gateway needs seller_nick",
                       std::invalid_argument);
  account = test::douyin_account();
  account.app_secret.clear();
  CHECK_THROWS_AS(fw199_douyin{account}, std::invalid_argument);
}

TEST_CASE("make_gateway gives the fw199 douyin gateway for a fw199_douyin account") {
  auto account = test::douyin_account();
  account.max_batch = 30;
  const auto gw = make_gateway(account);
  REQUIRE(gw != nullptr);
  CHECK(gw->caps().max_batch == 30);
  CHECK(gw->caps().routes_by_sign_and_template);
  CHECK(dynamic_cast<const fw199_douyin*>(gw.get()) != nullptr);
}
