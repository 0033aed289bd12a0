#pragma once
// Where the ledger and the quota live in Redis. Recipients and idempotency keys are stored only
// as hashes (ARCHITECTURE.md, promise 5).
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/model/event.hpp"

namespace herald::ledger {

struct item_keys {
  std::string ledger;  // one record per notification
  std::string quota;   // the recipient's counter for this account, category and quota day
};

// now_seconds decides the quota day, a calendar day at offset_minutes east of UTC.
item_keys make_keys(std::string_view prefix, const model::event& e, std::int64_t now_seconds, int offset_minutes);

// Seconds a quota counter must live: to the end of its quota day, plus an hour of slack.
std::int64_t quota_ttl_seconds(std::int64_t now_seconds, int offset_minutes);

}  // namespace herald::ledger
