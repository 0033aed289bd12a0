#include "top_oaid.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <string>

#include "form.hpp"
#include "top_sign.hpp"

namespace gwsim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
void key(Writer& w, std::string_view s) { w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

// {"error_response":{"code":..,"msg":..,"sub_code":..,"sub_msg":..,"request_id":..}} (sub_* when given).
std::string error_response(int code, std::string_view msg, std::string_view sub_code, std::string_view sub_msg,
                           Rng& ids) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  key(w, "error_response");
  w.StartObject();
  key(w, "code");
  w.Int(code);
  key(w, "msg");
  put(w, msg);
  if (!sub_code.empty()) {
    key(w, "sub_code");
    put(w, sub_code);
  }
  if (!sub_msg.empty()) {
    key(w, "sub_msg");
    put(w, sub_msg);
  }
  key(w, "request_id");
  put(w, ids.alnum(13));
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string success_response(Rng& ids) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  key(w, "jst_sms_oaid_message_send_response");
  w.StartObject();
  key(w, "module");
  std::string send_id = ids.digits(16);
  send_id += "^0";
  put(w, send_id);
  key(w, "req_id");
  put(w, ids.alnum(13));
  key(w, "request_id");
  put(w, ids.alnum(13));
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

bool is_form_content_type(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
  while (!ct.empty() && (ct.front() == ' ' || ct.front() == '\t')) ct.remove_prefix(1);
  constexpr std::string_view want = "application/x-www-form-urlencoded";
  if (ct.size() != want.size()) return false;
  for (std::size_t i = 0; i < ct.size(); ++i) {
    char c = ct[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != want[i]) return false;
  }
  return true;
}

// Empty values count as missing (TOP's SDKs never send one).
const std::string* present(const Form& form, std::string_view name) {
  const std::string* v = find_field(form, name);
  return v && !v->empty() ? v : nullptr;
}

// The message's own fields: nullopt when valid, else what is wrong (after "非法参数: ").
std::optional<std::string> request_problem(const rapidjson::Value& r) {
  for (const char* name : {"oaid", "order_id", "sms_free_sign_name", "template_code"}) {
    const auto it = r.FindMember(name);
    if (it == r.MemberEnd() || it->value.IsNull() || (it->value.IsString() && it->value.GetStringLength() == 0))
      return std::string("missing ") + name;
    if (!it->value.IsString()) return std::string("invalid ") + name + " (must be a string)";
  }
  if (const auto it = r.FindMember("params"); it != r.MemberEnd() && !it->value.IsNull() && !it->value.IsObject())
    return "invalid params (must be an object)";
  for (const char* name : {"extend", "extend_code", "extend_name"}) {
    const auto it = r.FindMember(name);
    if (it != r.MemberEnd() && !it->value.IsNull() && !it->value.IsString())
      return std::string("invalid ") + name + " (must be a string)";
  }
  if (const auto it = r.FindMember("additional_info");
      it != r.MemberEnd() && !it->value.IsNull() && !it->value.IsBool())
    return "invalid additional_info (must be a boolean)";
  return std::nullopt;
}

std::string_view string_member(const rapidjson::Value& v, const char* name) {
  const auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<std::int64_t> parse_top_timestamp(std::string_view t) {
  // yyyy-MM-dd HH:mm:ss
  // 0123456789012345678
  if (t.size() != 19 || t[4] != '-' || t[7] != '-' || t[10] != ' ' || t[13] != ':' || t[16] != ':')
    return std::nullopt;
  auto number = [&](std::size_t at, std::size_t len) -> std::optional<unsigned> {
    unsigned v = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(t[i] - '0');
    }
    return v;
  };
  const auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
  const auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  static constexpr unsigned month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*day > month_days[*month - 1] + (*month == 2 && leap ? 1 : 0)) return std::nullopt;
  const std::int64_t local = days_from_civil(*year, *month, *day) * 86400 + *hour * 3600 + *minute * 60 + *second;
  return local - 8 * 3600;
}

SendOutcome top_throttled_answer(Rng& ids) {
  return SendOutcome{error_response(top_code::app_call_limited, top_throttled_msg, top_throttled_sub_code,
                                    top_throttled_sub_msg, ids),
                     top_code::app_call_limited, 0, 0};
}

