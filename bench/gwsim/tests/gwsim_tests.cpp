// Unit tests of the gateway simulator's pure parts (no network).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aliyun_rpc.hpp"
#include "aliyun_sign.hpp"
#include "form.hpp"
#include "fw199_sign.hpp"
#include "fw199_taobao.hpp"
#include "options.hpp"
#include "rate_window.hpp"
#include "sim.hpp"
#include "store.hpp"
#include "top_oaid.hpp"
#include "top_sign.hpp"

using namespace gwsim;

namespace {

constexpr std::int64_t now = 1700000000;
const std::string item1 =
    R"({"order_id":"1001","oaid":"AAHk5d-xx","sms_free_sign_name":"蜂巢","template_code":"SMS_1"})";

std::string batch(int n, const std::string& template_code = "SMS_1") {
  std::string out = "[";
  for (int i = 0; i < n; ++i) {
    if (i) out += ',';
    out += R"({"order_id":"o)" + std::to_string(i) + R"(","oaid":"oaid)" + std::to_string(i) +
           R"(","sms_free_sign_name":"蜂巢","template_code":")" + template_code +
           R"(","params":{"name":"张三"},"extend":"x","additional_info":true})";
  }
  return out + "]";
}

// A signed form body (the signer itself is checked against md5sum below).
std::string body(const std::string& request_data, const std::string& secret = "test-secret",
                 std::int64_t ts = now, const std::string& appid = "app1") {
  Form form{{"appid", appid},
            {"timestamp", std::to_string(ts)},
            {"tb_seller_nick", "店铺 A&B"},
            {"request_data", request_data}};
  form.push_back({"sign", fw199_sign(form, secret)});
  std::string out;
  for (const auto& f : form) {
    if (!out.empty()) out += '&';
    out += url_encode(f.name) + "=" + url_encode(f.value);
  }
  return out;
}

struct Fixture {
  SecretTable secrets{{"app1", "test-secret"}};
  SendConfig config{&secrets, 10, 600, 100};
  Store store;
  Rng ids{7};

  rapidjson::Document send(const std::string& b, std::int64_t at = now,
                           std::string_view ct = "application/x-www-form-urlencoded") {
    const SendOutcome out = handle_oaid_send(ct, b, config, store, at, ids);
    rapidjson::Document doc;
    doc.Parse(out.body.data(), out.body.size());
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc["code"].GetInt() == out.code);
    return doc;
  }
};

std::string str(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

}  // namespace

TEST_CASE("url_decode and parse_form") {
  CHECK(url_decode("a+b%20c%2B%e4%B8%AD") == std::string("a b c+\xe4\xb8\xad"));
  CHECK_FALSE(url_decode("%"));
  CHECK_FALSE(url_decode("%4"));
  CHECK_FALSE(url_decode("%G0"));
  const auto form = parse_form("a=1&&b=&c&d=x%3Dy=z");
  REQUIRE(form);
  REQUIRE(form->size() == 4);
  CHECK((*form)[1].name == "b");
  CHECK((*form)[1].value.empty());
  CHECK((*form)[2].name == "c");
  CHECK(*find_field(*form, "d") == "x=y=z");
  CHECK(first_duplicate_name(*form).empty());
  CHECK(first_duplicate_name(*parse_form("a=1&b=2&a=3")) == "a");
  std::string error;
  CHECK_FALSE(parse_form("a=1&bad=%zz", &error));
  CHECK(error.find("bad") != std::string::npos);
  CHECK(url_decode(url_encode("店铺 A&B=+%")) == std::string("店铺 A&B=+%"));
}

