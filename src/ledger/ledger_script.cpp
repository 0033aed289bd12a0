#include "herald/ledger/ledger_script.hpp"

namespace herald::ledger {

const std::string& reserve_script() {
  static const std::string text = R"lua(
-- Herald ledger: reserve a batch (ARCHITECTURE.md, The ledger).
local ledger_ttl = tonumber(ARGV[1])
local quota_ttl = tonumber(ARGV[2])
local out = {}
for i = 1, #KEYS / 2 do
  local lk, qk = KEYS[2 * i - 1], KEYS[2 * i]
  local found = redis.call('GET', lk)
  if found then
    out[i] = found
  else
    local limit = tonumber(ARGV[2 + i])
    local over = false
    if limit > 0 then
      local used = redis.call('INCR', qk)
      if used == 1 then redis.call('EXPIRE', qk, quota_ttl) end
      if used > limit then
        redis.call('DECR', qk)
        over = true
      end
    end
    if over then
      out[i] = 'q'
    else
      redis.call('SET', lk, 'R', 'EX', ledger_ttl)
      out[i] = 'ok'
    end
  end
end
return out
)lua";
  return text;
}

const std::string& settle_script() {
  static const std::string text = R"lua(
-- Herald ledger: record what a gateway call did to each item.
local ledger_ttl = tonumber(ARGV[1])
for i = 1, #KEYS / 2 do
  local lk, qk = KEYS[2 * i - 1], KEYS[2 * i]
  local op, limit, id = ARGV[3 * i - 1], tonumber(ARGV[3 * i]), ARGV[3 * i + 1]
  if op == 'S' then
    redis.call('SET', lk, 'S' .. id, 'EX', ledger_ttl)
  elseif op == 'U' then
    redis.call('SET', lk, 'U', 'EX', ledger_ttl)
  else
    -- A definite failure: nothing reached the recipient, so release the record and refund.
    redis.call('DEL', lk)
    if limit > 0 and tonumber(redis.call('GET', qk) or '0') > 0 then redis.call('DECR', qk) end
  end
end
return #KEYS / 2
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
    } else if (r == state_reserved) {
      a.v = verdict::maybe_sent;
      a.state = "reserved";
    } else if (!r.empty() && r[0] == state_unknown) {
      a.v = verdict::maybe_sent;
      a.state = "unknown";
    } else {
      return make_error("ledger record has an unexpected value for item " + std::to_string(i));
    }
  }
  return out;
}

std::string_view op_code(settle_op op) {
  switch (op) {
    case settle_op::sent: return "S";
    case settle_op::unknown: return "U";
    case settle_op::failed: return "F";
  }
  return "U";
}

}  // namespace herald::ledger
