// `herald check-config`: the effective configuration, in the file's own shape, secrets hidden.
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "herald/config/load.hpp"

namespace herald::config {
namespace {

using writer_type = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

constexpr std::string_view redacted = "***";

// librdkafka properties that hold secrets (sasl.password, ssl.key.password, sasl.oauthbearer.client.secret,
// ssl.key.pem, sasl.jaas.config, ...). Matching by fragment errs on the side of hiding.
bool is_secret_property(std::string_view name) {
  constexpr std::array<std::string_view, 6> fragments{"password", "secret", "key.pem", "jaas", "oauthbearer.config",
                                                      "token"};
  for (auto f : fragments)
    if (name.find(f) != std::string_view::npos) return true;
  return false;
}

class json_out {
 public:
  explicit json_out(writer_type& w) : w_(w) {}
  void key(std::string_view k) { w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
  void string(std::string_view k, std::string_view v) {
    key(k);
    w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  void secret(std::string_view k, std::string_view v) { string(k, v.empty() ? std::string_view{} : redacted); }
  void number(std::string_view k, std::int64_t v) {
    key(k);
    w_.Int64(v);
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    w_.Bool(v);
  }
  void begin(std::string_view k) {
    key(k);
    w_.StartObject();
  }
  void end() { w_.EndObject(); }
  void properties(std::string_view k, const std::map<std::string, std::string>& props) {
    begin(k);
    for (const auto& [name, value] : props) is_secret_property(name) ? secret(name, value) : string(name, value);
    end();
  }
  void limits(std::string_view k, const daily_limits& l) {
    begin(k);
    number("transactional", l.transactional);
    number("marketing", l.marketing);
    end();
  }
 private:
  writer_type& w_;
};

std::string format_offset(int minutes) {
  char sign = minutes < 0 ? '-' : '+';
  int m = minutes < 0 ? -minutes : minutes;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", sign, m / 60, m % 60);
  return buf;
}

// The inverse of the "HH:MM-HH:MM" marketing_window option.
std::string format_window(unsigned start_minute, unsigned end_minute) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02u:%02u-%02u:%02u", start_minute / 60, start_minute % 60, end_minute / 60,
                end_minute % 60);
  return buf;
}

void write_account(json_out& o, std::string_view name, const account_config& a) {
  o.begin(name);
  o.string("gateway", to_string(a.gateway));
  o.string("endpoint", redact_url(a.endpoint.url));
  o.boolean("allow_plain_http", a.allow_plain_http);
  switch (a.gateway) {
    case gateway_kind::fw199_taobao:
    case gateway_kind::fw199_douyin:
      o.string("app_id", a.app_id);
      o.secret("app_secret", a.app_secret);
      o.string("seller_nick", a.seller_nick);
      break;
    case gateway_kind::top_oaid:
      o.string("app_key", a.app_id);
      o.secret("app_secret", a.app_secret);
      o.secret("session", a.session);
      o.string("sign_method", a.sign_method);
      break;
    case gateway_kind::aliyun_sms:
    case gateway_kind::aliyun_card:
      o.string("access_key_id", a.app_id);
      o.secret("access_key_secret", a.app_secret);
      o.string("region_id", a.region_id);
      break;
  }
  if (a.daily_limit) o.limits("daily_limit", *a.daily_limit);
  o.number("max_batch", a.max_batch);
  o.string("on_unknown", to_string(a.on_unknown));
  o.number("rate_limit_qps", a.rate_limit_qps);
  o.number("max_concurrent_calls", a.max_concurrent_calls);
  o.string("marketing_window", format_window(a.marketing_window_start_minute, a.marketing_window_end_minute));
  // Options only one gateway kind takes are printed for that kind only, so that the output stays a
  // valid configuration.
  if (a.gateway == gateway_kind::aliyun_sms) o.boolean("use_batch_api", a.use_batch_api);
  if (a.gateway == gateway_kind::fw199_douyin && a.receipt_endpoint) o.string("receipt_endpoint", redact_url(a.receipt_endpoint->url));
  // Only where there is a receipt query to find nothing.
  if (a.gateway == gateway_kind::aliyun_sms || a.gateway == gateway_kind::aliyun_card ||
      (a.gateway == gateway_kind::fw199_douyin && a.receipt_endpoint))
    o.number("receipt_not_found_final_after_seconds", a.receipt_not_found_final_after_seconds);
  o.end();
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out;
  std::size_t authority = url.find("://");
  authority = authority == std::string_view::npos ? 0 : authority + 3;
  const std::size_t authority_end = std::min(url.find_first_of("/?#", authority), url.size());
  const std::size_t at = url.substr(0, authority_end).rfind('@');
  if (at != std::string_view::npos && at >= authority) {
    out.append(url.substr(0, authority)).append(redacted).append(url.substr(at, authority_end - at));
  } else {
    out.append(url.substr(0, authority_end));
  }
  // A path is shown; a query or fragment only as "there is one".
  const std::size_t tail = url.find_first_of("?#", authority_end);
  out.append(url.substr(authority_end, std::min(tail, url.size()) - authority_end));
  if (tail != std::string_view::npos) out.append(1, url[tail]).append(redacted);
  return out;
}

std::string to_redacted_json(const herald_config& cfg) {
  rapidjson::StringBuffer buffer;
  writer_type writer(buffer);
  writer.SetIndent(' ', 2);
  json_out o(writer);
  writer.StartObject();

  const kafka_config& k = cfg.kafka;
  o.begin("kafka");
  o.string("brokers", k.brokers);
  o.string("group_id", k.group_id);
  o.string("client_id", k.client_id);
  o.key("topics");
  writer.StartArray();
  for (const auto& t : k.topics) writer.String(t.data(), static_cast<rapidjson::SizeType>(t.size()));
  writer.EndArray();
  o.string("results_topic", k.results_topic);
  o.string("dlq_topic", k.dlq_topic);
  o.string("retry_topic", k.retry_topic);
  o.string("delay_topic", k.delay_topic);
  o.number("session_timeout_ms", k.session_timeout_ms);
  o.number("max_in_flight", k.max_in_flight);
  o.number("max_in_flight_per_partition", k.max_in_flight_per_partition);
  o.number("max_in_flight_per_account", k.max_in_flight_per_account);
  o.number("max_in_flight_bytes", k.max_in_flight_bytes);
  o.number("max_event_bytes", k.max_event_bytes);
  o.number("commit_interval_ms", k.commit_interval_ms);
  o.boolean("transactions", k.transactions);
  // As configured: an empty one is made at start-up from the pod's name (logged then).
  o.string("transactional_id", k.transactional_id);
  o.number("transaction_interval_ms", k.transaction_interval_ms);
  o.number("transaction_timeout_ms", k.transaction_timeout_ms);
  o.properties("consumer_properties", k.consumer_properties);
  o.properties("producer_properties", k.producer_properties);
  o.end();

  const redis_config& r = cfg.redis;
  o.begin("redis");
  o.string("host", r.host);
  o.number("port", r.port);
  if (r.is_cluster()) {
    o.key("cluster_nodes");
    writer.StartArray();
    for (const auto& n : r.cluster_nodes) writer.String(n.data(), static_cast<rapidjson::SizeType>(n.size()));
    writer.EndArray();
  }
  o.string("username", r.username);
  o.secret("password", r.password);
  o.number("db", r.db);
  o.string("key_prefix", r.key_prefix);
  o.number("connect_timeout_ms", r.connect_timeout_ms);
  o.number("command_timeout_ms", r.command_timeout_ms);
  o.number("reconnect_backoff_min_ms", r.reconnect_backoff_min_ms);
  o.number("reconnect_backoff_max_ms", r.reconnect_backoff_max_ms);
  o.begin("tls");
  o.boolean("enabled", r.tls.enabled);
  o.string("ca_file", r.tls.ca_file);
  o.string("server_name", r.tls.server_name);
  o.boolean("verify_peer", r.tls.verify_peer);
  o.string("cert_file", r.tls.cert_file);  // paths, not the keys themselves
  o.string("key_file", r.tls.key_file);
  o.end();
  o.end();

  o.begin("ledger");
  o.number("retention_hours", cfg.ledger.retention_hours);
  o.string("quota_utc_offset", format_offset(cfg.ledger.quota_utc_offset_minutes));
  o.secret("recipient_hash_key", cfg.ledger.recipient_hash_key.is_empty() ? "" : "set");
  o.end();

  o.begin("quota");
  o.limits("daily_limit", cfg.quota.daily_limit);
  o.end();

  o.begin("batch");
  o.number("linger_ms", cfg.batch.linger_ms);
  o.number("guard_batch_max", cfg.batch.guard_batch_max);
  o.end();

  const retry_config& rt = cfg.retry;
  o.begin("retry");
  o.number("max_attempts", rt.max_attempts);
  o.number("backoff_base_ms", rt.backoff_base_ms);
  o.number("backoff_cap_ms", rt.backoff_cap_ms);
  o.number("max_in_process_delay_ms", rt.max_in_process_delay_ms);
  o.number("receipt_grace_ms", rt.receipt_grace_ms);
  o.number("max_receipt_checks", rt.max_receipt_checks);
  o.end();

  const http_config& h = cfg.http;
  o.begin("http");
  o.string("ca_file", h.ca_file);
  o.boolean("verify_peer", h.verify_peer);
  o.number("connect_timeout_ms", h.connect_timeout_ms);
  o.number("request_timeout_ms", h.request_timeout_ms);
  o.number("max_connections_per_endpoint", h.max_connections_per_endpoint);
  o.end();

  o.begin("log");
  o.string("level", cfg.log.level);
  o.end();

  o.begin("admin");
  o.string("listen", cfg.admin.listen);
  o.end();

  o.begin("shutdown");
  o.number("drain_timeout_ms", cfg.shutdown.drain_timeout_ms);
  o.end();

  o.begin("rate_limit");
  o.boolean("shared", cfg.rate_limit.shared);
  // Only with sharing on (the loader refuses it otherwise), so that the text loads again.
  if (cfg.rate_limit.shared) o.number("fallback_pods", cfg.rate_limit.fallback_pods);
  o.end();

  o.begin("accounts");
  for (const auto& [name, account] : cfg.accounts) write_account(o, name, account);
  o.end();

  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace herald::config