TEST_CASE("is_valid_utf8") {
  CHECK(is_valid_utf8("plain 蜂巢 \xF0\x9F\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(is_valid_utf8("\xE4\xB8"));          // truncated
  CHECK_FALSE(is_valid_utf8("\xFF"));
}

TEST_CASE("md5 and the fw199 signature match md5sum") {
  CHECK(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
  const std::string rd =
      R"([{"order_id":"1001","oaid":"AAHk5d-xx","sms_free_sign_name":"蜂巢","template_code":"SMS_1","params":{"name":"张三"}}])";
  // Fields out of order, an empty value, and a `sign` that must be left out.
  const Form form{{"timestamp", "1700000000"}, {"tb_seller_nick", "店铺 A&B"},
                  {"sign", "ignored"},         {"request_data", rd},
                  {"extend", ""},              {"appid", "app1"}};
  CHECK(fw199_sign_payload(form) == "appidapp1extendrequest_data" + rd +
                                        "tb_seller_nick店铺 A&Btimestamp1700000000");
  // Computed independently in the shell:
  //   printf '%s' 'test-secretappidapp1extendrequest_data[{"order_id":"1001","oaid":"AAHk5d-xx",
  //   "sms_free_sign_name":"蜂巢","template_code":"SMS_1","params":{"name":"张三"}}]tb_seller_nick
  //   店铺 A&Btimestamp1700000000test-secret' | md5sum      (one line, no breaks)
  //   -> c53e2fac2d87165db52e936a59855fbc
  CHECK(fw199_sign(form, "test-secret") == "c53e2fac2d87165db52e936a59855fbc");
  CHECK(fw199_verify(form, "test-secret", "c53e2fac2d87165db52e936a59855fbc"));
  CHECK_FALSE(fw199_verify(form, "test-secret", "C53E2FAC2D87165DB52E936A59855FBC"));
  CHECK_FALSE(fw199_verify(form, "other", "c53e2fac2d87165db52e936a59855fbc"));
  CHECK_FALSE(fw199_verify(form, "test-secret", ""));
}

TEST_CASE("china_day switches at 16:00 UTC") {
  CHECK(china_day(1699977600) == china_day(1699977599) + 1);  // 2023-11-15 00:00 UTC+8
  CHECK(china_day(1699977600) == china_day(1699977600 + 86399));
}

TEST_CASE("a valid batch is accepted item by item") {
  Fixture f;
  const auto doc = f.send(body(batch(3)));
  CHECK(doc["code"].GetInt() == 0);
  CHECK(str(doc["message"]) == "ok");
  CHECK(doc["trace_id"].GetStringLength() == 32);
  REQUIRE(doc["data"].Size() == 3);
  for (unsigned i = 0; i < 3; ++i) {
    const auto& item = doc["data"][i];
    CHECK(str(item["order_id"]) == "o" + std::to_string(i));
    CHECK(item["code"].GetInt() == 0);
    CHECK(str(item["message"]) == "success");
    CHECK(item["request_id"].GetStringLength() > 0);
    const std::string send_id = str(item["module"]["code"]);
    CHECK(send_id.size() == 18);
    CHECK(send_id.ends_with("^0"));
    CHECK(item["module"]["nameLen"].GetInt() == 3);
  }
  CHECK(f.store.counters().items_accepted == 3);
  CHECK(f.store.counters().max_batch_seen == 3);
  CHECK(f.store.accepted_count({"app1", "店铺 A&B", "o1", "SMS_1", "oaid1"}) == 1);
  // The same batch again: every key becomes a duplicate.
  f.send(body(batch(3)));
  CHECK(f.store.accepted_unique() == 3);
  CHECK(f.store.duplicates() == 3);
  CHECK(f.store.accepted_count({"app1", "店铺 A&B", "o1", "SMS_1", "oaid1"}) == 2);
}

TEST_CASE("call-level checks, in order") {
  Fixture f;
  CHECK(f.send(body("[" + item1 + "]", "x", now, "nobody"))["code"].GetInt() == 40001);
  auto doc = f.send("appid=app1&timestamp=1700000000&request_data=%5B%5D&sign=x");
  CHECK(doc["code"].GetInt() == 40002);
  CHECK(str(doc["message"]) == "missing field: tb_seller_nick");
  CHECK(doc["data"].IsArray());
  doc = f.send(body("[" + item1 + "]", "test-secret", now - 601));
  CHECK(doc["code"].GetInt() == 40002);
  CHECK(str(doc["message"]).find("timestamp") != std::string::npos);
  CHECK(f.send(body("[" + item1 + "]", "test-secret", now + 600))["code"].GetInt() == 0);
  doc = f.send(body("[" + item1 + "]", "wrong-secret"));
  CHECK(doc["code"].GetInt() == 40003);
  CHECK(str(doc["message"]) == "invalid sign");
  CHECK(f.send(body(item1))["code"].GetInt() == 40004);        // an object, not an array
  CHECK(f.send(body("[]"))["code"].GetInt() == 40004);
  CHECK(f.send(body("[{"))["code"].GetInt() == 40004);
  CHECK(f.send(body(batch(100)))["code"].GetInt() == 0);
  doc = f.send(body(batch(101)));
  CHECK(doc["code"].GetInt() == 40004);
  CHECK(str(doc["message"]) == "request_data has 101 items, at most 100");
  CHECK(f.store.counters().max_batch_seen == 101);
  CHECK(f.send(body(batch(1)), now, "application/json")["code"].GetInt() == 40002);
  CHECK(f.send(body(batch(1)), now, "Application/X-WWW-Form-URLEncoded; charset=UTF-8")["code"]
            .GetInt() == 0);
  const auto& calls = f.store.counters().calls_rejected;
  CHECK(calls.at("invalid_appid") == 1);
  CHECK(calls.at("missing_field") == 1);
  CHECK(calls.at("bad_timestamp") == 1);
  CHECK(calls.at("invalid_sign") == 1);
  CHECK(calls.at("bad_request_data") == 4);
  CHECK(calls.at("bad_form") == 1);
}

TEST_CASE("items are checked independently") {
  Fixture f;
  const std::string rd =
      R"([{"order_id":"a","sms_free_sign_name":"s","template_code":"SMS_1"},)"
      R"({"order_id":"b","oaid":"o","sms_free_sign_name":"s","template_code":"BAD_X"},)"
      R"({"order_id":"c","oaid":"o","sms_free_sign_name":"s","template_code":"SMS_1"},)"
      R"({"order_id":"d","oaid":"o","sms_free_sign_name":"s","template_code":"SMS_1","params":[]},)"
      R"(7])";
  const auto doc = f.send(body(rd));
  REQUIRE(doc["code"].GetInt() == 0);
  const auto& data = doc["data"];
  REQUIRE(data.Size() == 5);
  CHECK(str(data[0]["message"]) == "Remote service error,非法参数: missing oaid");
  CHECK(data[0]["code"].GetInt() == 1);
  CHECK(str(data[0]["module"]["code"]).empty());
  CHECK(data[0]["module"]["nameLen"].GetInt() == 0);
  CHECK(str(data[1]["message"]) == "Remote service error,模板不存在");
  CHECK(data[2]["code"].GetInt() == 0);
  CHECK(str(data[3]["message"]).starts_with("Remote service error,非法参数: invalid params"));
  CHECK(str(data[4]["order_id"]).empty());
  const auto& items = f.store.counters().items_rejected;
  CHECK(items.at("invalid_item") == 3);
  CHECK(items.at("template_not_found") == 1);
  CHECK(f.store.counters().items_accepted == 1);
}

TEST_CASE("daily limit per number and template, per UTC+8 day") {
  Fixture f;
  f.config.daily_limit = 2;
  auto one = [](const std::string& order, const std::string& tpl) {
    return R"([{"order_id":")" + order + R"(","oaid":"same","sms_free_sign_name":"s",)"
           R"("template_code":")" + tpl + R"("}])";
  };
  CHECK(f.send(body(one("1", "T")))["data"][0]["code"].GetInt() == 0);
  CHECK(f.send(body(one("2", "T")))["data"][0]["code"].GetInt() == 0);
  const auto doc = f.send(body(one("3", "T")));
  CHECK(doc["data"][0]["code"].GetInt() == 1);
  CHECK(str(doc["data"][0]["message"]) ==
        "Remote service error,请求失败,当前号码的短信发送次数超过当天限制。");
  CHECK(f.send(body(one("4", "U")))["data"][0]["code"].GetInt() == 0);  // other template
  const std::int64_t tomorrow = now + 86400;
  CHECK(f.send(body(one("3", "T"), "test-secret", tomorrow), tomorrow)["data"][0]["code"]
            .GetInt() == 0);
  CHECK(f.store.counters().items_rejected.at("daily_limit") == 1);
}

TEST_CASE("simulator routing, faults and admin endpoints") {
  SimConfig config;
  config.secrets = {{"app1", "test-secret"}};
  Simulator sim(std::move(config));
  const std::string ct = "application/x-www-form-urlencoded";

  CHECK(sim.handle("GET", "/nope", "", "", now).status == 404);
  CHECK(sim.handle("GET", std::string(send_path), "", "", now).status == 405);
  Reply r = sim.handle("POST", std::string(send_path) + "?x=1", ct, body(batch(2)), now);
  CHECK(r.action == Action::respond);
  CHECK(r.status == 200);
  CHECK(r.delay.count() == 0);

  CHECK(sim.handle("POST", "/_sim/faults", "", R"({"fault_5xx":2})", now).status == 400);
  CHECK(sim.handle("POST", "/_sim/faults", "", R"({"bogus":1})", now).status == 400);
  CHECK(sim.handle("POST", "/_sim/faults", "", R"({"fault_5xx":1,"latency_ms":20})", now).status ==
        200);
  r = sim.handle("POST", std::string(send_path), ct, body(batch(2)), now);
  CHECK(r.status == 503);
  CHECK(r.delay.count() == 20);

  sim.handle("POST", "/_sim/faults", "", R"({"fault_5xx":0,"fault_drop_answer":1})", now);
  CHECK(sim.handle("POST", std::string(send_path), ct, body(batch(3)), now).action == Action::drop);
  sim.handle("POST", "/_sim/faults", "", R"({"fault_drop_answer":0,"fault_reset":1})", now);
  CHECK(sim.handle("POST", std::string(send_path), ct, body(batch(4)), now).action == Action::reset);
  sim.handle("POST", "/_sim/faults", "",
             R"({"fault_reset":0,"fault_slow":1,"slow_ms":500,"latency_ms":0})", now);
  CHECK(sim.handle("POST", std::string(send_path), ct, body(batch(1)), now).delay.count() == 500);

  rapidjson::Document stats;
  const std::string stats_text = sim.handle("GET", "/_sim/stats", "", "", now).body;
  stats.Parse(stats_text.c_str());
  REQUIRE(stats.IsObject());
  CHECK(stats["requests"].GetUint64() == 5);
  CHECK(stats["items_accepted"].GetUint64() == 2 + 3 + 1);  // 5xx and reset accept nothing
  CHECK(stats["accepted_unique"].GetUint64() == 3);         // o0..o2
  CHECK(stats["duplicates"].GetUint64() == 3);
  CHECK(stats["faults"]["5xx"].GetUint64() == 1);
  CHECK(stats["faults"]["drop_answer"].GetUint64() == 1);
  CHECK(stats["faults"]["reset"].GetUint64() == 1);
  CHECK(stats["faults"]["slow"].GetUint64() == 1);
  CHECK(stats["max_batch_seen"].GetUint64() == 3);

  rapidjson::Document accepted;
  const std::string accepted_text = sim.handle("GET", "/_sim/accepted", "", "", now).body;
  accepted.Parse(accepted_text.c_str());
  REQUIRE(accepted.IsArray());
  REQUIRE(accepted.Size() == 3);
  CHECK(str(accepted[0]["appid"]) == "app1");
  CHECK(str(accepted[0]["seller"]) == "店铺 A&B");
  CHECK(str(accepted[0]["order_id"]) == "o0");
  CHECK(str(accepted[0]["template_code"]) == "SMS_1");
  CHECK(str(accepted[0]["oaid"]) == "oaid0");
  CHECK(accepted[0]["count"].GetUint() == 3);

  CHECK(sim.handle("POST", "/_sim/reset", "", "", now).status == 200);
  CHECK(sim.store().accepted_unique() == 0);
  CHECK(sim.store().counters().requests == 0);
  CHECK(sim.faults().p_slow == 1);  // settings survive a reset
}

TEST_CASE("command-line values") {
  auto a = parse_listen("127.0.0.1:8443");
  REQUIRE(a);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 8443);
  a = parse_listen("[::1]:0");
  REQUIRE(a);
  CHECK(a->host == "::1");
  CHECK_FALSE(parse_listen("127.0.0.1"));
  CHECK_FALSE(parse_listen("127.0.0.1:70000"));
  CHECK_FALSE(parse_listen("::1:80"));
  SecretTable t;
  std::string error;
  CHECK(add_app_secret_list(" a=1, b=x=y ,,", t, &error));
  CHECK(t.at("a") == "1");
  CHECK(t.at("b") == "x=y");
  CHECK_FALSE(add_app_secret_list("c", t, &error));
  CHECK_FALSE(add_app_secret("=x", t));
  CHECK_FALSE(add_app_secret("x=", t));
}

// --- fw199 抖店: POST /gateway/dd/sms/send and its send-result query (fw199_douyin.hpp) ---------

namespace {

// A signed 抖店 form body: seller_nick instead of tb_seller_nick, request_data an object.
std::string douyin_body(const std::string& request_data, const std::string& secret = "test-secret",
                        std::int64_t ts = now) {
  Form form{{"appid", "app1"},
            {"timestamp", std::to_string(ts)},
            {"seller_nick", "抖店 A"},
            {"request_data", request_data}};
  form.push_back({"sign", fw199_sign(form, secret)});
  std::string out;
  for (const auto& f : form) {
    if (!out.empty()) out += '&';
    out += url_encode(f.name) + "=" + url_encode(f.value);
  }
  return out;
}

std::string douyin_rd(const std::string& items, const std::string& template_id = "ST_1") {
  return R"({"sign":"蜂巢","template_id":")" + template_id + R"(","sms_message_list":[)" + items +
         R"(],"tag":"t"})";
}

std::string douyin_batch(int n) {
  std::string items;
  for (int i = 0; i < n; ++i) {
    if (i) items += ',';
    items += R"({"biz_type":0,"post_tel":"tel)" + std::to_string(i) + R"(","template_param":"{}"})";
  }
  return douyin_rd(items);
}

struct DouyinFixture : Fixture {
  rapidjson::Document send_douyin(const std::string& b, std::int64_t at = now) {
    const SendOutcome out = handle_douyin_send("application/x-www-form-urlencoded", b, config, store, at, ids);
    rapidjson::Document doc;
    doc.Parse(out.body.data(), out.body.size());
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc["code"].GetInt() == out.code);
    return doc;
  }
};

bool is_uuid_like(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("douyin: both biz types and both template_param forms are accepted item by item") {
  DouyinFixture f;
  const auto doc = f.send_douyin(douyin_body(douyin_rd(
      R"({"biz_type":0,"post_tel":"$1#enc#1##","order_id":"o1","template_param":"{\"name\":\"张三\"}"},)"
      R"({"biz_type":1,"order_id":"o2","template_param":{"name":"李四"}},)"
      R"({"biz_type":0,"post_tel":"13800000000"})")));
  CHECK(doc["code"].GetInt() == 0);
  CHECK(str(doc["message"]) == "ok");
  const auto& data = doc["data"];
  REQUIRE(data.Size() == 3);
  for (unsigned i = 0; i < 3; ++i) {
    CHECK(data[i]["code"].GetInt() == 0);
    CHECK(is_uuid_like(str(data[i]["message_id"])));
    CHECK(f.store.knows_message_id(str(data[i]["message_id"])));
  }
  CHECK(str(data[0]["order_id"]) == "o1");
  CHECK(str(data[1]["order_id"]) == "o2");
  CHECK(str(data[2]["order_id"]).empty());  // echoed only when one was passed
  CHECK(str(data[0]["message_id"]) != str(data[1]["message_id"]));
  // Keys: appid|seller|order_id (post_tel without one)|template|recipient.
  CHECK(f.store.accepted_count({"app1", "抖店 A", "o1", "ST_1", "$1#enc#1##"}) == 1);
  CHECK(f.store.accepted_count({"app1", "抖店 A", "o2", "ST_1", "o2"}) == 1);
  CHECK(f.store.accepted_count({"app1", "抖店 A", "13800000000", "ST_1", "13800000000"}) == 1);
  CHECK(f.store.counters().max_batch_seen == 3);
  f.send_douyin(douyin_body(douyin_batch(2)));
  f.send_douyin(douyin_body(douyin_batch(2)));
  CHECK(f.store.duplicates() == 2);
}

TEST_CASE("douyin: call-level checks") {
  DouyinFixture f;
  // The Taobao field name is not the 抖店 one.
  auto doc = f.send_douyin(body(douyin_batch(1)));
  CHECK(doc["code"].GetInt() == 40002);
  CHECK(str(doc["message"]) == "missing field: seller_nick");
  CHECK(f.send_douyin(douyin_body(douyin_batch(1), "wrong"))["code"].GetInt() == 40003);
  CHECK(f.send_douyin(douyin_body(douyin_batch(1), "test-secret", now - 601))["code"].GetInt() == 40002);
  CHECK(f.send_douyin(douyin_body("[" + item1 + "]"))["code"].GetInt() == 40004);  // an array
  CHECK(f.send_douyin(douyin_body(R"({"sign":"s","template_id":"t","sms_message_list":[]})"))["code"]
            .GetInt() == 40004);
  doc = f.send_douyin(douyin_body(R"({"sign":"s","sms_message_list":[{"biz_type":1,"order_id":"1"}]})"));
  CHECK(doc["code"].GetInt() == 40004);
  CHECK(str(doc["message"]) == "request_data.template_id is missing or not a string");
  CHECK(f.send_douyin(douyin_body(R"({"template_id":"t","sms_message_list":[{"biz_type":1,"order_id":"1"}]})"))
            ["code"].GetInt() == 40004);
  CHECK(f.send_douyin(douyin_body(douyin_batch(100)))["code"].GetInt() == 0);
  doc = f.send_douyin(douyin_body(douyin_batch(101)));
  CHECK(doc["code"].GetInt() == 40004);
  CHECK(str(doc["message"]) == "request_data.sms_message_list has 101 items, at most 100");
  CHECK(f.store.counters().max_batch_seen == 101);
  const std::string long_tag(513, 'x');
  CHECK(f.send_douyin(douyin_body(R"({"sign":"s","template_id":"t","tag":")" + long_tag +
                                  R"(","sms_message_list":[{"biz_type":1,"order_id":"1"}]})"))["code"]
            .GetInt() == 40004);
}

TEST_CASE("douyin: items are checked independently; BAD_ templates and the daily limit") {
  DouyinFixture f;
  f.config.daily_limit = 1;
  auto doc = f.send_douyin(douyin_body(douyin_rd(
      R"({"biz_type":0,"order_id":"a"},)"
      R"({"biz_type":1,"post_tel":"x"},)"
      R"({"biz_type":2,"post_tel":"x"},)"
      R"({"biz_type":0,"post_tel":"x","template_param":"[1]"},)"
      R"({"biz_type":0,"post_tel":"x","template_param":7},)"
      R"({"biz_type":0,"post_tel":"same"},)"
      R"({"biz_type":0,"post_tel":"same","order_id":"other"},)"
      R"({"biz_type":1,"order_id":"o9"},)"
      R"({"biz_type":1,"order_id":"o9"})")));
  REQUIRE(doc["code"].GetInt() == 0);
  const auto& data = doc["data"];
  REQUIRE(data.Size() == 9);
  CHECK(str(data[0]["message"]) == "参数错误: missing post_tel");
  CHECK(str(data[0]["order_id"]) == "a");
  CHECK(str(data[1]["message"]) == "参数错误: missing order_id");
  CHECK(str(data[2]["message"]) == "参数错误: invalid biz_type (must be 0 or 1)");
  CHECK(str(data[3]["message"]).starts_with("参数错误: invalid template_param"));
  CHECK(str(data[4]["message"]).starts_with("参数错误: invalid template_param"));
  CHECK(data[5]["code"].GetInt() == 0);
  CHECK(data[6]["code"].GetInt() == 1);  // the same number, limit 1
  CHECK(str(data[6]["message"]) == "Remote service error,请求失败,当前号码的短信发送次数超过当天限制。");
  CHECK(str(data[6]["message_id"]).empty());
  CHECK(data[7]["code"].GetInt() == 0);
  CHECK(data[8]["code"].GetInt() == 1);  // by order: the order's buyer is the number
  doc = f.send_douyin(douyin_body(douyin_rd(R"({"biz_type":1,"order_id":"b1"})", "BAD_TPL")));
  CHECK(doc["data"][0]["code"].GetInt() == 1);
  CHECK(str(doc["data"][0]["message"]) == "模板不存在");
  const auto& items = f.store.counters().items_rejected;
  CHECK(items.at("invalid_item") == 5);
  CHECK(items.at("daily_limit") == 2);
  CHECK(items.at("template_not_found") == 1);
  CHECK(f.store.counters().items_accepted == 2);
}

TEST_CASE("douyin: shuffled answers move every element and keep each one's own echo and result") {
  for (std::size_t n : {0u, 1u, 2u, 3u, 7u, 100u}) {
    CAPTURE(n);
    std::vector<std::string> v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(std::to_string(i));
    Rng rng(n + 1);
    shuffle_moving_every_element(v, rng);
    REQUIRE(v.size() == n);
    std::set<std::string> seen(v.begin(), v.end());
    CHECK(seen.size() == n);  // a permutation
    for (std::size_t i = 0; i < n && n > 1; ++i) CHECK(v[i] != std::to_string(i));  // every one moved
  }

  DouyinFixture f;
  f.config.douyin_shuffle_answers = true;
  std::string items;
  for (int i = 0; i < 6; ++i) {
    if (i) items += ',';
    // o3 is refused (no post_tel) so that a failure must stay with its own echo too.
    items += R"({"biz_type":0,"order_id":"o)" + std::to_string(i) + R"(","post_tel":")" +
             (i == 3 ? std::string() : "tel" + std::to_string(i)) + R"(","template_param":"{}"})";
  }
  const auto doc = f.send_douyin(douyin_body(douyin_rd(items)));
  REQUIRE(doc["code"].GetInt() == 0);
  const auto& data = doc["data"];
  REQUIRE(data.Size() == 6);
  std::set<std::string> echoed;
  for (rapidjson::SizeType i = 0; i < data.Size(); ++i) {
    const std::string echo = str(data[i]["order_id"]);
    CHECK(echo != "o" + std::to_string(i));  // not at its request position
    echoed.insert(echo);
    if (echo == "o3") {
      CHECK(data[i]["code"].GetInt() == 1);
      CHECK(str(data[i]["message_id"]).empty());
    } else {
      CHECK(data[i]["code"].GetInt() == 0);
      CHECK(is_uuid_like(str(data[i]["message_id"])));
    }
  }
  CHECK(echoed.size() == 6);
  CHECK(f.store.counters().items_accepted == 5);
}

