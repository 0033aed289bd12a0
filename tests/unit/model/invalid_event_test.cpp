// identify_invalid_event: what an event that failed to decode still tells about itself.
#include <doctest/doctest.h>

#include <string>

#include "herald/model/invalid_event.hpp"

using herald::model::event;
using herald::model::identify_invalid_event;

namespace {

event identify(std::string_view bytes) {
  event e;
  identify_invalid_event(bytes, e);
  return e;
}

}  // namespace

TEST_CASE("string fields of an invalid event are its identity") {
  event e = identify(R"({"event_id": "evt-1", "order_id": "o-1", "account": "shop-a", "recipient": 5})");
  CHECK(e.event_id == "evt-1");
  CHECK(e.order_id == "o-1");
  CHECK(e.account == "shop-a");
  e = identify("\xEF\xBB\xBF{\"order_id\": \"o-2\"}");  // after a byte order mark
  CHECK(e.order_id == "o-2");
}

TEST_CASE("only text that is valid UTF-8 is copied, field by field") {
  // Rejected for invalid UTF-8: that field stays empty, the well-formed ones are still read.
  event e = identify("{\"event_id\": \"evt-\xff\", \"order_id\": \"o-1\", \"account\": \"shop-\xed\xa0\x80\"}");
  CHECK(e.event_id.empty());
  CHECK(e.order_id == "o-1");
  CHECK(e.account.empty());
  // A \udc00 escape decodes into bytes that are not UTF-8: never carried into the outcome.
  e = identify(R"({"event_id": "evt-\udc00", "order_id": "o-\ud83d\ude00"})");
  CHECK(e.event_id.empty());
  CHECK(e.order_id == "o-\xF0\x9F\x98\x80");
}

TEST_CASE("what is not a short string is not copied") {
  event e = identify(R"({"event_id": 5, "order_id": ")" + std::string(129, 'x') + R"(", "account": null})");
  CHECK(e.event_id.empty());
  CHECK(e.order_id.empty());
  CHECK(e.account.empty());
  CHECK(identify(R"({"order_id": ")" + std::string(128, 'x') + R"("})").order_id.size() == 128);
  CHECK(identify("[1]").event_id.empty());
  CHECK(identify("{\"event_id\": \"evt-1\"").event_id.empty());  // not JSON: nothing
}

TEST_CASE("deeply nested hostile input is refused without overflowing the stack") {
  // What crashed the worker: the recursive DOM parser on {"t": followed by ~200,000 brackets.
  event e = identify(R"({"event_id": "evt-1", "t": )" + std::string(200000, '['));
  CHECK(e.event_id.empty());
  e = identify(R"({"event_id": "evt-1", "t": )" + std::string(200000, '[') + std::string(200000, ']') + "}");
  CHECK(e.event_id.empty());
}
