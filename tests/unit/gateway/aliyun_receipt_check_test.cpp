// Alibaba Cloud receipt checks through the gateway interface (gateway.hpp receipt_verdict;
// docs/gateways.md "Receipt checks"): QuerySendDetails for aliyun_sms, GetCardSmsDetails for
// aliyun_card, matched on the OutId the sender put on the call.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "aliyun_test_support.hpp"
#include "herald/gateway/aliyun_card.hpp"
#include "herald/gateway/aliyun_receipts.hpp"
#include "herald/gateway/aliyun_sms.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

constexpr std::int64_t sent_at = 1700000000;  // 2023-11-15 06:13:20 China time
constexpr std::int64_t china_midnight = 1699977600;  // 2023-11-15 00:00:00 China time

receipt_context context(std::int64_t now = sent_at + 60) {
  receipt_context ctx;
  ctx.unix_seconds = now;
  ctx.nonce = "nonce-r1";
  ctx.sent_at_unix_seconds = sent_at;
  return ctx;
}

std::map<std::string, std::string> fields_of(const http_request& req) {
  return test::as_map(test::form_decode(req.body));
}

// One QuerySendDetails record.
std::string detail(const std::string& out_id, int status, const std::string& err_code = "") {
  return R"({"PhoneNum":"13800138000","SendStatus":)" + std::to_string(status) + R"(,"ErrCode":")" + err_code +
         R"(","TemplateCode":"SMS_154950909","Content":"","SendDate":"2023-11-15 06:13:21","ReceiveDate":"","OutId":")" +
         out_id + R"("})";
}

std::string details_answer(const std::vector<std::string>& records, int total = -1) {
  std::string list;
  for (const auto& r : records) list += (list.empty() ? "" : ",") + r;
  return R"({"Code":"OK","Message":"OK","RequestId":"R1","TotalCount":)" +
         std::to_string(total < 0 ? static_cast<int>(records.size()) : total) +
         R"(,"SmsSendDetailDTOs":{"SmsSendDetailDTO":[)" + list + "]}}";
}

std::vector<std::string> others(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(detail("someone-else-" + std::to_string(i), 3, "DELIVERED"));
  return out;
}

}  // namespace

TEST_CASE("aliyun_sms: the receipt query asks QuerySendDetails for the number on the send's China-time day, signed") {
  const aliyun_sms gw(test::aliyun_account());
  const auto e = test::aliyun_event("evt-1", "13800138000");
  CHECK(gw.caps().has_receipt_query);
  CHECK(gw.receipt_endpoint() == nullptr);  // the send endpoint

  const auto req = gw.build_receipt_query(e, context());
  REQUIRE(req.has_value());
  CHECK(req->method == "POST");
  CHECK(req->target == "/");
  const auto decoded = test::form_decode(req->body);
  auto f = test::as_map(decoded);
  CHECK(f["Action"] == "QuerySendDetails");
  CHECK(f["PhoneNumber"] == "13800138000");
  CHECK(f["SendDate"] == "20231115");
  CHECK(f["PageSize"] == "50");
  CHECK(f["CurrentPage"] == "1");
  CHECK(f.count("BizId") == 0);
  CHECK(f["SignatureNonce"] == "nonce-r1");
  CHECK(f["Timestamp"] == "2023-11-14T22:14:20Z");  // the query's own time, not the send's
  CHECK(f["Signature"] == test::server_signature("POST", decoded, "test-secret-not-real"));

  auto with_id = context();
  with_id.message_id = "9006197469364984^0";
  CHECK(fields_of(*gw.build_receipt_query(e, with_id))["BizId"] == "9006197469364984^0");
}

