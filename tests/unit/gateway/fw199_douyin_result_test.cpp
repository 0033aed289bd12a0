// The unconfirmed fw199 抖店 send-result query (docs/gateways.md, "Receipt check"): these tests pin
// the shape Herald assumes (docs/gateways.md), so that a correction shows up as a deliberate change.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <map>

#include "fw199_douyin_support.hpp"
#include "herald/gateway/fw199_douyin.hpp"
#include "herald/gateway/signers.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

const std::vector<std::string> two_ids{"0a01be41-0000-4000-8000-000000000001", "0a01be41-0000-4000-8000-000000000002"};

send_context at(std::int64_t unix_seconds) {
  send_context ctx;
  ctx.unix_seconds = unix_seconds;
  return ctx;
}

}  // namespace

TEST_CASE("douyin result query: the exact form body, signed like a send") {
  auto account = test::douyin_account();
  account.receipt_endpoint = account.endpoint;
  account.receipt_endpoint->target = "/gateway/dd/sms/send/result";
  const http_request req = build_douyin_result_query(account, two_ids, at(1700000000));
  CHECK(req.method == "POST");
  CHECK(req.target == "/gateway/dd/sms/send/result");
  CHECK(req.content_type == "application/x-www-form-urlencoded; charset=utf-8");
  // Computed outside Herald (Python: hashlib.md5 and urllib.parse.quote(value, safe='')).
  CHECK(req.body ==
        "appid=app-123&timestamp=1700000000&seller_nick=%E6%B5%8B%E8%AF%95%E6%8A%96%E5%BA%97&request_data="
        "%7B%22message_ids%22%3A%5B%220a01be41-0000-4000-8000-000000000001%22%2C%220a01be41-0000-4000-8000-"
        "000000000002%22%5D%7D&sign=17f190d5c7c0f35f989a46fd11a92ba2");

  const auto decoded = test::form_decode(req.body);
  std::map<std::string, std::string> fields(decoded.begin(), decoded.end());
  REQUIRE(fields.size() == 5);
  CHECK(fields["request_data"] ==
        R"({"message_ids":["0a01be41-0000-4000-8000-000000000001","0a01be41-0000-4000-8000-000000000002"]})");
  std::vector<sign_param> received;
  for (const auto& [name, value] : fields) received.emplace_back(name, value);
  CHECK(sign_fw199(received, "test-secret-not-real") == fields["sign"]);
}

TEST_CASE("douyin result query: without a receipt endpoint the target is the send path + /result") {
  auto account = test::douyin_account();
  CHECK(build_douyin_result_query(account, two_ids, at(1)).target == "/gateway/dd/sms/send/result");
  account.endpoint.target = "/gateway/dd/sms/send/";
  CHECK(build_douyin_result_query(account, two_ids, at(1)).target == "/gateway/dd/sms/send/result");
}

TEST_CASE("douyin result query: statuses map to sent, failed, pending, and absent ids to not_found") {
  const std::vector<std::string> ids{"m1", "m2", "m3", "m4", "m5"};
  constexpr std::string_view body =
      R"({"code":0,"message":"ok","data":[)"
      R"({"message_id":"m3","status":1,"err_code":""},)"
      R"({"message_id":"m1","status":3,"err_code":"DELIVRD"},)"
      R"({"message_id":"m2","status":2,"err_code":"MK:0001"},)"
      R"({"message_id":"other","status":3},)"
      R"({"message_id":"m5","status":"9"}]})";
  const auto r = parse_douyin_result_query(200, body, ids);
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 5);
  CHECK((*r)[0].message_id == "m1");
  CHECK((*r)[0].status == douyin_send_status::sent);
  CHECK((*r)[0].err_code == "DELIVRD");
  CHECK((*r)[1].status == douyin_send_status::failed);
  CHECK((*r)[1].err_code == "MK:0001");
  CHECK((*r)[2].status == douyin_send_status::pending);
  CHECK((*r)[3].message_id == "m4");
  CHECK((*r)[3].status == douyin_send_status::not_found);
  CHECK((*r)[4].status == douyin_send_status::pending);  // a status not understood: look again later
  CHECK(to_string(douyin_send_status::not_found) == "not_found");
}

TEST_CASE("douyin result query: an error answer, a 5xx or garbage tells nothing") {
  CHECK_FALSE(parse_douyin_result_query(503, R"({"code":0,"data":[]})", two_ids).has_value());
  const auto refused = parse_douyin_result_query(200, R"({"code":40003,"message":"invalid sign"})", two_ids);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.message() == "send-result query refused: code 40003, invalid sign");
  CHECK_FALSE(parse_douyin_result_query(200, "<html>", two_ids).has_value());
  CHECK_FALSE(parse_douyin_result_query(200, R"({"code":0,"message":"ok"})", two_ids).has_value());
  CHECK_FALSE(parse_douyin_result_query(200, R"({"code":0,"data":[1]})", two_ids).has_value());
  CHECK_FALSE(parse_douyin_result_query(404, "not found", two_ids).has_value());
  const auto empty = parse_douyin_result_query(200, R"({"code":0,"message":"ok","data":[]})", two_ids);
  REQUIRE(empty.has_value());
  CHECK((*empty)[0].status == douyin_send_status::not_found);
  CHECK((*empty)[1].status == douyin_send_status::not_found);
}
