// The receipt-check part of the gateway interface (gateway.hpp): what every gateway without a
// receipt query answers, and the fw199 抖店 send-result query behind it (unconfirmed shape,
// docs/gateways.md "Receipt checks").
#include <doctest/doctest.h>

#include <array>
#include <string>

#include "fw199_douyin_support.hpp"
#include "herald/gateway/fw199_douyin.hpp"
#include "herald/gateway/fw199_taobao.hpp"
#include "herald/gateway/gateway.hpp"
#include "herald/gateway/top_oaid.hpp"
#include "top_test_support.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

receipt_context context(std::string message_id = "") {
  receipt_context ctx;
  ctx.unix_seconds = 1700000000;
  ctx.nonce = "n1";
  ctx.sent_at_unix_seconds = 1700000000 - 120;
  ctx.message_id = std::move(message_id);
  return ctx;
}

config::account_config douyin_with_receipts() {
  auto account = test::douyin_account();
  account.receipt_endpoint = account.endpoint;
  account.receipt_endpoint->url = "https://gateway.example/gateway/dd/sms/send/result";
  account.receipt_endpoint->target = "/gateway/dd/sms/send/result";
  return account;
}

const std::string id = "0a01be41-0000-4000-8000-000000000001";

std::string result_answer(int status, const std::string& err_code = "") {
  return R"({"code":0,"message":"ok","data":[{"message_id":")" + id + R"(","status":)" + std::to_string(status) +
         R"(,"err_code":")" + err_code + R"("}]})";
}

}  // namespace

TEST_CASE("receipt verdicts: names, and which ones prove the message was sent") {
  CHECK(to_string(receipt_verdict::delivered) == "delivered");
  CHECK(to_string(receipt_verdict::accepted) == "accepted");
  CHECK(to_string(receipt_verdict::not_delivered) == "not_delivered");
  CHECK(to_string(receipt_verdict::not_found) == "not_found");
  CHECK(to_string(receipt_verdict::not_sent) == "not_sent");
  CHECK(to_string(receipt_verdict::retry_query) == "retry_query");
  CHECK(to_string(receipt_verdict::cannot_tell) == "cannot_tell");
  CHECK(proves_sent(receipt_verdict::delivered));
  CHECK(proves_sent(receipt_verdict::accepted));
  CHECK(proves_sent(receipt_verdict::not_delivered));
  CHECK_FALSE(proves_sent(receipt_verdict::not_found));
  CHECK_FALSE(proves_sent(receipt_verdict::not_sent));
  CHECK_FALSE(proves_sent(receipt_verdict::retry_query));
  CHECK_FALSE(proves_sent(receipt_verdict::cannot_tell));
}

TEST_CASE("TOP and fw199 Taobao have no receipt query: no request, cannot_tell") {
  const top_oaid top(test::top_account());
  const fw199_taobao taobao(test::fw199_account());
  const auto top_event = test::top_event();
  const auto taobao_event = test::fw199_event("3006925020239565830", "AAHk5d-oaid");
  const std::array<const gateway::gateway*, 2> gateways{&top, &taobao};
  for (const gateway::gateway* gw : gateways) {
    const model::event& e = gw == &top ? top_event : taobao_event;
    CHECK_FALSE(gw->caps().has_receipt_query);
    CHECK_FALSE(gw->build_receipt_query(e, context("1234^0")).has_value());
    const auto r = gw->parse_receipt_query(200, "{}", e, context("1234^0"));
    CHECK(r.verdict == receipt_verdict::cannot_tell);
    CHECK(r.code == "no_receipt_query");
    CHECK(gw->receipt_endpoint() == nullptr);
  }
}

TEST_CASE("fw199 抖店 without a receipt_endpoint has no receipt query") {
  const fw199_douyin gw(test::douyin_account());
  const auto e = test::douyin_event("4001", "post-tel-1");
  CHECK_FALSE(gw.caps().has_receipt_query);
  CHECK(gw.receipt_endpoint() == nullptr);
  CHECK_FALSE(gw.build_receipt_query(e, context(id)).has_value());
  const auto r = gw.parse_receipt_query(200, result_answer(3), e, context(id));
  CHECK(r.verdict == receipt_verdict::cannot_tell);
  CHECK(r.message.find("receipt_endpoint") != std::string::npos);
}