TEST_CASE("aliyun_sms: a record with the event's OutId decides; delivered, waiting and failed all prove it was sent") {
  const aliyun_sms gw(test::aliyun_account());
  const auto e = test::aliyun_event("evt-1", "13800138000");
  const auto ctx = context();

  auto r = gw.parse_receipt_query(200, details_answer({detail("evt-0", 2, "MK:0001"), detail("evt-1", 3, "DELIVERED")}),
                                  e, ctx);
  CHECK(r.verdict == receipt_verdict::delivered);
  CHECK(r.code == "DELIVERED");
  CHECK(r.next_cursor.empty());
  CHECK(proves_sent(r.verdict));

  // SendStatus 1: waiting for the carrier's receipt. Alibaba Cloud has the message: it was sent.
  r = gw.parse_receipt_query(200, details_answer({detail("evt-1", 1)}), e, ctx);
  CHECK(r.verdict == receipt_verdict::accepted);
  CHECK(r.code == "SendStatus_1");
  CHECK(proves_sent(r.verdict));

  // SendStatus 2: passed on and billed, not delivered. Never resend.
  r = gw.parse_receipt_query(200, details_answer({detail("evt-1", 2, "MK:0001")}), e, ctx);
  CHECK(r.verdict == receipt_verdict::not_delivered);
  CHECK(r.code == "MK:0001");
  CHECK(r.message.find("MK:0001") != std::string::npos);
  CHECK(proves_sent(r.verdict));

  // A status not known is a record all the same.
  CHECK(gw.parse_receipt_query(200, details_answer({detail("evt-1", 7)}), e, ctx).verdict == receipt_verdict::accepted);

  // The message id of the send answer is carried through (records have no BizId).
  auto with_id = ctx;
  with_id.message_id = "9006^0";
  CHECK(gw.parse_receipt_query(200, details_answer({detail("evt-1", 3)}), e, with_id).message_id == "9006^0");
}

TEST_CASE("aliyun_sms: no record with the OutId is not_found; not_sent only when the caller allows it and it is old enough") {
  const aliyun_sms gw(test::aliyun_account());
  const auto e = test::aliyun_event("evt-1", "13800138000");
  const std::string answer = details_answer({detail("evt-2", 3), detail("evt-10", 3)});

  auto ctx = context(sent_at + 3600);
  auto r = gw.parse_receipt_query(200, answer, e, ctx);
  CHECK(r.verdict == receipt_verdict::not_found);  // the safe default: a missing record proves nothing
  CHECK(r.code == "not_found");
  CHECK(r.next_cursor.empty());
  CHECK_FALSE(proves_sent(r.verdict));
  CHECK(gw.parse_receipt_query(200, R"({"Code":"OK","Message":"OK","TotalCount":0})", e, ctx).verdict ==
        receipt_verdict::not_found);

  ctx.not_found_final_after_seconds = 600;
  r = gw.parse_receipt_query(200, answer, e, ctx);
  CHECK(r.verdict == receipt_verdict::not_sent);
  CHECK(r.code == "not_sent");
  CHECK(gw.parse_receipt_query(200, answer, e, context(sent_at + 599)).verdict == receipt_verdict::not_found);
  auto young = context(sent_at + 599);
  young.not_found_final_after_seconds = 600;
  CHECK(gw.parse_receipt_query(200, answer, e, young).verdict == receipt_verdict::not_found);

  // Alibaba Cloud answered the send (a BizId): its record is there eventually, whatever the age.
  ctx.message_id = "9006^0";
  CHECK(gw.parse_receipt_query(200, answer, e, ctx).verdict == receipt_verdict::not_found);
}

TEST_CASE("aliyun_sms: a record on a later page is found by following next_cursor at once") {
  const aliyun_sms gw(test::aliyun_account());
  const auto e = test::aliyun_event("evt-1", "13800138000");
  auto ctx = context(sent_at + 3600);
  ctx.not_found_final_after_seconds = 600;  // even then: an unread page is not proof

  auto r = gw.parse_receipt_query(200, details_answer(others(50), 120), e, ctx);
  CHECK(r.verdict == receipt_verdict::not_found);
  CHECK(r.next_cursor == "0:2");

  ctx.cursor = r.next_cursor;
  auto f = fields_of(*gw.build_receipt_query(e, ctx));
  CHECK(f["CurrentPage"] == "2");
  CHECK(f["SendDate"] == "20231115");
  r = gw.parse_receipt_query(200, details_answer(others(50), 120), e, ctx);
  CHECK(r.next_cursor == "0:3");

  ctx.cursor = r.next_cursor;
  auto last = others(19);
  last.push_back(detail("evt-1", 3, "DELIVERED"));
  r = gw.parse_receipt_query(200, details_answer(last, 120), e, ctx);
  CHECK(r.verdict == receipt_verdict::delivered);
  CHECK(r.next_cursor.empty());

  // The last page without it: now the missing record may be final.
  r = gw.parse_receipt_query(200, details_answer(others(20), 120), e, ctx);
  CHECK(r.verdict == receipt_verdict::not_sent);

  // A full page without a TotalCount may have a successor.
  ctx.cursor.clear();
  std::string no_total = details_answer(others(50));
  no_total.replace(no_total.find("\"TotalCount\":50,"), 16, "");
  CHECK(gw.parse_receipt_query(200, no_total, e, ctx).next_cursor == "0:2");
}

