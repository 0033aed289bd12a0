#include "herald/ledger/ledger_store.hpp"

#include "herald/redis/client.hpp"

namespace herald::ledger {

store::store(redis::client& client, std::uint32_t retention_hours)
    : client_(client),
      ledger_ttl_(std::to_string(static_cast<std::uint64_t>(retention_hours) * 3600)),
      reserve_(std::make_unique<redis::script>(reserve_script())),
      settle_(std::make_unique<redis::script>(settle_script())) {}

store::~store() = default;

boost::asio::awaitable<result<std::vector<reserve_answer>>> store::reserve(std::span<const reserve_item> items,
                                                                           std::int64_t quota_ttl_seconds) {
  std::vector<std::string> keys;
  std::vector<std::string> args;
  keys.reserve(items.size() * 2);
  args.reserve(items.size() + 2);
  args.push_back(ledger_ttl_);
  args.push_back(std::to_string(quota_ttl_seconds));
  for (const auto& it : items) {
    keys.push_back(it.keys->ledger);
    keys.push_back(it.keys->quota);
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
  keys.reserve(items.size() * 2);
  args.reserve(items.size() * 3 + 1);
  args.push_back(ledger_ttl_);
  for (const auto& it : items) {
    keys.push_back(it.keys->ledger);
    keys.push_back(it.keys->quota);
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
