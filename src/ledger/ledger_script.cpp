#include "herald/ledger/ledger_script.hpp"

#include <charconv>

namespace herald::ledger {
namespace {

bool parse_seconds(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

}  // namespace

std::string unknown_record_detail(std::int64_t sent_at_seconds, std::string_view call_out_id) {
  std::string out = std::to_string(sent_at_seconds);
  if (!call_out_id.empty()) {
    out.push_back('|');
    out.append(call_out_id);
  }
  return out;
}

const std::string& reserve_script() {
  // Cost per item is what limits the ledger (bench/README.md): a new record, the common case,
  // costs one HGET in the previous period's bucket, one HSETNX (it both looks in the current
  // bucket and writes there) and an EXPIRE ... NX, plus the quota's INCR. New records always go
  // into the current period's bucket, so the caller sends no period per item; the guard sets
  // item_keys::period to the same period for the settle.
  static const std::string text = R"lua(
-- Herald ledger: reserve a batch (docs/ledger.md, How a reserve works). Records are fields of
-- period buckets; a record is looked for in the current period and the one before.
local base, now, period_seconds = ARGV[1], ARGV[2], tonumber(ARGV[3])
local current = math.floor(tonumber(now) / period_seconds)
local bucket_ttl, quota_ttl = ARGV[4], ARGV[5]
local out = {}
-- The key prefixes and the new record's value once per call, not once per item.
local previous = base .. (current - 1) .. ':'
local currents = base .. current .. ':'
-- The reservation's time: a receipt check after a crash asks the gateway by the send's day.
local reserved = 'R' .. now
for i = 1, #KEYS do
  local rid, limit = ARGV[4 + 2 * i], tonumber(ARGV[5 + 2 * i])
  local bucket, field = string.sub(rid, 1, 4), string.sub(rid, 5)
  local key = currents .. bucket
  local found = redis.call('HGET', previous .. bucket, field)
  if found then
    -- Rare (a redelivery after a period's end): a settle of a later attempt may have written to
    -- the current bucket too, and the newest record wins.
    out[i] = redis.call('HGET', key, field) or found
  elseif redis.call('HSETNX', key, field, reserved) == 0 then
    out[i] = redis.call('HGET', key, field)
  else
    -- NX: the bucket's first record sets its TTL, later ones never extend it.
    redis.call('EXPIRE', key, bucket_ttl, 'NX')
    out[i] = 'ok'
    if limit > 0 then
      local qk = KEYS[i]
      local used = redis.call('INCR', qk)
      if used == 1 then redis.call('EXPIRE', qk, quota_ttl) end
      if used > limit then
        -- Over quota: undo both, so nothing is reserved and the counter stays at the limit.
        redis.call('DECR', qk)
        redis.call('HDEL', key, field)
        out[i] = 'q'
      end
    end
  end
end
return out
)lua";
  return text;
}

const std::string& release_script() {
  // Only definite failures come here (rare): a send or an unknown fate is a plain HSET that
  // ledger::store pipelines without a script (a script's per-item cost is ~2.5 times the
  // command's, bench/README.md).
  static const std::string text = R"lua(
-- Herald ledger: release the records of notifications that definitely were not sent, and refund
-- their quota (docs/ledger.md, How a settle works).
local base = ARGV[1]
for i = 1, #KEYS do
  local rid, period, limit = ARGV[3 * i - 1], ARGV[3 * i], tonumber(ARGV[3 * i + 1])
  redis.call('HDEL', base .. period .. ':' .. string.sub(rid, 1, 4), string.sub(rid, 5))
  local qk = KEYS[i]
  if limit > 0 and tonumber(redis.call('GET', qk) or '0') > 0 then redis.call('DECR', qk) end
end
return #KEYS
)lua";
  return text;
}

result<std::vector<reserve_answer>> decode_reserve(std::span<const std::string> replies, std::size_t expected) {
  if (replies.size() != expected)
    return make_error("ledger reserve answered " + std::to_string(replies.size()) + " items, expected " +
                      std::to_string(expected));
  std::vector<reserve_answer> out(expected);
  for (std::size_t i = 0; i < expected; ++i) {
    const std::string& r = replies[i];
    auto& a = out[i];
    if (r == "ok") {
      a.v = verdict::reserved;
    } else if (r == "q") {
      a.v = verdict::over_quota;
    } else if (!r.empty() && r[0] == state_sent) {
      a.v = verdict::already_sent;
      a.message_id = r.substr(1);
    } else if (!r.empty() && (r[0] == state_reserved || r[0] == state_unknown)) {
      a.v = verdict::maybe_sent;
      a.state = r[0] == state_reserved ? "reserved" : "unknown";
      std::string_view rest = std::string_view(r).substr(1);
      const auto bar = rest.find('|');
      const std::string_view when = rest.substr(0, bar);
      if (!parse_seconds(when, a.sent_at_seconds) && !when.empty())
        return make_error("ledger record has an unreadable send time for item " + std::to_string(i));
      if (bar != std::string_view::npos) a.call_out_id.assign(rest.substr(bar + 1));
    } else {
      return make_error("ledger record has an unexpected value for item " + std::to_string(i));
    }
  }
  return out;
}

}  // namespace herald::ledger