TEST_CASE("douyin: shuffled answers are off by default, set by --douyin-shuffle-answers or /_sim/faults") {
  SimConfig config;
  config.secrets = {{"app1", "test-secret"}};
  Simulator off(config);
  CHECK_FALSE(off.douyin_shuffle_answers());
  config.douyin_shuffle_answers = true;
  Simulator sim(config);
  CHECK(sim.douyin_shuffle_answers());
  CHECK(sim.settings_json().find(R"("douyin_shuffle_answers":true)") != std::string::npos);
  CHECK(sim.apply_settings(R"({"douyin_shuffle_answers":false})") == std::nullopt);
  CHECK_FALSE(sim.douyin_shuffle_answers());
  CHECK(sim.apply_settings(R"({"douyin_shuffle_answers":1,"latency_ms":5})") ==
        std::optional<std::string>("douyin_shuffle_answers must be true or false"));
  CHECK(sim.faults().latency_ms == 0);  // all or nothing
  CHECK(sim.handle("POST", "/_sim/faults", "", R"({"douyin_shuffle_answers":true})", now).status == 200);
  CHECK(sim.douyin_shuffle_answers());

  const std::string rd =
      douyin_rd(R"({"biz_type":1,"order_id":"a","template_param":"{}"},{"biz_type":1,"order_id":"b","template_param":"{}"})");
  Reply r = sim.handle("POST", std::string(douyin_send_path), "application/x-www-form-urlencoded", douyin_body(rd), now);
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  REQUIRE(doc["data"].Size() == 2);
  CHECK(str(doc["data"][0]["order_id"]) == "b");
  CHECK(str(doc["data"][1]["order_id"]) == "a");
  r = off.handle("POST", std::string(douyin_send_path), "application/x-www-form-urlencoded", douyin_body(rd), now);
  doc.Parse(r.body.c_str());
  CHECK(str(doc["data"][0]["order_id"]) == "a");
}

TEST_CASE("douyin: routing, faults, and the send-result query from the store") {
  SimConfig config;
  config.secrets = {{"app1", "test-secret"}};
  Simulator sim(std::move(config));
  const std::string ct = "application/x-www-form-urlencoded";
  const std::string send = std::string(douyin_send_path);
  const std::string result = std::string(douyin_result_path);

  CHECK(sim.handle("GET", send, "", "", now).status == 405);
  Reply r = sim.handle("POST", send, ct, douyin_body(douyin_batch(2)), now);
  REQUIRE(r.status == 200);
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  REQUIRE(doc["data"].Size() == 2);
  const std::string id0 = str(doc["data"][0]["message_id"]);

  r = sim.handle("POST", result, ct,
                 douyin_body(R"({"message_ids":[")" + id0 + R"(","no-such-id"]})"), now);
  REQUIRE(r.status == 200);
  doc.Parse(r.body.c_str());
  REQUIRE(doc["code"].GetInt() == 0);
  REQUIRE(doc["data"].Size() == 1);  // unknown ids are left out
  CHECK(str(doc["data"][0]["message_id"]) == id0);
  CHECK(doc["data"][0]["status"].GetInt() == 3);
  // The query is signed like a send, and is neither a send nor faulted.
  doc.Parse(sim.handle("POST", result, ct, douyin_body(R"({"message_ids":["x"]})", "wrong"), now).body.c_str());
  CHECK(doc["code"].GetInt() == 40003);
  doc.Parse(sim.handle("POST", result, ct, douyin_body(R"({"message_ids":[]})"), now).body.c_str());
  CHECK(doc["code"].GetInt() == 40004);

  sim.handle("POST", "/_sim/faults", "", R"({"fault_5xx":1})", now);
  CHECK(sim.handle("POST", send, ct, douyin_body(douyin_batch(1)), now).status == 503);
  CHECK(sim.handle("POST", result, ct, douyin_body(R"({"message_ids":["x"]})"), now).status == 200);
  CHECK(sim.store().counters().requests == 2);
  CHECK(sim.store().counters().items_accepted == 2);

  sim.handle("POST", "/_sim/reset", "", "", now);
  CHECK_FALSE(sim.store().knows_message_id(id0));
}

// --- TOP: POST /router/rest, taobao.jst.sms.oaid.message.send (top_oaid.hpp, top_sign.hpp) ----

namespace {

// The parameters of TOP's public signing example (docs/gateways.md "TOP OAID send").
Form top_guide_form(const std::string& sign_method) {
  return {{"method", "taobao.item.seller.get"}, {"app_key", "12345678"},
          {"session", "test"},                  {"timestamp", "2016-01-01 12:00:00"},
          {"format", "json"},                   {"v", "2.0"},
          {"sign_method", sign_method},         {"fields", "num_iid,title,nick,price,num"},
          {"num_iid", "11223344"}};
}

const std::string top_now_text = "2023-11-15 06:13:20";  // `now` in UTC+8

std::string top_request_json(const std::string& order_id = "1001", const std::string& oaid = "AAHk5d-xx",
                      const std::string& template_code = "SMS_1") {
  return R"({"oaid":")" + oaid + R"(","order_id":")" + order_id +
         R"(","sms_free_sign_name":"蜂巢","template_code":")" + template_code +
         R"(","params":{"name":"张三"},"extend":"x"})";
}

Form top_form(const std::string& param, const std::string& sign_method = "md5",
              const std::string& timestamp = top_now_text) {
  return {{"method", "taobao.jst.sms.oaid.message.send"},
          {"app_key", "app1"},
          {"session", "sess-A"},
          {"timestamp", timestamp},
          {"v", "2.0"},
          {"format", "json"},
          {"sign_method", sign_method},
          {"param_send_message_by_o_a_i_d_request", param}};
}

// Signs the form (with the sim's own signer, checked against TOP's vector below) and encodes it.
std::string top_encode(Form form, const std::string& secret = "test-secret", bool sign = true) {
  if (sign) {
    const auto* m = find_field(form, "sign_method");
    form.push_back({"sign", top_sign(form, secret, *parse_top_sign_method(m ? *m : "md5"))});
  }
  std::string out;
  for (const auto& f : form) {
    if (!out.empty()) out += '&';
    out += url_encode(f.name) + "=" + url_encode(f.value);
  }
  return out;
}

struct TopFixture : Fixture {
  // The error_response, or the success object; `code` is 0 for success.
  rapidjson::Document send_top(const std::string& b, std::int64_t at = now,
                               std::string_view ct = "application/x-www-form-urlencoded; charset=utf-8") {
    const SendOutcome out = handle_top_send(ct, b, config, store, at, ids);
    rapidjson::Document doc;
    doc.Parse(out.body.data(), out.body.size());
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc.IsObject());
    if (out.code == 0) REQUIRE(doc.HasMember("jst_sms_oaid_message_send_response"));
    else REQUIRE(doc["error_response"]["code"].GetInt() == out.code);
    return doc;
  }
  int code_of(const std::string& b, std::int64_t at = now) {
    const auto doc = send_top(b, at);
    return doc.HasMember("error_response") ? doc["error_response"]["code"].GetInt() : 0;
  }
};

std::string sub_code(const rapidjson::Document& d) {
  const auto& e = d["error_response"];
  return e.HasMember("sub_code") ? str(e["sub_code"]) : "";
}

}  // namespace

TEST_CASE("top: the sim's signer matches TOP's public vector and openssl's HMACs") {
  // TOP signing guide (docs/gateways.md "TOP OAID send").
  CHECK(top_sign(top_guide_form("md5"), "helloworld", TopSignMethod::md5) == "66987CB115214E59E6EC978214934FB8");
  // printf '%s' '<payload with sign_methodhmac>' | openssl dgst -md5 -hmac helloworld
  CHECK(top_sign(top_guide_form("hmac"), "helloworld", TopSignMethod::hmac_md5) ==
        "D56D7858309C31B6251083A874D48273");
  // printf '%s' '<payload with sign_methodhmac-sha256>' | openssl dgst -sha256 -hmac helloworld
  CHECK(top_sign(top_guide_form("hmac-sha256"), "helloworld", TopSignMethod::hmac_sha256) ==
        "04DB15AD0774D5CFCE2C837DE43E3FCEA9011ED74F3038FB6AB5F3C4CEA119E8");
  Form form = top_guide_form("md5");
  form.push_back({"sign", "ignored"});
  form.push_back({"partner_id", ""});  // empty: neither sent by the SDKs nor signed
  CHECK(top_sign_payload(form) ==
        "app_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.getnum_iid11223344"
        "sessiontestsign_methodmd5timestamp2016-01-01 12:00:00v2.0");
  CHECK(top_verify(form, "helloworld", TopSignMethod::md5, "66987CB115214E59E6EC978214934FB8"));
  CHECK_FALSE(top_verify(form, "helloworld", TopSignMethod::md5, "66987cb115214e59e6ec978214934fb8"));
  CHECK_FALSE(top_verify(form, "helloworld", TopSignMethod::hmac_md5, "66987CB115214E59E6EC978214934FB8"));
  CHECK_FALSE(top_verify(form, "other", TopSignMethod::md5, "66987CB115214E59E6EC978214934FB8"));
  CHECK(parse_top_sign_method("hmac") == TopSignMethod::hmac_md5);
  CHECK_FALSE(parse_top_sign_method("HMAC"));
}

