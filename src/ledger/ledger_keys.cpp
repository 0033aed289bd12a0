#include "herald/ledger/ledger_keys.hpp"

#include <algorithm>
#include <array>

#include "herald/util/crypto.hpp"
#include "herald/util/json_text.hpp"
#include "herald/util/time.hpp"

namespace herald::ledger {
namespace {

// The ledger's hash input is built here, not in a new string per event.
thread_local std::string hash_input;

// 16 bytes of HMAC-SHA256 as base64 (22 characters, the padding dropped), appended to out: short
// keys keep Redis memory per record low, and 128 bits keep collisions out of reach.
void append_short_mac(std::string& out, const std::array<std::uint8_t, 32>& digest) {
  crypto::append_base64(out, std::string_view(reinterpret_cast<const char*>(digest.data()), 16));
  while (out.back() == '=') out.pop_back();
}

void append_bucket_id(std::string& out, unsigned bucket, bool tagged) {
  static constexpr char hex[] = "0123456789abcdef";
  if (tagged) out.push_back('{');
  out.append({hex[(bucket >> 12) & 15], hex[(bucket >> 8) & 15], hex[(bucket >> 4) & 15], hex[bucket & 15]});
  if (tagged) out.push_back('}');
}

unsigned bucket_of(const std::array<std::uint8_t, 32>& digest, const ledger_layout& layout) {
  return ((digest[0] << 8) | digest[1]) % layout.buckets;
}

}  // namespace

ledger_layout layout_for(std::uint32_t retention_hours, bool hash_tags) {
  ledger_layout l;
  l.hash_tags = hash_tags;
  l.period_days = std::max<std::uint32_t>(1, (retention_hours + 23) / 24);
  // As many records a bucket as a day bucket held at the same daily volume (listpack-sized).
  l.buckets = std::min<std::uint32_t>(ledger_max_buckets, ledger_buckets_per_day * l.period_days);
  return l;
}

item_keys make_keys(std::string_view prefix, const model::event& e, std::int64_t now_seconds, int offset_minutes,
                    const ledger_layout& layout, const crypto::hmac_sha256_key& recipient_key) {
  item_keys k;
  make_keys_into(k, prefix, e, now_seconds, offset_minutes, layout, recipient_key);
  return k;
}

void make_keys_into(item_keys& k, std::string_view prefix, const model::event& e, std::int64_t now_seconds,
                    int offset_minutes, const ledger_layout& layout, const crypto::hmac_sha256_key& recipient_key) {
  // A by_order recipient is the buyer of that order: the order id stands for the person.
  const std::string_view who = e.to.kind == model::recipient_kind::by_order ? std::string_view(e.order_id)
                                                                             : std::string_view(e.to.value);
  const auto recipient = crypto::hmac_sha256(recipient_key)
                             .update("recipient\x1f")
                             .update(model::to_string(e.to.kind))
                             .update("\x1f")
                             .update(who)
                             .finish();
  // The record's id is a plain hash of account and event id: no recipient in it (a derived event
  // id is itself keyed, see derive_event_id), and a new recipient key leaves given event ids'
  // records where they are. With hash tags the bucket is the recipient's (see ledger_layout).
  {
    hash_input.clear();
    hash_input.append("event\x1f").append(e.account).push_back('\x1f');
    hash_input.append(e.event_id);
    const auto digest = crypto::sha256(hash_input);
    // Bucket from the first 16 bits (modulo the layout's bucket count), the field from the next
    // 12 bytes: at least 109 bits of identity.
    k.ledger.clear();
    append_bucket_id(k.ledger, bucket_of(layout.hash_tags ? recipient : digest, layout), layout.hash_tags);
    k.ledger.append(reinterpret_cast<const char*>(digest.data()) + 2, 12);
  }
  k.period = layout.period_of(now_seconds);
  k.quota.clear();
  k.quota.reserve(prefix.size() + e.account.size() + 48);
  k.quota.append(prefix).append("q:");
  if (layout.hash_tags) {
    k.quota.append(k.ledger, 0, 6);
    k.quota.push_back(':');
  }
  k.quota.append(e.account);
  k.quota.append(e.category == config::category::marketing ? ":m:" : ":t:");
  k.quota_day = time::calendar_day(now_seconds, offset_minutes);
  k.quota_day_at = static_cast<std::uint32_t>(k.quota.size());
  json::append_int(k.quota, k.quota_day);
  k.quota_day_size = static_cast<std::uint32_t>(k.quota.size()) - k.quota_day_at;
  k.quota.push_back(':');
  append_short_mac(k.quota, recipient);
}

void append_quota_key_of_day(std::string& out, const item_keys& k, std::int32_t day) {
  const std::string_view q = k.quota;
  out.append(q.substr(0, k.quota_day_at));
  json::append_int(out, day);
  out.append(q.substr(std::min<std::size_t>(q.size(), k.quota_day_at + k.quota_day_size)));
}

void append_source_id(std::string& out, std::string_view topic, std::int32_t partition, std::int64_t offset) {
  hash_input.clear();
  hash_input.append(topic).push_back('\x1f');
  json::append_int(hash_input, partition);
  hash_input.push_back('\x1f');
  json::append_int(hash_input, offset);
  const auto digest = crypto::sha256(hash_input);
  crypto::append_base64(out, std::string_view(reinterpret_cast<const char*>(digest.data()), 8));
  while (out.back() == '=') out.pop_back();
}

std::int64_t quota_ttl_seconds(std::int64_t now_seconds, int offset_minutes) {
  return time::seconds_until_day_end(now_seconds, offset_minutes) + 3600;
}

}  // namespace herald::ledger
