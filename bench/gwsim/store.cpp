#include "store.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace gwsim {

void Counters::bump(std::map<std::string, std::uint64_t, std::less<>>& m, std::string_view k) {
  auto it = m.find(k);
  if (it == m.end()) it = m.emplace(std::string(k), 0).first;
  ++it->second;
}

std::int64_t china_day(std::int64_t unix_seconds) {
  const std::int64_t t = unix_seconds + 8 * 3600;
  return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

std::string Store::make_key(const ItemKey& item) {
  std::string key;
  key.reserve(item.appid.size() + item.seller.size() + item.order_id.size() +
              item.template_code.size() + item.oaid.size() + 4);
  key.append(item.appid).append(1, '|').append(item.seller).append(1, '|');
  key.append(item.order_id).append(1, '|').append(item.template_code).append(1, '|');
  key.append(item.oaid);
  return key;
}

std::uint64_t Store::daily_key(const ItemKey& item) {
  // Hashing keeps the per-number table small at bench volumes; a 64-bit collision is harmless
  // for a simulator.
  std::string key;
  key.reserve(item.appid.size() + item.seller.size() + item.template_code.size() +
              item.oaid.size() + 3);
  key.append(item.appid).append(1, '|').append(item.seller).append(1, '|');
  key.append(item.template_code).append(1, '|').append(item.oaid);
  return std::hash<std::string_view>{}(key);
}

bool Store::try_accept(const ItemKey& item, std::int64_t day, std::uint32_t daily_limit) {
  if (day != daily_day_) {
    daily_.clear();  // a new day: yesterday's counts no longer matter
    daily_day_ = day;
  }
  std::uint32_t& today = daily_[daily_key(item)];
  if (daily_limit != 0 && today >= daily_limit) return false;
  ++today;

  std::string key = make_key(item);
  if (auto it = index_.find(key); it != index_.end()) {
    ++it->second->count;
    ++duplicates_;
  } else {
    Record& r = records_.emplace_back(Record{
        std::move(key),
        {static_cast<std::uint32_t>(item.appid.size()),
         static_cast<std::uint32_t>(item.seller.size()),
         static_cast<std::uint32_t>(item.order_id.size()),
         static_cast<std::uint32_t>(item.template_code.size())},
        1});
    index_.emplace(std::string_view(r.key), &r);
  }
  ++counters_.items_accepted;
  return true;
}

std::uint32_t Store::accepted_today(const ItemKey& item, std::int64_t day) const {
  if (day != daily_day_) return 0;
  const auto it = daily_.find(daily_key(item));
  return it == daily_.end() ? 0 : it->second;
}

std::uint32_t Store::accepted_count(const ItemKey& item) const {
  const auto it = index_.find(make_key(item));
  return it == index_.end() ? 0 : it->second->count;
}

void Store::reset() {
  index_.clear();
  records_.clear();
  duplicates_ = 0;
  daily_.clear();
  counters_ = Counters{};
  message_ids_.clear();
}

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_key(Writer& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

void write_string(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void write_reasons(Writer& w, std::string_view name,
                   const std::map<std::string, std::uint64_t, std::less<>>& m) {
  write_key(w, name);
  w.StartObject();
  for (const auto& [k, v] : m) {
    write_key(w, k);
    w.Uint64(v);
  }
  w.EndObject();
}

}  // namespace

std::string Store::stats_json() const {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  const Counters& c = counters_;
  w.StartObject();
  write_key(w, "requests");
  w.Uint64(c.requests);
  write_key(w, "items_accepted");
  w.Uint64(c.items_accepted);
  write_reasons(w, "items_rejected", c.items_rejected);
  write_reasons(w, "calls_rejected", c.calls_rejected);
  write_key(w, "accepted_unique");
  w.Uint64(accepted_unique());
  write_key(w, "duplicates");
  w.Uint64(duplicates_);
  write_key(w, "faults");
  w.StartObject();
  write_key(w, "5xx");
  w.Uint64(c.fault_5xx);
  write_key(w, "reset");
  w.Uint64(c.fault_reset);
  write_key(w, "drop_answer");
  w.Uint64(c.fault_drop_answer);
  write_key(w, "slow");
  w.Uint64(c.fault_slow);
  w.EndObject();
  write_key(w, "max_batch_seen");
  w.Uint64(c.max_batch_seen);
  write_key(w, "throttled");
  w.Uint64(c.throttled);
  write_key(w, "max_calls_per_second");
  w.Uint64(c.max_calls_per_second);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string Store::accepted_json() const {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartArray();
  for (const Record& r : records_) {
    const std::string_view key(r.key);
    std::size_t pos = 0;
    auto part = [&](std::uint32_t len) {
      const std::string_view s = key.substr(pos, len);
      pos += len + 1;
      return s;
    };
    w.StartObject();
    write_key(w, "appid");
    write_string(w, part(r.len[0]));
    write_key(w, "seller");
    write_string(w, part(r.len[1]));
    write_key(w, "order_id");
    write_string(w, part(r.len[2]));
    write_key(w, "template_code");
    write_string(w, part(r.len[3]));
    write_key(w, "oaid");
    write_string(w, key.substr(pos));
    write_key(w, "count");
    w.Uint(r.count);
    w.EndObject();
  }
  w.EndArray();
  return std::string(sb.GetString(), sb.GetSize());
}

}  // namespace gwsim
