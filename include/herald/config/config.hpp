#pragma once
// Herald's configuration: one struct per component, parsed once at start-up from one JSON file
// (docs/configuration.md documents every option). Defaults live here, in the member initialisers.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/util/hmac_sha256.hpp"

namespace herald::config {

enum class gateway_kind {
  fw199_taobao,  // 蜂巢 Taobao OAID batch (docs/gateways.md "fw199 Taobao OAID batch")
  fw199_douyin,  // 蜂巢 抖店 SMS batch (docs/gateways.md "fw199 抖店 SMS batch")
  top_oaid,      // Taobao TOP taobao.jst.sms.oaid.message.send (docs/gateways.md "TOP OAID send")
  aliyun_sms,    // Alibaba Cloud dysmsapi SendSms / SendBatchSms (docs/gateways.md)
  aliyun_card,   // Alibaba Cloud dysmsapi SendCardSms (docs/gateways.md)
};

// What to do with a send whose fate is unknown and which no receipt check can decide.
enum class unknown_policy { report_unknown, assume_sent, resend };

enum class category { transactional, marketing };

struct endpoint {
  std::string url;     // as configured, e.g. https://127.0.0.1:18443/jst/sms/oaid/send
  std::string scheme;  // "https" (or "http" only where allow_plain_http is set)
  std::string host;    // lower-case name or IPv4; an IPv6 literal without its [brackets]
  std::uint16_t port = 443;
  std::string target;  // path (+ query), "/" when empty
};

struct daily_limits {
  // Per recipient per quota day; 0 = no limit.
  std::uint32_t transactional = 20;
  std::uint32_t marketing = 3;
};

struct account_config {
  std::string name;  // the key in "accounts", which events name in their "account" field
  gateway_kind gateway = gateway_kind::fw199_taobao;
  herald::config::endpoint endpoint;
  // Credentials, by gateway: fw199: app_id + app_secret + seller_nick; top_oaid: app_key (in app_id)
  // + app_secret + session; aliyun: access_key_id (in app_id) + access_key_secret (in app_secret).
  std::string app_id;
  std::string app_secret;
  std::string seller_nick;
  std::string session;
  std::string sign_method = "md5";  // top_oaid: md5 | hmac | hmac-sha256
  std::string region_id = "cn-hangzhou";  // aliyun
  bool allow_plain_http = false;          // lets the endpoint be http:// (test rigs only)
  std::optional<daily_limits> daily_limit;  // overrides quota.daily_limit
  std::uint32_t max_batch = 100;            // clamped to the gateway's own maximum
  unknown_policy on_unknown = unknown_policy::report_unknown;
  // Calls per second to this account's gateway; 0 = the gateway's documented cap
  // (docs/gateways.md: Alibaba Cloud SendSms/SendBatchSms 5000, SendCardSms 1000; others none).
  std::uint32_t rate_limit_qps = 0;
  // Gateway calls in flight at once for this account.
  std::uint32_t max_concurrent_calls = 16;
  // Marketing messages only inside this local window (docs/gateways.md: 08:00-22:00 China time), as
  // minutes after midnight at quota_utc_offset; start == end means no window.
  std::uint16_t marketing_window_start_minute = 8 * 60;
  std::uint16_t marketing_window_end_minute = 22 * 60;
  // aliyun_sms: send through SendBatchSms (≤100 numbers a call, one BizId and one outcome for
  // the whole call) instead of one SendSms per event. Off by default: SendSms carries each
  // event's idempotency key in OutId, which the receipt check matches on.
  bool use_batch_api = false;
  // fw199_douyin: the gateway's send-result query (docs/gateways.md, unconfirmed); empty = none,
  // so the account's on_unknown policy decides ambiguous sends.
  std::optional<herald::config::endpoint> receipt_endpoint;
  // Gateways with a receipt query (aliyun_sms, aliyun_card; fw199_douyin with receipt_endpoint):
  // a send of unknown fate whose receipt is still missing this long after the send counts as
  // proof that nothing went out, so it is resent. 0 = never: it ends as the on_unknown policy says.
  std::uint32_t receipt_not_found_final_after_seconds = 0;
};

struct kafka_config {
  std::string brokers = "127.0.0.1:19092";
  std::string group_id = "herald";
  std::string client_id = "herald";
  std::vector<std::string> topics{"herald.events"};
  std::string results_topic = "herald.outcomes";
  std::string dlq_topic = "herald.dlq";
  // Where events wait without holding their source partition (docs/retries.md): short delays
  // (throttle backoff, receipt grace periods) and the marketing window. Herald consumes both.
  std::string retry_topic = "herald.retry";
  std::string delay_topic = "herald.delay";
  std::uint32_t session_timeout_ms = 45000;
  std::uint32_t max_in_flight = 20000;               // events consumed but not yet settled, overall
  // And per partition, enforced by pausing it. librdkafka 2.0 makes a pause costly (the prefetched
  // messages are dropped, fetched again, and fetching backs off), so by default it is as large as
  // the overall bound, which closes an intake gate instead (bench/README.md: 21.7k → 36k events/s).
  std::uint32_t max_in_flight_per_partition = 20000;
  // And per account (docs/retries.md, "One account's share"): an account holding this many that
  // is not draining them has its newly consumed events wait on the retry topic, so that a paused
  // or slow account cannot take the whole window. Absent in the file: half of max_in_flight.
  std::uint32_t max_in_flight_per_account = 10000;
  // And in bytes (value + key of the consumed records), so that large events cannot hold
  // max_in_flight times their size.
  std::uint32_t max_in_flight_bytes = 64 * 1024 * 1024;
  // A consumed record (value + key) larger than this is invalid before it is decoded; it also
  // bounds the retry envelopes Herald writes (checked against message.max.bytes at start-up).
  std::uint32_t max_event_bytes = 64 * 1024;
  std::uint32_t commit_interval_ms = 1000;
  // Outcomes, DLQ copies, retry envelopes and the consumed offsets they settle are committed
  // together in Kafka transactions (KIP-447), so that a read_committed reader sees exactly one
  // outcome per consumed record across crashes and rebalances. false: an idempotent producer and
  // the consumer's periodic commit of stored offsets (commit_interval_ms).
  bool transactions = true;
  // Empty: "<group_id>-<instance>", the instance from POD_NAME, else HOSTNAME, else the host name:
  // stable across restarts of one pod, so that the next start aborts what the last left open.
  std::string transactional_id;
  std::uint32_t transaction_interval_ms = 100;  // how often the open transaction is committed
  // librdkafka's transaction.timeout.ms: the broker aborts a vanished pod's open transaction
  // after this long (its partitions' records and offsets wait for that meanwhile).
  std::uint32_t transaction_timeout_ms = 60000;
  std::map<std::string, std::string> consumer_properties;  // passed to librdkafka as they are
  std::map<std::string, std::string> producer_properties;
};

// TLS to Redis (redis.tls): off by default; when on, the server is verified like a gateway is
// (http_config), against ca_file and server_name.
struct redis_tls_config {
  bool enabled = false;
  std::string ca_file;      // empty: the system's trust store
  std::string server_name;  // SNI and the name checked against the certificate; empty: redis.host
  bool verify_peer = true;
  std::string cert_file;  // client certificate (PEM, may hold the chain) for mutual TLS; with key_file
  std::string key_file;
};

struct redis_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  // Redis Cluster seed nodes ("host:port", validated): when not empty Herald runs on a cluster
  // (host and port are then not used), learns the slot map from one of them and routes every
  // command to its slot's primary; keys carry hash tags (docs/ledger.md, "Redis Cluster").
  std::vector<std::string> cluster_nodes;
  bool is_cluster() const noexcept { return !cluster_nodes.empty(); }
  std::string username;
  std::string password;
  std::uint32_t db = 0;
  std::string key_prefix = "herald:";
  std::uint32_t connect_timeout_ms = 2000;
  std::uint32_t command_timeout_ms = 2000;
  std::uint32_t reconnect_backoff_min_ms = 100;
  std::uint32_t reconnect_backoff_max_ms = 5000;
  redis_tls_config tls;
};

