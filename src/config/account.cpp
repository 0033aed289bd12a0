// One account under "accounts": which gateway, where, and the credentials that gateway needs.
// The credential keys are spelled as each vendor spells them (docs/gateways.md; docs/configuration.md
// "Credentials by gateway"), and the wrong
// spelling for a kind is an error that names the right one.
#include <algorithm>

#include "object_reader.hpp"

namespace herald::config::detail {
namespace {

struct credential_names {
  std::string_view id;      // stored in account_config::app_id
  std::string_view secret;  // stored in account_config::app_secret
};

credential_names names_for(gateway_kind kind) {
  switch (kind) {
    case gateway_kind::fw199_taobao:
    case gateway_kind::fw199_douyin: return {"app_id", "app_secret"};
    case gateway_kind::top_oaid: return {"app_key", "app_secret"};
    case gateway_kind::aliyun_sms:
    case gateway_kind::aliyun_card: return {"access_key_id", "access_key_secret"};
  }
  return {"app_id", "app_secret"};
}

bool is_fw199(gateway_kind k) { return k == gateway_kind::fw199_taobao || k == gateway_kind::fw199_douyin; }
bool is_aliyun(gateway_kind k) { return k == gateway_kind::aliyun_sms || k == gateway_kind::aliyun_card; }

bool is_valid_region(std::string_view region) {
  return !region.empty() && region.size() <= 64 && std::all_of(region.begin(), region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// One "HH:MM", zero-padded, 00:00 to 24:00.
bool parse_clock(std::string_view text, unsigned& minute) {
  if (text.size() != 5 || text[2] != ':') return false;
  for (std::size_t i : {0u, 1u, 3u, 4u})
    if (text[i] < '0' || text[i] > '9') return false;
  unsigned hour = static_cast<unsigned>((text[0] - '0') * 10 + (text[1] - '0'));
  unsigned min = static_cast<unsigned>((text[3] - '0') * 10 + (text[4] - '0'));
  if (hour > 24 || min > 59 || (hour == 24 && min != 0)) return false;
  minute = hour * 60 + min;
  return true;
}

// "HH:MM-HH:MM" (docs/configuration.md): start 00:00-23:59, end after the start and at most 24:00,
// or "00:00-00:00" for no window. A window across midnight is refused rather than guessed at:
// nothing downstream has to know about wrapping.
void read_marketing_window(const object_reader& r, account_config& a) {
  std::string text;
  if (!r.read_string("marketing_window", text, {.max_length = 32})) return;
  const std::string got = " (got " + quote(text) + ")";
  unsigned start = 0, end = 0;
  if (text.size() != 11 || text[5] != '-' || !parse_clock(text.substr(0, 5), start) ||
      !parse_clock(text.substr(6), end) || start == 24 * 60)
    r.fail_at("marketing_window", "must be \"HH:MM-HH:MM\" like \"08:00-22:00\", or \"00:00-00:00\" for no window" + got);
  if (start == end && start != 0)
    r.fail_at("marketing_window", "is empty; write \"00:00-00:00\" for no window" + got);
  if (end < start)
    r.fail_at("marketing_window", "must end after it starts: a window cannot span midnight (\"24:00\" is the end of the day)" + got);
  a.marketing_window_start_minute = static_cast<std::uint16_t>(start);
  a.marketing_window_end_minute = static_cast<std::uint16_t>(end);
}

}  // namespace

account_config read_account(const object_reader& r, std::string name, const daily_limits& quota_default) {
  account_config a;
  a.name = std::move(name);

  std::string gateway = r.require_string("gateway", {.max_length = 64});
  auto kind = parse_gateway_kind(gateway);
  if (!kind)
    r.fail_at("gateway",
              "must be one of \"fw199_taobao\", \"fw199_douyin\", \"top_oaid\", \"aliyun_sms\", \"aliyun_card\" (got " +
                  quote(gateway) + ")");
  a.gateway = *kind;
  const std::string kind_name(to_string(a.gateway));
  const std::string required_for = "required for gateway " + kind_name;

  r.read_bool("allow_plain_http", a.allow_plain_http);
  std::string url = r.require_string("endpoint", {.max_length = 2048});
  auto ep = parse_endpoint(url, a.allow_plain_http);
  if (!ep) r.fail_at("endpoint", ep.message() + " (got " + quote(url) + ")");
  a.endpoint = std::move(ep.value());

  // Credentials: the names this kind uses, and a pointed message for the other kinds' names.
  const credential_names names = names_for(a.gateway);
  for (std::string_view id_name : {"app_id", "app_key", "access_key_id"})
    if (id_name != names.id && r.has(id_name))
      r.fail_at(id_name, "gateway " + kind_name + " calls its id \"" + std::string(names.id) + "\"");
  for (std::string_view secret_name : {"app_secret", "access_key_secret"})
    if (secret_name != names.secret && r.has(secret_name))
      r.fail_at(secret_name, "gateway " + kind_name + " calls its secret \"" + std::string(names.secret) + "\"");
  a.app_id = r.require_string(names.id, {.max_length = 256}, required_for);
  a.app_secret = r.require_string(names.secret, {.is_secret = true, .max_length = 1024}, required_for);

  auto not_used_unless = [&](std::string_view key, bool used) {
    if (!used && r.has(key)) r.fail_at(key, "not used by gateway " + kind_name);
  };
  not_used_unless("seller_nick", is_fw199(a.gateway));
  not_used_unless("session", a.gateway == gateway_kind::top_oaid);
  not_used_unless("sign_method", a.gateway == gateway_kind::top_oaid);
  not_used_unless("region_id", is_aliyun(a.gateway));
  not_used_unless("use_batch_api", a.gateway == gateway_kind::aliyun_sms);
  not_used_unless("receipt_endpoint", a.gateway == gateway_kind::fw199_douyin);
  // Only gateways with a receipt query (fw199_douyin needs receipt_endpoint for one: checked below).
  not_used_unless("receipt_not_found_final_after_seconds", is_aliyun(a.gateway) || a.gateway == gateway_kind::fw199_douyin);

  if (is_fw199(a.gateway)) a.seller_nick = r.require_string("seller_nick", {.max_length = 256}, required_for);
  if (a.gateway == gateway_kind::top_oaid) {
    a.session = r.require_string("session", {.is_secret = true, .max_length = 1024}, required_for);
    if (r.read_string("sign_method", a.sign_method, {.max_length = 32}) && a.sign_method != "md5" &&
        a.sign_method != "hmac" && a.sign_method != "hmac-sha256")
      r.fail_at("sign_method", "must be one of \"md5\", \"hmac\", \"hmac-sha256\" (got " + quote(a.sign_method) + ")");
  }
  if (is_aliyun(a.gateway) && r.read_string("region_id", a.region_id, {.max_length = 64}) &&
      !is_valid_region(a.region_id))
    r.fail_at("region_id", "must be a region id like \"cn-hangzhou\" (got " + quote(a.region_id) + ")");

  if (r.find_object("daily_limit")) a.daily_limit = read_daily_limits(r, "daily_limit", quota_default);
  r.read_uint("max_batch", a.max_batch, 1, 100);
  std::string policy;
  if (r.read_string("on_unknown", policy, {.max_length = 64})) {
    auto p = parse_unknown_policy(policy);
    if (!p)
      r.fail_at("on_unknown", "must be one of \"report_unknown\", \"assume_sent\", \"resend\" (got " + quote(policy) + ")");
    a.on_unknown = *p;
  }

  r.read_uint("rate_limit_qps", a.rate_limit_qps, 0, 1000000);
  r.read_uint("max_concurrent_calls", a.max_concurrent_calls, 1, 1024);
  read_marketing_window(r, a);
  r.read_bool("use_batch_api", a.use_batch_api);
  std::string receipt_url;
  if (r.read_string("receipt_endpoint", receipt_url, {.max_length = 2048})) {
    auto receipt = parse_endpoint(receipt_url, a.allow_plain_http);
    if (!receipt) r.fail_at("receipt_endpoint", receipt.message() + " (got " + quote(receipt_url) + ")");
    a.receipt_endpoint = std::move(receipt.value());
  }
  if (a.gateway == gateway_kind::fw199_douyin && !a.receipt_endpoint && r.has("receipt_not_found_final_after_seconds"))
    r.fail_at("receipt_not_found_final_after_seconds",
              "needs \"receipt_endpoint\": without it, gateway fw199_douyin has no receipt query");
  r.read_uint("receipt_not_found_final_after_seconds", a.receipt_not_found_final_after_seconds, 0, 604800);
  return a;
}

}  // namespace herald::config::detail