TEST_CASE("aliyun_sms: after 20 pages the check gives up as cannot_tell") {
  const aliyun_sms gw(test::aliyun_account());
  const auto e = test::aliyun_event("evt-1", "13800138000");
  auto ctx = context();
  ctx.cursor = "0:20";
  REQUIRE(gw.build_receipt_query(e, ctx).has_value());
  const auto r = gw.parse_receipt_query(200, details_answer(others(50), 5000), e, ctx);
  CHECK(r.verdict == receipt_verdict::cannot_tell);
  CHECK(r.code == "too_many_receipts");
  ctx.cursor = "0:21";
  CHECK_FALSE(gw.build_receipt_query(e, ctx).has_value());
}

TEST_CASE("aliyun_sms: a send close to China midnight is looked for on both days") {
  CHECK(aliyun_receipt_days(sent_at) == std::vector<std::string>{"20231115"});
  CHECK(aliyun_receipt_days(china_midnight - 60) == std::vector<std::string>{"20231114", "20231115"});
  CHECK(aliyun_receipt_days(china_midnight + 60) == std::vector<std::string>{"20231115", "20231114"});
  CHECK(aliyun_receipt_days(china_midnight - aliyun_receipt_day_margin_seconds - 1) ==
        std::vector<std::string>{"20231114"});

  const aliyun_sms gw(test::aliyun_account());
  const auto e = test::aliyun_event("evt-1", "13800138000");
  receipt_context ctx;
  ctx.unix_seconds = china_midnight + 3600;
  ctx.nonce = "n";
  ctx.sent_at_unix_seconds = china_midnight - 30;
  ctx.not_found_final_after_seconds = 600;
  CHECK(fields_of(*gw.build_receipt_query(e, ctx))["SendDate"] == "20231114");
  auto r = gw.parse_receipt_query(200, details_answer({}), e, ctx);
  CHECK(r.verdict == receipt_verdict::not_found);
  CHECK(r.next_cursor == "1:1");
  ctx.cursor = r.next_cursor;
  CHECK(fields_of(*gw.build_receipt_query(e, ctx))["SendDate"] == "20231115");
  CHECK(gw.parse_receipt_query(200, details_answer({detail("evt-1", 3)}), e, ctx).verdict ==
        receipt_verdict::delivered);
  CHECK(gw.parse_receipt_query(200, details_answer({}), e, ctx).verdict == receipt_verdict::not_sent);
}

TEST_CASE("aliyun_sms: the OutId looked for is the one the sender put on SendSms, hashed when long") {
  const aliyun_sms gw(test::aliyun_account());
  const auto e = test::aliyun_event(std::string(300, 'k'), "13800138000");
  const std::vector<const model::event*> items{&e};
  send_context sctx;
  sctx.unix_seconds = sent_at;
  sctx.nonce = "n-send";
  const std::string sent_out_id = fields_of(gw.build(items, sctx))["OutId"];
  CHECK(sent_out_id.starts_with("h:"));
  CHECK(gw.parse_receipt_query(200, details_answer({detail(sent_out_id, 3)}), e, context()).verdict ==
        receipt_verdict::delivered);
  CHECK(gw.parse_receipt_query(200, details_answer({detail(e.event_id.substr(0, 256), 3)}), e, context()).verdict ==
        receipt_verdict::not_found);
}