TEST_CASE("top: timestamps are yyyy-MM-dd HH:mm:ss in UTC+8") {
  CHECK(parse_top_timestamp("2023-11-15 06:13:20") == now);
  CHECK(parse_top_timestamp("1970-01-01 08:00:00") == 0);
  CHECK(parse_top_timestamp("2024-02-29 00:00:00").has_value());
  CHECK_FALSE(parse_top_timestamp("2023-02-29 00:00:00"));
  CHECK_FALSE(parse_top_timestamp("2023-11-15T06:13:20"));
  CHECK_FALSE(parse_top_timestamp("2023-11-15 24:00:00"));
  CHECK_FALSE(parse_top_timestamp("2023-13-01 00:00:00"));
  CHECK_FALSE(parse_top_timestamp("1700000000"));
  CHECK_FALSE(parse_top_timestamp("2023-11-15 6:13:20 "));
}

TEST_CASE("top: a valid call is accepted and recorded under app_key, session, order, template and oaid") {
  TopFixture f;
  for (const char* method : {"md5", "hmac", "hmac-sha256"}) {
    CAPTURE(method);
    const auto doc = f.send_top(top_encode(top_form(top_request_json(), method)));
    const auto& ok = doc["jst_sms_oaid_message_send_response"];
    const std::string module = str(ok["module"]);
    CHECK(module.size() == 18);
    CHECK(module.ends_with("^0"));
    CHECK(ok["req_id"].GetStringLength() > 0);
  }
  CHECK(f.store.counters().items_accepted == 3);
  CHECK(f.store.counters().max_batch_seen == 1);
  CHECK(f.store.accepted_unique() == 1);
  CHECK(f.store.duplicates() == 2);
  CHECK(f.store.accepted_count({"app1", "sess-A", "1001", "SMS_1", "AAHk5d-xx"}) == 3);
  // No sign_method at all: md5, the SDKs' oldest default.
  Form form = top_form(top_request_json("1002"));
  form.erase(form.begin() + 6);
  CHECK(f.code_of(top_encode(form)) == 0);
}

TEST_CASE("top: platform checks answer TOP's error codes") {
  TopFixture f;
  const std::string param = top_request_json();
  auto with = [&](const std::string& name, const std::string& value) {
    Form form = top_form(param);
    bool found = false;
    for (auto& field : form)
      if (field.name == name) field.value = value, found = true;
    if (!found) form.push_back({name, value});
    return form;
  };
  auto without = [&](const std::string& name) {
    Form form = top_form(param);
    std::erase_if(form, [&](const FormField& field) { return field.name == name; });
    return form;
  };
  CHECK(f.code_of(top_encode(without("method"))) == 21);
  CHECK(f.code_of(top_encode(with("method", "taobao.item.get"))) == 22);
  CHECK(f.code_of(top_encode(without("app_key"))) == 28);
  auto doc = f.send_top(top_encode(with("app_key", "nobody")));
  CHECK(doc["error_response"]["code"].GetInt() == 29);
  CHECK(str(doc["error_response"]["msg"]) == "Invalid app Key");
  CHECK(f.code_of(top_encode(without("timestamp"))) == 30);
  CHECK(f.code_of(top_encode(with("timestamp", "1700000000"))) == 31);
  CHECK(f.code_of(top_encode(top_form(param, "md5", "2023-11-15 06:03:19"))) == 31);  // 601 s early
  CHECK(f.code_of(top_encode(top_form(param, "md5", "2023-11-15 06:23:20"))) == 0);   // 600 s late
  CHECK(f.code_of(top_encode(without("v"))) == 32);
  CHECK(f.code_of(top_encode(with("v", "1.0"))) == 34);
  CHECK(f.code_of(top_encode(with("format", "xml"))) == 23);
  doc = f.send_top(top_encode(with("sign_method", "sha1"), "test-secret", false));
  CHECK(doc["error_response"]["code"].GetInt() == 41);
  CHECK(f.code_of(top_encode(top_form(param), "test-secret", false)) == 24);
  doc = f.send_top(top_encode(top_form(param), "wrong-secret"));
  CHECK(doc["error_response"]["code"].GetInt() == 25);
  CHECK(str(doc["error_response"]["msg"]) == "Invalid signature");
  CHECK(f.code_of(top_encode(without("session"))) == 26);
  CHECK(f.code_of(top_encode(with("session", ""))) == 26);
  CHECK(f.code_of(top_encode(without("param_send_message_by_o_a_i_d_request"))) == 40);
  doc = f.send_top(top_encode(top_form("[" + param + "]")));
  CHECK(doc["error_response"]["code"].GetInt() == 41);
  CHECK(sub_code(doc) == "isv.invalid-parameter");
  CHECK(f.code_of(top_encode(top_form("{"))) == 41);
  CHECK(f.send_top(top_encode(top_form(param)), now, "application/json")["error_response"]["code"].GetInt() == 41);
  CHECK(f.store.counters().items_accepted == 1);
  const auto& calls = f.store.counters().calls_rejected;
  CHECK(calls.at("missing_field") == 7);
  CHECK(calls.at("invalid_method") == 1);
  CHECK(calls.at("invalid_appid") == 1);
  CHECK(calls.at("bad_timestamp") == 2);
  CHECK(calls.at("bad_parameter") == 3);
  CHECK(calls.at("invalid_sign") == 1);
  CHECK(calls.at("bad_request_data") == 3);
  CHECK(calls.at("bad_form") == 1);
}

TEST_CASE("top: the message's own fields, unknown templates and the daily number limit") {
  TopFixture f;
  f.config.daily_limit = 2;
  auto doc = f.send_top(top_encode(top_form(R"({"order_id":"1","sms_free_sign_name":"s","template_code":"T"})")));
  CHECK(doc["error_response"]["code"].GetInt() == 41);
  CHECK(sub_code(doc) == "isv.invalid-parameter");
  CHECK(str(doc["error_response"]["sub_msg"]) == "非法参数: missing oaid");
  doc = f.send_top(top_encode(top_form(R"({"oaid":"o","order_id":"1","sms_free_sign_name":"s","template_code":"T","params":"{}"})")));
  CHECK(str(doc["error_response"]["sub_msg"]) == "非法参数: invalid params (must be an object)");

  doc = f.send_top(top_encode(top_form(top_request_json("1", "same", "BAD_TPL"))));
  CHECK(doc["error_response"]["code"].GetInt() == 15);
  CHECK(sub_code(doc) == "isv.template-not-exist");
  CHECK(str(doc["error_response"]["sub_msg"]) == "模板不存在");

  CHECK(f.code_of(top_encode(top_form(top_request_json("1", "same")))) == 0);
  CHECK(f.code_of(top_encode(top_form(top_request_json("2", "same")))) == 0);
  doc = f.send_top(top_encode(top_form(top_request_json("3", "same"))));
  CHECK(doc["error_response"]["code"].GetInt() == 15);
  CHECK(sub_code(doc) == "isv.business-limit-control");
  CHECK(str(doc["error_response"]["sub_msg"]) == "当前号码的短信发送次数超过当天限制");
  CHECK(f.code_of(top_encode(top_form(top_request_json("4", "same", "SMS_2")))) == 0);  // another template
  const std::int64_t tomorrow = now + 86400;
  CHECK(f.code_of(top_encode(top_form(top_request_json("3", "same"), "md5", "2023-11-16 06:13:20")), tomorrow) == 0);
  const auto& items = f.store.counters().items_rejected;
  CHECK(items.at("invalid_item") == 2);
  CHECK(items.at("template_not_found") == 1);
  CHECK(items.at("daily_limit") == 1);
}

TEST_CASE("top: /router/rest goes through the simulator's fault injection like every send") {
  SimConfig config;
  config.secrets = {{"app1", "test-secret"}};
  Simulator sim(std::move(config));
  const std::string ct = "application/x-www-form-urlencoded; charset=utf-8";
  CHECK(sim.handle("GET", "/router/rest", "", "", now).status == 405);
  Reply r = sim.handle("POST", "/router/rest", ct, top_encode(top_form(top_request_json("a"))), now);
  CHECK(r.action == Action::respond);
  CHECK(r.status == 200);
  CHECK(r.body.find("jst_sms_oaid_message_send_response") != std::string::npos);

  sim.handle("POST", "/_sim/faults", "", R"({"fault_5xx":1,"latency_ms":20})", now);
  r = sim.handle("POST", "/router/rest", ct, top_encode(top_form(top_request_json("b"))), now);
  CHECK(r.status == 503);
  CHECK(r.delay.count() == 20);
  sim.handle("POST", "/_sim/faults", "", R"({"fault_5xx":0,"fault_drop_answer":1})", now);
  CHECK(sim.handle("POST", "/router/rest", ct, top_encode(top_form(top_request_json("c"))), now).action == Action::drop);
  sim.handle("POST", "/_sim/faults", "", R"({"fault_drop_answer":0,"fault_reset":1})", now);
  CHECK(sim.handle("POST", "/router/rest", ct, top_encode(top_form(top_request_json("d"))), now).action == Action::reset);
  sim.handle("POST", "/_sim/faults", "", R"({"fault_reset":0,"fault_slow":1,"slow_ms":500,"latency_ms":0})", now);
  CHECK(sim.handle("POST", "/router/rest", ct, top_encode(top_form(top_request_json("a"))), now).delay.count() == 500);

  rapidjson::Document stats;
  const std::string text = sim.handle("GET", "/_sim/stats", "", "", now).body;
  stats.Parse(text.c_str());
  REQUIRE(stats.IsObject());
  CHECK(stats["requests"].GetUint64() == 5);
  CHECK(stats["items_accepted"].GetUint64() == 3);  // a, c (dropped answer, still recorded), a again
  CHECK(stats["accepted_unique"].GetUint64() == 2);
  CHECK(stats["duplicates"].GetUint64() == 1);
  CHECK(stats["faults"]["5xx"].GetUint64() == 1);
  CHECK(stats["faults"]["reset"].GetUint64() == 1);
}

// --- Alibaba Cloud: POST / with Action=... (aliyun_rpc.hpp) ----------------------------------

namespace {

constexpr std::string_view aliyun_timestamp = "2023-11-14T22:13:20Z";  // == now

// The common parameters plus `extra`, signed by the sim's own signer (checked against the public
// vector below); `nonce` must differ per call.
Form aliyun_form(const std::string& action, const Form& extra, const std::string& nonce,
                 const std::string& secret = "test-secret", std::string_view method = "POST",
                 std::string_view timestamp = aliyun_timestamp) {
  Form form{{"Action", action},
            {"Version", "2017-05-25"},
            {"Format", "JSON"},
            {"AccessKeyId", "app1"},
            {"SignatureMethod", "HMAC-SHA1"},
            {"SignatureVersion", "1.0"},
            {"SignatureNonce", nonce},
            {"Timestamp", std::string(timestamp)},
            {"RegionId", "cn-hangzhou"}};
  form.insert(form.end(), extra.begin(), extra.end());
  form.push_back({"Signature", aliyun_sign(method, form, secret)});
  return form;
}

std::string encode(const Form& form) {
  std::string out;
  for (const auto& f : form) {
    if (!out.empty()) out += '&';
    out += url_encode(f.name) + "=" + url_encode(f.value);
  }
  return out;
}

struct AliyunFixture {
  SecretTable secrets{{"app1", "test-secret"}};
  SendConfig config{&secrets, 3, 600, 100};
  Store store;
  AliyunState state;
  Rng ids{11};
  int nonce = 0;
  unsigned status = 0;