struct ledger_config {
  std::uint32_t retention_hours = 72;  // how long a sent notification blocks a resend
  int quota_utc_offset_minutes = 480;  // "quota_utc_offset": "+08:00"
  // The secret that recipients are hashed with (quota keys, derived event ids: docs/ledger.md,
  // "Recipient hashes"), kept only as its HMAC states. Empty when the file sets none, which
  // `herald run` and `check-config` refuse (config::check_for_run).
  crypto::hmac_sha256_key recipient_hash_key;
};

struct quota_config {
  daily_limits daily_limit;  // defaults for every account
};

struct batch_config {
  std::uint32_t linger_ms = 20;
  std::uint32_t guard_batch_max = 500;  // events per ledger round trip
};

// Retries and receipt checks (docs/retries.md).
struct retry_config {
  std::uint32_t max_attempts = 5;          // send attempts of a throttled / never-sent event
  std::uint32_t backoff_base_ms = 200;     // full-jitter exponential backoff
  std::uint32_t backoff_cap_ms = 60000;
  // Waits up to this long happen in the worker; longer ones go through retry_topic.
  std::uint32_t max_in_process_delay_ms = 5000;
  std::uint32_t receipt_grace_ms = 5000;   // before each receipt check (receipts lag)
  std::uint32_t max_receipt_checks = 6;    // checks that find nothing before on_unknown decides
  // An event waiting in the worker for its account's call limits waits at most this long, then on
  // retry_topic, so that its partition's commit goes on (docs/retries.md, "Holding a partition").
  std::uint32_t max_in_process_hold_ms = 30000;
  // A gateway that cannot be reached (connect refused, every connection busy) costs an event no
  // attempt, only time: past this long since it was first consumed it fails (docs/retries.md, "Brown-outs").
  std::uint32_t not_sent_budget_ms = 6 * 3600 * 1000;
};

