#pragma once
// The ledger and quota in Redis (docs/ledger.md): one round trip reserves a batch, one marks a
// call's items written before its first byte goes out, one records what the call did.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "herald/ledger/ledger_keys.hpp"
#include "herald/ledger/ledger_record.hpp"
#include "herald/util/result.hpp"

namespace herald::redis {
class client;
class script;
}  // namespace herald::redis

namespace herald::ledger {

// The store's Redis round trips, as tags of redis::client::exec (for the Redis latency metric by
// operation, docs/operations.md): 0 is every other caller's.
enum class round_trip : std::uint8_t { other, reserve, mark_written, settle };
inline constexpr int round_trip_count = 4;
inline constexpr const char* round_trip_names[round_trip_count] = {"other", "reserve", "mark_written", "settle"};

enum class reserve_mode {
  fresh,   // a new attempt: an absent record is created (and the quota charged), an `r` taken over
  resend,  // a receipt check proved the attempt from this source sent nothing: its `c` or `u`
           // record becomes the caller's `r` again (the quota day charged stays; nothing charged)
};

struct reserve_item {
  const item_keys* keys;
  std::uint32_t daily_limit;  // 0: no quota
  std::string_view source;    // source_id of the consumed record (ledger_keys.hpp)
  reserve_mode mode = reserve_mode::fresh;
};

enum class verdict {
  reserved,    // the caller's `r` now: new, taken over from an owner that never wrote it, or the
               // caller's own already (a retry after a lost answer)
  over_quota,  // the recipient's daily limit is reached; nothing was reserved
  found,       // a record the caller may not take: `found` says which (the pipeline decides)
};

struct reserve_answer {
  verdict v = verdict::reserved;
  record found;               // verdict::found: the record (written, checking, unknown or sent)
  bool is_taken_over = false; // verdict::reserved: from another owner's `r`
};

// An item of a gateway call, marked written before the request goes out.
struct write_item {
  const item_keys* keys;
  std::string_view owner;        // the reserve's owner token
  std::string_view source;
  std::string_view call_out_id;  // the call's OutId ("" when the gateway has none)
};

struct write_answer {
  bool is_written = false;  // the record is the caller's `w` now (or already was: a lost answer)
  record found;             // not written: the record found instead (taken over, gone, settled)
};

enum class settle_op {
  sent,      // `s<src>|<message id>`, over anything
  checking,  // `c`: fate unknown, a receipt check follows; over anything but `s`
  unknown,   // `u`: fate unknown for good; over anything but `s`
  not_sent,  // the call was definitely not written (or refused): the owner's `w` becomes its `r`
  failed,    // definitely not sent, for good: the owner's `r`/`w` is deleted, its quota day refunded
};

struct settle_item {
  const item_keys* keys;
  settle_op op;
  std::string_view owner;        // not_sent, failed: only the owner's record is changed
  std::string_view source;       // sent, checking, unknown
  std::string_view message_id;   // sent
  std::int64_t at_seconds = 0;   // checking, unknown: the call's time
  std::string_view call_out_id;  // checking, unknown
};

class store {
 public:
  // Records are found for at least retention_hours (ledger_layout: whole UTC days, rounded up).
  // hash_tags: the keys of a Redis Cluster (ledger_layout::hash_tags); each call is then split by
  // slot, one script call per slot, all sent in one exec (which pipelines each node's share).
  store(redis::client& client, std::string_view key_prefix, std::uint32_t retention_hours, bool hash_tags = false);
  ~store();
  const ledger_layout& layout() const { return layout_; }
  // Every item's keys->period must be now_seconds' period (new records go into that period's
  // bucket, where later calls look); an item with another period is an error, nothing is
  // reserved. `owner` (no '|') names this attempt: retried after a lost answer with the same
  // owner, the reserve answers `reserved` again and charges nothing twice.
  boost::asio::awaitable<result<std::vector<reserve_answer>>> reserve(std::span<const reserve_item> items,
                                                                      std::string_view owner,
                                                                      std::int64_t now_seconds,
                                                                      std::int64_t quota_ttl_seconds);
  // Turns each item's `r` (or its own earlier `w`) into `w<call_seconds>|...`, atomically per
  // item; an item whose record is not the owner's is not written, and must not be sent.
  // Idempotent: retried after a lost answer, the same items are answered written.
  boost::asio::awaitable<result<std::vector<write_answer>>> mark_written(std::span<const write_item> items,
                                                                         std::int64_t call_seconds);
  // Records what a gateway call (or a receipt check, or a policy) decided for each item.
  // Idempotent: retried after a lost answer, nothing changes twice (a quota is refunded once).
  boost::asio::awaitable<status> settle(std::span<const settle_item> items);

 private:
  redis::client& client_;
  std::string base_;  // "<prefix>l:"
  ledger_layout layout_;
  std::string period_seconds_;
  std::string bucket_ttl_;
  std::unique_ptr<redis::script> reserve_;
  std::unique_ptr<redis::script> write_;
  std::unique_ptr<redis::script> settle_;
  // Buckets a settle may have created whose TTL is not confirmed yet (a failed round trip): given
  // one with the next settle, so that no bucket is left to live forever.
  std::unordered_set<std::string> untimed_buckets_;

  std::string bucket_key(const item_keys& k) const;
  void append_bucket_key(std::string& out, const item_keys& k) const;
  std::string bucket_key_of_period(const item_keys& k, std::int32_t period) const;
  // reserve() with hash tags: `args` are the whole batch's, as for one call.
  boost::asio::awaitable<result<std::vector<reserve_answer>>> reserve_by_slot(std::span<const reserve_item> items,
                                                                              std::span<const std::string_view> args);
};

}  // namespace herald::ledger
