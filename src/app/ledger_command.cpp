#include "ledger_command.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <vector>

#include "exit_codes.hpp"
#include "herald/util/log.hpp"
#include "herald/ledger/ledger_keys.hpp"
#include "herald/ledger/ledger_record.hpp"
#include "herald/model/event.hpp"
#include "herald/util/crypto.hpp"
#include "herald/util/time.hpp"
#include "redis_once.hpp"

namespace herald::app {
namespace {

// The event the query names: decoded from its JSON, or built from the fields given.
result<model::event> event_of(const config::herald_config& cfg, const ledger_query& q) {
  model::event e;
  if (!q.event_json.empty()) {
    auto decoded = model::decode_event(q.event_json, cfg);
    if (!decoded) return make_error("--event: " + decoded.message());
    e = std::move(decoded.value());
    if (!q.account.empty() && q.account != e.account)
      return make_error("--account \"" + q.account + "\" is not the event's account \"" + e.account + "\"");
    if (!q.event_id.empty() && q.event_id != e.event_id)
      return make_error("--event-id \"" + q.event_id + "\" is not the event's id \"" + e.event_id + "\"");
    return e;
  }
  if (q.account.empty()) return make_error("give --account (or --event)");
  const auto* account = cfg.find_account(q.account);
  if (!account) return make_error("--account: \"" + q.account + "\" is not a configured account");
  e.account = q.account;
  e.order_id = q.order_id;
  e.template_code = q.template_code;
  if (!q.recipient_kind.empty()) {
    auto kind = model::parse_recipient_kind(q.recipient_kind);
    if (!kind) return make_error("unknown recipient kind \"" + q.recipient_kind + "\"");
    if (!model::accepts_recipient(account->gateway, *kind))
      return make_error("account \"" + q.account + "\" (" + std::string(config::to_string(account->gateway)) +
                        ") takes no " + q.recipient_kind + " recipient");
    e.to = {*kind, q.recipient_value};
  }
  if (!q.event_id.empty()) {
    e.event_id = q.event_id;
    return e;
  }
  if (q.order_id.empty() || q.template_code.empty() || q.recipient_kind.empty())
    return make_error("give --event-id, or the fields its derived id is made of: --order-id, --template-code "
                      "and the recipient (--oaid, --post-tel, --phone or --by-order)");
  e.event_id = model::derive_event_id(e, cfg.ledger.recipient_hash_key);
  e.is_event_id_derived = true;
  return e;
}

std::string bucket_key(const std::string& prefix, std::int32_t period, const std::string& record_id) {
  return prefix + "l:" + std::to_string(period) + ":" + record_id.substr(0, ledger::bucket_id_size(record_id));
}

struct quota_view {
  std::string_view category;
  std::uint32_t limit = 0;
  std::int32_t day = 0;
  long long count = 0;
  long long ttl = -2;
};

struct view {
  model::event e;
  std::string bucket;  // where the record was found ("" = nowhere)
  std::string value;
  long long bucket_ttl = -2;
  std::optional<ledger::record> rec;
  std::string decode_error;
  std::vector<quota_view> quotas;
};

std::string day_text(std::int32_t yyyymmdd) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100);
  return buf;
}

std::string ttl_text(long long ttl) {
  if (ttl == -1) return "no TTL (never expires: not written by Herald?)";
  if (ttl < 0) return "no such key";
  return std::to_string(ttl) + " s (" + std::to_string(ttl / 3600) + " h " + std::to_string(ttl % 3600 / 60) + " min)";
}

void print_text(std::ostream& out, const view& v) {
  out << "account:      " << v.e.account << "\n";
  out << "event_id:     " << v.e.event_id << (v.e.is_event_id_derived ? " (derived)" : "") << "\n";
  if (v.bucket.empty()) {
    out << "state:        none (no record: never reserved, released, or expired)\n";
  } else {
    out << "bucket:       " << v.bucket << ", TTL " << ttl_text(v.bucket_ttl) << "\n";
    out << "value:        " << v.value << "\n";
    if (!v.rec) {
      out << "state:        unreadable: " << v.decode_error << "\n";
    } else {
      const auto& r = *v.rec;
      out << "state:        " << ledger::to_string(r.state) << (r.is_legacy ? " (legacy record)" : "") << "\n";
      if (r.at_seconds > 0) out << "time:         " << time::format_iso8601(r.at_seconds) << "\n";
      if (!r.owner.empty()) out << "owner:        " << r.owner << "\n";
      if (r.quota_day >= 0) out << "quota day:    " << day_text(r.quota_day) << "\n";
      if (!r.source.empty()) out << "source:       " << r.source << "\n";
      if (!r.call_out_id.empty()) out << "OutId:        " << r.call_out_id << "\n";
      if (!r.message_id.empty()) out << "message id:   " << r.message_id << "\n";
    }
  }
  if (v.quotas.empty()) out << "quota:        (give the recipient to see its counters)\n";
  for (const auto& q : v.quotas) {
    out << "quota " << q.category << " " << day_text(q.day) << ": " << q.count << " of "
        << (q.limit ? std::to_string(q.limit) : std::string("unlimited")) << ", TTL " << ttl_text(q.ttl) << "\n";
  }
}

