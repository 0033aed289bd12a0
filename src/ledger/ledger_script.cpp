#include "herald/ledger/ledger_script.hpp"

namespace herald::ledger {
namespace {

// Every script's first lines: how a record id splits into its bucket's id and its field.
constexpr const char* split_lua = R"lua(-- A record id is its bucket's id then its field: 4 hex digits, or "{" 4 hex digits "}" (a hash tag,
-- with Redis Cluster: docs/ledger.md).
local function split(rid)
  local w = (string.byte(rid, 1) == 123) and 6 or 4
  return string.sub(rid, 1, w), string.sub(rid, w + 1)
end)lua";

}  // namespace

const std::string& reserve_script() {
  // Cost per item is what limits the ledger (bench/README.md): a new record, the common case,
  // costs one HGET in the previous period's bucket, one HSETNX (it both looks in the current
  // bucket and writes there) and an EXPIRE ... NX, plus the quota's INCR. New records always go
  // into the current period's bucket, so the caller sends no period per item; the guard sets
  // item_keys::period to the same period for the calls that follow.
  static const std::string text = std::string(split_lua) + R"lua(
-- Herald ledger: reserve a batch (docs/ledger.md, How a reserve works). Records are fields of
-- period buckets; a record is looked for in the current period and the one before.
local base, now, period_seconds = ARGV[1], ARGV[2], tonumber(ARGV[3])
local current = math.floor(tonumber(now) / period_seconds)
local bucket_ttl, quota_ttl, owner = ARGV[4], ARGV[5], ARGV[6]
local out = {}
-- The key prefixes and the caller's reservation once per call, not once per item.
local previous = base .. (current - 1) .. ':'
local currents = base .. current .. ':'
local mine = 'r' .. now .. '|' .. owner .. '|'
-- What the caller may do with a record found: the caller's `r` to hold and the answer, or nil
-- (the record is the answer). An `r` proves nothing was written: taking it over fences its
-- owner out (its mark_written finds another owner) and keeps the day it charged.
local function take(v, resend_source)
  local l = string.sub(v, 1, 1)
  if l == 'r' then
    local o, q = string.match(v, '^r%d*|([^|]*)|(.*)$')
    if o == nil then return nil end
    if o == owner then return v, 'own' end
    return mine .. q, 'took'
  end
  if resend_source ~= '' then
    if l == 'c' or l == 'u' then
      local q, s = string.match(v, '^.%d*|([^|]*)|([^|]*)|')
      if s == resend_source then return mine .. q, 'again' end
    elseif l == 'R' or l == 'U' then
      -- Written before sources existed: no other attempt's to tell apart; nothing known charged.
      return mine, 'again'
    end
  end
  return nil
end
-- Items from ARGV: KEYS may also declare the buckets' names (Redis Cluster routes by them).
for i = 1, (#ARGV - 6) / 4 do
  local j = 3 + 4 * i
  local rid, limit, qday, resend_source = ARGV[j], tonumber(ARGV[j + 1]), ARGV[j + 2], ARGV[j + 3]
  local bucket, field = split(rid)
  local key = currents .. bucket
  local found = redis.call('HGET', previous .. bucket, field)
  local in_current = false
  if found then
    -- Rare (a redelivery after a period's end): a later attempt may have written to the current
    -- bucket too, and the newest record wins.
    local newer = redis.call('HGET', key, field)
    if newer then found, in_current = newer, true end
  elseif redis.call('HSETNX', key, field, mine .. qday) == 0 then
    found, in_current = redis.call('HGET', key, field), true
  end
  if not found then
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
  else
    local value, answer = take(found, resend_source)
    if answer then
      -- Held in the current period's bucket, where the item's later calls look.
      if value ~= found or not in_current then
        redis.call('HSET', key, field, value)
        redis.call('EXPIRE', key, bucket_ttl, 'NX')
      end
      out[i] = answer
    else
      out[i] = found
    end
  end
end
return out
)lua";
  return text;
}

const std::string& write_script() {
  // One call per gateway call, before its first byte goes out: a compare-and-set per item, since
  // only the owner of the `r` may write, and a taken-over `r` must refuse its old owner.
  static const std::string text = std::string(split_lua) + R"lua(
-- Herald ledger: mark a call's items written (docs/ledger.md, How a call is marked written).
local base, t = ARGV[1], ARGV[2]
local out = {}
local n = (#ARGV - 2) / 5
for i = 1, n do
  local j = 5 * i - 2
  local rid, owner = ARGV[j], ARGV[j + 2]
  local bucket, field = split(rid)
  local key = base .. ARGV[j + 1] .. ':' .. bucket
  local v = redis.call('HGET', key, field)
  local o, q
  if v then
    local l = string.sub(v, 1, 1)
    if l == 'r' then
      o, q = string.match(v, '^r%d*|([^|]*)|(.*)$')
    elseif l == 'w' then
      -- The owner's own `w`: a retry after a lost answer, or the call's next attempt.
      o, q = string.match(v, '^w%d*|([^|]*)|([^|]*)|')
    end
  end
  if o ~= nil and o == owner then
    redis.call('HSET', key, field, 'w' .. t .. '|' .. owner .. '|' .. q .. '|' .. ARGV[j + 3] .. '|' .. ARGV[j + 4])
    out[i] = 'ok'
  else
    out[i] = v or ''
  end
end
return out
)lua";
  return text;
}

const std::string& settle_script() {
  // Only the items that were not sent come here: a sent item is one HSET, pipelined with this
  // script's call in the same round trip (a script's per-item cost is ~2.5 times the command's,
  // bench/README.md). These need a look at the record first: an `s` is never overwritten by an
  // unknown fate, and only the owner's record is released.
  static const std::string text = std::string(split_lua) + R"lua(
-- Herald ledger: settle what a call decided for items not sent (docs/ledger.md, How a settle works).
local base, bucket_ttl = ARGV[1], ARGV[2]
local out = {}
-- The quota day a record charged ('' for none) and its owner (r, w only).
local function charged(v)
  local l = string.sub(v, 1, 1)
  if l == 'r' then
    local o, q = string.match(v, '^r%d*|([^|]*)|(.*)$')
    return q, o
  elseif l == 'w' then
    local o, q = string.match(v, '^w%d*|([^|]*)|([^|]*)|')
    return q, o
  elseif l == 'c' or l == 'u' then
    return string.match(v, '^.%d*|([^|]*)|'), nil
  end
  return nil, nil
end
-- Items from ARGV: KEYS (their quota keys first) may also declare the buckets' names.
for i = 1, (#ARGV - 2) / 9 do
  local j = 9 * i - 6
  local op, rid, period, owner = ARGV[j], ARGV[j + 1], ARGV[j + 2], ARGV[j + 3]
  local bucket, field = split(rid)
  local key = base .. period .. ':' .. bucket
  local v = redis.call('HGET', key, field)
  if op == 'c' or op == 'u' then
    -- A record of the previous period (found there by the reserve) counts when this one has none.
    if not v then v = redis.call('HGET', base .. (tonumber(period) - 1) .. ':' .. bucket, field) end
    local l = v and string.sub(v, 1, 1)
    if l == 's' or l == 'S' then
      out[i] = 's'
    else
      local q = v and charged(v) or ''
      if redis.call('HSET', key, field, op .. ARGV[j + 5] .. '|' .. q .. '|' .. ARGV[j + 4] .. '|' .. ARGV[j + 6]) == 1 then
        -- A new field (the record was gone), maybe a new bucket: NX never extends a live one's TTL.
        redis.call('EXPIRE', key, bucket_ttl, 'NX')
      end
      out[i] = 'ok'
    end
  else
    local q, o
    if v then q, o = charged(v) end
    if o == nil or o ~= owner then
      out[i] = 'no'
    elseif op == 'n' then
      if string.sub(v, 1, 1) == 'w' then
        redis.call('HSET', key, field, 'r' .. string.match(v, '^w(%d*)') .. '|' .. o .. '|' .. q)
      end
      out[i] = 'ok'
    else
      -- The charged day's counter is read before anything is written: a day other than the
      -- declared one's key may be refused by a cluster node migrating the slot, and the script
      -- must stop then with this record untouched. Deleted next: a retry finds nothing of the
      -- owner's, so the day is refunded once.
      local day_key, charged_count
      if q ~= nil and q ~= '' then
        local qk, at = KEYS[i], tonumber(ARGV[j + 7])
        day_key = string.sub(qk, 1, at) .. q .. string.sub(qk, at + tonumber(ARGV[j + 8]) + 1)
        charged_count = tonumber(redis.call('GET', day_key) or '0')
      end
      redis.call('HDEL', key, field)
      if day_key and charged_count > 0 then redis.call('DECR', day_key) end
      out[i] = 'ok'
    end
  end
end
return out
)lua";
  return text;
}

namespace {

error wrong_length(std::string_view script, std::size_t got, std::size_t expected) {
  return make_error("ledger " + std::string(script) + " answered " + std::to_string(got) + " items, expected " +
                    std::to_string(expected));
}

}  // namespace

result<std::vector<reserve_answer>> decode_reserve(std::span<const std::string_view> replies, std::size_t expected) {
  if (replies.size() != expected) return wrong_length("reserve", replies.size(), expected);
  std::vector<reserve_answer> out(expected);
  for (std::size_t i = 0; i < expected; ++i) {
    const std::string_view r = replies[i];
    auto& a = out[i];
    if (r == "ok" || r == "own" || r == "again") {
      a.v = verdict::reserved;
    } else if (r == "took") {
      a.v = verdict::reserved;
      a.is_taken_over = true;
    } else if (r == "q") {
      a.v = verdict::over_quota;
    } else {
      auto rec = decode_record(r);
      if (!rec) return make_error("ledger reserve, item " + std::to_string(i) + ": " + rec.message());
      // The script takes every `r` it finds: one answered as found is a script bug, not a state.
      if (rec->state == record_state::reserved)
        return make_error("ledger reserve, item " + std::to_string(i) + ": a reserved record answered as found");
      a.v = verdict::found;
      a.found = std::move(rec.value());
    }
  }
  return out;
}

result<std::vector<write_answer>> decode_write(std::span<const std::string_view> replies, std::size_t expected) {
  if (replies.size() != expected) return wrong_length("mark_written", replies.size(), expected);
  std::vector<write_answer> out(expected);
  for (std::size_t i = 0; i < expected; ++i) {
    const std::string_view r = replies[i];
    if (r == "ok") {
      out[i].is_written = true;
    } else if (!r.empty()) {
      auto rec = decode_record(r);
      if (!rec) return make_error("ledger mark_written, item " + std::to_string(i) + ": " + rec.message());
      out[i].found = std::move(rec.value());
    }  // "": no record (released, or its bucket gone): not written, found stays none
  }
  return out;
}

result<std::size_t> decode_settle(std::span<const std::string_view> replies, std::size_t expected) {
  if (replies.size() != expected) return wrong_length("settle", replies.size(), expected);
  std::size_t unchanged = 0;
  for (std::size_t i = 0; i < expected; ++i) {
    const std::string_view r = replies[i];
    if (r == "s" || r == "no")
      ++unchanged;
    else if (r != "ok")
      return make_error("ledger settle, item " + std::to_string(i) + ": unexpected answer");
  }
  return unchanged;
}

}  // namespace herald::ledger
