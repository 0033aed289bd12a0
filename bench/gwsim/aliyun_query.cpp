// Alibaba Cloud QuerySendDetails and GetCardSmsDetails, answered from the receipts the sends
// recorded (AliyunState): filtered by AccessKeyId, number, day and optional id, paged, and timed
// by SendConfig::receipt_hide_ms / receipt_delay_ms (README "Receipts").
#include <charconv>
#include <vector>

#include "aliyun_internal.hpp"

namespace gwsim::aliyun {
namespace {

struct Page {
  std::string phone, day;
  std::size_t size = 0, number = 0;
};

// PhoneNumber, SendDate (8 digits), PageSize (1-50), CurrentPage (>= 1); else an error answer.
std::optional<SendOutcome> read_page(Call& call, Page& page, bool with_success) {
  for (const char* name : {"PhoneNumber", "SendDate", "PageSize", "CurrentPage"})
    if (!param(call.params, name)) {
      call.store.counters().reject_call(gwsim::reason::missing_field);
      return error(200, "isv.INVALID_PARAMETERS", std::string("missing parameter ") + name, call.request_id,
                   with_success);
    }
  auto number = [](const std::string& text, std::size_t& out) {
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && ptr == text.data() + text.size();
  };
  page.phone = *param(call.params, "PhoneNumber");
  page.day = *param(call.params, "SendDate");
  std::size_t ignored = 0;
  const bool ok = page.day.size() == 8 && number(page.day, ignored) &&
                  number(*param(call.params, "PageSize"), page.size) && page.size >= 1 && page.size <= 50 &&
                  number(*param(call.params, "CurrentPage"), page.number) && page.number >= 1;
  if (!ok) {
    call.store.counters().reject_call(aliyun_reason::bad_parameter);
    return error(200, "isv.INVALID_PARAMETERS", "SendDate must be yyyyMMdd, PageSize 1-50, CurrentPage from 1",
                 call.request_id, with_success);
  }
  return std::nullopt;
}

// The receipts of this AccessKeyId, kind, number and day (and id, when given), oldest first.
std::vector<const AliyunReceipt*> matching(Call& call, bool is_card, const Page& page,
                                           std::initializer_list<const char*> id_params) {
  std::vector<std::string_view> wanted_ids;
  for (const char* name : id_params)
    if (const std::string* v = param(call.params, name)) wanted_ids.emplace_back(*v);
  std::vector<const AliyunReceipt*> out;
  for (const auto& r : call.state.receipts()) {
    if (r.is_card != is_card || r.access_key != call.access_key || r.phone != page.phone || r.send_day != page.day)
      continue;
    if (!receipt_is_visible(r.accepted_at_ms, call.now_ms, call.config.receipt_hide_ms)) continue;  // not yet
    bool id_ok = true;
    for (auto id : wanted_ids) id_ok = id_ok && r.biz_id == id;
    if (id_ok) out.push_back(&r);
  }
  return out;
}

// The status a query reports now: waiting (1, no ErrCode) until --receipt-delay-ms has passed.
struct Reported {
  int status;
  std::string_view err_code;
};
Reported reported(const Call& call, const AliyunReceipt& r) {
  const int status = reported_receipt_status(r.status, r.accepted_at_ms, call.now_ms, call.config.receipt_delay_ms);
  return {status, status == r.status ? std::string_view(r.err_code) : std::string_view()};
}

}  // namespace

SendOutcome query_send_details(Call& call) {
  Page page;
  if (auto bad = read_page(call, page, false)) return std::move(*bad);
  const auto records = matching(call, false, page, {"BizId"});
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  key(w, "RequestId");
  put(w, call.request_id);
  key(w, "Code");
  put(w, "OK");
  key(w, "Message");
  put(w, "OK");
  key(w, "TotalCount");
  w.Uint64(records.size());
  key(w, "SmsSendDetailDTOs");
  w.StartObject();
  key(w, "SmsSendDetailDTO");
  w.StartArray();
  for (std::size_t i = (page.number - 1) * page.size; i < records.size() && i < page.number * page.size; ++i) {
    const AliyunReceipt& r = *records[i];
    const Reported now = reported(call, r);
    w.StartObject();
    key(w, "PhoneNum");
    put(w, r.phone);
    key(w, "SendStatus");
    w.Int(now.status);
    key(w, "ErrCode");
    put(w, now.err_code);
    key(w, "TemplateCode");
    put(w, r.template_code);
    key(w, "Content");
    put(w, "");
    key(w, "SendDate");
    put(w, r.send_time);
    key(w, "ReceiveDate");
    put(w, now.status == 3 ? r.send_time : std::string());
    key(w, "OutId");
    put(w, r.out_id);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  SendOutcome out;
  out.body.assign(sb.GetString(), sb.GetSize());
  return out;
}

SendOutcome get_card_sms_details(Call& call) {
  Page page;
  if (auto bad = read_page(call, page, true)) return std::move(*bad);
  const auto records = matching(call, true, page, {"BizCardId", "BizSmsId", "BizDigitId"});
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  key(w, "RequestId");
  put(w, call.request_id);
  key(w, "Code");
  put(w, "OK");
  key(w, "Message");
  put(w, "OK");
  key(w, "Success");
  w.Bool(true);
  key(w, "CardSendDetailDTO");
  w.StartObject();
  key(w, "TotalCount");
  w.Uint64(records.size());
  key(w, "PageSize");
  w.Uint64(page.size);
  key(w, "CurrentPage");
  w.Uint64(page.number);
  key(w, "Records");
  w.StartArray();
  for (std::size_t i = (page.number - 1) * page.size; i < records.size() && i < page.number * page.size; ++i) {
    const AliyunReceipt& r = *records[i];
    const Reported now = reported(call, r);
    w.StartObject();
    key(w, "PhoneNumber");
    put(w, r.phone);
    key(w, "SendStatus");
    w.Int(now.status);
    key(w, "ErrCode");
    put(w, now.err_code);
    key(w, "TemplateCode");
    put(w, r.template_code);
    key(w, "ReceiveType");
    put(w, r.receive_type);
    key(w, "RenderStatus");
    w.Int(r.receive_type == "CARD_SMS" ? 1 : 0);
    key(w, "SendDate");
    put(w, r.send_time);
    key(w, "ReceiveDate");
    put(w, now.status == 3 ? r.send_time : std::string());
    key(w, "OutId");
    put(w, r.out_id);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  SendOutcome out;
  out.body.assign(sb.GetString(), sb.GetSize());
  return out;
}

}  // namespace gwsim::aliyun