TEST_CASE("aliyun_sms SendBatchSms: matched by number within the call's OutId, which the caller gives") {
  auto account = test::aliyun_account();
  account.use_batch_api = true;
  const aliyun_sms gw(account);
  const auto a = test::aliyun_event("evt-a", "13800138001");
  const auto b = test::aliyun_event("evt-b", "13800138002");
  const std::vector<const model::event*> items{&a, &b};
  send_context sctx;
  sctx.unix_seconds = sent_at;
  sctx.nonce = "n-send";
  const std::string call_out_id = fields_of(gw.build(items, sctx))["OutId"];
  CHECK(call_out_id == aliyun_call_out_id(items));

  CHECK(gw.receipt_call_id(items) == call_out_id);

  auto ctx = context();
  ctx.call_out_id = call_out_id;
  ctx.message_id = "9006^0";  // the call's one BizId
  auto f = fields_of(*gw.build_receipt_query(b, ctx));
  CHECK(f["PhoneNumber"] == "13800138002");
  CHECK(f["BizId"] == "9006^0");
  CHECK(gw.parse_receipt_query(200, details_answer({detail(call_out_id, 3)}), b, ctx).verdict ==
        receipt_verdict::delivered);
  // The event's own id is not what the call carried.
  CHECK(gw.parse_receipt_query(200, details_answer({detail("evt-b", 3)}), b, ctx).verdict ==
        receipt_verdict::not_found);

  // A batch account limited to one event per call: the event's own OutId is the call's, implied.
  account.max_batch = 1;
  const aliyun_sms single(account);
  const std::vector<const model::event*> just_b{&b};
  CHECK(single.receipt_call_id(just_b).empty());
  REQUIRE(single.build_receipt_query(b, context()).has_value());
  CHECK(single.parse_receipt_query(200, details_answer({detail("evt-b", 3)}), b, context()).verdict ==
        receipt_verdict::delivered);
}

// The rows of receipt_call_id: which calls name their OutId for the ledger (issue 13: one-event
// calls of batch accounts were never looked up).
TEST_CASE("receipt_call_id names the OutId of every call of an account whose calls may hold several events") {
  const auto a = test::aliyun_event("evt-a", "13800138001");
  const auto b = test::aliyun_event("evt-b", "13800138002");
  const auto long_id = test::aliyun_event(std::string(300, 'k'), "13800138003");
  const std::vector<const model::event*> one{&a}, two{&a, &b}, one_long{&long_id};

  auto batch_account = test::aliyun_account();
  batch_account.use_batch_api = true;
  const aliyun_sms batch(batch_account);
  CHECK(batch.receipt_call_id(one) == "evt-a");  // one event: the event's own, named
  CHECK(batch.receipt_call_id(one_long) == aliyun_event_out_id(long_id));
  CHECK(batch.receipt_call_id(one_long).starts_with("h:"));
  CHECK(batch.receipt_call_id(two) == aliyun_call_out_id(two));
  CHECK(batch.receipt_call_id(two).starts_with("b:"));

  const aliyun_sms send_sms(test::aliyun_account());  // SendSms: one event per call, implied
  CHECK(send_sms.receipt_call_id(one).empty());

  const aliyun_card card(test::aliyun_account(config::gateway_kind::aliyun_card));  // max_batch 100
  CHECK(card.receipt_call_id(one) == "evt-a");
  CHECK(card.receipt_call_id(two) == aliyun_call_out_id(two));
  auto card_single_account = test::aliyun_account(config::gateway_kind::aliyun_card);
  card_single_account.max_batch = 1;
  CHECK(aliyun_card(card_single_account).receipt_call_id(one).empty());
}