SendOutcome handle_top_send(std::string_view content_type, std::string_view body,
                            const SendConfig& config, Store& store, std::int64_t now_unix, Rng& ids) {
  Counters& counters = store.counters();
  auto call_fail = [&](std::string_view why, int c, std::string_view msg, std::string_view sub_code = {},
                       std::string_view sub_msg = {}) {
    counters.reject_call(why);
    return SendOutcome{error_response(c, msg, sub_code, sub_msg, ids), c, 0, 0};
  };
  auto item_fail = [&](std::string_view why, int c, std::string_view msg, std::string_view sub_code,
                       std::string_view sub_msg) {
    counters.reject_item(why);
    return SendOutcome{error_response(c, msg, sub_code, sub_msg, ids), c, 0, 1};
  };
  constexpr std::string_view invalid_parameter = "isv.invalid-parameter";

  if (!is_form_content_type(content_type))
    return call_fail(reason::bad_form, top_code::invalid_arguments, "Invalid arguments", invalid_parameter,
                     "Content-Type must be application/x-www-form-urlencoded");
  // A name given twice is refused rather than guessed at.
  std::string form_error;
  const auto form = parse_form(body, &form_error);
  if (!form)
    return call_fail(reason::bad_form, top_code::invalid_arguments, "Invalid arguments", invalid_parameter, form_error);
  if (const auto dup = first_duplicate_name(*form); !dup.empty())
    return call_fail(reason::bad_form, top_code::invalid_arguments, "Invalid arguments", invalid_parameter,
                     "duplicate parameter: " + std::string(dup));
  for (const auto& f : *form)
    if (!is_valid_utf8(f.value))
      return call_fail(reason::bad_form, top_code::invalid_arguments, "Invalid arguments", invalid_parameter,
                       "parameter " + f.name + " is not UTF-8");

  const std::string* method = present(*form, "method");
  if (!method) return call_fail(reason::missing_field, top_code::missing_method, "Missing method");
  if (*method != top_method) return call_fail(top_reason::invalid_method, top_code::invalid_method, "Invalid method");

  const std::string* app_key = present(*form, "app_key");
  if (!app_key) return call_fail(reason::missing_field, top_code::missing_app_key, "Missing app key");
  const auto secret = config.secrets ? config.secrets->find(*app_key) : SecretTable::const_iterator{};
  if (!config.secrets || secret == config.secrets->end())
    return call_fail(reason::invalid_appid, top_code::invalid_app_key, "Invalid app Key");

  // TOP refuses clocks more than ~10 minutes off (docs/gateways.md); its code for that is 31.
  const std::string* ts_text = present(*form, "timestamp");
  if (!ts_text) return call_fail(reason::missing_field, top_code::missing_timestamp, "Missing timestamp");
  const auto ts = parse_top_timestamp(*ts_text);
  if (!ts)
    return call_fail(reason::bad_timestamp, top_code::invalid_timestamp, "Invalid timestamp", {},
                     "timestamp must be yyyy-MM-dd HH:mm:ss (UTC+8)");
  if (std::llabs(*ts - now_unix) > config.max_clock_skew)
    return call_fail(reason::bad_timestamp, top_code::invalid_timestamp, "Invalid timestamp", {},
                     "timestamp " + *ts_text + " is more than " + std::to_string(config.max_clock_skew) +
                         " s from server time");

  const std::string* version = present(*form, "v");
  if (!version) return call_fail(reason::missing_field, top_code::missing_version, "Missing version");
  if (*version != "2.0") return call_fail(top_reason::bad_parameter, top_code::unsupported_version, "Unsupported version");
  if (const std::string* format = present(*form, "format"); format && *format != "json")
    return call_fail(top_reason::bad_parameter, top_code::invalid_format, "Invalid format", {},
                     "this simulator answers json only");
  // No sign_method: md5, as the SDKs' oldest default.
  const std::string* sign_method_text = present(*form, "sign_method");
  const auto sign_method = sign_method_text ? parse_top_sign_method(*sign_method_text) : TopSignMethod::md5;
  if (!sign_method)
    return call_fail(top_reason::bad_parameter, top_code::invalid_arguments, "Invalid arguments",
                     "isv.invalid-parameter:sign_method", "sign_method must be md5, hmac or hmac-sha256");

  const std::string* sign = present(*form, "sign");
  if (!sign) return call_fail(reason::missing_field, top_code::missing_signature, "Missing signature");
  if (!top_verify(*form, secret->second, *sign_method, *sign))
    return call_fail(reason::invalid_sign, top_code::invalid_signature, "Invalid signature");

  // Any session is taken as the seller's authorisation; it names the seller in the records.
  const std::string* session = present(*form, "session");
  if (!session) return call_fail(reason::missing_field, top_code::missing_session, "Missing session");

  const std::string* param = present(*form, top_param);
  if (!param)
    return call_fail(reason::bad_request_data, top_code::missing_arguments,
                     "Missing required arguments:" + std::string(top_param));
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(param->data(), param->size());
  if (doc.HasParseError() || !doc.IsObject())
    return call_fail(reason::bad_request_data, top_code::invalid_arguments,
                     "Invalid arguments:" + std::string(top_param), invalid_parameter,
                     "非法参数: " + std::string(top_param) + " must be a JSON object");
  if (counters.max_batch_seen < 1) counters.max_batch_seen = 1;

  if (auto problem = request_problem(doc))
    return item_fail(reason::invalid_item, top_code::invalid_arguments, "Invalid arguments", invalid_parameter,
                     "非法参数: " + *problem);
  const ItemKey k{*app_key, *session, string_member(doc, "order_id"), string_member(doc, "template_code"),
                  string_member(doc, "oaid")};
  if (k.template_code.starts_with("BAD_"))
    return item_fail(reason::template_not_found, top_code::remote_service_error, "Remote service error",
                     "isv.template-not-exist", "模板不存在");
  if (!store.try_accept(k, china_day(now_unix), config.daily_limit))
    return item_fail(reason::daily_limit, top_code::remote_service_error, "Remote service error",
                     "isv.business-limit-control", top_daily_limit_message);
  return SendOutcome{success_response(ids), 0, 1, 0};
}

}  // namespace gwsim
