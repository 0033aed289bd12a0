#pragma once
// The ledger's three Lua scripts and the decoding of their answers: plain code, testable without
// Redis (docs/ledger.md). One script call reserves a batch (records + daily quota, atomically),
// one marks a gateway call's items written before the request goes out, and one records what a
// call decided for the items that were not sent (a sent item is a plain HSET pipelined with it).
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/ledger/ledger_store.hpp"
#include "herald/util/result.hpp"

namespace herald::ledger {

// KEYS: quota_1, quota_2, ... (the period buckets' names are built in the script from ARGV: they
// depend on now's period; Redis Cluster support will need hash tags here, docs/ledger.md).
// ARGV: ledger key base ("<prefix>l:"), now (Unix seconds), the period's length in seconds,
//       bucket TTL, quota TTL, the owner token, then per item: record id, limit (0 = no quota),
//       the quota day to record ("" when the limit is 0: nothing is charged), and the source for
//       reserve_mode::resend ("" for fresh).
// Answers per item: "ok" (new, charged), "own" (the caller's `r` already: a lost answer),
// "took" (another owner's `r`, taken over), "again" (resend: the source's `c`/`u` is the caller's
// `r`), "q" (over quota, nothing reserved), or the value of the record found.
const std::string& reserve_script();
inline constexpr std::size_t reserve_head_args = 6;
inline constexpr std::size_t reserve_item_args = 4;

// ARGV: ledger key base, the call's time, then per item: record id, period, owner, source, OutId.
// Answers per item: "ok" (the owner's `w` now), or the value found instead ("" for none).
const std::string& write_script();
inline constexpr std::size_t write_head_args = 2;
inline constexpr std::size_t write_item_args = 5;

// KEYS: each item's quota key (of its own day: a refund rebuilds the charged day's from it).
// ARGV: ledger key base, bucket TTL, then per item: op ('c' checking, 'u' unknown, 'n' not_sent,
//       'f' failed), record id, period, owner, source, time, OutId, and where the day's digits are
//       in the quota key (offset, length).
// Answers per item: "ok" (done), "s" (a sent record kept: checking/unknown not written), "no"
// (not the owner's record: nothing changed; for failed also nothing refunded).
const std::string& settle_script();
inline constexpr std::size_t settle_head_args = 2;
inline constexpr std::size_t settle_item_args = 9;

// Decodes the reserve script's answers (one per item, in order).
result<std::vector<reserve_answer>> decode_reserve(std::span<const std::string_view> replies, std::size_t expected);
// Decodes the write script's answers.
result<std::vector<write_answer>> decode_write(std::span<const std::string_view> replies, std::size_t expected);
// Checks the settle script's answers; how many items it left unchanged ("s" or "no": a retry
// after a lost answer, or a record another attempt owns now).
result<std::size_t> decode_settle(std::span<const std::string_view> replies, std::size_t expected);

}  // namespace herald::ledger
