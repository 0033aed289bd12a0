// Alibaba Cloud RPC on POST / : the checks every Action shares (form, common parameters,
// AccessKeyId, Timestamp, Signature, nonce), then the Action. README "Alibaba Cloud SMS".
#include "aliyun_rpc.hpp"

#include <cstdlib>

#include "aliyun_internal.hpp"
#include "aliyun_sign.hpp"

namespace gwsim {
namespace aliyun {

const std::string* param(const Form& params, std::string_view name) {
  const std::string* v = find_field(params, name);
  return v && !v->empty() ? v : nullptr;
}

SendOutcome error(unsigned http_status, std::string_view code, std::string_view message,
                  const std::string& request_id, bool with_success) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  key(w, "RequestId");
  put(w, request_id);
  key(w, "Code");
  put(w, code);
  key(w, "Message");
  put(w, message);
  if (with_success) {
    key(w, "Success");
    w.Bool(false);
  }
  w.EndObject();
  SendOutcome out;
  out.body.assign(sb.GetString(), sb.GetSize());
  out.code = 1;
  out.http_status = http_status;
  return out;
}

namespace {

// Days since 1970-01-01 of a civil date, and back (Howard Hinnant's algorithms).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m, d;
};

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

std::string two(unsigned v) { return std::string{static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)}; }

bool is_form_content_type(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
  constexpr std::string_view want = "application/x-www-form-urlencoded";
  if (ct.size() != want.size()) return false;
  for (std::size_t i = 0; i < ct.size(); ++i) {
    char c = ct[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != want[i]) return false;
  }
  return true;
}

std::string request_id(Rng& ids) {
  std::string h = ids.hex(32);
  for (auto& c : h)
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

}  // namespace

std::string china_day_text(std::int64_t unix_seconds) {
  const Civil c = civil_from_days(china_day(unix_seconds));
  return std::to_string(c.y) + two(c.m) + two(c.d);
}

std::string china_time_text(std::int64_t unix_seconds) {
  const std::int64_t local = unix_seconds + 8 * 3600;
  const std::int64_t day = china_day(unix_seconds);
  const Civil c = civil_from_days(day);
  const auto secs = static_cast<unsigned>(local - day * 86400);
  return std::to_string(c.y) + "-" + two(c.m) + "-" + two(c.d) + " " + two(secs / 3600) + ":" +
         two(secs / 60 % 60) + ":" + two(secs % 60);
}

}  // namespace aliyun

bool AliyunState::use_nonce(std::string_view access_key, std::string_view nonce, std::int64_t now,
                            std::int64_t window) {
  // Forget what fell out of the window: a replay that old fails the Timestamp check anyway.
  while (!nonce_order_.empty() && nonce_order_.front().first < now - window) {
    nonces_.erase(nonce_order_.front().second);
    nonce_order_.pop_front();
  }
  std::string k(access_key);
  k += '\n';
  k += nonce;
  if (!nonces_.emplace(k, now).second) return false;
  nonce_order_.emplace_back(now, std::move(k));
  return true;
}

void AliyunState::reset() {
  nonces_.clear();
  nonce_order_.clear();
  receipts_.clear();
}

bool aliyun_phone_is_valid(std::string_view phone) {
  auto all_digits = [](std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
      if (c < '0' || c > '9') return false;
    return true;
  };
  if (phone.starts_with('+') || phone.starts_with("00")) {
    const std::string_view rest = phone.substr(phone.starts_with('+') ? 1 : 2);
    return all_digits(rest) && rest.size() >= 8 && rest.size() <= 15;
  }
  return phone.size() == 11 && phone[0] == '1' && all_digits(phone);
}

bool aliyun_supports_card(std::string_view phone) { return !phone.empty() && phone.back() != '0'; }

std::optional<std::int64_t> parse_aliyun_timestamp(std::string_view t) {
  // yyyy-MM-ddTHH:mm:ssZ
  if (t.size() != 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != 'Z')
    return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len) -> int {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  const int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
    return std::nullopt;
  return aliyun::days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
         mi * 60 + s;
}

std::optional<AliyunSender> aliyun_sender(std::string_view method, std::string_view query,
                                          std::string_view body) {
  auto named = [&](std::string_view name) {
    auto v = form_value(query, name);
    if ((!v || v->empty()) && method == "POST") v = form_value(body, name);
    return v && !v->empty() ? v : std::nullopt;
  };
  const auto action = named("Action");
  if (!action || (*action != "SendSms" && *action != "SendBatchSms" && *action != "SendCardSms"))
    return std::nullopt;
  auto access_key = named("AccessKeyId");
  if (!access_key) return std::nullopt;
  return AliyunSender{std::move(*access_key), *action == "SendCardSms"};
}

SendOutcome aliyun_throttled_answer(bool card, Rng& ids) {
  return aliyun::error(400, "Throttling.User", "Request was denied due to user flow control.",
                       aliyun::request_id(ids), card);
}

