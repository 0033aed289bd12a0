#pragma once
// The ledger and quota in Redis: one script call per batch (ARCHITECTURE.md, The ledger).
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
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
  // Records are found for at least retention_hours (whole UTC days, rounded up).
  store(redis::client& client, std::string_view key_prefix, std::uint32_t retention_hours);
  ~store();
  // Every item's keys->day must be now_seconds' UTC day (new records go into that day's bucket,
  // where the settle looks); an item with another day is an error, nothing is reserved.
  boost::asio::awaitable<result<std::vector<reserve_answer>>> reserve(std::span<const reserve_item> items,
                                                                      std::int64_t now_seconds,
                                                                      std::int64_t quota_ttl_seconds);
  boost::asio::awaitable<status> settle(std::span<const settle_item> items);

 private:
  redis::client& client_;
  std::string base_;         // "<prefix>l:"
  std::string lookback_days_;
  std::string bucket_ttl_;
  std::unique_ptr<redis::script> reserve_;
  std::unique_ptr<redis::script> settle_;
};

}  // namespace herald::ledger
