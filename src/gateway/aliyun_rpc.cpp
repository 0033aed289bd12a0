// Alibaba Cloud SMS (dysmsapi 2017-05-25), what both gateway kinds share: docs/gateways.md
// "Alibaba Cloud SMS" documents the request and the classification table below.
#include "herald/gateway/aliyun_rpc.hpp"

#include <array>
#include <stdexcept>

#include "aliyun_answer.hpp"
#include "answer_util.hpp"
#include "herald/gateway/aliyun_sign.hpp"
#include "herald/gateway/form.hpp"
#include "herald/util/crypto.hpp"
#include "herald/util/time.hpp"

namespace herald::gateway {
namespace {

// One row of the table: `pattern` is a Code, where '*' stands for any run of characters
// (Alibaba Cloud's codes are case-sensitive, and so is the match).
struct code_rule {
  std::string_view pattern;
  outcome_class cls;
};

// Alibaba Cloud's answer codes, first match wins (docs/gateways.md "Alibaba Cloud SMS",
// "Classification"). "OK" is handled before the table. The order matters: isv.*FLOW* before the
// isv.* catch-all.
constexpr std::array aliyun_code_rules{
    // Per-number frequency limits of the carrier or Alibaba Cloud (per minute, hour, day).
    code_rule{"isv.BUSINESS_LIMIT_CONTROL", outcome_class::recipient_limited},
    code_rule{"isv.DAY_LIMIT_CONTROL", outcome_class::recipient_limited},
    // Account QPS or flow control: retry after backoff.
    code_rule{"Throttling", outcome_class::throttled},
    code_rule{"Throttling.*", outcome_class::throttled},
    code_rule{"isv.*FLOW*", outcome_class::throttled},
    // The nonce was seen before: an earlier attempt of this call reached the server, so it may
    // have been sent (docs/gateways.md, the SignatureNonceUsed row). A fresh nonce per attempt.
    code_rule{"SignatureNonceUsed", outcome_class::ambiguous},
    // Alibaba Cloud failed while handling the call: it may have been processed.
    code_rule{"isp.*", outcome_class::ambiguous},  // isp.SYSTEM_ERROR and the other isp.* codes
    code_rule{"ServiceUnavailable*", outcome_class::ambiguous},
    code_rule{"InternalError*", outcome_class::ambiguous},
    // The request is wrong or the account cannot send: retrying cannot help. Several of these
    // mean the account is misconfigured or out of credit (alert).
    code_rule{"isv.MOBILE_NUMBER_ILLEGAL", outcome_class::permanent},
    code_rule{"isv.SMS_TEMPLATE_ILLEGAL", outcome_class::permanent},
    code_rule{"isv.SMS_SIGNATURE_ILLEGAL", outcome_class::permanent},
    code_rule{"isv.TEMPLATE_MISSING_PARAMETERS", outcome_class::permanent},
    code_rule{"isv.INVALID_PARAMETERS", outcome_class::permanent},
    code_rule{"isv.PARAM_LENGTH_LIMIT", outcome_class::permanent},
    code_rule{"isv.BLACK_KEY_CONTROL_LIMIT", outcome_class::permanent},
    code_rule{"isv.AMOUNT_NOT_ENOUGH", outcome_class::permanent},
    code_rule{"isv.OUT_OF_SERVICE", outcome_class::permanent},
    code_rule{"isv.ACCOUNT_NOT_EXISTS", outcome_class::permanent},
    code_rule{"SignatureDoesNotMatch", outcome_class::permanent},
    code_rule{"InvalidAccessKeyId.NotFound", outcome_class::permanent},
    code_rule{"InvalidTimeStamp.Expired", outcome_class::permanent},
    code_rule{"Forbidden*", outcome_class::permanent},
    // Beyond the SMS codes above (docs/gateways.md, the "Alibaba Cloud's error centre" row): the
    // rest of Alibaba Cloud's business-rule codes (isv.* are "the ISV's request broke a rule") and
    // its common request errors (InvalidParameter,
    // MissingParameter, InvalidAccessKeyId.Inactive, IncompleteSignature, ...) are refusals of
    // the request as written.
    code_rule{"isv.*", outcome_class::permanent},
    code_rule{"Invalid*", outcome_class::permanent},
    code_rule{"Missing*", outcome_class::permanent},
    code_rule{"IncompleteSignature", outcome_class::permanent},
    // Any other code: not known to mean "nothing was sent", so ambiguous (the receipt check
    // decides, never a blind resend).
};

// Whether code matches pattern, '*' matching any run of characters (greedy with backtracking to
// the last star: linear enough for codes of a few dozen characters).
bool matches(std::string_view pattern, std::string_view code) noexcept {
  std::size_t p = 0, c = 0, star = std::string_view::npos, resume = 0;
  while (c < code.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = c;
    } else if (p < pattern.size() && pattern[p] == code[c]) {
      ++p;
      ++c;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      c = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

aliyun_credentials aliyun_credentials_from(const config::account_config& account, std::string_view kind) {
  auto require = [&](const std::string& value, std::string_view what) {
    if (value.empty())
      throw std::invalid_argument("account '" + account.name + "': the " + std::string(kind) + " gateway needs " +
                                  std::string(what));
  };
  require(account.app_id, "app_id (the AccessKeyId)");
  require(account.app_secret, "app_secret (the AccessKeySecret)");
  require(account.region_id, "region_id");
  return aliyun_credentials{account.app_id, account.app_secret, account.region_id};
}

http_request build_aliyun_rpc_request(std::string_view target, const aliyun_credentials& credentials,
                                      std::string_view action, std::span<const sign_param> action_params,
                                      const send_context& ctx) {
  const std::string timestamp = time::format_iso8601(ctx.unix_seconds);
  std::vector<sign_param> params{{"Action", action},
                                 {"Version", aliyun_api_version},
                                 {"Format", "JSON"},
                                 {"AccessKeyId", credentials.access_key_id},
                                 {"SignatureMethod", "HMAC-SHA1"},
                                 {"SignatureVersion", "1.0"},
                                 {"SignatureNonce", ctx.nonce},
                                 {"Timestamp", timestamp},
                                 {"RegionId", credentials.region_id}};
  params.insert(params.end(), action_params.begin(), action_params.end());

  // The canonical query is itself a form body in Herald's encoding: send exactly what was signed.
  http_request req;
  req.method = "POST";
  req.target = std::string(target);
  req.body = aliyun_canonical_query(params);
  const std::string signature =
      sign_aliyun_string(aliyun_string_to_sign_for_query("POST", req.body), credentials.access_key_secret);
  form::append_field(req.body, "Signature", signature);
  return req;
}

std::string aliyun_event_out_id(const model::event& e) {
  if (e.event_id.size() <= aliyun_out_id_max) return e.event_id;
  const auto digest = crypto::sha256(e.event_id);
  return "h:" + crypto::to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string aliyun_call_out_id(std::span<const model::event* const> items) {
  if (items.size() == 1) return aliyun_event_out_id(*items.front());
  std::string joined;
  for (const model::event* e : items) {
    joined.append(e->event_id);
    joined.push_back('\n');
  }
  const auto digest = crypto::sha256(joined);
  return "b:" + crypto::to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), 16));
}

outcome_class classify_aliyun_code(std::string_view code) noexcept {
  if (code == "OK") return outcome_class::sent;
  for (const auto& rule : aliyun_code_rules)
    if (matches(rule.pattern, code)) return rule.cls;
  return outcome_class::ambiguous;
}

std::string aliyun_safe_message(std::string_view message) {
  // "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&..."
  for (std::size_t i = 0; i + 14 <= message.size(); ++i)
    if (detail::contains_folded(message.substr(i, 14), "string to sign")) {
      std::string out(message.substr(0, i));
      out.append("[string to sign withheld]");
      return out;
    }
  return std::string(message);
}

std::string aliyun_send_date(std::int64_t unix_seconds) {
  return std::to_string(time::calendar_day(unix_seconds, 8 * 60));
}

namespace detail {

aliyun_answer read_aliyun_answer(int http_status, std::string_view body) {
  aliyun_answer a;
  const bool is_2xx = http_status >= 200 && http_status < 300;
  // A 5xx says nothing about what happened: the request may have been processed.
  if (http_status >= 500) {
    a.code = http_status_code(http_status);
    a.message = "HTTP status " + std::to_string(http_status);
    return a;
  }
  const bool is_object = detail::parse_answer(a.doc, body) && a.doc.IsObject();
  std::string_view code;
  if (is_object) {
    auto it = a.doc.FindMember("Code");
    if (it != a.doc.MemberEnd() && it->value.IsString()) code = {it->value.GetString(), it->value.GetStringLength()};
  }
  if (code.empty()) {
    a.code = is_2xx ? "unparseable" : http_status_code(http_status);
    a.message = is_2xx ? (is_object ? "unparseable answer: no Code" : "unparseable answer: not a JSON object")
                       : "HTTP status " + std::to_string(http_status) + " without a gateway answer";
    return a;
  }
  a.code.assign(code);
  a.message = aliyun_safe_message(member_string(a.doc, "Message"));
  if (code != "OK") {
    // The call was refused as a whole; this holds under a 4xx too (Alibaba Cloud answers its
    // signature, parameter and throttling errors with a 4xx and a JSON body).
    a.cls = classify_aliyun_code(code);
    return a;
  }
  if (!is_2xx) {
    a.code = http_status_code(http_status);
    a.message = "HTTP status " + std::to_string(http_status) + " with Code OK";
    return a;
  }
  a.is_ok = true;
  a.cls = outcome_class::sent;
  return a;
}

}  // namespace detail
}  // namespace herald::gateway
