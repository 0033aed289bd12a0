#pragma once
// The ledger's two Lua scripts and the decoding of their answers: plain code, testable without
// Redis. One script call reserves a whole batch (ledger record + daily quota, atomically); a
// gateway call's results are pipelined writes, and a script releases definite failures.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/util/result.hpp"

namespace herald::ledger {

// Ledger record values.
// "R<unix seconds>": reserved at that time; a send may be under way.
inline constexpr char state_reserved = 'R';
// "U<unix seconds of the send>[|<call OutId>]": the send's fate is unknown (the OutId only when the
// call's differs from the event's own, i.e. an Alibaba Cloud batch call).
inline constexpr char state_unknown = 'U';
inline constexpr char state_sent = 'S';                   // "S" + the gateway's message id

enum class verdict {
  reserved,     // this worker now owns the send
  already_sent, // a record says it was sent: report a duplicate
  maybe_sent,   // reserved or unknown by an earlier attempt: receipt check, never a blind resend
  over_quota,   // the recipient's daily limit is reached; nothing was reserved
};

struct reserve_answer {
  verdict v = verdict::reserved;
  std::string message_id;  // for already_sent
  std::string state;       // the record found, for maybe_sent ("reserved" or "unknown")
  std::int64_t sent_at_seconds = 0;  // for maybe_sent: the reservation's or send's time (0: unknown)
  std::string call_out_id;           // for maybe_sent: the OutId of a batch call, if recorded
};

// The message_id argument of a settle_op::unknown: the send's time and, for a batch call, its OutId.
std::string unknown_record_detail(std::int64_t sent_at_seconds, std::string_view call_out_id);

// KEYS: quota_1, quota_2, ... (the period buckets' names are built in the script from ARGV: they
// depend on now's period, and Redis Cluster support will need hash tags here; docs/ledger.md,
// "Redis Cluster").
// ARGV: ledger key base ("<prefix>l:"), now (Unix seconds), the period's length in seconds,
//       bucket TTL, quota TTL, then per item: record id, limit (0 = no quota). A record is looked
//       for in two buckets, now's period's and the previous period's, whatever the retention; a
//       new one goes into now's (docs/ledger.md, How a reserve works).
const std::string& reserve_script();

// Releases definite failures: KEYS: quota_1, ...; ARGV: ledger key base, then per item: record
// id, period, limit (0 = no quota, nothing to refund). Sends and unknown fates are not scripted:
// ledger::store writes "S" + the message id or "U" + unknown_record_detail with HSET.
const std::string& release_script();

enum class settle_op { sent, unknown, failed };

// Decodes the reserve script's reply: one string per item ("ok", "q", or the record found).
result<std::vector<reserve_answer>> decode_reserve(std::span<const std::string> replies, std::size_t expected);

}  // namespace herald::ledger
