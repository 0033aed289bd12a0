// The worker decodes each event into a reused item's event (model::decode_event_into): nothing of
// the event decoded there before may remain.
#include <doctest/doctest.h>

#include "event_test_support.hpp"
#include "herald/model/event.hpp"

using namespace herald;
using namespace herald::model;

namespace {

const config::herald_config cfg = test::accounts_of_every_kind();

// Every optional field set, a card, marketing, an explicit event_id.
const char* const full_event = R"({"event_id": "evt-full", "account": "brand-card", "order_id": "88231",
    "recipient": {"phone": "13800138000"}, "sign_name": "Brand", "template_code": "CARD_SMS_6112",
    "params": {"name": "x"}, "category": "marketing", "extend": "e1", "extend_code": "c1", "extend_name": "n1",
    "card": {"fallback_type": "DIGITALSMS", "fallback_template_code": "DIGITAL_1", "custom_url": "https://example.com/o"}})";

// Only what is required: no event_id (derived), no params, another account and recipient kind.
const char* const minimal_event = R"({"account": "shop-a", "order_id": "991", "recipient": {"oaid": "AAHk3jmW"},
    "sign_name": "Shop", "template_code": "SMS_1"})";

event fresh(const char* json) {
  auto r = decode_event(json, cfg);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.message()));
  return std::move(r.value());
}

}  // namespace

TEST_CASE("an event decoded into a used event equals the same event decoded fresh") {
  event reused;
  REQUIRE(decode_event_into(full_event, cfg, reused).has_value());
  CHECK(reused == fresh(full_event));
  REQUIRE(decode_event_into(minimal_event, cfg, reused).has_value());
  CHECK(reused == fresh(minimal_event));
  CHECK(reused.is_event_id_derived);
  CHECK(!reused.card.has_value());
  CHECK(reused.params_json == "{}");
  CHECK(reused.category == config::category::transactional);
  REQUIRE(decode_event_into(full_event, cfg, reused).has_value());
  CHECK(reused == fresh(full_event));
}

TEST_CASE("clearing an event makes it equal to a new one") {
  event e = fresh(full_event);
  clear(e);
  CHECK(e == event{});
}

TEST_CASE("an event that fails to decode into a used event says why, as a fresh decode does") {
  event reused = fresh(full_event);
  const char* const no_order = R"({"account": "shop-a", "recipient": {"oaid": "AAHk3jmW"}, "sign_name": "S",
      "template_code": "T"})";
  auto st = decode_event_into(no_order, cfg, reused);
  REQUIRE(!st.has_value());
  CHECK(st.message() == "order_id: missing");
  CHECK(reused.card == std::nullopt);  // nothing of the earlier event survives the clear
}
