#include <doctest/doctest.h>

#include "event_test_support.hpp"
#include "herald/model/event.hpp"
#include "herald/util/crypto.hpp"
#include "herald/util/hmac_sha256.hpp"

using namespace herald;
using namespace herald::model;

namespace {

const crypto::hmac_sha256_key key("test-recipient-key-0123");  // as in event_test_support.hpp

std::string derive_event_id(const event& e) { return model::derive_event_id(e, key); }

event sample() {
  event e;
  e.account = "shop-a";
  e.order_id = "3006925020239565830";
  e.template_code = "SMS_12345";
  e.to = {recipient_kind::oaid, "OAID-1"};
  e.sign_name = "Shop A";
  return e;
}

}  // namespace

TEST_CASE("the derived id is d: and the first 16 bytes of HMAC-SHA256 over the joined fields, in hex") {
  // python3: "d:" + hmac.new(key, "\x1f".join(fields).encode(), hashlib.sha256).hexdigest()[:32]
  CHECK(derive_event_id(sample()) == "d:ac768cf0cf62de9380eb2a2d4e2b35ff");
  // The same as OpenSSL's HMAC over the joined fields; not the plain SHA-256 of earlier versions.
  const std::string joined = "shop-a\x1f" "3006925020239565830\x1f" "SMS_12345\x1f" "oaid\x1f" "OAID-1";
  CHECK(derive_event_id(sample()) == "d:" + crypto::hmac_sha256_hex("test-recipient-key-0123", joined).substr(0, 32));
  auto digest = crypto::sha256(joined);
  CHECK(derive_event_id(sample()) != "d:" + crypto::to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), 16)));
}

TEST_CASE("the derived id depends on the recipient hash key") {
  CHECK(model::derive_event_id(sample(), crypto::hmac_sha256_key("another-recipient-key-456")) != derive_event_id(sample()));
  CHECK(model::derive_event_id(sample(), crypto::hmac_sha256_key("test-recipient-key-0123")) == derive_event_id(sample()));
}

TEST_CASE("the derived id is stable and changes when any of its components changes") {
  const std::string base = derive_event_id(sample());
  CHECK(derive_event_id(sample()) == base);

  auto differs = [&](auto change) {
    event e = sample();
    change(e);
    return derive_event_id(e) != base;
  };
  CHECK(differs([](event& e) { e.account = "shop-b"; }));
  CHECK(differs([](event& e) { e.order_id = "3006925020239565831"; }));
  CHECK(differs([](event& e) { e.template_code = "SMS_12346"; }));
  CHECK(differs([](event& e) { e.to.value = "OAID-2"; }));
  CHECK(differs([](event& e) { e.to.kind = recipient_kind::post_tel; }));
  // The separator keeps field boundaries: moving a character between fields changes the id.
  CHECK(differs([](event& e) {
    e.account = "shop-a3";
    e.order_id = "006925020239565830";
  }));

  // Not part of the key: the same notification with edited params or another signature name.
  CHECK_FALSE(differs([](event& e) { e.params_json = R"({"amount":"2"})"; }));
  CHECK_FALSE(differs([](event& e) { e.sign_name = "Other"; }));
  CHECK_FALSE(differs([](event& e) { e.category = config::category::marketing; }));
}

TEST_CASE("decode_event derives the id only when event_id is absent") {
  const auto cfg = test::accounts_of_every_kind();
  const char* without = R"({"account": "shop-a", "order_id": 3006925020239565830, "recipient": {"oaid": "OAID-1"},
                            "sign_name": "Shop A", "template_code": "SMS_12345", "params": {"x": "1"}})";
  auto a = decode_event(without, cfg);
  auto b = decode_event(without, cfg);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->is_event_id_derived);
  CHECK(a->event_id == b->event_id);
  CHECK(a->event_id == derive_event_id(sample()));  // a numeric order_id derives like its text

  auto given = decode_event(R"({"event_id": "evt-123", "account": "shop-a", "order_id": "1", "recipient": {"oaid": "o"},
                                "sign_name": "s", "template_code": "t"})",
                            cfg);
  REQUIRE(given.has_value());
  CHECK(given->event_id == "evt-123");
  CHECK_FALSE(given->is_event_id_derived);
}

TEST_CASE("a by_order recipient derives from its kind and an empty value; the order is already in the key") {
  event e = sample();
  e.account = "shop-dy";
  e.template_code = "ST_72dd4e2c";
  e.to = {recipient_kind::by_order, ""};
  CHECK(derive_event_id(e) == "d:3e43bdedc019f4c01a38d6926f3c2022");

  // Addressing the same order's buyer by post_tel is another notification (the ledger cannot know
  // that the two are one person).
  event by_tel = e;
  by_tel.to = {recipient_kind::post_tel, ""};
  CHECK(derive_event_id(by_tel) != derive_event_id(e));
  event other_order = e;
  other_order.order_id = "3006925020239565831";
  CHECK(derive_event_id(other_order) != derive_event_id(e));

  const auto cfg = test::accounts_of_every_kind();
  auto decoded = decode_event(R"({"account": "shop-dy", "order_id": 3006925020239565830, "recipient": {"by_order": true},
                                  "sign_name": "s", "template_code": "ST_72dd4e2c"})",
                              cfg);
  REQUIRE_MESSAGE(decoded.has_value(), decoded.message());
  CHECK(decoded->event_id == derive_event_id(e));
}

TEST_CASE("recipient kinds are named by their JSON keys") {
  for (auto k : {recipient_kind::oaid, recipient_kind::post_tel, recipient_kind::phone, recipient_kind::by_order})
    CHECK(parse_recipient_kind(to_string(k)) == k);
  CHECK(to_string(recipient_kind::post_tel) == "post_tel");
  CHECK(to_string(recipient_kind::by_order) == "by_order");
  CHECK_FALSE(parse_recipient_kind("email").has_value());
}