SendOutcome handle_aliyun_rpc(std::string_view method, std::string_view query,
                              std::string_view content_type, std::string_view body,
                              const SendConfig& config, AliyunState& state, Store& store,
                              std::int64_t now_unix, Rng& ids, std::int64_t now_ms) {
  using namespace aliyun;
  Counters& counters = store.counters();
  const std::string rid = request_id(ids);
  auto fail = [&](unsigned status, std::string_view why, std::string_view code, std::string_view message) {
    counters.reject_call(why);
    return error(status, code, message, rid);
  };

  // Parameters: the query string, then (POST) the form body. A name given twice is refused.
  std::string form_error;
  auto parsed = parse_form(query, &form_error);
  if (!parsed) return fail(400, gwsim::reason::bad_form, "InvalidParameter", form_error);
  Form params = std::move(*parsed);
  if (method == "POST" && !body.empty()) {
    if (!is_form_content_type(content_type))
      return fail(400, gwsim::reason::bad_form, "InvalidParameter",
                  "Content-Type must be application/x-www-form-urlencoded");
    auto from_body = parse_form(body, &form_error);
    if (!from_body) return fail(400, gwsim::reason::bad_form, "InvalidParameter", form_error);
    for (auto& f : *from_body) params.push_back(std::move(f));
  }
  if (const auto dup = first_duplicate_name(params); !dup.empty())
    return fail(400, gwsim::reason::bad_form, "InvalidParameter", "duplicate parameter: " + std::string(dup));
  for (const auto& f : params)
    if (!is_valid_utf8(f.value))
      return fail(400, gwsim::reason::bad_form, "InvalidParameter", "parameter " + f.name + " is not UTF-8");

  for (const char* name : {"Action", "Version", "Format", "AccessKeyId", "SignatureMethod", "SignatureVersion",
                           "SignatureNonce", "Timestamp", "Signature"})
    if (!param(params, name))
      return fail(400, gwsim::reason::missing_field, "MissingParameter",
                  std::string("The input parameter \"") + name +
                      "\" that is mandatory for processing this request is not supplied.");
  if (*param(params, "Version") != "2017-05-25")
    return fail(400, aliyun_reason::bad_parameter, "InvalidVersion", "Specified parameter Version is not valid.");
  if (*param(params, "SignatureMethod") != "HMAC-SHA1")
    return fail(400, aliyun_reason::bad_parameter, "InvalidParameter.SignatureMethod",
                "Specified signature method is not supported (HMAC-SHA1 only).");
  if (*param(params, "SignatureVersion") != "1.0")
    return fail(400, aliyun_reason::bad_parameter, "InvalidParameter.SignatureVersion",
                "Specified signature version is not supported (1.0 only).");
  if (*param(params, "Format") != "JSON")
    return fail(400, aliyun_reason::bad_parameter, "InvalidParameter.Format", "The simulator answers Format=JSON only.");

  const std::string& access_key = *param(params, "AccessKeyId");
  const auto secret = config.secrets ? config.secrets->find(access_key) : SecretTable::const_iterator{};
  if (!config.secrets || secret == config.secrets->end())
    return fail(404, gwsim::reason::invalid_appid, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");

  const auto ts = parse_aliyun_timestamp(*param(params, "Timestamp"));
  if (!ts)
    return fail(400, gwsim::reason::bad_timestamp, "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted (yyyy-MM-ddTHH:mm:ssZ).");
  if (std::llabs(*ts - now_unix) > aliyun_max_clock_skew)
    return fail(400, gwsim::reason::bad_timestamp, "InvalidTimeStamp.Expired",
                "Specified time stamp or date value is expired.");

  if (!aliyun_verify(method, params, secret->second, *param(params, "Signature")))
    return fail(400, gwsim::reason::invalid_sign, "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation. server string to sign is:" +
                    aliyun_string_to_sign(method, params));
  // After the signature: an unsigned request cannot burn someone else's nonce.
  if (!state.use_nonce(access_key, *param(params, "SignatureNonce"), now_unix, 2 * aliyun_max_clock_skew))
    return fail(400, aliyun_reason::nonce_used, "SignatureNonceUsed", "Specified signature nonce was used already.");

  if (now_ms < 0) now_ms = now_unix * 1000;
  Call call{params, access_key, now_unix, config, state, store, ids, rid, now_ms};
  const std::string& action = *param(params, "Action");
  if (action == "SendSms") return send_sms(call);
  if (action == "SendBatchSms") return send_batch_sms(call);
  if (action == "SendCardSms") return send_card_sms(call);
  if (action == "QuerySendDetails") return query_send_details(call);
  if (action == "GetCardSmsDetails") return get_card_sms_details(call);
  return fail(404, aliyun_reason::bad_action, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.");
}

}  // namespace gwsim
