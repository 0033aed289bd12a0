// The outcome record's exact text (docs/events.md, "Outcome records"): consumers parse it, so its
// fields, their order and their escaping are a contract.
#include <doctest/doctest.h>

#include "herald/model/outcome.hpp"

using namespace herald::model;

namespace {

// A sent outcome with every field that a sent outcome has.
outcome sent_outcome() {
  outcome o;
  o.event_id = "evt-1";
  o.order_id = "3006925020239565830";
  o.account = "shop-a";
  o.st = status::sent;
  o.reason = "accepted by the gateway";
  o.gateway_code = "0";
  o.gateway_message_id = "1234567890^0";
  o.attempts = 1;
  o.source = {"orders", 3, 1042};
  o.settled_at_ms = 1795618863123;
  return o;
}

}  // namespace

TEST_CASE("an outcome record holds every field in the documented order, compact") {
  CHECK(to_json(sent_outcome()) ==
        R"({"event_id":"evt-1","order_id":"3006925020239565830","account":"shop-a","status":"sent",)"
        R"("reason":"accepted by the gateway","gateway_code":"0","gateway_message_id":"1234567890^0","attempts":1,)"
        R"("source":{"topic":"orders","partition":3,"offset":1042},"settled_at":"2026-11-25T15:01:03.123Z"})");
}

TEST_CASE("an outcome record carries class and policy only when set, and escapes its texts") {
  outcome o;
  o.event_id = "e\"2";
  o.order_id = "o\\2";
  o.account = "a";
  o.st = status::unknown;
  o.reason = "line one\nline two";
  o.outcome_class = "ambiguous";
  o.policy = "assume_sent";
  o.attempts = 3;
  o.source = {"t", 0, 0};
  o.settled_at_ms = 0;
  CHECK(to_json(o) ==
        R"({"event_id":"e\"2","order_id":"o\\2","account":"a","status":"unknown","reason":"line one\nline two",)"
        R"("class":"ambiguous","gateway_code":"","gateway_message_id":"","policy":"assume_sent","attempts":3,)"
        R"("source":{"topic":"t","partition":0,"offset":0},"settled_at":"1970-01-01T00:00:00.000Z"})");
}

TEST_CASE("clearing an outcome makes it equal to a new one") {
  outcome o = sent_outcome();
  o.outcome_class = "permanent";  // and the fields a sent outcome leaves empty
  o.policy = "p";
  REQUIRE(!(o == outcome{}));
  clear(o);
  CHECK(o == outcome{});
}
