// In-memory record of accepted items, the per-number daily limit and the /_sim/stats counters.
// Single-threaded (the simulator runs one io_context thread).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace gwsim {

struct ItemKey {
  std::string_view appid;
  std::string_view seller;  // tb_seller_nick
  std::string_view order_id;
  std::string_view template_code;
  std::string_view oaid;
};

// Reasons used as keys of items_rejected / calls_rejected in /_sim/stats.
namespace reason {
inline constexpr std::string_view invalid_appid = "invalid_appid";
inline constexpr std::string_view missing_field = "missing_field";
inline constexpr std::string_view bad_form = "bad_form";
inline constexpr std::string_view bad_timestamp = "bad_timestamp";
inline constexpr std::string_view invalid_sign = "invalid_sign";
inline constexpr std::string_view bad_request_data = "bad_request_data";
inline constexpr std::string_view invalid_item = "invalid_item";  // missing/ill-typed item field
inline constexpr std::string_view template_not_found = "template_not_found";
inline constexpr std::string_view daily_limit = "daily_limit";
}  // namespace reason

struct Counters {
  std::uint64_t requests = 0;  // send calls received (every send endpoint), faulted ones included
  std::uint64_t items_accepted = 0;
  std::map<std::string, std::uint64_t, std::less<>> items_rejected;
  std::map<std::string, std::uint64_t, std::less<>> calls_rejected;
  std::uint64_t fault_5xx = 0;
  std::uint64_t fault_reset = 0;
  std::uint64_t fault_drop_answer = 0;
  std::uint64_t fault_slow = 0;
  std::uint64_t max_batch_seen = 0;  // largest request_data array parsed (even if rejected)
  std::uint64_t throttled = 0;       // send calls refused by the per-account cap (--rate-limit-qps)
  // The most send calls of one account that arrived within any sliding 1000 ms (RateWindow),
  // refused ones included: what the client offered, not what the cap let through.
  std::uint64_t max_calls_per_second = 0;

  void reject_item(std::string_view why) { bump(items_rejected, why); }
  void reject_call(std::string_view why) { bump(calls_rejected, why); }

 private:
  static void bump(std::map<std::string, std::uint64_t, std::less<>>& m, std::string_view k);
};

// The calendar day (UTC+8, as the gateway counts it) containing Unix time `unix_seconds`.
std::int64_t china_day(std::int64_t unix_seconds);

// Receipt timing (--receipt-hide-ms, --receipt-delay-ms; README "Receipts"): a send accepted at
// `accepted_at_ms` is absent from receipt answers for `hide_ms`, then reported as waiting for the
// carrier (status 1) until `delay_ms` after acceptance, then with its final status. 0 = no wait.
inline bool receipt_is_visible(std::int64_t accepted_at_ms, std::int64_t now_ms, std::uint32_t hide_ms) {
  return hide_ms == 0 || now_ms - accepted_at_ms >= hide_ms;
}
inline int reported_receipt_status(int final_status, std::int64_t accepted_at_ms, std::int64_t now_ms,
                                   std::uint32_t delay_ms) {
  return delay_ms != 0 && now_ms - accepted_at_ms < delay_ms ? 1 : final_status;
}

class Store {
 public:
  // Room for a benchmark's worth of sends up front: growing the index rehashes every record it
  // holds, which showed as the simulator's largest cost in 1M-event runs.
  Store() {
    index_.reserve(1 << 20);
    daily_.reserve(1 << 18);
  }

  // Accepts the item unless its number already reached `daily_limit` acceptances on `day`
  // (0 = no limit). The limit counts per (appid, seller, template_code, oaid) and day.
  // Returns false, recording nothing, when the limit is reached.
  bool try_accept(const ItemKey& item, std::int64_t day, std::uint32_t daily_limit);

  // How many acceptances count against the daily limit of this item's number on `day` (what
  // try_accept compares with the limit); lets a whole-call check run before anything is accepted.
  std::uint32_t accepted_today(const ItemKey& item, std::int64_t day) const;

  // How many times exactly this (appid, seller, order_id, template_code, oaid) was accepted.
  std::uint32_t accepted_count(const ItemKey& item) const;

  std::uint64_t accepted_unique() const { return records_.size(); }
  std::uint64_t duplicates() const { return duplicates_; }

  // The message_id of an accepted 抖店 item and when it was accepted (Unix ms), for its
  // send-result query (fw199_douyin.hpp).
  void remember_message_id(std::string id, std::int64_t accepted_at_ms = 0) {
    message_ids_.insert_or_assign(std::move(id), accepted_at_ms);
  }
  bool knows_message_id(std::string_view id) const { return message_ids_.count(std::string(id)) != 0; }
  std::optional<std::int64_t> message_id_accepted_at_ms(std::string_view id) const {
    const auto it = message_ids_.find(std::string(id));
    if (it == message_ids_.end()) return std::nullopt;
    return it->second;
  }

  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }

  // Forgets every record, the daily counts and all counters.
  void reset();

  // The /_sim/stats document.
  std::string stats_json() const;
  // The /_sim/accepted document: records in first-acceptance order.
  std::string accepted_json() const;

 private:
  struct Record {
    std::string key;  // appid|seller|order_id|template_code|oaid
    std::uint32_t len[4];  // lengths of appid, seller, order_id, template_code within key
    std::uint32_t count;
  };

  static std::string make_key(const ItemKey& item);
  static std::uint64_t daily_key(const ItemKey& item);

  std::deque<Record> records_;  // deque: elements never move, so the index may point into it
  std::unordered_map<std::string_view, Record*> index_;
  std::uint64_t duplicates_ = 0;
  std::int64_t daily_day_ = 0;
  std::unordered_map<std::uint64_t, std::uint32_t> daily_;  // hashed number key -> count today
  Counters counters_;
  std::unordered_map<std::string, std::int64_t> message_ids_;  // 抖店 message id -> accepted at (Unix ms)
};

}  // namespace gwsim
