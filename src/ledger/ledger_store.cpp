#include "herald/ledger/ledger_store.hpp"

#include "herald/redis/client.hpp"

namespace herald::ledger {

store::store(redis::client& client, std::string_view key_prefix, std::uint32_t retention_hours)
    : client_(client),
      base_(std::string(key_prefix) + "l:"),
      layout_(layout_for(retention_hours)),
      period_seconds_(std::to_string(layout_.period_seconds())),
      // A bucket is looked into during its period and the next: it lives two periods from its
      // first record, plus an hour of slack.
      bucket_ttl_(std::to_string(2 * layout_.period_seconds() + 3600)),
      reserve_(std::make_unique<redis::script>(reserve_script())),
      settle_(std::make_unique<redis::script>(settle_script())) {}

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
  std::vector<std::string> keys;
  std::vector<std::string> args;
  keys.reserve(items.size());
  args.reserve(items.size() * 2 + 5);
  args.push_back(base_);
  args.push_back(std::to_string(now_seconds));
  args.push_back(period_seconds_);
  args.push_back(bucket_ttl_);
  args.push_back(std::to_string(quota_ttl_seconds));
  for (const auto& it : items) {
    keys.push_back(it.keys->quota);
    args.push_back(it.keys->ledger);
    args.push_back(std::to_string(it.daily_limit));
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

boost::asio::awaitable<status> store::settle(std::span<const settle_item> items) {
  std::vector<std::string> keys;
  std::vector<std::string> args;
  keys.reserve(items.size());
  args.reserve(items.size() * 5 + 2);
  args.push_back(base_);
  args.push_back(bucket_ttl_);
  for (const auto& it : items) {
    keys.push_back(it.keys->quota);
    args.push_back(it.keys->ledger);
    args.push_back(std::to_string(it.keys->period));
    args.emplace_back(op_code(it.op));
    args.push_back(std::to_string(it.daily_limit));
    args.emplace_back(it.message_id);
  }
  auto r = co_await client_.eval(*settle_, keys, args);
  if (!r) co_return make_error("ledger settle: " + r.message());
  if (r.value().kind == redis::reply::type::error) co_return make_error("ledger settle: " + r.value().str);
  co_return ok;
}

}  // namespace herald::ledger
