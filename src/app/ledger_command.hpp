#pragma once
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "herald/config/config.hpp"

namespace herald::app {

// What `herald ledger get` is asked about: an event's JSON (all else follows from it), or an
// account with an event_id, or with the fields a derived id is made of (docs/events.md, "The
// derived event id"). A recipient, given or in the event, also shows its quota counters.
struct ledger_query {
  std::string account;
  std::string event_id;
  std::string order_id;
  std::string template_code;
  std::string recipient_kind;   // "oaid", "post_tel", "phone", "by_order"; "" = none given
  std::string recipient_value;  // empty for by_order
  std::string event_json;       // an event as Herald consumes it; "" = none
  std::string category;         // "transactional", "marketing"; "" = both
  bool is_json = false;
  std::uint32_t timeout_ms = 5000;
};

// Prints the notification's ledger record (decoded), its bucket's TTL and the recipient's quota
// counters for today. exit_ok when Redis answered (also when there is no record: state none),
// exit_config for arguments that name no notification, exit_found when Redis cannot be asked.
int run_ledger_get(const config::herald_config& cfg, const ledger_query& q, std::ostream& out, std::ostream& err);

}  // namespace herald::app
