// Alibaba Cloud receipt queries (QuerySendDetails, GetCardSmsDetails): docs/gateways.md
// "Alibaba Cloud SMS", "Receipt check".
#include "herald/gateway/aliyun_receipts.hpp"

#include <algorithm>
#include <charconv>

#include "aliyun_answer.hpp"
#include "answer_util.hpp"

namespace herald::gateway {
namespace {

std::string decimal(int v) { return std::to_string(v); }

// An integer member given as a number or as decimal text; `fallback` when absent or neither.
std::int64_t member_int(const rapidjson::Value& object, const char* name, std::int64_t fallback) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return fallback;
  const auto& v = it->value;
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsString()) {
    std::int64_t out = 0;
    const char* begin = v.GetString();
    const char* end = begin + v.GetStringLength();
    auto [ptr, ec] = std::from_chars(begin, end, out);
    if (ec == std::errc{} && ptr == end) return out;
  }
  return fallback;
}

std::string member_copy(const rapidjson::Value& object, const char* name) {
  std::string out;
  if (!detail::member_text(object, name, out)) out.clear();
  return out;
}

aliyun_receipt_record read_record(const rapidjson::Value& r) {
  aliyun_receipt_record rec;
  rec.out_id = member_copy(r, "OutId");
  rec.send_status = static_cast<int>(member_int(r, "SendStatus", 0));
  rec.err_code = member_copy(r, "ErrCode");
  rec.send_date = member_copy(r, "SendDate");
  rec.receive_date = member_copy(r, "ReceiveDate");
  rec.template_code = member_copy(r, "TemplateCode");
  rec.receive_type = member_copy(r, "ReceiveType");
  rec.render_status = static_cast<int>(member_int(r, "RenderStatus", -1));
  return rec;
}

aliyun_receipt_page failed_page(detail::aliyun_answer& answer) {
  aliyun_receipt_page page;
  page.failure = answer.cls;
  page.code = std::move(answer.code);
  page.message = std::move(answer.message);
  return page;
}

aliyun_receipt_page unreadable(std::string code, std::string message) {
  aliyun_receipt_page page;
  page.failure = outcome_class::ambiguous;
  page.code = std::move(code);
  page.message = std::move(message);
  return page;
}

// Reads records from `container[array_name]`; an absent array is an empty page (Alibaba Cloud
// leaves it out when nothing matches), anything else there is unreadable.
bool read_records(const rapidjson::Value& container, const char* array_name, aliyun_receipt_page& page) {
  auto it = container.FindMember(array_name);
  if (it == container.MemberEnd() || it->value.IsNull()) return true;
  if (!it->value.IsArray()) return false;
  for (const auto& r : it->value.GetArray()) {
    if (!r.IsObject()) return false;
    page.records.push_back(read_record(r));
  }
  return true;
}

}  // namespace

http_request build_aliyun_query_send_details(std::string_view target, const aliyun_credentials& credentials,
                                             const aliyun_send_details_query& query, const send_context& ctx) {
  const std::string page_size = decimal(std::clamp(query.page_size, 1, aliyun_query_max_page_size));
  const std::string current_page = decimal(std::max(query.current_page, 1));
  std::vector<sign_param> params{{"PhoneNumber", query.phone_number},
                                 {"SendDate", query.send_date},
                                 {"PageSize", page_size},
                                 {"CurrentPage", current_page}};
  if (!query.biz_id.empty()) params.emplace_back("BizId", query.biz_id);
  return build_aliyun_rpc_request(target, credentials, "QuerySendDetails", params, ctx);
}

http_request build_aliyun_get_card_sms_details(std::string_view target, const aliyun_credentials& credentials,
                                               const aliyun_card_details_query& query, const send_context& ctx) {
  const std::string page_size = decimal(std::clamp(query.page_size, 1, aliyun_query_max_page_size));
  const std::string current_page = decimal(std::max(query.current_page, 1));
  std::vector<sign_param> params{{"PhoneNumber", query.phone_number},
                                 {"SendDate", query.send_date},
                                 {"PageSize", page_size},
                                 {"CurrentPage", current_page}};
  if (!query.biz_card_id.empty()) params.emplace_back("BizCardId", query.biz_card_id);
  if (!query.biz_sms_id.empty()) params.emplace_back("BizSmsId", query.biz_sms_id);
  if (!query.biz_digit_id.empty()) params.emplace_back("BizDigitId", query.biz_digit_id);
  return build_aliyun_rpc_request(target, credentials, "GetCardSmsDetails", params, ctx);
}

aliyun_receipt_page parse_aliyun_query_send_details(int http_status, std::string_view body) {
  detail::aliyun_answer answer = detail::read_aliyun_answer(http_status, body);
  if (!answer.is_ok) return failed_page(answer);
  aliyun_receipt_page page;
  page.code = std::move(answer.code);
  page.message = std::move(answer.message);
  page.total_count = member_int(answer.doc, "TotalCount", 0);
  auto dtos = answer.doc.FindMember("SmsSendDetailDTOs");
  if (dtos != answer.doc.MemberEnd() && !dtos->value.IsNull()) {
    if (!dtos->value.IsObject() || !read_records(dtos->value, "SmsSendDetailDTO", page))
      return unreadable("unparseable", "unparseable answer: SmsSendDetailDTOs.SmsSendDetailDTO is not an array of objects");
  }
  page.is_ok = true;
  return page;
}

aliyun_receipt_page parse_aliyun_get_card_sms_details(int http_status, std::string_view body) {
  detail::aliyun_answer answer = detail::read_aliyun_answer(http_status, body);
  if (!answer.is_ok) return failed_page(answer);
  aliyun_receipt_page page;
  page.code = std::move(answer.code);
  page.message = std::move(answer.message);
  auto dto = answer.doc.FindMember("CardSendDetailDTO");
  if (dto != answer.doc.MemberEnd() && !dto->value.IsNull()) {
    if (!dto->value.IsObject() || !read_records(dto->value, "Records", page))
      return unreadable("unparseable", "unparseable answer: CardSendDetailDTO.Records is not an array of objects");
    page.total_count = member_int(dto->value, "TotalCount", 0);
  }
  page.is_ok = true;
  return page;
}

std::string_view to_string(aliyun_receipt_verdict v) {
  switch (v) {
    case aliyun_receipt_verdict::sent: return "sent";
    case aliyun_receipt_verdict::failed: return "failed";
    case aliyun_receipt_verdict::pending: return "pending";
    case aliyun_receipt_verdict::not_found: return "not_found";
  }
  return "unknown";
}

aliyun_receipt_match find_aliyun_receipt(std::span<const aliyun_receipt_record> records, std::string_view out_id) {
  // Rank: delivered 3 > waiting (1, or a status not known) 2 > failed 1.
  aliyun_receipt_match best;
  int best_rank = 0;
  for (const auto& r : records) {
    if (r.out_id != out_id) continue;
    int rank;
    aliyun_receipt_verdict verdict;
    if (r.send_status == 3) {
      rank = 3;
      verdict = aliyun_receipt_verdict::sent;
    } else if (r.send_status == 2 || r.send_status == 4) {
      rank = 1;
      verdict = aliyun_receipt_verdict::failed;
    } else {
      rank = 2;
      verdict = aliyun_receipt_verdict::pending;
    }
    if (rank > best_rank) {
      best_rank = rank;
      best = {verdict, &r};
    }
  }
  return best;
}

}  // namespace herald::gateway