  rapidjson::Document call(const std::string& action, const Form& extra, std::int64_t at = now) {
    return call_body(encode(aliyun_form(action, extra, "n-" + std::to_string(++nonce))), at);
  }
  rapidjson::Document call_body(const std::string& b, std::int64_t at = now) {
    const SendOutcome out = handle_aliyun_rpc("POST", "", "application/x-www-form-urlencoded; charset=utf-8", b,
                                              config, state, store, at, ids);
    status = out.http_status;
    rapidjson::Document doc;
    doc.Parse(out.body.data(), out.body.size());
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc.HasMember("Code"));
    REQUIRE(doc.HasMember("RequestId"));
    return doc;
  }
  std::string code(const std::string& action, const Form& extra, std::int64_t at = now) {
    return str(call(action, extra, at)["Code"]);
  }
};

Form send_sms(const std::string& phone, const std::string& template_code = "SMS_1",
              const std::string& out_id = "evt-1") {
  return {{"PhoneNumbers", phone},
          {"SignName", "阿里云短信测试"},
          {"TemplateCode", template_code},
          {"TemplateParam", R"({"code":"1234"})"},
          {"OutId", out_id}};
}

std::string phones_json(int n) {
  std::string out = "[";
  for (int i = 0; i < n; ++i) out += (i ? "," : "") + std::string("\"1380013") + std::to_string(8000 + i) + "\"";
  return out + "]";
}

std::string repeated_json(int n, const std::string& element) {
  std::string out = "[";
  for (int i = 0; i < n; ++i) out += (i ? "," : "") + element;
  return out + "]";
}

}  // namespace

