#pragma once
// Alibaba Cloud's receipt queries as pure request builders and answer parsers (docs/gateways.md
// "Alibaba Cloud SMS", "Receipt check"): QuerySendDetails for SendSms /
// SendBatchSms, GetCardSmsDetails for SendCardSms. The code that decides when to ask lives in the
// pipeline; nothing here touches a socket or a clock.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/gateway/aliyun_rpc.hpp"
#include "herald/gateway/gateway.hpp"
#include "herald/util/result.hpp"

namespace herald::gateway {

inline constexpr int aliyun_query_max_page_size = 50;  // PageSize 1-50 (docs/gateways.md)

struct aliyun_send_details_query {
  std::string phone_number;
  std::string send_date;  // yyyyMMdd, China time (aliyun_send_date), within the last 30 days
  int page_size = aliyun_query_max_page_size;  // clamped to 1-50
  int current_page = 1;                        // from 1
  std::string biz_id;  // optional: the BizId of the send
};

struct aliyun_card_details_query {
  std::string phone_number;
  std::string send_date;  // yyyyMMdd
  int page_size = aliyun_query_max_page_size;
  int current_page = 1;
  // Optional, at most one is useful: the ids SendCardSms answered.
  std::string biz_card_id;
  std::string biz_sms_id;
  std::string biz_digit_id;  // the answer's BizDigitalId, asked for as BizDigitId
};

http_request build_aliyun_query_send_details(std::string_view target, const aliyun_credentials& credentials,
                                             const aliyun_send_details_query& query, const send_context& ctx);
http_request build_aliyun_get_card_sms_details(std::string_view target, const aliyun_credentials& credentials,
                                               const aliyun_card_details_query& query, const send_context& ctx);

// One record of either answer. send_status: 1 waiting for the receipt, 2 failed, 3 delivered
// (GetCardSmsDetails adds 4, addressing failed); 0 when absent.
struct aliyun_receipt_record {
  std::string out_id;
  int send_status = 0;
  std::string err_code;
  std::string send_date;     // "yyyy-MM-dd HH:mm:ss" as Alibaba Cloud writes it
  std::string receive_date;
  std::string template_code;
  std::string receive_type;  // GetCardSmsDetails only: CARD_SMS, SMS, DIGITAL_SMS
  int render_status = -1;    // GetCardSmsDetails only: 1 rendered; -1 when absent
};

struct aliyun_receipt_page {
  bool is_ok = false;  // Code OK and the records were read
  // When !is_ok, how the query failed, by the send table (classify_aliyun_code): throttled or
  // ambiguous → ask again later; permanent → the query itself is wrong (alert).
  outcome_class failure = outcome_class::ambiguous;
  std::string code;
  std::string message;
  std::int64_t total_count = 0;
  std::vector<aliyun_receipt_record> records;
};

// QuerySendDetails: {"Code":"OK","TotalCount":n,"SmsSendDetailDTOs":{"SmsSendDetailDTO":[{"OutId",
// "SendStatus","ErrCode","SendDate","ReceiveDate","TemplateCode","PhoneNum","Content"}]}}
// (docs/gateways.md "Alibaba Cloud SMS"). Numbers may come as JSON numbers or strings.
aliyun_receipt_page parse_aliyun_query_send_details(int http_status, std::string_view body);

// GetCardSmsDetails: {"Code":"OK","Success":true,"CardSendDetailDTO":{"TotalCount","PageSize",
// "CurrentPage","Records":[{"OutId","SendStatus","ErrCode","SendDate","ReceiveDate",
// "TemplateCode","ReceiveType","RenderStatus","PhoneNumber","SmsContent","RenderDate"}]}}.
// *Unconfirmed*: not in the API reference Herald follows; the shape of Alibaba Cloud's generated
// SDK models (GetCardSmsDetailsResponseBody), not checked against a live answer.
aliyun_receipt_page parse_aliyun_get_card_sms_details(int http_status, std::string_view body);

enum class aliyun_receipt_verdict {
  sent,       // a record with that OutId says delivered (3)
  failed,     // every record with that OutId says failed (2, or 4 for card SMS)
  pending,    // a record says waiting (1), or has a status not known: ask again after a grace period
  not_found,  // no record with that OutId on this page: not there yet, or on another page
};
std::string_view to_string(aliyun_receipt_verdict v);

struct aliyun_receipt_match {
  aliyun_receipt_verdict verdict = aliyun_receipt_verdict::not_found;
  const aliyun_receipt_record* record = nullptr;  // the record that decided, when found
};

// The records of one event's call by its OutId (aliyun_call_out_id of the call's items). Several
// records may carry it (a resend, or one number twice in a batch): delivered wins, then waiting,
// then failed.
aliyun_receipt_match find_aliyun_receipt(std::span<const aliyun_receipt_record> records, std::string_view out_id);

// ------------------------------------------------------------------------------------------------
// One event's receipt check, as aliyun_sms and aliyun_card run it through the gateway interface
// (gateway.hpp, receipt_verdict; docs/gateways.md "Receipt checks"). A check may take several
// queries in a row, each named by a cursor: every page of the send's day (PageSize 50), then the
// neighbouring day when the send was made within aliyun_receipt_day_margin_seconds of midnight.

// Alibaba Cloud refuses a Timestamp more than 15 minutes off, so a send it accepted was dated by
// its clock within 15 minutes of Herald's sent_at: near midnight, either day may hold the record.
inline constexpr std::int64_t aliyun_receipt_day_margin_seconds = 15 * 60;
// SendDate reaches back 30 days (docs/gateways.md); one day less leaves room for the margin.
inline constexpr std::int64_t aliyun_receipt_window_seconds = 29 * 86400;
// Pages read per day before giving up (cannot_tell): 1,000 receipts for one number in one day.
inline constexpr int aliyun_receipt_max_pages = 20;

// The SendDate values a send made at sent_at may carry: its own China-time day first, then the
// neighbouring one when sent_at is within the margin of midnight.
std::vector<std::string> aliyun_receipt_days(std::int64_t sent_at_unix_seconds);

// Where a check is in its sequence of queries. The cursor text is "<day index>:<page>"; "" is the
// first query (0:1).
struct aliyun_receipt_position {
  std::size_t day_index = 0;
  int page = 1;
};
std::string format_aliyun_receipt_cursor(aliyun_receipt_position p);
std::optional<aliyun_receipt_position> parse_aliyun_receipt_cursor(std::string_view cursor);

struct aliyun_receipt_check {
  std::string phone_number;
  std::string out_id;  // matched against each record's OutId
  // The call's OutId was not given on an account whose calls may hold several events: out_id is
  // the event's own, a guess that a found record confirms and a missing one never refutes (no
  // not_sent).
  bool out_id_is_assumed = false;
  std::vector<std::string> days;
  aliyun_receipt_position position;
};

// The check of e in ctx, or why none can be made (then the verdict is cannot_tell): no number, no
// or a bad send time, a send older than the query window, or a bad cursor. The OutId looked for is
// ctx.call_out_id, else the event's own; `batch_needs_call_out_id` (the account's calls may hold
// several events, whose OutId cannot be recomputed from one of them) makes the event's own only
// an assumption (aliyun_receipt_check::out_id_is_assumed).
result<aliyun_receipt_check> plan_aliyun_receipt_check(const model::event& e, const receipt_context& ctx,
                                                       bool batch_needs_call_out_id);

// The verdict of one answered query: a record with the OutId decides (3 delivered, 2 or 4
// not_delivered, 1 or another status accepted); none → the next page or day (not_found with a
// next_cursor), else not_found, or not_sent when ctx allows it, no message id is known (an id
// means the gateway answered the send, so a missing record can only be lag) and the OutId is not
// assumed. A failed query is
// retry_query, or cannot_tell when Alibaba Cloud calls it permanent (the query itself is wrong).
receipt_result judge_aliyun_receipt_page(const aliyun_receipt_page& page, const aliyun_receipt_check& check,
                                         const receipt_context& ctx);

}  // namespace herald::gateway
