// Unit tests of the gateway simulator's pure parts (no network).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <string>

#include "form.hpp"
#include "fw199_sign.hpp"
#include "fw199_taobao.hpp"
#include "options.hpp"
#include "sim.hpp"
#include "store.hpp"

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
