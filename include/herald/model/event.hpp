#pragma once
// An order-notification event as Herald consumes it (docs/events.md).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "herald/config/config.hpp"
#include "herald/util/result.hpp"

namespace herald::model {

enum class recipient_kind { oaid, post_tel, phone };

struct recipient {
  recipient_kind kind = recipient_kind::oaid;
  std::string value;  // never logged; the ledger and quota only see its hash
};

struct event {
  std::string event_id;             // idempotency key (given, or derived: see is_event_id_derived)
  bool is_event_id_derived = false;
  std::string account;              // names a configured account
  std::string order_id;
  recipient to;
  std::string sign_name;
  std::string template_code;
  std::string params_json = "{}";   // the "params" object, compact JSON text
  config::category category = config::category::transactional;
  std::string extend;               // optional gateway extension fields
  std::string extend_code;
  std::string extend_name;
};

// Decodes and validates one event. The error message names the field and what is wrong with it,
// e.g. `recipient: account "shop-a" (fw199_taobao) needs {"oaid": ...}, got {"phone": ...}`.
// Never quotes the recipient's value. When event_id is absent it is derived (derive_event_id).
// Allocates only the event's own strings; safe to call from several threads at once.
result<event> decode_event(std::string_view bytes, const config::herald_config& cfg);

// The idempotency key derived when an event carries no event_id: account + order + template +
// recipient, so that the same notification to the same person is recognised on redelivery.
std::string derive_event_id(const event& e);

std::string_view to_string(recipient_kind k);  // "oaid", "post_tel", "phone": the JSON key
std::optional<recipient_kind> parse_recipient_kind(std::string_view key);

// The one recipient kind an account's gateway addresses people by (docs/events.md).
recipient_kind recipient_kind_for(config::gateway_kind gateway);

}  // namespace herald::model