TEST_CASE("aliyun_sms SendBatchSms: a one-event call is looked up by the OutId it carried") {
  auto account = test::aliyun_account();
  account.use_batch_api = true;  // max_batch 100
  const aliyun_sms gw(account);
  const auto e = test::aliyun_event("evt-solo", "13800138004");
  const std::vector<const model::event*> items{&e};
  send_context sctx;
  sctx.unix_seconds = sent_at;
  sctx.nonce = "n-send";
  auto sent = fields_of(gw.build(items, sctx));
  REQUIRE(sent["Action"] == "SendBatchSms");

  // What the pipeline keeps with the send and gives back after a timeout (or a restart).
  auto ctx = context(sent_at + 3600);
  ctx.call_out_id = gw.receipt_call_id(items);
  CHECK(ctx.call_out_id == sent["OutId"]);
  const auto query = gw.build_receipt_query(e, ctx);
  REQUIRE(query.has_value());
  auto f = fields_of(*query);
  CHECK(f["Action"] == "QuerySendDetails");
  CHECK(f["PhoneNumber"] == "13800138004");
  CHECK(f["SendDate"] == "20231115");
  CHECK(gw.parse_receipt_query(200, details_answer({detail(sent["OutId"], 1)}), e, ctx).verdict ==
        receipt_verdict::accepted);
  CHECK(gw.parse_receipt_query(200, details_answer({detail(sent["OutId"], 3)}), e, ctx).verdict ==
        receipt_verdict::delivered);
  // Named, the OutId is certain: its absence may become not_sent when the caller allows it.
  ctx.not_found_final_after_seconds = 600;
  CHECK(gw.parse_receipt_query(200, details_answer({detail("evt-other", 3)}), e, ctx).verdict ==
        receipt_verdict::not_sent);
}

TEST_CASE("aliyun_sms SendBatchSms: a send recorded without its call's OutId is looked for by the event's own") {
  auto account = test::aliyun_account();
  account.use_batch_api = true;
  const aliyun_sms gw(account);
  const auto a = test::aliyun_event("evt-a", "13800138001");
  const auto b = test::aliyun_event("evt-b", "13800138002");
  const std::vector<const model::event*> two{&a, &b};

  auto ctx = context(sent_at + 3600);  // call_out_id "": an older record, or one of max_batch 1
  ctx.not_found_final_after_seconds = 600;
  const auto query = gw.build_receipt_query(b, ctx);
  REQUIRE(query.has_value());
  CHECK(fields_of(*query)["PhoneNumber"] == "13800138002");
  // A record with the event's own OutId proves the send.
  CHECK(gw.parse_receipt_query(200, details_answer({detail("evt-b", 3)}), b, ctx).verdict ==
        receipt_verdict::delivered);
  // Its absence never proves the contrary: the call may have been a batch with another OutId.
  const auto r = gw.parse_receipt_query(200, details_answer({detail(aliyun_call_out_id(two), 3)}), b, ctx);
  CHECK(r.verdict == receipt_verdict::not_found);
  CHECK(r.message.find("may have been a batch") != std::string::npos);
  CHECK(gw.parse_receipt_query(200, details_answer({}), b, ctx).verdict == receipt_verdict::not_found);
}

TEST_CASE("aliyun_sms: a failed query says nothing about the send") {
  const aliyun_sms gw(test::aliyun_account());
  const auto e = test::aliyun_event("evt-1", "13800138000");
  const auto ctx = context();
  auto r = gw.parse_receipt_query(503, "", e, ctx);
  CHECK(r.verdict == receipt_verdict::retry_query);
  CHECK(r.code == "http_503");
  r = gw.parse_receipt_query(400, R"({"Code":"Throttling.User","Message":"Request was denied due to user flow control."})",
                             e, ctx);
  CHECK(r.verdict == receipt_verdict::retry_query);
  CHECK(r.code == "Throttling.User");
  CHECK(gw.parse_receipt_query(200, R"({"Code":"isp.SYSTEM_ERROR","Message":"x"})", e, ctx).verdict ==
        receipt_verdict::retry_query);
  CHECK(gw.parse_receipt_query(200, "<html>", e, ctx).verdict == receipt_verdict::retry_query);
  // Refused as wrong: asking again cannot help.
  r = gw.parse_receipt_query(400, R"({"Code":"SignatureDoesNotMatch","Message":"no"})", e, ctx);
  CHECK(r.verdict == receipt_verdict::cannot_tell);
  CHECK(r.code == "SignatureDoesNotMatch");
  CHECK(gw.parse_receipt_query(200, R"({"Code":"isv.INVALID_PARAMETERS","Message":"SendDate"})", e, ctx).verdict ==
        receipt_verdict::cannot_tell);
}