void print_json(std::ostream& out, const view& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto str = [&](const char* k, std::string_view s) {
    w.Key(k);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  str("account", v.e.account);
  str("event_id", v.e.event_id);
  w.Key("event_id_derived");
  w.Bool(v.e.is_event_id_derived);
  w.Key("record");
  if (v.bucket.empty()) {
    w.Null();
  } else {
    w.StartObject();
    str("bucket", v.bucket);
    w.Key("bucket_ttl_seconds");
    w.Int64(v.bucket_ttl);
    str("value", v.value);
    if (!v.rec) {
      str("state", "unreadable");
      str("error", v.decode_error);
    } else {
      const auto& r = *v.rec;
      str("state", ledger::to_string(r.state));
      w.Key("legacy");
      w.Bool(r.is_legacy);
      if (r.at_seconds > 0) str("time", time::format_iso8601(r.at_seconds));
      str("owner", r.owner);
      if (r.quota_day >= 0) str("quota_day", day_text(r.quota_day));
      str("source", r.source);
      str("out_id", r.call_out_id);
      str("message_id", r.message_id);
    }
    w.EndObject();
  }
  w.Key("quota");
  w.StartArray();
  for (const auto& q : v.quotas) {
    w.StartObject();
    str("category", q.category);
    str("day", day_text(q.day));
    w.Key("count");
    w.Int64(q.count);
    w.Key("limit");
    w.Uint(q.limit);
    w.Key("ttl_seconds");
    w.Int64(q.ttl);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out << sb.GetString() << "\n";
}

}  // namespace

int run_ledger_get(const config::herald_config& cfg, const ledger_query& q, std::ostream& out, std::ostream& err) {
  // The clients' info lines (connected, stopped) would come between the command's own; warnings stay.
  log::set_level(log::level::warn);
  auto e = event_of(cfg, q);
  if (!e) {
    err << "herald ledger get: " << e.message() << "\n";
    return exit_config;
  }
  view v;
  v.e = std::move(e.value());
  const auto* account = cfg.find_account(v.e.account);
  const std::int64_t now = time::unix_ms() / 1000;
  const auto layout = ledger::layout_for(cfg.ledger.retention_hours, cfg.redis.is_cluster());
  // On a cluster a record's bucket is its recipient's (docs/ledger.md, "Redis Cluster").
  if (layout.hash_tags && q.event_json.empty() && q.recipient_kind.empty()) {
    err << "herald ledger get: on a Redis Cluster a record is found by its recipient too: give the event "
           "(--event) or the recipient (--oaid, --post-tel, --phone or --by-order)\n";
    return exit_config;
  }
  const int offset = cfg.ledger.quota_utc_offset_minutes;
  const std::string& prefix = cfg.redis.key_prefix;
  auto keys = ledger::make_keys(prefix, v.e, now, offset, layout, cfg.ledger.recipient_hash_key);
  const std::string field = keys.ledger.substr(ledger::bucket_id_size(keys.ledger));
  const std::string current = bucket_key(prefix, keys.period, keys.ledger);
  const std::string previous = bucket_key(prefix, keys.period - 1, keys.ledger);
  std::vector<redis::command> commands{redis::command{"HGET", current, field}, redis::command{"HGET", previous, field},
                                       redis::command{"TTL", current}, redis::command{"TTL", previous}};
  // A quota counter names its recipient: only when one was given (or is in the event).
  const bool has_recipient = !q.event_json.empty() || !q.recipient_kind.empty();
  if (has_recipient) {
    for (auto c : {config::category::transactional, config::category::marketing}) {
      if (!q.category.empty() && q.category != config::to_string(c)) continue;
      v.e.category = c;
      auto k = ledger::make_keys(prefix, v.e, now, offset, layout, cfg.ledger.recipient_hash_key);
      const auto& limits = cfg.daily_limit_for(*account);
      v.quotas.push_back({config::to_string(c), c == config::category::marketing ? limits.marketing : limits.transactional,
                          k.quota_day});
      commands.push_back(redis::command{"GET", k.quota});
      commands.push_back(redis::command{"TTL", k.quota});
    }
  }
  auto replies = redis_exec_once(cfg.redis, std::move(commands), q.timeout_ms);
  if (!replies) {
    err << "herald ledger get: " << replies.message() << "\n";
    return exit_found;
  }
  const auto& rs = replies.value();
  for (const auto& r : rs) {
    if (r.is_error()) {
      err << "herald ledger get: Redis answered " << r.str << "\n";
      return exit_found;
    }
  }
  // The current period's record is the newer when both hold one (docs/ledger.md, How a reserve works).
  if (rs[0].kind == redis::reply::type::string) {
    v.bucket = current;
    v.value = rs[0].str;
    v.bucket_ttl = rs[2].integer;
  } else if (rs[1].kind == redis::reply::type::string) {
    v.bucket = previous;
    v.value = rs[1].str;
    v.bucket_ttl = rs[3].integer;
  }
  if (!v.bucket.empty()) {
    auto rec = ledger::decode_record(v.value);
    if (rec) v.rec = std::move(rec.value());
    else v.decode_error = rec.message();
  }
  for (std::size_t i = 0; i < v.quotas.size(); ++i) {
    const auto& count = rs[4 + 2 * i];
    v.quotas[i].count = count.kind == redis::reply::type::string ? std::atoll(count.str.c_str()) : 0;
    v.quotas[i].ttl = rs[5 + 2 * i].integer;
  }
  if (q.is_json) print_json(out, v);
  else print_text(out, v);
  return exit_ok;
}

}  // namespace herald::app