TEST_CASE("aliyun: the sim's signer matches Alibaba Cloud's public vector and Python's") {
  // Alibaba Cloud signature guide (docs/gateways.md "Alibaba Cloud SMS").
  const Form guide{{"AccessKeyId", "testid"},
                   {"Action", "DescribeRegions"},
                   {"Format", "XML"},
                   {"SignatureMethod", "HMAC-SHA1"},
                   {"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
                   {"SignatureVersion", "1.0"},
                   {"Timestamp", "2016-02-23T12:46:24Z"},
                   {"Version", "2014-05-26"}};
  CHECK(aliyun_sign("GET", guide, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
  // Python: base64(hmac_sha1(secret + '&', 'POST&%2F&' + quote(canonical, safe='~'))) with
  // quote(..., safe='~') on every name and value (tests/unit/gateway/aliyun_sign_test.cpp).
  const Form chinese{{"Action", "SendSms"},           {"Version", "2017-05-25"},
                     {"Format", "JSON"},              {"AccessKeyId", "test-key-id"},
                     {"SignatureMethod", "HMAC-SHA1"}, {"SignatureVersion", "1.0"},
                     {"SignatureNonce", "nonce-0001"}, {"Timestamp", "2023-11-14T22:13:20Z"},
                     {"RegionId", "cn-hangzhou"},     {"PhoneNumbers", "13800138000"},
                     {"SignName", "阿里云短信测试"},  {"TemplateCode", "SMS_154950909"},
                     {"TemplateParam", R"({"code":"1234","name":"张三 & *~"})"},
                     {"OutId", "evt-1001"},           {"SmsUpExtendCode", "90999"},
                     {"Signature", "ignored"}};
  CHECK(aliyun_sign("POST", chinese, "test-secret-not-real") == "V1zx1gub5/ia6K/tPqljtw4n/xk=");
  CHECK(aliyun_verify("POST", chinese, "test-secret-not-real", "V1zx1gub5/ia6K/tPqljtw4n/xk="));
  CHECK_FALSE(aliyun_verify("GET", chinese, "test-secret-not-real", "V1zx1gub5/ia6K/tPqljtw4n/xk="));
}

TEST_CASE("aliyun: timestamps, phone numbers and card support") {
  CHECK(parse_aliyun_timestamp("2023-11-14T22:13:20Z") == now);
  CHECK(parse_aliyun_timestamp("1970-01-01T00:00:00Z") == 0);
  CHECK_FALSE(parse_aliyun_timestamp("2023-11-14 22:13:20"));
  CHECK_FALSE(parse_aliyun_timestamp("2023-11-14T22:13:20+08:00"));
  CHECK(aliyun_phone_is_valid("13800138000"));
  CHECK(aliyun_phone_is_valid("+85261234567"));
  CHECK(aliyun_phone_is_valid("0085261234567"));
  CHECK_FALSE(aliyun_phone_is_valid("12345"));
  CHECK_FALSE(aliyun_phone_is_valid("23800138000"));
  CHECK_FALSE(aliyun_phone_is_valid("1380013800a"));
  CHECK_FALSE(aliyun_phone_is_valid("+1234"));
  CHECK(aliyun_supports_card("13800138001"));
  CHECK_FALSE(aliyun_supports_card("13800138000"));
}

TEST_CASE("aliyun: SendSms is accepted, recorded, and QuerySendDetails answers its receipt") {
  AliyunFixture f;
  auto doc = f.call("SendSms", send_sms("13800138001"));
  CHECK(f.status == 200);
  CHECK(str(doc["Code"]) == "OK");
  const std::string biz_id = str(doc["BizId"]);
  CHECK(biz_id.ends_with("^0"));
  CHECK(f.store.counters().items_accepted == 1);
  CHECK(f.store.accepted_count({"app1", "阿里云短信测试", "evt-1", "SMS_1", "13800138001"}) == 1);
  f.call("SendSms", send_sms("13800138001", "SMS_1", "evt-2"));

  const Form query{{"PhoneNumber", "13800138001"}, {"SendDate", "20231115"}, {"PageSize", "1"}, {"CurrentPage", "1"}};
  doc = f.call("QuerySendDetails", query);
  REQUIRE(str(doc["Code"]) == "OK");
  CHECK(doc["TotalCount"].GetUint64() == 2);
  const auto& page1 = doc["SmsSendDetailDTOs"]["SmsSendDetailDTO"];
  REQUIRE(page1.Size() == 1);
  CHECK(str(page1[0]["OutId"]) == "evt-1");
  CHECK(page1[0]["SendStatus"].GetInt() == 3);
  CHECK(str(page1[0]["SendDate"]) == "2023-11-15 06:13:20");
  CHECK(str(page1[0]["TemplateCode"]) == "SMS_1");

  Form second_page = query;
  second_page[3].value = "2";
  doc = f.call("QuerySendDetails", second_page);
  CHECK(str(doc["SmsSendDetailDTOs"]["SmsSendDetailDTO"][0]["OutId"]) == "evt-2");

  Form by_id = query;
  by_id[2].value = "50";
  by_id.push_back({"BizId", biz_id});
  doc = f.call("QuerySendDetails", by_id);
  CHECK(doc["SmsSendDetailDTOs"]["SmsSendDetailDTO"].Size() == 1);

  Form other_day = query;
  other_day[1].value = "20231114";
  CHECK(f.call("QuerySendDetails", other_day)["TotalCount"].GetUint64() == 0);
  Form bad_page = query;
  bad_page[2].value = "51";
  CHECK(f.code("QuerySendDetails", bad_page) == "isv.INVALID_PARAMETERS");
}

TEST_CASE("aliyun: the checks every Action shares, in order, with Alibaba Cloud's codes") {
  AliyunFixture f;
  CHECK(str(f.call_body("Action=SendSms")["Code"]) == "MissingParameter");
  CHECK(f.status == 400);

  Form wrong_key = aliyun_form("SendSms", send_sms("13800138001"), "k1");
  wrong_key[3].value = "nobody";
  CHECK(str(f.call_body(encode(wrong_key))["Code"]) == "InvalidAccessKeyId.NotFound");
  CHECK(f.status == 404);

  const auto stale = aliyun_form("SendSms", send_sms("13800138001"), "k2", "test-secret", "POST", "2023-11-14T21:58:19Z");
  CHECK(str(f.call_body(encode(stale))["Code"]) == "InvalidTimeStamp.Expired");
  const auto fresh_enough =
      aliyun_form("SendSms", send_sms("13800138001"), "k3", "test-secret", "POST", "2023-11-14T21:58:20Z");
  CHECK(str(f.call_body(encode(fresh_enough))["Code"]) == "OK");

  const auto wrong_secret = aliyun_form("SendSms", send_sms("13800138001"), "k4", "other-secret");
  auto doc = f.call_body(encode(wrong_secret));
  CHECK(str(doc["Code"]) == "SignatureDoesNotMatch");
  CHECK(f.status == 400);
  CHECK(str(doc["Message"]).find("string to sign is:POST&%2F&") != std::string::npos);
  const auto signed_as_get = aliyun_form("SendSms", send_sms("13800138001"), "k5", "test-secret", "GET");
  CHECK(str(f.call_body(encode(signed_as_get))["Code"]) == "SignatureDoesNotMatch");

  // The same signed request twice: the nonce was used.
  const std::string once = encode(aliyun_form("SendSms", send_sms("13800138002"), "k6"));
  CHECK(str(f.call_body(once)["Code"]) == "OK");
  CHECK(str(f.call_body(once)["Code"]) == "SignatureNonceUsed");
  CHECK(f.status == 400);
  // ... but not after the window.
  CHECK(str(f.call_body(encode(aliyun_form("SendSms", send_sms("13800138003"), "k6", "test-secret", "POST",
                                           "2023-11-14T22:45:00Z")),
                        now + 1900)["Code"]) == "OK");

  CHECK(f.code("NoSuchAction", {}) == "InvalidAction.NotFound");
  CHECK(f.status == 404);

  const auto& calls = f.store.counters().calls_rejected;
  CHECK(calls.at("missing_field") == 1);
  CHECK(calls.at("invalid_appid") == 1);
  CHECK(calls.at("bad_timestamp") == 1);
  CHECK(calls.at("invalid_sign") == 2);
  CHECK(calls.at("nonce_used") == 1);
  CHECK(calls.at("bad_action") == 1);
}

TEST_CASE("aliyun: illegal numbers, BAD_ templates and the daily limit refuse a send with isv codes") {
  AliyunFixture f;
  CHECK(f.code("SendSms", send_sms("12345")) == "isv.MOBILE_NUMBER_ILLEGAL");
  CHECK(f.status == 200);
  CHECK(f.code("SendSms", send_sms("13800138001", "BAD_TEMPLATE")) == "isv.SMS_TEMPLATE_ILLEGAL");
  Form bad_json = send_sms("13800138001");
  bad_json[3].value = "[1]";
  CHECK(f.code("SendSms", bad_json) == "isv.INVALID_PARAMETERS");
  for (int i = 0; i < 3; ++i) CHECK(f.code("SendSms", send_sms("13800138009", "SMS_1", "d" + std::to_string(i))) == "OK");
  CHECK(f.code("SendSms", send_sms("13800138009", "SMS_1", "d3")) == "isv.DAY_LIMIT_CONTROL");
  const auto next_day = aliyun_form("SendSms", send_sms("13800138009", "SMS_1", "d3"), "next-day", "test-secret",
                                    "POST", "2023-11-15T22:13:20Z");
  CHECK(str(f.call_body(encode(next_day), now + 86400)["Code"]) == "OK");  // a new day
  const auto& items = f.store.counters().items_rejected;
  CHECK(items.at("mobile_illegal") == 1);
  CHECK(items.at("template_not_found") == 1);
  CHECK(items.at("daily_limit") == 1);
  CHECK(f.store.counters().items_accepted == 4);
}

TEST_CASE("aliyun: SendBatchSms accepts up to 100 numbers with one BizId, all or nothing") {
  AliyunFixture f;
  const Form three{{"PhoneNumberJson", R"(["13800138001","13800138002","13800138003"])"},
                   {"SignNameJson", R"(["签名A","签名B","签名A"])"},
                   {"TemplateCode", "SMS_1"},
                   {"TemplateParamJson", R"([{"a":"1"},{},{"b":"2"}])"},
                   {"OutId", "b:batch-1"}};
  auto doc = f.call("SendBatchSms", three);
  REQUIRE(str(doc["Code"]) == "OK");
  CHECK(f.store.counters().items_accepted == 3);
  CHECK(f.store.accepted_count({"app1", "签名B", "b:batch-1", "SMS_1", "13800138002"}) == 1);
  CHECK(f.store.counters().max_batch_seen == 3);
  CHECK(f.state.receipts().size() == 3);
  CHECK(f.state.receipts()[1].biz_id == str(doc["BizId"]));

  const Form hundred_one{{"PhoneNumberJson", phones_json(101)},
                         {"SignNameJson", repeated_json(101, "\"签名\"")},
                         {"TemplateCode", "SMS_1"}};
  CHECK(f.code("SendBatchSms", hundred_one) == "isv.INVALID_PARAMETERS");
  CHECK(f.store.counters().max_batch_seen == 101);
  const Form hundred{{"PhoneNumberJson", phones_json(100)},
                     {"SignNameJson", repeated_json(100, "\"签名\"")},
                     {"TemplateParamJson", repeated_json(100, "{}")},
                     {"TemplateCode", "SMS_1"}};
  CHECK(f.code("SendBatchSms", hundred) == "OK");

  Form mismatch = three;
  mismatch[1].value = R"(["签名A"])";
  CHECK(f.code("SendBatchSms", mismatch) == "isv.INVALID_PARAMETERS");
  Form one_illegal = three;
  one_illegal[0].value = R"(["13800138001","1234","13800138003"])";
  CHECK(f.code("SendBatchSms", one_illegal) == "isv.MOBILE_NUMBER_ILLEGAL");
  CHECK(f.store.counters().items_accepted == 103);  // nothing of the refused calls
}

TEST_CASE("aliyun: SendCardSms sends cards, falls back for numbers without card support, and has receipts") {
  AliyunFixture f;
  const Form card{{"CardObjects", R"([{"mobile":"13800138001","dyncParams":{"a":"1"},"customUrl":"https://x"},)"
                                  R"({"mobile":"13800138000","dyncParams":"{\"a\":\"2\"}"}])"},
                  {"CardTemplateCode", "CARD_SMS_70"},
                  {"SignName", "阿里云"},
                  {"FallbackType", "SMS"},
                  {"SmsTemplateCode", "SMS_2"},
                  {"SmsTemplateParam", R"({"a":"1"})"},
                  {"OutId", "b:card-1"}};
  auto doc = f.call("SendCardSms", card);
  REQUIRE(str(doc["Code"]) == "OK");
  CHECK(doc["Success"].GetBool());
  const auto& data = doc["Data"];
  CHECK(str(data["MediaMobiles"]) == "13800138001");
  CHECK(str(data["NotMediaMobiles"]) == "13800138000");
  CHECK_FALSE(str(data["BizCardId"]).empty());
  CHECK_FALSE(str(data["BizSmsId"]).empty());
  CHECK(str(data["BizDigitalId"]).empty());
  CHECK(f.store.counters().items_accepted == 2);

  const Form query{{"PhoneNumber", "13800138000"}, {"SendDate", "20231115"}, {"PageSize", "10"}, {"CurrentPage", "1"},
                   {"BizSmsId", str(data["BizSmsId"])}};
  doc = f.call("GetCardSmsDetails", query);
  REQUIRE(str(doc["Code"]) == "OK");
  const auto& records = doc["CardSendDetailDTO"]["Records"];
  REQUIRE(records.Size() == 1);
  CHECK(str(records[0]["OutId"]) == "b:card-1");
  CHECK(str(records[0]["ReceiveType"]) == "SMS");
  CHECK(records[0]["SendStatus"].GetInt() == 3);
  // Card receipts are not SMS receipts.
  const Form sms_query{{"PhoneNumber", "13800138000"}, {"SendDate", "20231115"}, {"PageSize", "10"}, {"CurrentPage", "1"}};
  CHECK(f.call("QuerySendDetails", sms_query)["TotalCount"].GetUint64() == 0);

  Form none = card;
  none[3].value = "NONE";
  none[6].value = "b:card-2";
  doc = f.call("SendCardSms", none);
  CHECK(str(doc["Data"]["BizSmsId"]).empty());
  CHECK(f.store.counters().items_accepted == 3);  // the number without card support got nothing
  CHECK(f.store.counters().items_rejected.at("card_not_supported") == 1);

  Form no_fallback_template = card;
  no_fallback_template.erase(no_fallback_template.begin() + 4);
  CHECK(f.code("SendCardSms", no_fallback_template) == "isv.INVALID_PARAMETERS");
  Form bad = card;
  bad[1].value = "BAD_CARD";
  CHECK(f.code("SendCardSms", bad) == "isv.SMS_TEMPLATE_ILLEGAL");
  bad = card;
  bad[4].value = "BAD_SMS";
  CHECK(f.code("SendCardSms", bad) == "isv.SMS_TEMPLATE_ILLEGAL");
  bad = card;
  bad[0].value = R"([{"mobile":"42"}])";
  CHECK(f.code("SendCardSms", bad) == "isv.MOBILE_NUMBER_ILLEGAL");
}

TEST_CASE("aliyun: POST / goes through the simulator's faults, GET / with a query string works, reset forgets") {
  SimConfig config;
  config.secrets = {{"app1", "test-secret"}};
  Simulator sim(std::move(config));
  const std::string ct = "application/x-www-form-urlencoded; charset=utf-8";
  Reply r = sim.handle("POST", "/", ct, encode(aliyun_form("SendSms", send_sms("13800138001"), "s1")), now);
  CHECK(r.status == 200);
  CHECK(r.body.find("\"Code\":\"OK\"") != std::string::npos);
  r = sim.handle("GET", "/?" + encode(aliyun_form("SendSms", send_sms("13800138002"), "s2", "test-secret", "GET")), "",
                 "", now);
  CHECK(r.body.find("\"Code\":\"OK\"") != std::string::npos);
  r = sim.handle("POST", "/", ct, encode(aliyun_form("SendSms", send_sms("12"), "s3")), now);
  CHECK(r.status == 200);
  CHECK(r.body.find("isv.MOBILE_NUMBER_ILLEGAL") != std::string::npos);
  r = sim.handle("POST", "/", ct, "Action=SendSms", now);
  CHECK(r.status == 400);
  CHECK(sim.handle("PUT", "/", ct, "", now).status == 405);

  sim.handle("POST", "/_sim/faults", "", R"({"fault_5xx":1})", now);
  CHECK(sim.handle("POST", "/", ct, encode(aliyun_form("SendSms", send_sms("13800138003"), "s4")), now).status == 503);
  sim.handle("POST", "/_sim/faults", "", R"({"fault_5xx":0,"fault_drop_answer":1})", now);
  CHECK(sim.handle("POST", "/", ct, encode(aliyun_form("SendSms", send_sms("13800138004"), "s5")), now).action ==
        Action::drop);
  CHECK(sim.store().counters().items_accepted == 3);  // s1, s2 and the dropped s5
  CHECK(sim.store().counters().requests == 6);
  CHECK(sim.aliyun().receipts().size() == 3);

  sim.handle("POST", "/_sim/reset", "", "", now);
  CHECK(sim.aliyun().receipts().empty());
  sim.handle("POST", "/_sim/faults", "", R"({"fault_drop_answer":0})", now);
  // The nonces are forgotten too.
  r = sim.handle("POST", "/", ct, encode(aliyun_form("SendSms", send_sms("13800138001"), "s1")), now);
  CHECK(r.body.find("\"Code\":\"OK\"") != std::string::npos);
}

// --- Receipt timing: --receipt-hide-ms, --receipt-delay-ms (store.hpp; README "Receipts") --------

namespace {

constexpr std::int64_t now_ms = now * 1000;

struct ReceiptSim {
  Simulator sim{[] {
    SimConfig c;
    c.secrets = {{"app1", "test-secret"}};
    return c;
  }()};
  int nonce = 0;
  const std::string ct = "application/x-www-form-urlencoded; charset=utf-8";

  Reply aliyun(const std::string& action, const Form& extra, std::int64_t at_ms) {
    return sim.handle("POST", "/", ct, encode(aliyun_form(action, extra, "r-" + std::to_string(++nonce))),
                      at_ms / 1000, at_ms);
  }
  rapidjson::Document aliyun_doc(const std::string& action, const Form& extra, std::int64_t at_ms) {
    const Reply r = aliyun(action, extra, at_ms);
    REQUIRE(r.action == Action::respond);
    rapidjson::Document doc;
    doc.Parse(r.body.c_str());
    REQUIRE(doc.IsObject());
    REQUIRE(str(doc["Code"]) == "OK");
    return doc;
  }
  // The records QuerySendDetails returns for 13800138001 on the sim's day.
  rapidjson::Document details(std::int64_t at_ms) {
    return aliyun_doc("QuerySendDetails",
                      {{"PhoneNumber", "13800138001"}, {"SendDate", "20231115"}, {"PageSize", "50"}, {"CurrentPage", "1"}},
                      at_ms);
  }
  void settings(const std::string& json) { REQUIRE(sim.handle("POST", "/_sim/faults", "", json, now).status == 200); }
};

}  // namespace

TEST_CASE("receipt timing: hidden for hide_ms, then waiting until delay_ms, both from acceptance; 0 = no wait") {
  CHECK(receipt_is_visible(1000, 1000, 0));
  CHECK(receipt_is_visible(1000, 0, 0));  // no hiding whatever the clocks say
  CHECK_FALSE(receipt_is_visible(1000, 1499, 500));
  CHECK(receipt_is_visible(1000, 1500, 500));
  CHECK(reported_receipt_status(3, 1000, 1000, 0) == 3);
  CHECK(reported_receipt_status(3, 1000, 2999, 2000) == 1);
  CHECK(reported_receipt_status(3, 1000, 3000, 2000) == 3);
  CHECK(reported_receipt_status(2, 1000, 3000, 2000) == 2);
  CHECK(reported_receipt_status(2, 1000, 1001, 2000) == 1);
}

TEST_CASE("receipt timing: settings from the command line and /_sim/faults, all-or-nothing") {
  SimConfig config;
  config.receipt_hide_ms = 250;
  config.receipt_delay_ms = 4000;
  Simulator sim(std::move(config));
  CHECK(sim.receipt_hide_ms() == 250);
  CHECK(sim.receipt_delay_ms() == 4000);
  rapidjson::Document doc;
  doc.Parse(sim.handle("GET", "/_sim/faults", "", "", now).body.c_str());
  CHECK(doc["receipt_hide_ms"].GetUint() == 250);
  CHECK(doc["receipt_delay_ms"].GetUint() == 4000);
  CHECK(sim.handle("POST", "/_sim/faults", "", R"({"receipt_delay_ms":-1})", now).status == 400);
  CHECK(sim.handle("POST", "/_sim/faults", "", R"({"receipt_hide_ms":10,"receipt_delay_ms":"x"})", now).status == 400);
  CHECK(sim.receipt_hide_ms() == 250);  // nothing changed
  CHECK(sim.handle("POST", "/_sim/faults", "", R"({"receipt_hide_ms":0,"receipt_delay_ms":1500})", now).status == 200);
  CHECK(sim.receipt_hide_ms() == 0);
  CHECK(sim.receipt_delay_ms() == 1500);
  sim.handle("POST", "/_sim/reset", "", "", now);
  CHECK(sim.receipt_delay_ms() == 1500);  // settings survive a reset
}

TEST_CASE("aliyun: QuerySendDetails does not see a send for hide_ms, reports it waiting until delay_ms, then delivered") {
  ReceiptSim s;
  s.settings(R"({"receipt_hide_ms":500,"receipt_delay_ms":2000})");
  const std::int64_t t0 = now_ms + 100;
  REQUIRE(str(s.aliyun_doc("SendSms", send_sms("13800138001", "SMS_1", "evt-late"), t0)["Code"]) == "OK");

  CHECK(s.details(t0 + 499)["TotalCount"].GetUint64() == 0);  // not there yet
  auto doc = s.details(t0 + 500);
  REQUIRE(doc["TotalCount"].GetUint64() == 1);
  const auto& waiting = doc["SmsSendDetailDTOs"]["SmsSendDetailDTO"][0];
  CHECK(str(waiting["OutId"]) == "evt-late");
  CHECK(waiting["SendStatus"].GetInt() == 1);
  CHECK(str(waiting["ErrCode"]).empty());
  CHECK(str(waiting["ReceiveDate"]).empty());
  CHECK(s.details(t0 + 1999)["SmsSendDetailDTOs"]["SmsSendDetailDTO"][0]["SendStatus"].GetInt() == 1);
  doc = s.details(t0 + 2000);
  const auto& delivered = doc["SmsSendDetailDTOs"]["SmsSendDetailDTO"][0];
  CHECK(delivered["SendStatus"].GetInt() == 3);
  CHECK(str(delivered["ErrCode"]) == "DELIVERED");
  CHECK_FALSE(str(delivered["ReceiveDate"]).empty());

  // The timing is read when asked: changing it changes what an existing receipt looks like.
  s.settings(R"({"receipt_hide_ms":0,"receipt_delay_ms":0})");
  CHECK(s.details(t0)["SmsSendDetailDTOs"]["SmsSendDetailDTO"][0]["SendStatus"].GetInt() == 3);
}

TEST_CASE("aliyun: a send whose answer was dropped is recorded, and its receipt finds it by OutId") {
  ReceiptSim s;
  s.settings(R"({"fault_drop_answer":1,"receipt_delay_ms":1000})");
  const std::int64_t t0 = now_ms;
  CHECK(s.aliyun("SendSms", send_sms("13800138001", "SMS_1", "evt-dropped"), t0).action == Action::drop);
  const Form card{{"CardObjects", R"([{"mobile":"13800138001","dyncParams":{"a":"1"}}])"},
                  {"CardTemplateCode", "CARD_SMS_70"},
                  {"SignName", "阿里云"},
                  {"FallbackType", "NONE"},
                  {"OutId", "evt-card-dropped"}};
  CHECK(s.aliyun("SendCardSms", card, t0).action == Action::drop);
  CHECK(s.sim.store().counters().fault_drop_answer == 2);
  s.settings(R"({"fault_drop_answer":0})");  // queries go through the faults too

  auto doc = s.details(t0 + 10);
  REQUIRE(doc["TotalCount"].GetUint64() == 1);
  CHECK(str(doc["SmsSendDetailDTOs"]["SmsSendDetailDTO"][0]["OutId"]) == "evt-dropped");
  CHECK(doc["SmsSendDetailDTOs"]["SmsSendDetailDTO"][0]["SendStatus"].GetInt() == 1);
  CHECK(s.details(t0 + 1000)["SmsSendDetailDTOs"]["SmsSendDetailDTO"][0]["SendStatus"].GetInt() == 3);

  doc = s.aliyun_doc("GetCardSmsDetails",
                     {{"PhoneNumber", "13800138001"}, {"SendDate", "20231115"}, {"PageSize", "50"}, {"CurrentPage", "1"}},
                     t0 + 1000);
  const auto& records = doc["CardSendDetailDTO"]["Records"];
  REQUIRE(records.Size() == 1);
  CHECK(str(records[0]["OutId"]) == "evt-card-dropped");
  CHECK(records[0]["SendStatus"].GetInt() == 3);
}

// Issue 13: a one-event call of a SendBatchSms or SendCardSms account carries the event's own
// OutId (Herald's receipt_call_id names it); its receipt must be found by it, whatever happened to
// the answer.
TEST_CASE("aliyun: one-number SendBatchSms and one-card SendCardSms calls have receipts under their OutId") {
  ReceiptSim s;
  s.settings(R"({"fault_drop_answer":1})");
  const std::int64_t t0 = now_ms;
  const Form batch_of_one{{"PhoneNumberJson", R"(["13800138001"])"},
                          {"SignNameJson", R"(["阿里云短信测试"])"},
                          {"TemplateCode", "SMS_1"},
                          {"TemplateParamJson", R"([{"code":"1234"}])"},
                          {"OutId", "evt-batch-solo"}};
  CHECK(s.aliyun("SendBatchSms", batch_of_one, t0).action == Action::drop);
  const Form card_of_one{{"CardObjects", R"([{"mobile":"13800138001","dyncParams":{"a":"1"}}])"},
                         {"CardTemplateCode", "CARD_SMS_70"},
                         {"SignName", "阿里云"},
                         {"FallbackType", "NONE"},
                         {"OutId", "evt-card-solo"}};
  CHECK(s.aliyun("SendCardSms", card_of_one, t0).action == Action::drop);
  s.settings(R"({"fault_drop_answer":0})");

  auto doc = s.details(t0 + 10);
  REQUIRE(doc["TotalCount"].GetUint64() == 1);
  CHECK(str(doc["SmsSendDetailDTOs"]["SmsSendDetailDTO"][0]["OutId"]) == "evt-batch-solo");
  CHECK(doc["SmsSendDetailDTOs"]["SmsSendDetailDTO"][0]["SendStatus"].GetInt() == 3);
  doc = s.aliyun_doc("GetCardSmsDetails",
                     {{"PhoneNumber", "13800138001"}, {"SendDate", "20231115"}, {"PageSize", "50"}, {"CurrentPage", "1"}},
                     t0 + 10);
  const auto& records = doc["CardSendDetailDTO"]["Records"];
  REQUIRE(records.Size() == 1);
  CHECK(str(records[0]["OutId"]) == "evt-card-solo");
  CHECK(records[0]["SendStatus"].GetInt() == 3);
}

TEST_CASE("douyin: the send-result query hides a message id for hide_ms, reports it waiting until delay_ms") {
  ReceiptSim s;
  const std::string send = std::string(douyin_send_path);
  const std::string result = std::string(douyin_result_path);
  const std::string form_ct = "application/x-www-form-urlencoded";
  s.settings(R"({"receipt_hide_ms":300,"receipt_delay_ms":1000})");
  const std::int64_t t0 = now_ms + 250;
  Reply r = s.sim.handle("POST", send, form_ct, douyin_body(douyin_batch(1)), t0 / 1000, t0);
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  const std::string id = str(doc["data"][0]["message_id"]);
  const std::string ask = douyin_body(R"({"message_ids":[")" + id + R"("]})");
  auto result_at = [&](std::int64_t at_ms) {
    rapidjson::Document d;
    d.Parse(s.sim.handle("POST", result, form_ct, ask, at_ms / 1000, at_ms).body.c_str());
    REQUIRE(d["code"].GetInt() == 0);
    return d;
  };
  CHECK(result_at(t0 + 299)["data"].Size() == 0);
  doc = result_at(t0 + 300);
  REQUIRE(doc["data"].Size() == 1);
  CHECK(doc["data"][0]["status"].GetInt() == 1);
  CHECK(str(doc["data"][0]["err_code"]).empty());
  doc = result_at(t0 + 1000);
  CHECK(doc["data"][0]["status"].GetInt() == 3);
  CHECK(str(doc["data"][0]["err_code"]) == "DELIVRD");

  // A dropped answer: the items are accepted and their ids remembered all the same (the client
  // never learns them, which is why Herald cannot ask about it: docs/gateways.md).
  s.settings(R"({"fault_drop_answer":1})");
  CHECK(s.sim.handle("POST", send, form_ct, douyin_body(douyin_batch(2)), now, now_ms).action == Action::drop);
  CHECK(s.sim.store().counters().items_accepted == 1 + 2);
}

// --- Per-account rate cap: --rate-limit-qps, max_calls_per_second (rate_window.hpp) -----------

TEST_CASE("rate window: at most `limit` admitted calls in any (t - 1000 ms, t]; refused ones do not count") {
  RateWindow w;
  CHECK(w.arrive("a", 0, 3));
  CHECK(w.arrive("a", 0, 3));
  CHECK(w.arrive("a", 500, 3));
  CHECK_FALSE(w.arrive("a", 500, 3));
  CHECK_FALSE(w.arrive("a", 999, 3));  // the calls at 0 are still inside
  CHECK(w.arrive("b", 999, 3));        // per account
  CHECK(w.arrive("a", 1000, 3));       // both calls at 0 left the window (0, 1000]
  CHECK(w.arrive("a", 1000, 3));
  CHECK_FALSE(w.arrive("a", 1000, 3));
  CHECK(w.arrive("a", 1500, 3));       // the call at 500 left

  // Refused calls do not hold the window shut: with a cap of 1, a call refused at 500 does not
  // stop one at 1000 (if it counted, the window (0, 1000] would hold it).
  RateWindow once;
  CHECK(once.arrive("a", 0, 1));
  CHECK_FALSE(once.arrive("a", 500, 1));
  CHECK(once.arrive("a", 1000, 1));
  CHECK_FALSE(once.arrive("a", 1999, 1));
  CHECK(once.arrive("a", 2000, 1));
}

TEST_CASE("rate window: an even N per second passes a cap of N, one call more does not") {
  RateWindow w;
  for (int i = 0; i < 50; ++i) CHECK(w.arrive("a", i * 100, 10));  // 10/s, 100 ms apart, 5 s
  CHECK(w.max_in_window() == 10);
  RateWindow burst;
  for (int i = 0; i < 10; ++i) CHECK(burst.arrive("a", 1000 + i * 100, 10));
  CHECK_FALSE(burst.arrive("a", 1950, 10));  // the 11th within (950, 1950]
  CHECK(burst.max_in_window() == 11);
}

TEST_CASE("rate window: max_in_window is the exact maximum over sliding windows, refused calls included") {
  RateWindow w;
  CHECK(w.max_in_window() == 0);
  w.arrive("a", 0, 0);
  w.arrive("a", 1000, 0);  // (0, 1000]: the call at 0 is out
  CHECK(w.max_in_window() == 1);
  w.arrive("a", 1999, 0);  // (999, 1999]: 1000 and 1999
  CHECK(w.max_in_window() == 2);
  // 2600, 3100, 3599 fit in (2599, 3599] though no window starting on a whole second holds all three.
  w.arrive("a", 2600, 0);
  w.arrive("a", 3100, 0);
  w.arrive("a", 3599, 0);
  CHECK(w.max_in_window() == 3);
  w.arrive("b", 3599, 0);  // other accounts have their own windows
  CHECK(w.max_in_window() == 3);

  RateWindow capped;
  for (int i = 0; i < 7; ++i) capped.arrive("a", 10 * i, 2);
  CHECK(capped.max_in_window() == 7);  // what the client offered, 5 of them refused

  capped.reset();
  CHECK(capped.max_in_window() == 0);
  CHECK(capped.arrive("a", 70, 2));  // the windows are forgotten too
  CHECK(capped.arrive("a", 70, 2));
}

TEST_CASE("rate window: a cap set later counts the calls already admitted; time never runs backwards") {
  RateWindow w;
  CHECK(w.arrive("a", 100, 0));
  CHECK(w.arrive("a", 200, 0));
  CHECK_FALSE(w.arrive("a", 300, 2));  // two admitted uncapped calls are inside (-700, 300]
  RateWindow back;
  CHECK(back.arrive("a", 5000, 1));
  CHECK_FALSE(back.arrive("a", 10, 1));  // taken as 5000, not as a fresh window
  CHECK(back.max_in_window() == 2);
}

TEST_CASE("form_value reads one field without parsing the form") {
  CHECK(form_value("a=1&appid=x%20y&appid=z", "appid") == std::string("x y"));
  CHECK(form_value("a=1&app%69d=w&appid=z", "appid") == std::string("w"));  // an encoded name
  CHECK(form_value("&&appid&b=2", "appid") == std::string(""));
  CHECK_FALSE(form_value("a=1&b=2", "appid"));
  CHECK_FALSE(form_value("appid=%zz", "appid"));
  CHECK_FALSE(form_value("", "appid"));
}

namespace {

// A simulator with app1 and app2 and `settings` applied; calls are timed by `steady_ms` only.
struct CapSim {
  Simulator sim{[] {
    SimConfig c;
    c.secrets = {{"app1", "test-secret"}, {"app2", "test-secret"}};
    return c;
  }()};
  int nonce = 0;

  explicit CapSim(const std::string& settings) {
    REQUIRE(sim.handle("POST", "/_sim/faults", "", settings, now).status == 200);
  }
  Reply post(const std::string& path, const std::string& b, std::int64_t steady_ms,
             const std::string& ct = "application/x-www-form-urlencoded") {
    return sim.handle("POST", path, ct, b, now, now * 1000, steady_ms);
  }
  Reply aliyun(const std::string& action, const Form& extra, std::int64_t steady_ms,
               const std::string& nonce_text = "") {
    return post("/", encode(aliyun_form(action, extra, nonce_text.empty() ? "cap-" + std::to_string(++nonce) : nonce_text)),
                steady_ms);
  }
  rapidjson::Document stats() {
    rapidjson::Document d;
    d.Parse(sim.handle("GET", "/_sim/stats", "", "", now).body.c_str());
    REQUIRE(d.IsObject());
    return d;
  }
};

rapidjson::Document parsed(const Reply& r) {
  REQUIRE(r.action == Action::respond);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  REQUIRE(d.IsObject());
  return d;
}

}  // namespace

TEST_CASE("rate cap: set by --rate-limit-qps or /_sim/faults, off by default, survives a reset") {
  Simulator off{SimConfig{}};
  CHECK(off.faults().rate_limit_qps == 0);
  SimConfig config;
  config.faults.rate_limit_qps = 5;
  Simulator sim(std::move(config));
  rapidjson::Document doc;
  doc.Parse(sim.handle("GET", "/_sim/faults", "", "", now).body.c_str());
  CHECK(doc["rate_limit_qps"].GetUint() == 5);
  CHECK(sim.handle("POST", "/_sim/faults", "", R"({"rate_limit_qps":-1})", now).status == 400);
  CHECK(sim.handle("POST", "/_sim/faults", "", R"({"rate_limit_qps":2.5})", now).status == 400);
  CHECK(sim.handle("POST", "/_sim/faults", "", R"({"latency_ms":1,"rate_limit_qps":"x"})", now).status == 400);
  CHECK(sim.faults().rate_limit_qps == 5);  // nothing changed
  CHECK(sim.faults().latency_ms == 0);
  CHECK(sim.handle("POST", "/_sim/faults", "", R"({"rate_limit_qps":0})", now).status == 200);
  CHECK(sim.faults().rate_limit_qps == 0);
  sim.handle("POST", "/_sim/faults", "", R"({"rate_limit_qps":7})", now);
  sim.handle("POST", "/_sim/reset", "", "", now);
  CHECK(sim.faults().rate_limit_qps == 7);
}

TEST_CASE("rate cap, fw199 Taobao: HTTP 200, code 429 with a flow-control message, nothing recorded") {
  CapSim s(R"({"rate_limit_qps":2})");
  const std::string path(send_path);
  CHECK(parsed(s.post(path, body(batch(2)), 0))["code"].GetInt() == 0);
  CHECK(parsed(s.post(path, body(batch(2)), 400))["code"].GetInt() == 0);
  const Reply r = s.post(path, body(batch(3)), 999);
  CHECK(r.status == 200);
  const auto doc = parsed(r);
  CHECK(doc["code"].GetInt() == 429);
  CHECK(str(doc["message"]) == "请求过于频繁,触发限流");
  CHECK(doc["trace_id"].GetStringLength() == 32);
  CHECK(doc["data"].Size() == 0);
  // Another account has its own allowance; a call naming an unknown appid is not capped.
  CHECK(parsed(s.post(path, body(batch(1), "test-secret", now, "app2"), 999))["code"].GetInt() == 0);
  CHECK(parsed(s.post(path, body(batch(1), "x", now, "nobody"), 999))["code"].GetInt() == 40001);
  CHECK(parsed(s.post(path, body(batch(1)), 1000))["code"].GetInt() == 0);  // the call at 0 left

  auto stats = s.stats();
  CHECK(stats["requests"].GetUint64() == 6);  // throttled calls are send calls received
  CHECK(stats["throttled"].GetUint64() == 1);
  CHECK(stats["max_calls_per_second"].GetUint64() == 3);  // app1 at 0, 400, 999
  CHECK(stats["items_accepted"].GetUint64() == 2 + 2 + 1 + 1);
  CHECK(stats["max_batch_seen"].GetUint64() == 2);  // the throttled batch of 3 was never read
  CHECK(stats["calls_rejected"].MemberCount() == 1);  // only the unknown appid

  REQUIRE(s.sim.handle("POST", "/_sim/reset", "", "", now).status == 200);
  stats = s.stats();
  CHECK(stats["throttled"].GetUint64() == 0);
  CHECK(stats["max_calls_per_second"].GetUint64() == 0);
  CHECK(parsed(s.post(path, body(batch(1)), 1001))["code"].GetInt() == 0);  // windows forgotten
  CHECK(parsed(s.post(path, body(batch(1)), 1002))["code"].GetInt() == 0);
}

TEST_CASE("rate cap, fw199 抖店: the same code and message in the endpoint's shape; the result query is not capped") {
  CapSim s(R"({"rate_limit_qps":1})");
  const std::string send(douyin_send_path);
  const auto first = parsed(s.post(send, douyin_body(douyin_batch(1)), 0));
  REQUIRE(first["code"].GetInt() == 0);
  const std::string id = str(first["data"][0]["message_id"]);
  const Reply r = s.post(send, douyin_body(douyin_batch(1)), 10);
  CHECK(r.status == 200);
  const auto doc = parsed(r);
  CHECK(doc["code"].GetInt() == 429);
  CHECK(str(doc["message"]) == "请求过于频繁,触发限流");
  CHECK(doc["data"].Size() == 0);
  for (int i = 0; i < 3; ++i) {
    const auto result = parsed(s.post(std::string(douyin_result_path),
                                      douyin_body(R"({"message_ids":[")" + id + R"("]})"), 20));
    CHECK(result["code"].GetInt() == 0);
    CHECK(result["data"].Size() == 1);
  }
  const auto stats = s.stats();
  CHECK(stats["throttled"].GetUint64() == 1);
  CHECK(stats["max_calls_per_second"].GetUint64() == 2);
  CHECK(stats["items_accepted"].GetUint64() == 1);
}

TEST_CASE("rate cap, TOP: HTTP 200, error_response code 7 App Call Limited, nothing recorded") {
  CapSim s(R"({"rate_limit_qps":1})");
  const std::string ct = "application/x-www-form-urlencoded; charset=utf-8";
  CHECK(s.post("/router/rest", top_encode(top_form(top_request_json("a"))), 0, ct).body.find(
            "jst_sms_oaid_message_send_response") != std::string::npos);
  const Reply r = s.post("/router/rest", top_encode(top_form(top_request_json("b"))), 1, ct);
  CHECK(r.status == 200);
  const auto doc = parsed(r);
  const auto& e = doc["error_response"];
  CHECK(e["code"].GetInt() == 7);
  CHECK(str(e["msg"]) == "App Call Limited");
  CHECK(str(e["sub_code"]) == "accesscontrol.limited-by-api-access-count");
  CHECK(str(e["sub_msg"]) == "This ban will last for 1 more seconds");
  CHECK(e["request_id"].GetStringLength() == 13);
  CHECK(s.sim.store().counters().items_accepted == 1);
  CHECK(s.sim.store().accepted_count({"app1", "sess-A", "b", "SMS_1", "AAHk5d-xx"}) == 0);
  CHECK(s.stats()["throttled"].GetUint64() == 1);
}

TEST_CASE("rate cap, Alibaba Cloud: HTTP 400 Throttling.User for send Actions only, no nonce used") {
  CapSim s(R"({"rate_limit_qps":1})");
  REQUIRE(parsed(s.aliyun("SendSms", send_sms("13800138001"), 0))["Code"] == "OK");
  Reply r = s.aliyun("SendSms", send_sms("13800138002", "SMS_1", "evt-2"), 100, "kept-nonce");
  CHECK(r.status == 400);
  auto doc = parsed(r);
  CHECK(str(doc["Code"]) == "Throttling.User");
  CHECK(str(doc["Message"]) == "Request was denied due to user flow control.");
  CHECK(doc["RequestId"].GetStringLength() == 36);
  CHECK_FALSE(doc.HasMember("Success"));
  const Form card{{"CardObjects", R"([{"mobile":"13800138001","dyncParams":{}}])"},
                  {"CardTemplateCode", "CARD_SMS_70"},
                  {"SignName", "阿里云"},
                  {"OutId", "evt-card"}};
  doc = parsed(s.aliyun("SendCardSms", card, 200));
  CHECK(str(doc["Code"]) == "Throttling.User");
  CHECK(doc["Success"].IsFalse());
  // Receipt queries are not send calls: never capped, not in the windows.
  const Form query{{"PhoneNumber", "13800138001"}, {"SendDate", "20231115"}, {"PageSize", "10"}, {"CurrentPage", "1"}};
  for (int i = 0; i < 3; ++i) CHECK(str(parsed(s.aliyun("QuerySendDetails", query, 300))["Code"]) == "OK");
  // GET with the parameters in the query string is a send call like POST.
  r = s.sim.handle("GET", "/?" + encode(aliyun_form("SendSms", send_sms("13800138003"), "get-1", "test-secret", "GET")),
                   "", "", now, now * 1000, 400);
  CHECK(parsed(r)["Code"] == "Throttling.User");

  auto stats = s.stats();
  CHECK(stats["throttled"].GetUint64() == 3);
  CHECK(stats["max_calls_per_second"].GetUint64() == 4);
  CHECK(stats["items_accepted"].GetUint64() == 1);
  CHECK(s.sim.aliyun().receipts().size() == 1);
  // The refused call's nonce was not recorded: the same call is accepted once the window moves.
  CHECK(str(parsed(s.aliyun("SendSms", send_sms("13800138002", "SMS_1", "evt-2"), 1000, "kept-nonce"))["Code"]) == "OK");
}

TEST_CASE("rate cap: before the faults, with the latency; admitted calls count whatever the faults do") {
  CapSim s(R"({"rate_limit_qps":1,"fault_5xx":1,"latency_ms":30})");
  const std::string path(send_path);
  Reply r = s.post(path, body(batch(1)), 0);
  CHECK(r.status == 503);  // admitted, then faulted: it used the second's allowance
  r = s.post(path, body(batch(1)), 10);
  CHECK(r.status == 200);
  CHECK(parsed(r)["code"].GetInt() == 429);
  CHECK(r.delay.count() == 30);
  const auto stats = s.stats();
  CHECK(stats["faults"]["5xx"].GetUint64() == 1);
  CHECK(stats["throttled"].GetUint64() == 1);
  CHECK(stats["requests"].GetUint64() == 2);
}

TEST_CASE("rate cap off: every call is processed and max_calls_per_second still measures") {
  CapSim s(R"({})");
  const std::string path(send_path);
  for (int i = 0; i < 25; ++i) CHECK(parsed(s.post(path, body(batch(1)), 40 * i))["code"].GetInt() == 0);
  const auto stats = s.stats();
  CHECK(stats["throttled"].GetUint64() == 0);
  CHECK(stats["max_calls_per_second"].GetUint64() == 25);  // 0 .. 960 ms
}

TEST_CASE("deeply nested request JSON is refused without overflowing the stack") {
  // The simulator's parses are iterative (kParseIterativeFlag): 200,000 brackets in a body, as a
  // broken client could send, make an error answer, not a crash.
  Simulator sim{SimConfig{}};
  const std::string abyss = R"({"fault_5xx":)" + std::string(200000, '[');
  CHECK(sim.handle("POST", "/_sim/faults", "", abyss, now).status == 400);
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  CHECK(sim.handle("POST", "/_sim/faults", "", deep, now).status == 400);
}
