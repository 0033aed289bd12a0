#pragma once
// Where the ledger and the quota live in Redis. Recipients and idempotency keys are stored only
// as hashes (ARCHITECTURE.md, promise 5).
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/model/event.hpp"

namespace herald::ledger {

// Ledger records live as fields of day buckets: hashes named <prefix>l:<UTC day>:<bucket>, one
// field per notification. Thousands of small hashes (listpack-encoded) cost a fraction of one key
// with its own TTL per record, and a whole day expires at once (bench/README.md, Redis memory).
inline constexpr unsigned ledger_buckets_per_day = 8192;  // ~120 records a bucket at 1M a day

struct item_keys {
  std::string ledger;  // the record's id: 4 hex digits of bucket + 12 bytes of hash (binary)
  std::string quota;   // the recipient's counter for this account, category and quota day
  // The UTC day (days since 1970) whose bucket the settle writes to: the reserve's day, which the
  // guard sets from the time it passes to the reserve (a new record goes into that day's bucket).
  std::int32_t day = 0;
};

// now_seconds decides the quota day, a calendar day at offset_minutes east of UTC.
item_keys make_keys(std::string_view prefix, const model::event& e, std::int64_t now_seconds, int offset_minutes);

// Seconds a quota counter must live: to the end of its quota day, plus an hour of slack.
std::int64_t quota_ttl_seconds(std::int64_t now_seconds, int offset_minutes);

}  // namespace herald::ledger
