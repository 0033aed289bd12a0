// One account under "accounts": which gateway, where, and the credentials that gateway needs.
// The credential keys are spelled as each vendor spells them (GATEWAYS.md), and the wrong
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
  return a;
}

}  // namespace herald::config::detail
