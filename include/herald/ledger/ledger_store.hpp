#pragma once
// The ledger and quota in Redis: one round trip per batch (docs/ledger.md).
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "herald/ledger/ledger_keys.hpp"
#include "herald/ledger/ledger_script.hpp"
#include "herald/util/result.hpp"

namespace herald::redis {
class client;
class script;
}  // namespace herald::redis

namespace herald::ledger {

struct reserve_item {
  const item_keys* keys;
  std::uint32_t daily_limit;  // 0: no quota
};

struct settle_item {
  const item_keys* keys;
  std::uint32_t daily_limit;
  settle_op op;
  std::string_view message_id;
};

class store {
 public:
  // Records are found for at least retention_hours (ledger_layout: whole UTC days, rounded up).
  store(redis::client& client, std::string_view key_prefix, std::uint32_t retention_hours);
  ~store();
  const ledger_layout& layout() const { return layout_; }
  // Every item's keys->period must be now_seconds' period (new records go into that period's
  // bucket, where the settle looks); an item with another period is an error, nothing is reserved.
  boost::asio::awaitable<result<std::vector<reserve_answer>>> reserve(std::span<const reserve_item> items,
                                                                      std::int64_t now_seconds,
                                                                      std::int64_t quota_ttl_seconds);
  // Records what a gateway call did to each item: sent and unknown are written (pipelined HSETs,
  // one round trip), definite failures released and refunded (the release script).
  boost::asio::awaitable<status> settle(std::span<const settle_item> items);

 private:
  redis::client& client_;
  std::string base_;         // "<prefix>l:"
  ledger_layout layout_;
  std::string period_seconds_;
  std::string bucket_ttl_;
  std::unique_ptr<redis::script> reserve_;
  std::unique_ptr<redis::script> release_;
  // Buckets a settle may have created whose TTL is not confirmed yet (a failed round trip): given
  // one with the next settle, so that no bucket is left to live forever. A set: at most one entry
  // per bucket however long Redis stays away.
  std::unordered_set<std::string> untimed_buckets_;

  std::string bucket_key(const item_keys& k) const;
  void append_bucket_key(std::string& out, const item_keys& k) const;
};

}  // namespace herald::ledger
