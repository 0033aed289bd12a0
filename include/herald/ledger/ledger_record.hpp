#pragma once
// A ledger record's value: what one notification's record says about it, and its text in Redis.
// Plain code, testable without Redis (docs/ledger.md, "Record states").
//
// A record moves r → w → (s | c | u), or is deleted (a definite failure, or a wait on the retry
// topic). Only the owner of an `r` may turn it into a `w`, and a request is written to a gateway
// only after its `w` is in Redis: so a record that is still `r` proves nothing went out, and
// another attempt may take it over (which fences the old owner out: its `w` is refused).
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/util/result.hpp"

namespace herald::ledger {

// Values, one letter and fields separated by '|' (the message id is last: it may hold '|'):
//   r<t>|<owner>|<qday>               reserved at t by owner; nothing written to a gateway yet
//   w<t>|<owner>|<qday>|<src>|<outid>  a request is (being) written, since t (the call's time)
//   c<t>|<qday>|<src>|<outid>          sent at t, fate unknown, receipt checks under way
//   u<t>|<qday>|<src>|<outid>          sent at t, fate unknown for good (the on_unknown policy decided)
//   s<src>|<message id>                 accepted by the gateway
// <qday> is the quota day that was charged (empty: none); <src> the consumed record the attempt
// came from (source_id in ledger_keys.hpp): a redelivery of that same record finds its own.
// Written by Herald before 2026-12-02, still read: R<t>, U<t>[|<outid>], S<message id>.
enum class record_state {
  none,      // no record (never reserved, or released)
  reserved,  // r
  written,   // w
  checking,  // c
  unknown,   // u
  sent,      // s
};

std::string_view to_string(record_state s);

struct record {
  record_state state = record_state::none;
  std::int64_t at_seconds = 0;  // r: the reservation's time; w, c, u: the call's; 0 when not known
  std::string owner;            // r, w
  std::int32_t quota_day = -1;  // r, w, c, u: the quota day charged (calendar day number), -1: none
  std::string source;           // w, c, u, s: "" for a legacy record
  std::string call_out_id;      // w, c, u
  std::string message_id;       // s
  bool is_legacy = false;       // R, U or S: written before owners and sources existed
};

// Decodes a record's value (the reserve script answers with the value it found).
result<record> decode_record(std::string_view value);

// The text of a record (decode_record's inverse), for tests and the operator's tools; the scripts
// build the same texts in Lua.
std::string encode_record(const record& r);

}  // namespace herald::ledger