struct http_config {
  std::string ca_file;  // empty: the system's trust store
  bool verify_peer = true;
  std::uint32_t connect_timeout_ms = 3000;
  std::uint32_t request_timeout_ms = 10000;
  std::uint32_t max_connections_per_endpoint = 8;
};

struct admin_config {
  // "host:port" of the metrics and probe endpoints (/metrics, /healthz, /readyz); "" = off.
  std::string listen;
};

struct log_config {
  std::string level = "info";
};

struct shutdown_config {
  // How long SIGTERM waits for in-flight events to settle before leaving the rest to be consumed
  // again; the pod's terminationGracePeriodSeconds must be longer (docs/operations.md).
  std::uint32_t drain_timeout_ms = 30000;
};

// Gateway rate limits (docs/retries.md, "Shared rate limits"): an account's rate_limit_qps is its
// limit across all pods, leased in chunks from a token bucket in Redis.
struct rate_limit_config {
  bool shared = true;  // false: each pod sends up to rate_limit_qps by itself (N pods, N times it)
  // While the budget cannot be reached, each pod sends rate_limit_qps / max(pods the budget saw
  // lately, fallback_pods): set it to the most pods you run to be safe when pods start mid-outage.
  std::uint32_t fallback_pods = 1;
};

struct herald_config {
  kafka_config kafka;
  redis_config redis;
  ledger_config ledger;
  quota_config quota;
  batch_config batch;
  retry_config retry;
  http_config http;
  log_config log;
  admin_config admin;
  shutdown_config shutdown;
  rate_limit_config rate_limit;
  std::map<std::string, account_config, std::less<>> accounts;

  const account_config* find_account(std::string_view name) const {
    auto it = accounts.find(name);
    return it == accounts.end() ? nullptr : &it->second;
  }

  // The account's own daily_limit if it has one, else quota.daily_limit.
  const daily_limits& daily_limit_for(const account_config& account) const {
    return account.daily_limit ? *account.daily_limit : quota.daily_limit;
  }
};

std::string_view to_string(gateway_kind k);
std::string_view to_string(unknown_policy p);
std::string_view to_string(category c);

// The inverse of to_string: the config/event spelling ("fw199_taobao", "report_unknown",
// "marketing") to the enum; nullopt for anything else (exact, case-sensitive match).
std::optional<gateway_kind> parse_gateway_kind(std::string_view text);
std::optional<unknown_policy> parse_unknown_policy(std::string_view text);
std::optional<category> parse_category(std::string_view text);

}  // namespace herald::config
