#include <doctest/doctest.h>

#include "aliyun_test_support.hpp"
#include "herald/gateway/aliyun_receipts.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

aliyun_credentials credentials() { return {"test-key-id", "test-secret-not-real", "cn-hangzhou"}; }

send_context fixed_context() {
  send_context ctx;
  ctx.unix_seconds = 1700000000;
  ctx.nonce = "nonce-q";
  return ctx;
}

}  // namespace

TEST_CASE("the QuerySendDetails request carries the number, the day and the page, signed") {
  aliyun_send_details_query q;
  q.phone_number = "13800138000";
  q.send_date = aliyun_send_date(1700000000);
  q.page_size = 500;  // clamped
  q.current_page = 0;
  const auto req = build_aliyun_query_send_details("/", credentials(), q, fixed_context());
  const auto decoded = test::form_decode(req.body);
  auto fields = test::as_map(decoded);
  CHECK(req.method == "POST");
  CHECK(fields["Action"] == "QuerySendDetails");
  CHECK(fields["PhoneNumber"] == "13800138000");
  CHECK(fields["SendDate"] == "20231115");  // 22:13 UTC is the next morning in China
  CHECK(fields["PageSize"] == "50");
  CHECK(fields["CurrentPage"] == "1");
  CHECK(fields.count("BizId") == 0);
  CHECK(fields["Signature"] == test::server_signature("POST", decoded, "test-secret-not-real"));

  q.biz_id = "9006^0";
  q.page_size = 10;
  q.current_page = 3;
  fields = test::as_map(test::form_decode(build_aliyun_query_send_details("/", credentials(), q, fixed_context()).body));
  CHECK(fields["BizId"] == "9006^0");
  CHECK(fields["PageSize"] == "10");
  CHECK(fields["CurrentPage"] == "3");
}

TEST_CASE("aliyun_send_date is the China-time day") {
  CHECK(aliyun_send_date(1700000000) == "20231115");
  CHECK(aliyun_send_date(1699977599) == "20231114");  // 2023-11-14 23:59:59 +08:00
  CHECK(aliyun_send_date(1699977600) == "20231115");
}

TEST_CASE("QuerySendDetails answers are read into records and the event is found by OutId") {
  const std::string body = R"({"Code":"OK","Message":"OK","RequestId":"R","TotalCount":3,"SmsSendDetailDTOs":{)"
                           R"("SmsSendDetailDTO":[)"
                           R"({"PhoneNum":"13800138000","SendStatus":3,"ErrCode":"DELIVERED","TemplateCode":"SMS_1",)"
                           R"("Content":"...","SendDate":"2023-11-15 06:13:20","ReceiveDate":"2023-11-15 06:13:25","OutId":"evt-1"},)"
                           R"({"PhoneNum":"13800138000","SendStatus":2,"ErrCode":"MK:0001","TemplateCode":"SMS_1",)"
                           R"("SendDate":"2023-11-15 07:00:00","OutId":"evt-2"},)"
                           R"({"PhoneNum":"13800138000","SendStatus":"1","ErrCode":"","TemplateCode":"SMS_1",)"
                           R"("SendDate":"2023-11-15 08:00:00","OutId":"evt-3"}]}})";
  const auto page = parse_aliyun_query_send_details(200, body);
  REQUIRE(page.is_ok);
  CHECK(page.total_count == 3);
  REQUIRE(page.records.size() == 3);
  CHECK(page.records[0].out_id == "evt-1");
  CHECK(page.records[0].send_status == 3);
  CHECK(page.records[0].err_code == "DELIVERED");
  CHECK(page.records[0].send_date == "2023-11-15 06:13:20");
  CHECK(page.records[0].receive_date == "2023-11-15 06:13:25");
  CHECK(page.records[0].template_code == "SMS_1");
  CHECK(page.records[2].send_status == 1);  // given as a string

  auto match = find_aliyun_receipt(page.records, "evt-1");
  CHECK(match.verdict == aliyun_receipt_verdict::sent);
  REQUIRE(match.record != nullptr);
  CHECK(match.record->err_code == "DELIVERED");
  CHECK(find_aliyun_receipt(page.records, "evt-2").verdict == aliyun_receipt_verdict::failed);
  CHECK(find_aliyun_receipt(page.records, "evt-2").record->err_code == "MK:0001");
  CHECK(find_aliyun_receipt(page.records, "evt-3").verdict == aliyun_receipt_verdict::pending);
  CHECK(find_aliyun_receipt(page.records, "evt-4").verdict == aliyun_receipt_verdict::not_found);
  CHECK(find_aliyun_receipt(page.records, "evt-4").record == nullptr);
  CHECK(to_string(aliyun_receipt_verdict::not_found) == "not_found");
}

