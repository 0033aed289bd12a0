#pragma once
// Where the ledger and the quota live in Redis. Recipients and idempotency keys are stored only
// as hashes; recipients' with a secret key (docs/ledger.md, "Recipient hashes").
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/model/event.hpp"
#include "herald/util/hmac_sha256.hpp"

namespace herald::ledger {

// Ledger records live as fields of period buckets: hashes named <prefix>l:<period>:<bucket>, one
// field per notification. Thousands of small hashes (listpack-encoded) cost a fraction of one key
// with its own TTL per record, and a whole period expires at once (bench/README.md, Redis memory).
// A period is the retention rounded up to whole UTC days; a record is looked for in the current
// period and the one before, so it blocks a resend for at least the retention with two lookups
// whatever the retention (day buckets needed one lookup per day of it).
inline constexpr unsigned ledger_buckets_per_day = 8192;  // per day of a period: ~120 records a bucket at 1M a day
inline constexpr unsigned ledger_max_buckets = 65536;     // 4 hex digits

struct ledger_layout {
  std::uint32_t period_days = 1;
  std::uint32_t buckets = ledger_buckets_per_day;
  // Redis Cluster (redis.cluster_nodes): keys carry a hash tag, the bucket's id in braces, and the
  // bucket is chosen by the recipient rather than the event, so that a recipient's records and
  // quota counters are in one slot and one script call can reserve them (docs/ledger.md, "Redis
  // Cluster"). Not the same keys as without: a ledger does not move between the two.
  bool hash_tags = false;
  std::int64_t period_seconds() const { return static_cast<std::int64_t>(period_days) * 86400; }
  // Periods since 1970 (UTC).
  std::int32_t period_of(std::int64_t unix_seconds) const {
    return static_cast<std::int32_t>(unix_seconds / period_seconds());
  }
};
ledger_layout layout_for(std::uint32_t retention_hours, bool hash_tags = false);

// How long the bucket id at the start of a record id is: 4 hex digits, or 6 with the braces of
// a hash tag ("{0a1f}").
inline std::size_t bucket_id_size(std::string_view record_id) { return !record_id.empty() && record_id[0] == '{' ? 6 : 4; }

struct item_keys {
  std::string ledger;  // the record's id: the bucket's id (bucket_id_size) + 12 bytes of hash (binary)
  std::string quota;   // the recipient's counter for this account, category and quota day (with
                       // hash tags: the record's bucket id as its tag, "<prefix>q:{0a1f}:...")
  // The period whose bucket the settle writes to: the reserve's period, which the guard sets from
  // the time it passes to the reserve (a new record goes into that period's bucket).
  std::int32_t period = 0;
  // The quota day of `quota` (YYYYMMDD) and where its digits are in it: a record keeps the day it
  // charged, and a refund rebuilds that day's key, which may not be this one (a takeover or a
  // resend on a later day keeps the day first charged).
  std::int32_t quota_day = 0;
  std::uint32_t quota_day_at = 0;
  std::uint32_t quota_day_size = 0;
};

// now_seconds decides the quota day, a calendar day at offset_minutes east of UTC. The quota key
// names the recipient by HMAC-SHA256 with recipient_key (ledger.recipient_hash_key): without the
// key, a phone number cannot be found from its key by trying every number.
item_keys make_keys(std::string_view prefix, const model::event& e, std::int64_t now_seconds, int offset_minutes,
                    const ledger_layout& layout, const crypto::hmac_sha256_key& recipient_key);
// The same into k, reusing its strings' buffers (the worker's reused items). Allocates nothing
// once k's buffers are large enough.
void make_keys_into(item_keys& k, std::string_view prefix, const model::event& e, std::int64_t now_seconds,
                    int offset_minutes, const ledger_layout& layout, const crypto::hmac_sha256_key& recipient_key);

// k.quota with its day replaced by `day` (YYYYMMDD), appended to out: the counter a refund of a
// record charged on that day decrements (the settle script builds the same key in Lua).
void append_quota_key_of_day(std::string& out, const item_keys& k, std::int32_t day);

// The source id of a consumed record: base64 of the first 8 bytes of SHA-256 over topic \x1f
// partition \x1f offset (decimal), without padding (11 characters, never '|'), appended to out.
// A ledger record names the consumed record its attempt came from, so that a redelivery of that
// same record recognises its own record (a sent one then reports `sent`, not `duplicate`).
// 64 bits: sources are compared only between the records of one notification.
void append_source_id(std::string& out, std::string_view topic, std::int32_t partition, std::int64_t offset);

// Seconds a quota counter must live: to the end of its quota day, plus an hour of slack.
std::int64_t quota_ttl_seconds(std::int64_t now_seconds, int offset_minutes);

}  // namespace herald::ledger