TEST_CASE("fw199 抖店 with a receipt_endpoint asks the send-result query for the item's message id") {
  const auto account = douyin_with_receipts();
  const fw199_douyin gw(account);
  const auto e = test::douyin_event("4001", "post-tel-1");
  CHECK(gw.caps().has_receipt_query);
  REQUIRE(gw.receipt_endpoint() != nullptr);
  CHECK(gw.receipt_endpoint()->target == "/gateway/dd/sms/send/result");

  const auto req = gw.build_receipt_query(e, context(id));
  REQUIRE(req.has_value());
  // The same request as the query's own builder (pinned byte for byte in fw199_douyin_result_test).
  const std::array<std::string, 1> ids{id};
  send_context sctx;
  sctx.unix_seconds = 1700000000;
  const http_request expected = build_douyin_result_query(account, ids, sctx);
  CHECK(req->target == expected.target);
  CHECK(req->body == expected.body);
  CHECK(req->method == "POST");

  // An ambiguous item has no message id (its answer was lost): nothing to ask.
  CHECK_FALSE(gw.build_receipt_query(e, context()).has_value());
  const auto r = gw.parse_receipt_query(200, result_answer(3), e, context());
  CHECK(r.verdict == receipt_verdict::cannot_tell);
  CHECK(r.message.find("message_id") != std::string::npos);
}

TEST_CASE("fw199 抖店 send results: 3 delivered, 2 not delivered, 1 accepted, absent not_found and never not_sent") {
  const fw199_douyin gw(douyin_with_receipts());
  const auto e = test::douyin_event("4001", "post-tel-1");
  auto ctx = context(id);

  auto r = gw.parse_receipt_query(200, result_answer(3, "DELIVRD"), e, ctx);
  CHECK(r.verdict == receipt_verdict::delivered);
  CHECK(r.code == "DELIVRD");
  CHECK(r.message_id == id);
  r = gw.parse_receipt_query(200, result_answer(2, "UNDELIV"), e, ctx);
  CHECK(r.verdict == receipt_verdict::not_delivered);
  CHECK(r.code == "UNDELIV");
  CHECK(gw.parse_receipt_query(200, result_answer(1), e, ctx).verdict == receipt_verdict::accepted);
  CHECK(gw.parse_receipt_query(200, result_answer(1), e, ctx).code == "pending");

  ctx.unix_seconds += 86400;
  ctx.not_found_final_after_seconds = 60;  // the gateway gave the id: absence is lag, whatever the age
  r = gw.parse_receipt_query(200, R"({"code":0,"message":"ok","data":[]})", e, ctx);
  CHECK(r.verdict == receipt_verdict::not_found);
  CHECK(r.next_cursor.empty());
}

TEST_CASE("fw199 抖店 send-result query failures: ask again, unless the gateway refuses the query as wrong") {
  const fw199_douyin gw(douyin_with_receipts());
  const auto e = test::douyin_event("4001", "post-tel-1");
  const auto ctx = context(id);

  auto r = gw.parse_receipt_query(502, "bad gateway", e, ctx);
  CHECK(r.verdict == receipt_verdict::retry_query);
  CHECK(r.code == "http_502");
  r = gw.parse_receipt_query(404, "<html>", e, ctx);
  CHECK(r.verdict == receipt_verdict::retry_query);
  CHECK(r.code == "http_404");
  r = gw.parse_receipt_query(200, "not json", e, ctx);
  CHECK(r.verdict == receipt_verdict::retry_query);
  CHECK(r.code == "unparseable");
  r = gw.parse_receipt_query(200, R"({"code":50001,"message":"系统繁忙"})", e, ctx);
  CHECK(r.verdict == receipt_verdict::retry_query);
  CHECK(r.code == "50001");
  r = gw.parse_receipt_query(200, R"({"code":40003,"message":"invalid sign","data":[]})", e, ctx);
  CHECK(r.verdict == receipt_verdict::cannot_tell);
  CHECK(r.code == "40003");
}
