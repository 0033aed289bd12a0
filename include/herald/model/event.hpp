#pragma once
// An order-notification event as Herald consumes it (docs/events.md).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "herald/config/config.hpp"
#include "herald/util/hmac_sha256.hpp"
#include "herald/util/result.hpp"

namespace herald::model {

// oaid: Taobao's encrypted buyer id; post_tel: 抖店's encrypted receiver phone (or a plain number);
// phone: a plain number (Alibaba Cloud); by_order: 抖店 biz_type 1, the buyer of order_id
// (JSON {"by_order": true}, value empty).
enum class recipient_kind { oaid, post_tel, phone, by_order };

struct recipient {
  recipient_kind kind = recipient_kind::oaid;
  std::string value;  // never logged; the ledger and quota only see its hash
  bool operator==(const recipient&) const = default;
};

// Alibaba Cloud card SMS (aliyun_card accounts): template_code is the CardTemplateCode and params
// its dyncParams; numbers that cannot show a card fall back as below (docs/gateways.md
// "Alibaba Cloud SMS").
struct card_fields {
  std::string fallback_type = "SMS";    // SMS | DIGITALSMS | NONE
  std::string fallback_template_code;   // SmsTemplateCode or DigitalTemplateCode
  std::string fallback_params_json;     // its params, compact JSON object text ("" = none)
  std::string custom_url;               // customUrl of the card object
  std::string custom_short_code_json;   // customShortCodeJson, JSON text ("" = none)
  bool operator==(const card_fields&) const = default;
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
  std::optional<card_fields> card;  // required for aliyun_card accounts, refused elsewhere
  bool operator==(const event&) const = default;
};

// Makes `e` equal to a default-constructed event, keeping its strings' buffers for the next event
// decoded into it (the worker reuses its in-flight items: one allocation less per field).
void clear(event& e);

// Decodes and validates one event. The error message names the field and what is wrong with it,
// e.g. `recipient: account "shop-a" (fw199_taobao) needs {"oaid": ...}, got {"phone": ...}`.
// Never quotes the recipient's value. When event_id is absent it is derived (derive_event_id).
// Allocates only the event's own strings; safe to call from several threads at once.
result<event> decode_event(std::string_view bytes, const config::herald_config& cfg);
// The same into `out` (cleared first, so nothing of an earlier event remains; on an error it holds
// what was read before the error).
status decode_event_into(std::string_view bytes, const config::herald_config& cfg, event& out);

// The idempotency key derived when an event carries no event_id: account + order + template +
// recipient, so that the same notification to the same person is recognised on redelivery.
// Keyed with recipient_key (ledger.recipient_hash_key), since the id shows in outcomes and logs.
std::string derive_event_id(const event& e, const crypto::hmac_sha256_key& recipient_key);

std::string_view to_string(recipient_kind k);  // "oaid", "post_tel", "phone": the JSON key
std::optional<recipient_kind> parse_recipient_kind(std::string_view key);

// The one recipient kind an account's gateway addresses people by (docs/events.md).
recipient_kind recipient_kind_for(config::gateway_kind gateway);
// Whether a gateway can address a recipient of this kind (fw199_douyin takes post_tel and by_order).
bool accepts_recipient(config::gateway_kind gateway, recipient_kind kind);

}  // namespace herald::model