TEST_CASE("aliyun_sms: no query without a number, a send time, within the 30-day window, or with a foreign cursor") {
  const aliyun_sms gw(test::aliyun_account());
  const auto e = test::aliyun_event("evt-1", "13800138000");
  auto ctx = context();
  ctx.sent_at_unix_seconds = 0;
  CHECK_FALSE(gw.build_receipt_query(e, ctx).has_value());
  CHECK(gw.parse_receipt_query(200, details_answer({detail("evt-1", 3)}), e, ctx).verdict ==
        receipt_verdict::cannot_tell);

  ctx = context(sent_at + aliyun_receipt_window_seconds);
  CHECK(gw.build_receipt_query(e, ctx).has_value());
  ctx = context(sent_at + aliyun_receipt_window_seconds + 1);
  CHECK_FALSE(gw.build_receipt_query(e, ctx).has_value());

  for (const char* cursor : {"x", "0:0", "2:1", "1:1", "0:", ":1"}) {
    ctx = context();
    ctx.cursor = cursor;
    CAPTURE(cursor);
    CHECK_FALSE(gw.build_receipt_query(e, ctx).has_value());  // "1:1": this send has only one day
  }
  auto no_phone = e;
  no_phone.to.value.clear();
  CHECK_FALSE(gw.build_receipt_query(no_phone, context()).has_value());
}

TEST_CASE("aliyun_receipt cursors read back what they write") {
  CHECK(format_aliyun_receipt_cursor({1, 7}) == "1:7");
  const auto p = parse_aliyun_receipt_cursor("1:7");
  REQUIRE(p.has_value());
  CHECK(p->day_index == 1);
  CHECK(p->page == 7);
  CHECK(parse_aliyun_receipt_cursor("")->page == 1);
  CHECK_FALSE(parse_aliyun_receipt_cursor("1:-1").has_value());
}

// --- aliyun_card: GetCardSmsDetails ----------------------------------------------------------

namespace {

std::string card_answer(const std::string& out_id, int status, const std::string& err_code,
                        const std::string& receive_type = "CARD_SMS") {
  return R"({"Code":"OK","Message":"OK","Success":true,"CardSendDetailDTO":{"TotalCount":1,"PageSize":50,"CurrentPage":1,)"
         R"("Records":[{"OutId":")" +
         out_id + R"(","SendStatus":)" + std::to_string(status) + R"(,"ErrCode":")" + err_code +
         R"(","SendDate":"2023-11-15 06:13:21","TemplateCode":"CARD_SMS_70","ReceiveType":")" + receive_type +
         R"(","RenderStatus":1,"PhoneNumber":"13800138000"}]}})";
}

}  // namespace

TEST_CASE("aliyun_card: GetCardSmsDetails by number and day, no Biz*Id, matched on the call's OutId") {
  auto account = test::aliyun_account(config::gateway_kind::aliyun_card);
  account.max_batch = 1;
  const aliyun_card gw(account);
  const auto e = test::card_event("evt-c", "13800138000");
  CHECK(gw.caps().has_receipt_query);
  CHECK(gw.receipt_endpoint() == nullptr);

  auto ctx = context();
  ctx.message_id = "123456^0";  // BizCardId, BizSmsId or BizDigitalId: which is not certain
  const auto req = gw.build_receipt_query(e, ctx);
  REQUIRE(req.has_value());
  const auto decoded = test::form_decode(req->body);
  auto f = test::as_map(decoded);
  CHECK(f["Action"] == "GetCardSmsDetails");
  CHECK(f["PhoneNumber"] == "13800138000");
  CHECK(f["SendDate"] == "20231115");
  CHECK(f["PageSize"] == "50");
  CHECK(f["CurrentPage"] == "1");
  CHECK(f.count("BizCardId") + f.count("BizSmsId") + f.count("BizDigitId") == 0);
  CHECK(f["Signature"] == test::server_signature("POST", decoded, "test-secret-not-real"));

  auto r = gw.parse_receipt_query(200, card_answer("evt-c", 3, "DELIVERED"), e, ctx);
  CHECK(r.verdict == receipt_verdict::delivered);
  CHECK(r.message.find("CARD_SMS") != std::string::npos);
  CHECK(r.message_id == "123456^0");
  CHECK(gw.parse_receipt_query(200, card_answer("evt-c", 1, ""), e, ctx).verdict == receipt_verdict::accepted);
  CHECK(gw.parse_receipt_query(200, card_answer("evt-c", 2, "MK:0001", "SMS"), e, ctx).verdict ==
        receipt_verdict::not_delivered);
  // 4: addressing failed. Never resend: it would fail the same way, and it was passed on.
  CHECK(gw.parse_receipt_query(200, card_answer("evt-c", 4, "ADDRESS_FAIL"), e, ctx).verdict ==
        receipt_verdict::not_delivered);
  CHECK(gw.parse_receipt_query(200, card_answer("evt-other", 3, "DELIVERED"), e, ctx).verdict ==
        receipt_verdict::not_found);
  CHECK(gw.parse_receipt_query(400, R"({"Code":"Throttling.Api","Message":"x","Success":false})", e, ctx).verdict ==
        receipt_verdict::retry_query);
}

