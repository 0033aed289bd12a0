#include "herald/ledger/ledger_store.hpp"

#include <charconv>

#include "herald/redis/client.hpp"
#include "herald/redis/command.hpp"
#include "herald/redis/script.hpp"

namespace herald::ledger {
namespace {

// Decimal texts of numbers, viewed by a command's arguments: one buffer for a whole batch.
class number_texts {
 public:
  explicit number_texts(std::size_t count) { text_.reserve(count * 10); }  // never moves: views stay valid
  std::string_view add(std::uint32_t n) {
    char digits[10];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    const std::size_t at = text_.size();
    text_.append(digits, end);
    return std::string_view(text_).substr(at);
  }

 private:
  std::string text_;
};

// The first error reply of a pipeline's replies ("" if none).
std::string first_error(const std::vector<redis::reply>& replies) {
  for (const auto& rep : replies)
    if (rep.is_error()) return rep.str.empty() ? std::string("error reply") : rep.str;
  return {};
}

}  // namespace

store::store(redis::client& client, std::string_view key_prefix, std::uint32_t retention_hours)
    : client_(client),
      base_(std::string(key_prefix) + "l:"),
      layout_(layout_for(retention_hours)),
      period_seconds_(std::to_string(layout_.period_seconds())),
      // A bucket is looked into during its period and the next: it lives two periods from its
      // first record, plus an hour of slack.
      bucket_ttl_(std::to_string(2 * layout_.period_seconds() + 3600)),
      reserve_(std::make_unique<redis::script>(reserve_script())),
      release_(std::make_unique<redis::script>(release_script())) {}

store::~store() = default;

boost::asio::awaitable<result<std::vector<reserve_answer>>> store::reserve(std::span<const reserve_item> items,
                                                                           std::int64_t now_seconds,
                                                                           std::int64_t quota_ttl_seconds) {
  // The script puts new records in the current period's bucket; a settle finds them by
  // item_keys::period, so a caller that forgot to set it would lose its settles to another bucket.
  const std::int32_t current = layout_.period_of(now_seconds);
  for (const auto& it : items)
    if (it.keys->period != current)
      co_return make_error("ledger reserve: an item's period " + std::to_string(it.keys->period) +
                           " is not the reserve's period " + std::to_string(current));
  // Views of the items' own keys: a batch has a thousand of each, and copies showed in profiles.
  const std::string now_text = std::to_string(now_seconds);
  const std::string quota_ttl_text = std::to_string(quota_ttl_seconds);
  number_texts limits(items.size());
  std::vector<std::string_view> keys;
  std::vector<std::string_view> args;
  keys.reserve(items.size());
  args.reserve(items.size() * 2 + 5);
  args.insert(args.end(), {base_, now_text, period_seconds_, bucket_ttl_, quota_ttl_text});
  for (const auto& it : items) {
    keys.push_back(it.keys->quota);
    args.push_back(it.keys->ledger);
    args.push_back(limits.add(it.daily_limit));
  }
  auto r = co_await client_.eval(*reserve_, keys, args);
  if (!r) co_return make_error("ledger reserve: " + r.message());
  const redis::reply& rep = r.value();
  if (rep.is_error()) co_return make_error("ledger reserve: " + rep.str);
  if (rep.kind != redis::reply::type::array) co_return make_error("ledger reserve: unexpected reply " + redis::describe(rep));
  std::vector<std::string> values;
  values.reserve(rep.elements.size());
  for (const auto& e : rep.elements) values.push_back(e.str);
  co_return decode_reserve(values, items.size());
}

std::string store::bucket_key(const item_keys& k) const {
  std::string key;
  append_bucket_key(key, k);
  return key;
}

void store::append_bucket_key(std::string& out, const item_keys& k) const {
  char digits[12];
  const auto end = std::to_chars(digits, digits + sizeof digits, k.period).ptr;
  out.append(base_).append(digits, end).push_back(':');
  out.append(k.ledger, 0, 4);
}

boost::asio::awaitable<status> store::settle(std::span<const settle_item> items) {
  // A send or an unknown fate is one HSET per item, pipelined: each item stands alone, so no
  // script is needed, and Redis runs a plain command for ~0.4 of a script item's CPU. HSET is
  // idempotent, so a settle retried after a lost answer writes the same records again.
  std::vector<redis::command> writes;
  std::vector<const item_keys*> written;  // the item of each write, for a bucket's TTL
  std::string bucket;                     // scratch: one command's arguments at a time
  std::string value;
  std::vector<std::string_view> release_keys;
  std::vector<std::string_view> release_args;
  number_texts numbers(2 * items.size());
  writes.reserve(items.size());
  written.reserve(items.size());
  for (const auto& it : items) {
    const std::string_view field = std::string_view(it.keys->ledger).substr(4);
    if (it.op == settle_op::failed) {
      if (release_args.empty()) release_args.push_back(base_);
      release_keys.push_back(it.keys->quota);
      release_args.push_back(it.keys->ledger);
      release_args.push_back(numbers.add(static_cast<std::uint32_t>(it.keys->period)));
      release_args.push_back(numbers.add(it.daily_limit));
      continue;
    }
    bucket.clear();
    append_bucket_key(bucket, *it.keys);
    value.clear();
    value.push_back(it.op == settle_op::sent ? state_sent : state_unknown);
    value.append(it.message_id);
    writes.push_back(redis::command{"HSET", bucket, field, value});
    written.push_back(it.keys);
  }
  if (!writes.empty()) {
    // Buckets whose TTL an earlier settle could not confirm go first (see below). Taken out of the
    // member for the round trip: settles of other calls run meanwhile and may add their own.
    std::vector<std::string> retried(untimed_buckets_.begin(), untimed_buckets_.end());
    untimed_buckets_.clear();
    std::vector<redis::command> cmds;
    cmds.reserve(writes.size() + retried.size());
    for (const auto& b : retried) cmds.push_back(redis::command{"EXPIRE", b, bucket_ttl_, "NX"});
    for (auto& c : writes) cmds.push_back(std::move(c));
    auto r = co_await client_.exec(std::move(cmds));
    const std::string failure = r ? first_error(r.value()) : r.message();
    if (!failure.empty()) {
      // Some of the HSETs may have been applied, and made a bucket, before the failure; the retry
      // would find their fields and not see that: every bucket written to gets its TTL checked.
      for (auto& b : retried) untimed_buckets_.insert(std::move(b));
      for (const item_keys* k : written) untimed_buckets_.insert(bucket_key(*k));
      co_return make_error("ledger settle: " + failure);
    }
    // HSET adds a field only where the record is gone (its bucket expired, or Redis lost it):
    // then the bucket may be new and without a TTL, which it gets here, NX so that a live
    // bucket's is never extended. A bucket whose TTL is not confirmed is tried again next time.
    std::vector<std::string> fresh;
    std::vector<redis::command> expires;
    for (std::size_t i = retried.size(); i < r.value().size(); ++i) {
      if (r.value()[i].integer != 1) continue;
      fresh.push_back(bucket_key(*written[i - retried.size()]));
      expires.push_back(redis::command{"EXPIRE", fresh.back(), bucket_ttl_, "NX"});
    }
    if (!expires.empty()) {
      auto e = co_await client_.exec(std::move(expires));
      const std::string ttl_failure = e ? first_error(e.value()) : e.message();
      if (!ttl_failure.empty()) {
        for (auto& b : fresh) untimed_buckets_.insert(std::move(b));
        co_return make_error("ledger settle: bucket TTL: " + ttl_failure);
      }
    }
  }
  if (!release_keys.empty()) {
    auto r = co_await client_.eval(*release_, release_keys, release_args);
    if (!r) co_return make_error("ledger release: " + r.message());
    if (r.value().is_error()) co_return make_error("ledger release: " + r.value().str);
  }
  co_return ok;
}

}  // namespace herald::ledger
