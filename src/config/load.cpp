// The configuration schema: every option, its range and its default (defaults themselves live in
// config.hpp's member initialisers). docs/configuration.md documents the same, section by section.
#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "herald/config/run_checks.hpp"
#include "herald/util/host_port.hpp"
#include "herald/util/json_parse.hpp"
#include "herald/util/time.hpp"
#include "object_reader.hpp"

namespace herald::config {

config_error::config_error(std::string json_path, std::string reason)
    : std::runtime_error(json_path.empty() ? reason : json_path + ": " + reason),
      json_path_(std::move(json_path)),
      reason_(std::move(reason)) {}

const char* process_getenv(const char* name) { return std::getenv(name); }

namespace {

using detail::object_reader;
using detail::quote;
constexpr std::uint32_t max_timeout_ms = 600000;  // 10 minutes: longer is always a mistake

std::string_view view(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// Kafka's own rule for topic names.
bool is_valid_topic(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

// Account names appear in events, outcome records, metric labels and ledger keys.
bool is_valid_account_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

std::string read_topic(const object_reader& r, std::string_view key, std::string current) {
  r.read_string(key, current, {.max_length = 249});
  if (!is_valid_topic(current))
    r.fail_at(key, "must be a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ - (got " + quote(current) + ")");
  return current;
}

// Properties that Herald sets itself: configuring them here would fight it or break its promises.
struct managed_property {
  std::string_view name;
  std::string_view why;
};
constexpr std::array<managed_property, 7> managed_consumer_properties{{
    {"bootstrap.servers", "set by Herald from kafka.brokers"},
    {"group.id", "set by Herald from kafka.group_id"},
    {"client.id", "set by Herald from kafka.client_id"},
    {"session.timeout.ms", "set by Herald from kafka.session_timeout_ms"},
    {"enable.auto.commit", "Herald commits offsets itself, only once events are settled"},
    {"enable.auto.offset.store", "Herald commits offsets itself, only once events are settled"},
    // Herald consumes its own retry topic: an aborted envelope read back would be handled twice.
    {"isolation.level", "Herald reads only committed records (read_committed)"},
}};
constexpr std::array<managed_property, 4> managed_producer_properties{{
    {"bootstrap.servers", "set by Herald from kafka.brokers"},
    {"client.id", "set by Herald from kafka.client_id"},
    {"transactional.id", "set by Herald from kafka.transactional_id"},
    {"transaction.timeout.ms", "set by Herald from kafka.transaction_timeout_ms"},
}};

template <std::size_t N>
std::map<std::string, std::string> read_properties(const object_reader& parent, std::string_view key,
                                                   const std::array<managed_property, N>& managed) {
  std::map<std::string, std::string> out;
  const rapidjson::Value* v = parent.find_object(key);
  if (v == nullptr) return out;
  std::string path = parent.path_of(key);
  for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
    std::string name(view(it->name));
    std::string item_path = detail::join_path(path, name);
    if (name.empty()) detail::fail(path, "a property name is empty");
    for (const auto& m : managed)
      if (m.name == name) detail::fail(item_path, "cannot be set here: " + std::string(m.why));
    // Values may be secrets (sasl.password): their type is shown, never their value.
    if (!it->value.IsString())
      detail::fail(item_path, "must be a string, as librdkafka takes them (got " + detail::describe_type(it->value) + ")");
    if (out.contains(name)) detail::fail(item_path, "given more than once");
    out.emplace(name, detail::expand_env(view(it->value), parent.getenv(), item_path));
  }
  return out;
}

kafka_config read_kafka(const object_reader& r) {
  kafka_config k;
  r.read_string("brokers", k.brokers);
  r.read_string("group_id", k.group_id, {.max_length = 255});
  r.read_string("client_id", k.client_id, {.max_length = 255});
  if (const rapidjson::Value* topics = r.find("topics")) {
    std::string path = r.path_of("topics");
    if (!topics->IsArray()) detail::fail(path, "must be an array of topic names (got " + detail::describe(*topics) + ")");
    if (topics->Empty()) detail::fail(path, "at least one topic is required");
    k.topics.clear();
    for (rapidjson::SizeType i = 0; i < topics->Size(); ++i) {
      std::string item_path = path + "[" + std::to_string(i) + "]";
      const rapidjson::Value& t = (*topics)[i];
      if (!t.IsString()) detail::fail(item_path, "must be a topic name (got " + detail::describe(t) + ")");
      std::string name = detail::expand_env(view(t), r.getenv(), item_path);
      if (!is_valid_topic(name))
        detail::fail(item_path, "must be a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ - (got " + quote(name) + ")");
      if (std::find(k.topics.begin(), k.topics.end(), name) != k.topics.end())
        detail::fail(item_path, quote(name) + " is listed twice");
      k.topics.push_back(std::move(name));
    }
  }
  k.results_topic = read_topic(r, "results_topic", k.results_topic);
  k.dlq_topic = read_topic(r, "dlq_topic", k.dlq_topic);
  auto consumed = [&](const std::string& t) { return std::find(k.topics.begin(), k.topics.end(), t) != k.topics.end(); };
  if (consumed(k.results_topic))
    r.fail_at("results_topic", quote(k.results_topic) + " is also in kafka.topics: Herald would consume its own outcomes");
  if (consumed(k.dlq_topic))
    r.fail_at("dlq_topic", quote(k.dlq_topic) + " is also in kafka.topics: Herald would consume its own dead letters");
  // Herald consumes its retry and delay topics itself, alongside kafka.topics (docs/configuration.md).
  k.retry_topic = read_topic(r, "retry_topic", k.retry_topic);
  k.delay_topic = read_topic(r, "delay_topic", k.delay_topic);
  if (consumed(k.retry_topic))
    r.fail_at("retry_topic", quote(k.retry_topic) + " is also in kafka.topics: Herald subscribes to its retry topic itself");
  if (consumed(k.delay_topic))
    r.fail_at("delay_topic", quote(k.delay_topic) + " is also in kafka.topics: Herald subscribes to its delay topic itself");
  // Each waiting topic is a topic of its own: sharing one with another would mix what Herald
  // consumes there with outcomes, dead letters or the other kind of wait. The error names the
  // waiting topic, unless only the other key is in the file (the waiting topic kept its default).
  struct own_topic {
    std::string_view key;
    const std::string& name;
  };
  const std::array<own_topic, 4> own{{{"retry_topic", k.retry_topic},
                                      {"delay_topic", k.delay_topic},
                                      {"results_topic", k.results_topic},
                                      {"dlq_topic", k.dlq_topic}}};
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = i + 1; j < own.size(); ++j)
      if (own[i].name == own[j].name) {
        const bool at_i = r.has(own[i].key) || !r.has(own[j].key);
        const own_topic& here = at_i ? own[i] : own[j];
        const own_topic& there = at_i ? own[j] : own[i];
        r.fail_at(here.key, quote(here.name) + " is also kafka." + std::string(there.key) +
                                ": retry_topic and delay_topic must each be a topic of their own");
      }
  r.read_uint("session_timeout_ms", k.session_timeout_ms, 1000, 3600000);
  r.read_uint("max_in_flight", k.max_in_flight, 1, 10000000);
  r.read_uint("max_in_flight_per_partition", k.max_in_flight_per_partition, 1, 10000000);
  k.max_in_flight_per_account = std::max<std::uint32_t>(1, k.max_in_flight / 2);
  r.read_uint("max_in_flight_per_account", k.max_in_flight_per_account, 1, 10000000);
  if (k.max_in_flight_per_account > k.max_in_flight)
    r.fail_at("max_in_flight_per_account", "max_in_flight_per_account (" + std::to_string(k.max_in_flight_per_account) +
                                               ") must not be more than max_in_flight (" +
                                               std::to_string(k.max_in_flight) + ")");
  r.read_uint("max_in_flight_bytes", k.max_in_flight_bytes, 65536, 4294967295u);
  r.read_uint("max_event_bytes", k.max_event_bytes, 1024, 100000000);
  r.read_uint("commit_interval_ms", k.commit_interval_ms, 1, 3600000);
  r.read_bool("transactions", k.transactions);
  // Kafka takes any string; empty keeps the default, made from group_id and the pod's name.
  r.read_string("transactional_id", k.transactional_id, {.may_be_empty = true, .max_length = 255});
  r.read_uint("transaction_interval_ms", k.transaction_interval_ms, 1, 60000);
  // Kafka's transaction.max.timeout.ms (15 minutes by default) is the upper end brokers take.
  r.read_uint("transaction_timeout_ms", k.transaction_timeout_ms, 1000, 900000);
  if (k.transactions && k.transaction_interval_ms >= k.transaction_timeout_ms)
    r.fail_at(r.has("transaction_interval_ms") ? "transaction_interval_ms" : "transaction_timeout_ms",
              "transaction_interval_ms (" + std::to_string(k.transaction_interval_ms) +
                  ") must be less than transaction_timeout_ms (" + std::to_string(k.transaction_timeout_ms) +
                  "): the broker would abort every transaction before its commit");
  k.consumer_properties = read_properties(r, "consumer_properties", managed_consumer_properties);
  k.producer_properties = read_properties(r, "producer_properties", managed_producer_properties);
  return k;
}

redis_tls_config read_redis_tls(const object_reader& r) {
  redis_tls_config c;
  r.read_bool("enabled", c.enabled);
  r.read_string("ca_file", c.ca_file, {.may_be_empty = true});
  r.read_string("server_name", c.server_name, {.may_be_empty = true, .max_length = 253});
  r.read_bool("verify_peer", c.verify_peer);
  r.read_string("cert_file", c.cert_file, {.may_be_empty = true});
  r.read_string("key_file", c.key_file, {.may_be_empty = true});
  // One without the other is a half-configured mutual TLS that would only fail at the server.
  if (c.cert_file.empty() != c.key_file.empty())
    r.fail_at(c.cert_file.empty() ? "cert_file" : "key_file",
              "cert_file and key_file go together (the client certificate and its private key)");
  return c;
}

redis_config read_redis(const object_reader& r) {
  redis_config c;
  r.read_string("host", c.host, {.max_length = 253});
  std::uint32_t port = c.port;
  r.read_uint("port", port, 1, 65535);
  c.port = static_cast<std::uint16_t>(port);
  r.read_string("username", c.username, {.may_be_empty = true, .max_length = 256});
  r.read_string("password", c.password, {.is_secret = true, .may_be_empty = true});
  r.read_uint("db", c.db, 0, 65535);
  r.read_string("key_prefix", c.key_prefix, {.may_be_empty = true, .max_length = 128});
  r.read_uint("connect_timeout_ms", c.connect_timeout_ms, 1, max_timeout_ms);
  r.read_uint("command_timeout_ms", c.command_timeout_ms, 1, max_timeout_ms);
  r.read_uint("reconnect_backoff_min_ms", c.reconnect_backoff_min_ms, 1, max_timeout_ms);
  r.read_uint("reconnect_backoff_max_ms", c.reconnect_backoff_max_ms, 1, max_timeout_ms);
  if (c.reconnect_backoff_max_ms < c.reconnect_backoff_min_ms)
    r.fail_at(r.has("reconnect_backoff_max_ms") ? "reconnect_backoff_max_ms" : "reconnect_backoff_min_ms",
              "reconnect_backoff_max_ms (" + std::to_string(c.reconnect_backoff_max_ms) +
                  ") must not be less than reconnect_backoff_min_ms (" + std::to_string(c.reconnect_backoff_min_ms) + ")");
  if (const rapidjson::Value* nodes = r.find("cluster_nodes")) {
    const std::string path = r.path_of("cluster_nodes");
    if (!nodes->IsArray())
      detail::fail(path, "must be an array of \"host:port\" seed nodes (got " + detail::describe(*nodes) + ")");
    for (rapidjson::SizeType i = 0; i < nodes->Size(); ++i) {
      const std::string item_path = path + "[" + std::to_string(i) + "]";
      const rapidjson::Value& n = (*nodes)[i];
      if (!n.IsString()) detail::fail(item_path, "must be a \"host:port\" string (got " + detail::describe(n) + ")");
      // One element may hold several, comma-separated: one environment variable for the list.
      const std::string text = detail::expand_env(view(n), r.getenv(), item_path);
      std::string_view rest = text;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view one = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
        while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
        if (one.empty()) continue;
        auto address = parse_host_port(one);
        if (!address) detail::fail(item_path, address.message());
        c.cluster_nodes.push_back(to_string(address.value()));
      }
    }
    if (c.cluster_nodes.empty()) detail::fail(path, "names no node: give at least one \"host:port\", or leave it out for one Redis");
    if (c.db != 0) r.fail_at("db", "must be 0 with cluster_nodes: a Redis Cluster has only database 0");
    // The ledger's hash tags are the first {...} of a key: a brace in the prefix would make the tag
    // the prefix's (every key in one slot) or half of it (a record and its bucket in two slots).
    if (c.key_prefix.find_first_of("{}") != std::string::npos)
      r.fail_at("key_prefix", "must hold no '{' or '}' with cluster_nodes: the ledger's keys carry their own hash tags (got " +
                                  quote(c.key_prefix) + ")");
  }
  if (const rapidjson::Value* tls = r.find_object("tls"))
    c.tls = read_redis_tls(object_reader(*tls, r.path_of("tls"), r.getenv(),
                                         {"enabled", "ca_file", "server_name", "verify_peer", "cert_file", "key_file"}));
  return c;
}

ledger_config read_ledger(const object_reader& r) {
  ledger_config c;
  r.read_uint("retention_hours", c.retention_hours, 1, 8760);
  std::string offset;
  if (r.read_string("quota_utc_offset", offset, {.max_length = 16}) &&
      !herald::time::parse_utc_offset(offset, c.quota_utc_offset_minutes))
    r.fail_at("quota_utc_offset", "must be a UTC offset like \"+08:00\", \"-05:30\" or \"Z\" (got " + quote(offset) + ")");
  std::string key;
  // Empty (e.g. "${HERALD_RECIPIENT_HASH_KEY:-}" unset) counts as not configured: check_for_run
  // refuses that with its own message.
  if (r.read_string("recipient_hash_key", key, {.is_secret = true, .may_be_empty = true}) && !key.empty()) {
    if (key.size() < min_recipient_hash_key_bytes)
      r.fail_at("recipient_hash_key", "too short (" + std::to_string(key.size()) + " bytes, at least " +
                                          std::to_string(min_recipient_hash_key_bytes) +
                                          "; e.g. `openssl rand -hex 32`)");
    c.recipient_hash_key = crypto::hmac_sha256_key(key);
  }
  return c;
}

quota_config read_quota(const object_reader& r) {
  quota_config c;
  if (r.find_object("daily_limit")) c.daily_limit = detail::read_daily_limits(r, "daily_limit", c.daily_limit);
  return c;
}

batch_config read_batch(const object_reader& r) {
  batch_config c;
  r.read_uint("linger_ms", c.linger_ms, 0, 60000);
  r.read_uint("guard_batch_max", c.guard_batch_max, 1, 10000);
  return c;
}

retry_config read_retry(const object_reader& r) {
  retry_config c;
  r.read_uint("max_attempts", c.max_attempts, 1, 100);
  r.read_uint("backoff_base_ms", c.backoff_base_ms, 1, 3600000);
  r.read_uint("backoff_cap_ms", c.backoff_cap_ms, 1, 86400000);
  if (c.backoff_cap_ms < c.backoff_base_ms)
    r.fail_at(r.has("backoff_cap_ms") ? "backoff_cap_ms" : "backoff_base_ms",
              "backoff_cap_ms (" + std::to_string(c.backoff_cap_ms) + ") must not be less than backoff_base_ms (" +
                  std::to_string(c.backoff_base_ms) + ")");
  r.read_uint("max_in_process_delay_ms", c.max_in_process_delay_ms, 0, 600000);
  r.read_uint("receipt_grace_ms", c.receipt_grace_ms, 0, 86400000);
  r.read_uint("max_receipt_checks", c.max_receipt_checks, 1, 1000);
  r.read_uint("max_in_process_hold_ms", c.max_in_process_hold_ms, 1000, 3600000);
  r.read_uint("not_sent_budget_ms", c.not_sent_budget_ms, 0, 7 * 86400000u);
  return c;
}

http_config read_http(const object_reader& r) {
  http_config c;
  r.read_string("ca_file", c.ca_file, {.may_be_empty = true});
  r.read_bool("verify_peer", c.verify_peer);
  r.read_uint("connect_timeout_ms", c.connect_timeout_ms, 1, max_timeout_ms);
  r.read_uint("request_timeout_ms", c.request_timeout_ms, 1, max_timeout_ms);
  r.read_uint("max_connections_per_endpoint", c.max_connections_per_endpoint, 1, 1024);
  return c;
}

log_config read_log(const object_reader& r) {
  log_config c;
  if (r.read_string("level", c.level, {.max_length = 16}) && c.level != "debug" && c.level != "info" &&
      c.level != "warn" && c.level != "error")
    r.fail_at("level", "must be one of \"debug\", \"info\", \"warn\", \"error\" (got " + quote(c.level) + ")");
  return c;
}

// "host:port" with an IP address host (the admin endpoint binds it, nothing resolves it).
admin_config read_admin(const object_reader& r) {
  admin_config c;
  if (!r.read_string("listen", c.listen, {.may_be_empty = true, .max_length = 64}) || c.listen.empty()) return c;
  const auto colon = c.listen.rfind(':');
  const std::string port = colon == std::string::npos ? "" : c.listen.substr(colon + 1);
  const bool is_port = !port.empty() && port.size() <= 5 &&
                       port.find_first_not_of("0123456789") == std::string::npos && std::stoul(port) <= 65535;
  if (colon == std::string::npos || colon == 0 || !is_port)
    r.fail_at("listen", "must be host:port with an IP address, e.g. \"0.0.0.0:9464\" (got " + quote(c.listen) + ")");
  return c;
}

shutdown_config read_shutdown(const object_reader& r) {
  shutdown_config c;
  r.read_uint("drain_timeout_ms", c.drain_timeout_ms, 0, 3600000);
  return c;
}

rate_limit_config read_rate_limit(const object_reader& r) {
  rate_limit_config c;
  r.read_bool("shared", c.shared);
  r.read_uint("fallback_pods", c.fallback_pods, 1, 1000);
  // Only the shared budget has a degraded mode: a floor for it with sharing off would do nothing.
  if (!c.shared && r.has("fallback_pods"))
    r.fail_at("fallback_pods", "only applies with \"shared\": true (each pod has its own limit without it)");
  return c;
}

}  // namespace