TEST_CASE("several records for one OutId: delivered wins, then waiting, then failed") {
  std::vector<aliyun_receipt_record> records(3);
  for (auto& r : records) r.out_id = "b:1";
  records[0].send_status = 2;
  records[1].send_status = 1;
  records[2].send_status = 2;
  CHECK(find_aliyun_receipt(records, "b:1").verdict == aliyun_receipt_verdict::pending);
  records[2].send_status = 3;
  CHECK(find_aliyun_receipt(records, "b:1").verdict == aliyun_receipt_verdict::sent);
  records[1].send_status = 2;
  records[2].send_status = 4;  // card SMS: addressing failed
  CHECK(find_aliyun_receipt(records, "b:1").verdict == aliyun_receipt_verdict::failed);
}

TEST_CASE("QuerySendDetails: no records is an empty page; errors are classified like sends") {
  auto page = parse_aliyun_query_send_details(200, R"({"Code":"OK","Message":"OK","TotalCount":0})");
  CHECK(page.is_ok);
  CHECK(page.records.empty());
  page = parse_aliyun_query_send_details(200, R"({"Code":"OK","SmsSendDetailDTOs":{"SmsSendDetailDTO":[]}})");
  CHECK(page.is_ok);
  page = parse_aliyun_query_send_details(400, R"({"Code":"Throttling.User","Message":"slow"})");
  CHECK_FALSE(page.is_ok);
  CHECK(page.failure == outcome_class::throttled);
  CHECK(page.code == "Throttling.User");
  page = parse_aliyun_query_send_details(200, R"({"Code":"isv.INVALID_PARAMETERS","Message":"SendDate"})");
  CHECK(page.failure == outcome_class::permanent);
  page = parse_aliyun_query_send_details(503, "");
  CHECK(page.failure == outcome_class::ambiguous);
  page = parse_aliyun_query_send_details(200, R"({"Code":"OK","SmsSendDetailDTOs":{"SmsSendDetailDTO":"x"}})");
  CHECK_FALSE(page.is_ok);
  CHECK(page.code == "unparseable");
}

TEST_CASE("the GetCardSmsDetails request carries the number, the day, the page and the ids given") {
  aliyun_card_details_query q;
  q.phone_number = "13800138000";
  q.send_date = "20231115";
  q.biz_card_id = "123456^0";
  q.biz_digit_id = "12346^0";
  const auto decoded = test::form_decode(build_aliyun_get_card_sms_details("/", credentials(), q, fixed_context()).body);
  auto fields = test::as_map(decoded);
  CHECK(fields["Action"] == "GetCardSmsDetails");
  CHECK(fields["PhoneNumber"] == "13800138000");
  CHECK(fields["SendDate"] == "20231115");
  CHECK(fields["PageSize"] == "50");
  CHECK(fields["CurrentPage"] == "1");
  CHECK(fields["BizCardId"] == "123456^0");
  CHECK(fields["BizDigitId"] == "12346^0");
  CHECK(fields.count("BizSmsId") == 0);
  CHECK(fields["Signature"] == test::server_signature("POST", decoded, "test-secret-not-real"));
}

TEST_CASE("GetCardSmsDetails answers (unconfirmed shape) are read into records") {
  const std::string body =
      R"({"Code":"OK","Message":"OK","Success":true,"CardSendDetailDTO":{"TotalCount":2,"PageSize":50,"CurrentPage":1,)"
      R"("Records":[{"OutId":"c-1","SendStatus":3,"ErrCode":"DELIVERED","SendDate":"2024-09-27 11:26:32",)"
      R"("ReceiveDate":"2024-09-27 11:26:35","TemplateCode":"CARD_SMS_70","ReceiveType":"CARD_SMS","RenderStatus":1,)"
      R"("PhoneNumber":"13800138000","RenderDate":"2024-09-27 12:13:39"},)"
      R"({"OutId":"c-2","SendStatus":4,"ErrCode":"ADDRESS_FAIL","TemplateCode":"CARD_SMS_70","ReceiveType":"SMS"}]}})";
  const auto page = parse_aliyun_get_card_sms_details(200, body);
  REQUIRE(page.is_ok);
  CHECK(page.total_count == 2);
  REQUIRE(page.records.size() == 2);
  CHECK(page.records[0].receive_type == "CARD_SMS");
  CHECK(page.records[0].render_status == 1);
  CHECK(page.records[1].render_status == -1);
  CHECK(find_aliyun_receipt(page.records, "c-1").verdict == aliyun_receipt_verdict::sent);
  CHECK(find_aliyun_receipt(page.records, "c-2").verdict == aliyun_receipt_verdict::failed);

  CHECK(parse_aliyun_get_card_sms_details(200, R"({"Code":"OK","Success":true})").is_ok);
  CHECK_FALSE(parse_aliyun_get_card_sms_details(200, R"({"Code":"OK","CardSendDetailDTO":{"Records":{}}})").is_ok);
  CHECK(parse_aliyun_get_card_sms_details(200, R"({"Code":"ForbiddenAction"})").failure == outcome_class::permanent);
}
