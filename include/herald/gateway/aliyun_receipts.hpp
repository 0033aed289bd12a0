#pragma once
// Alibaba Cloud's receipt queries as pure request builders and answer parsers (GATEWAYS.md §4,
// docs/gateways.md "Alibaba Cloud SMS", "Receipt check"): QuerySendDetails for SendSms /
// SendBatchSms, GetCardSmsDetails for SendCardSms. The code that decides when to ask lives in the
// pipeline; nothing here touches a socket or a clock.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/gateway/aliyun_rpc.hpp"
#include "herald/gateway/gateway.hpp"

namespace herald::gateway {

inline constexpr int aliyun_query_max_page_size = 50;  // PageSize 1-50 (GATEWAYS.md §4)

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
// (GATEWAYS.md §4). Numbers may come as JSON numbers or strings.
aliyun_receipt_page parse_aliyun_query_send_details(int http_status, std::string_view body);

// GetCardSmsDetails: {"Code":"OK","Success":true,"CardSendDetailDTO":{"TotalCount","PageSize",
// "CurrentPage","Records":[{"OutId","SendStatus","ErrCode","SendDate","ReceiveDate",
// "TemplateCode","ReceiveType","RenderStatus","PhoneNumber","SmsContent","RenderDate"}]}}.
// *Unconfirmed*: not in GATEWAYS.md; the shape of Alibaba Cloud's generated SDK models
// (GetCardSmsDetailsResponseBody), not checked against a live answer.
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

}  // namespace herald::gateway