namespace {

// Runs read(section) when the section is present (absent sections keep every default).
template <class Config, class Read>
void read_section(const object_reader& root, std::string_view key, Config& out, Read read,
                  std::initializer_list<std::string_view> known) {
  if (const rapidjson::Value* v = root.find(key)) out = read(object_reader(*v, root.path_of(key), root.getenv(), known));
}

std::string line_and_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace

daily_limits detail::read_daily_limits(const object_reader& parent, std::string_view key, daily_limits start) {
  object_reader r(*parent.find(key), parent.path_of(key), parent.getenv(), {"transactional", "marketing"});
  r.read_uint("transactional", start.transactional, 0, 1000000);
  r.read_uint("marketing", start.marketing, 0, 1000000);
  return start;
}

herald_config parse_config(std::string_view json_text, const getenv_function& getenv) {
  // Iterative and depth-bounded (util/json_parse.hpp); a NUL byte anywhere is named, never taken
  // for the end of the text.
  rapidjson::Document doc;
  if (auto e = json::parse_dom(doc, json_text)) throw config_error("", e.message(line_and_column(json_text, e.offset)));
  if (!doc.IsObject()) throw config_error("", "the config must be a JSON object (got " + detail::describe(doc) + ")");

  object_reader root(doc, "", getenv, {"kafka", "redis", "ledger", "quota", "batch", "retry", "http", "log", "admin", "shutdown", "rate_limit", "accounts"});
  herald_config cfg;
  read_section(root, "kafka", cfg.kafka, read_kafka,
               {"brokers", "group_id", "client_id", "topics", "results_topic", "dlq_topic", "retry_topic", "delay_topic",
                "session_timeout_ms", "max_in_flight", "max_in_flight_per_partition", "max_in_flight_per_account",
                "max_in_flight_bytes", "max_event_bytes", "commit_interval_ms", "transactions", "transactional_id",
                "transaction_interval_ms", "transaction_timeout_ms", "consumer_properties", "producer_properties"});
  read_section(root, "redis", cfg.redis, read_redis,
               {"host", "port", "cluster_nodes", "username", "password", "db", "key_prefix", "connect_timeout_ms",
                "command_timeout_ms", "reconnect_backoff_min_ms", "reconnect_backoff_max_ms", "tls"});
  read_section(root, "ledger", cfg.ledger, read_ledger, {"retention_hours", "quota_utc_offset", "recipient_hash_key"});
  read_section(root, "quota", cfg.quota, read_quota, {"daily_limit"});
  read_section(root, "batch", cfg.batch, read_batch, {"linger_ms", "guard_batch_max"});
  read_section(root, "retry", cfg.retry, read_retry,
               {"max_attempts", "backoff_base_ms", "backoff_cap_ms", "max_in_process_delay_ms", "receipt_grace_ms",
                "max_receipt_checks", "max_in_process_hold_ms", "not_sent_budget_ms"});
  read_section(root, "http", cfg.http, read_http,
               {"ca_file", "verify_peer", "connect_timeout_ms", "request_timeout_ms", "max_connections_per_endpoint"});
  read_section(root, "log", cfg.log, read_log, {"level"});
  read_section(root, "admin", cfg.admin, read_admin, {"listen"});
  read_section(root, "shutdown", cfg.shutdown, read_shutdown, {"drain_timeout_ms"});
  read_section(root, "rate_limit", cfg.rate_limit, read_rate_limit, {"shared", "fallback_pods"});

  const rapidjson::Value* accounts = root.find_object("accounts");
  if (accounts == nullptr) detail::fail("accounts", "missing (at least one account is required)");
  if (accounts->MemberCount() == 0) detail::fail("accounts", "at least one account is required");
  for (auto it = accounts->MemberBegin(); it != accounts->MemberEnd(); ++it) {
    std::string name(view(it->name));
    std::string path = detail::join_path("accounts", name);
    if (!is_valid_account_name(name))
      detail::fail(path, "an account name must be 1 to 64 of a-z A-Z 0-9 . _ -");
    if (cfg.accounts.contains(name)) detail::fail(path, "given more than once");
    object_reader r(it->value, path, getenv,
                    {"gateway", "endpoint", "allow_plain_http", "app_id", "app_key", "access_key_id", "app_secret",
                     "access_key_secret", "seller_nick", "session", "sign_method", "region_id", "daily_limit",
                     "max_batch", "on_unknown", "rate_limit_qps", "max_concurrent_calls", "marketing_window",
                     "use_batch_api", "receipt_endpoint", "receipt_not_found_final_after_seconds"});
    cfg.accounts.emplace(name, detail::read_account(r, name, cfg.quota.daily_limit));
  }
  return cfg;
}

herald_config load_config_file(const std::string& path, const getenv_function& getenv) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error("", "cannot read config file " + quote(path) + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw config_error("", "cannot read config file " + quote(path));
  return parse_config(text.str(), getenv);
}

}  // namespace herald::config
