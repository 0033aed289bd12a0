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

TEST_CASE("an outcome record carries the event's trace_id after policy, only when it has one") {
  outcome o = sent_outcome();
  o.trace_id = "0af7651916cd43dd8448eb211c80319c";
  CHECK(to_json(o) ==
        R"({"event_id":"evt-1","order_id":"3006925020239565830","account":"shop-a","status":"sent",)"
        R"("reason":"accepted by the gateway","gateway_code":"0","gateway_message_id":"1234567890^0",)"
        R"("trace_id":"0af7651916cd43dd8448eb211c80319c","attempts":1,)"
        R"("source":{"topic":"orders","partition":3,"offset":1042},"settled_at":"2026-11-25T15:01:03.123Z"})");
  o.policy = "assume_sent";
  CHECK(to_json(o).find(R"("policy":"assume_sent","trace_id":"0af7651916cd43dd8448eb211c80319c","attempts":1)") !=
        std::string::npos);
  o.trace_id.clear();
  CHECK(to_json(o).find("trace_id") == std::string::npos);
}

TEST_CASE("clearing an outcome makes it equal to a new one") {
  outcome o = sent_outcome();
  o.outcome_class = "permanent";  // and the fields a sent outcome leaves empty
  o.policy = "p";
  o.trace_id = "0af7651916cd43dd8448eb211c80319c";
  REQUIRE(!(o == outcome{}));
  clear(o);
  CHECK(o == outcome{});
}

TEST_CASE("gateway texts in an outcome are cut to their bound at a character boundary") {
  herald::model::outcome o;
  o.reason = std::string(2000, 'r');
  o.gateway_code = "isv.OK";
  // Three-byte characters: 1024 - 3 is not a multiple of 3, so the cut must step back.
  std::string id;
  for (int i = 0; i < 600; ++i) id += "\xE4\xB8\xAD";
  o.gateway_message_id = id;
  CHECK(herald::model::bound_texts(o));
  CHECK(o.reason.size() <= herald::model::max_outcome_text_bytes);
  CHECK(o.reason.substr(o.reason.size() - 3) == "\xE2\x80\xA6");
  CHECK(o.reason.compare(0, 1000, std::string(1000, 'r')) == 0);
  CHECK(o.gateway_code == "isv.OK");
  CHECK(o.gateway_message_id.size() <= herald::model::max_outcome_text_bytes);
  CHECK((o.gateway_message_id.size() - 3) % 3 == 0);  // whole characters, then the mark
  CHECK(o.gateway_message_id.compare(0, 999, id, 0, 999) == 0);
  herald::model::outcome small;
  small.reason = std::string(herald::model::max_outcome_text_bytes, 'x');
  CHECK_FALSE(herald::model::bound_texts(small));
  CHECK(small.reason.size() == herald::model::max_outcome_text_bytes);
}
