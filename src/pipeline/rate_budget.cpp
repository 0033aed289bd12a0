#include "herald/pipeline/rate_budget.hpp"

#include <algorithm>
#include <string>

#include "herald/metrics/exposition.hpp"
#include "herald/redis/client.hpp"
#include "herald/redis/script.hpp"

namespace herald::pipeline {

const std::string& rate_budget_script() {
  // KEYS[1] the bucket hash {l = level in thousandths of a token, t = when, ms on Redis's clock},
  // KEYS[2] the pods set (score: the last lease's time). ARGV: rate per second, burst, want, pod,
  // pods window ms, key TTL ms. Answers {granted, refill ms, pods}.
  // Whole thousandths of a token per millisecond (as flow::token_bucket): integers all the way,
  // far below 2^53, and written with %.0f so that no number is cut to Lua's 14 digits.
  static const std::string text = R"LUA(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local cap = tonumber(ARGV[2]) * 1000
local want = tonumber(ARGV[3])
if want * 1000 > cap then want = cap / 1000 end
local s = redis.call('HMGET', KEYS[1], 'l', 't')
local level = tonumber(s[1])
local last = tonumber(s[2])
-- A new bucket starts full. A clock that went back more than a second (a failover to a server
-- whose clock is behind) restarts the refill from now rather than stalling until it catches up.
if level == nil or last == nil or now < last - 1000 then
  if level == nil then level = cap end
  last = now
end
if now > last then
  level = math.min(cap, level + (now - last) * rate)
  last = now
end
if level > cap then level = cap end
local granted = math.floor(level / 1000)
if granted > want then granted = want end
if granted < 0 then granted = 0 end
level = level - granted * 1000
local refill = 0
if level < want * 1000 then refill = math.ceil((want * 1000 - level) / rate) end
redis.call('HSET', KEYS[1], 'l', string.format('%.0f', level), 't', string.format('%.0f', last))
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('ZADD', KEYS[2], string.format('%.0f', now), ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('(%.0f', now - tonumber(ARGV[5])))
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return {granted, refill, redis.call('ZCARD', KEYS[2])}
)LUA";
  return text;
}

rate_budget::rate_budget(redis::client& client, std::string_view key_prefix)
    : client_(client), base_(std::string(key_prefix) + "rate:"), script_(std::make_unique<redis::script>(rate_budget_script())) {}

rate_budget::~rate_budget() = default;

std::string rate_budget::bucket_key(std::string_view account) const {
  std::string key = base_;
  key.append("{").append(account).append("}");
  return key;
}

std::string rate_budget::pods_key(std::string_view account) const { return bucket_key(account) + ":pods"; }

boost::asio::awaitable<result<lease_answer>> rate_budget::lease(std::string_view bucket_key, std::string_view pods_key,
                                                                 std::uint32_t rate, std::uint32_t burst,
                                                                 std::uint32_t want, std::string_view pod) {
  const std::string rate_text = std::to_string(rate);
  const std::string burst_text = std::to_string(burst);
  const std::string want_text = std::to_string(want);
  const std::string window_text = std::to_string(pods_window_ms);
  const std::string ttl_text = std::to_string(key_ttl_ms);
  const std::string_view keys[] = {bucket_key, pods_key};
  const std::string_view args[] = {rate_text, burst_text, want_text, pod, window_text, ttl_text};
  auto r = co_await client_.eval(*script_, keys, args, round_trip_tag);
  if (!r) co_return make_error("rate lease: " + r.message());
  const auto& rep = r.value();
  if (rep.is_error()) co_return make_error("rate lease: " + rep.str);
  if (rep.kind != redis::reply::type::array || rep.elements.size() != 3)
    co_return make_error("rate lease: unexpected reply " + redis::describe(rep));
  for (const auto& e : rep.elements)
    if (e.kind != redis::reply::type::integer || e.integer < 0)
      co_return make_error("rate lease: unexpected reply " + redis::describe(rep));
  lease_answer a;
  a.granted = static_cast<std::uint32_t>(std::min<long long>(rep.elements[0].integer, want));
  a.refill_ms = rep.elements[1].integer;
  a.pods = static_cast<std::uint32_t>(std::min<long long>(rep.elements[2].integer, 1000000));
  co_return a;
}

void append_shared_rate_metrics(std::string& out, std::span<const shared_rate_row> rows) {
  if (rows.empty()) return;
  metrics::append_header(out, "herald_rate_calls_total", "counter",
                         "Gateway calls of accounts with a shared rate limit, by where their token came from: leased "
                         "from the shared budget in Redis, or the pod's local share while the budget could not be "
                         "reached (degraded).");
  for (const auto& r : rows) {
    metrics::append_sample(out, "herald_rate_calls_total", {{"account", r.account}, {"source", "leased"}},
                           r.rate->stats().spent_leased);
    metrics::append_sample(out, "herald_rate_calls_total", {{"account", r.account}, {"source", "fallback"}},
                           r.rate->stats().spent_fallback);
  }
  metrics::append_header(out, "herald_rate_tokens_leased_total", "counter",
                         "Tokens this pod leased from its accounts' shared rate budgets.");
  for (const auto& r : rows)
    metrics::append_sample(out, "herald_rate_tokens_leased_total", {{"account", r.account}}, r.rate->stats().leased);
  metrics::append_header(out, "herald_rate_tokens_expired_total", "counter",
                         "Leased tokens dropped unspent when their lease ran out.");
  for (const auto& r : rows)
    metrics::append_sample(out, "herald_rate_tokens_expired_total", {{"account", r.account}}, r.rate->stats().expired);
  metrics::append_header(out, "herald_rate_leases_total", "counter",
                         "Lease requests to the shared rate budgets (one Redis round trip each), by result.");
  for (const auto& r : rows) {
    const auto& st = r.rate->stats();
    metrics::append_sample(out, "herald_rate_leases_total", {{"account", r.account}, {"result", "ok"}},
                           st.asks - st.failed_asks - (r.rate->is_asking() ? 1 : 0));
    metrics::append_sample(out, "herald_rate_leases_total", {{"account", r.account}, {"result", "failed"}},
                           st.failed_asks);
  }
  metrics::append_header(out, "herald_rate_budget_degraded", "gauge",
                         "1 while the account's shared rate budget cannot be reached and this pod sends at its local "
                         "share (rate_limit_qps / the pods assumed).");
  for (const auto& r : rows)
    metrics::append_sample(out, "herald_rate_budget_degraded", {{"account", r.account}},
                           std::uint64_t{r.rate->is_degraded() ? 1u : 0u});
  metrics::append_header(out, "herald_rate_pods_seen", "gauge",
                         "Pods that leased from the account's shared budget in its last answer's window (0: no answer yet).");
  for (const auto& r : rows)
    metrics::append_sample(out, "herald_rate_pods_seen", {{"account", r.account}}, std::uint64_t{r.rate->pods_seen()});
}

}  // namespace herald::pipeline
