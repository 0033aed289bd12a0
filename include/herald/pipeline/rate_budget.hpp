#pragma once
// The Redis side of an account's shared rate limit (flow/shared_rate.hpp is the pod's side;
// docs/retries.md, "Shared rate limits"): one token bucket per account in a hash at
// `<key_prefix>rate:{<account>}`, refilled at the account's rate on Redis's own clock (TIME), so
// the pods' clocks do not matter, and a sorted set `<key_prefix>rate:{<account>}:pods` of the pods
// that leased lately (the degraded share's divisor). Both keys carry the account as a hash tag,
// so they live in one Redis Cluster slot and one script call touches one node; the bucket key is
// the script's first KEY, which a cluster client routes by.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <span>
#include <string_view>

#include "herald/flow/shared_rate.hpp"
#include "herald/util/result.hpp"

namespace herald::redis {
class client;
class script;
}  // namespace herald::redis

namespace herald::pipeline {

struct lease_answer {
  std::uint32_t granted = 0;  // tokens leased, 0..asked
  std::int64_t refill_ms = 0; // until the bucket holds as many as were asked again (0: it does)
  std::uint32_t pods = 0;     // pods that leased within rate_budget::pods_window_ms, this one included
};

class rate_budget {
 public:
  // The tag of the lease round trips (redis::client::on_round_trip), after the ledger's.
  static constexpr std::uint8_t round_trip_tag = 4;
  static constexpr std::int64_t pods_window_ms = 30000;
  // The keys outlive their last lease by this long: an idle account's bucket is full again long
  // before, so a new one is the same; the pods set forgets everyone.
  static constexpr std::int64_t key_ttl_ms = 60000;

  rate_budget(redis::client& client, std::string_view key_prefix);
  ~rate_budget();

  // "<key_prefix>rate:{<account>}" (account names hold no braces: config validates them).
  std::string bucket_key(std::string_view account) const;
  std::string pods_key(std::string_view account) const;

  // Leases up to `want` tokens (at most burst) from the bucket of `rate` tokens per second and
  // `burst` capacity; `pod` names this process in the pods set. Fails when Redis cannot be asked
  // or answers with an error (the caller degrades: flow::shared_rate::on_failed).
  boost::asio::awaitable<result<lease_answer>> lease(std::string_view bucket_key, std::string_view pods_key,
                                                      std::uint32_t rate, std::uint32_t burst, std::uint32_t want,
                                                      std::string_view pod);

 private:
  redis::client& client_;
  std::string base_;
  std::unique_ptr<redis::script> script_;
};

// The Lua text, for the tests that run it against a real Redis.
const std::string& rate_budget_script();

// One account's shared rate, for /metrics.
struct shared_rate_row {
  std::string_view account;
  const flow::shared_rate* rate = nullptr;
};
// herald_rate_calls_total{account,source="leased"|"fallback"} (calls made on a leased token, or on
// the local share while the budget could not be reached), herald_rate_tokens_leased_total,
// herald_rate_tokens_expired_total, herald_rate_leases_total{account,result="ok"|"failed"},
// herald_rate_budget_degraded and herald_rate_pods_seen (docs/operations.md, Metrics).
void append_shared_rate_metrics(std::string& out, std::span<const shared_rate_row> rows);

}  // namespace herald::pipeline