TEST_CASE("aliyun_card: calls of several events are matched on the call's OutId") {
  const aliyun_card gw(test::aliyun_account(config::gateway_kind::aliyun_card));  // max_batch 100
  const auto a = test::card_event("evt-a", "13800138001");
  const auto b = test::card_event("evt-b", "13800138002");
  const std::vector<const model::event*> items{&a, &b};
  auto ctx = context();
  ctx.call_out_id = gw.receipt_call_id(items);
  CHECK(ctx.call_out_id == aliyun_call_out_id(items));
  REQUIRE(gw.build_receipt_query(b, ctx).has_value());
  CHECK(gw.parse_receipt_query(200, card_answer(ctx.call_out_id, 3, "DELIVERED"), b, ctx).verdict ==
        receipt_verdict::delivered);
  CHECK(gw.parse_receipt_query(200, card_answer("evt-b", 3, "DELIVERED"), b, ctx).verdict ==
        receipt_verdict::not_found);
  // Without it, only a record with the event's own OutId can decide; none is never not_sent.
  auto unnamed = context(sent_at + 3600);
  unnamed.not_found_final_after_seconds = 600;
  REQUIRE(gw.build_receipt_query(b, unnamed).has_value());
  CHECK(gw.parse_receipt_query(200, card_answer(ctx.call_out_id, 3, "DELIVERED"), b, unnamed).verdict ==
        receipt_verdict::not_found);
}

// Seed SendCardSms: check the receipt after any timeout, one-card calls included (issue 13).
TEST_CASE("aliyun_card: a one-event SendCardSms call is looked up by the OutId it carried") {
  const aliyun_card gw(test::aliyun_account(config::gateway_kind::aliyun_card));  // max_batch 100
  const auto e = test::card_event("evt-card-solo", "13800138005");
  const std::vector<const model::event*> items{&e};
  send_context sctx;
  sctx.unix_seconds = sent_at;
  sctx.nonce = "n-send";
  auto sent = fields_of(gw.build(items, sctx));
  REQUIRE(sent["Action"] == "SendCardSms");

  auto ctx = context(sent_at + 3600);
  ctx.call_out_id = gw.receipt_call_id(items);
  CHECK(ctx.call_out_id == sent["OutId"]);
  const auto query = gw.build_receipt_query(e, ctx);
  REQUIRE(query.has_value());
  auto f = fields_of(*query);
  CHECK(f["Action"] == "GetCardSmsDetails");
  CHECK(f["PhoneNumber"] == "13800138005");
  CHECK(gw.parse_receipt_query(200, card_answer(sent["OutId"], 3, "DELIVERED"), e, ctx).verdict ==
        receipt_verdict::delivered);
  CHECK(gw.parse_receipt_query(200, card_answer(sent["OutId"], 1, ""), e, ctx).verdict == receipt_verdict::accepted);
  ctx.not_found_final_after_seconds = 600;
  CHECK(gw.parse_receipt_query(200, card_answer("evt-other", 3, "DELIVERED"), e, ctx).verdict ==
        receipt_verdict::not_sent);
}
