// 抖店 answers matched to items by their echoed order_id (docs/gateways.md "fw199 抖店 SMS batch",
// "Answer"; src/gateway/fw199_douyin_match.cpp), row by row: an item is never credited with
// another item's answer, and a reordered answer is not a reason to end a call unknown.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "fw199_douyin_support.hpp"
#include "herald/gateway/fw199_douyin.hpp"

using namespace herald;
using namespace herald::gateway;

namespace {

const fw199_douyin& gw() {
  static const fw199_douyin instance(test::douyin_account());
  return instance;
}

// Items by post_tel with these order ids ("" = none passed).
struct call {
  std::vector<model::event> events;
  std::vector<const model::event*> items;
  explicit call(std::initializer_list<const char*> order_ids) {
    int n = 0;
    for (const char* id : order_ids) events.push_back(test::douyin_event(id, "tel-" + std::to_string(++n)));
    items = test::pointers(events);
  }
};

// One answer element: sent with message id "m-<id>" when code is 0. echo nullptr = no order_id key.
std::string element(const char* echo, const std::string& id, int code = 0, const std::string& message = "") {
  std::string out = R"({"code":)" + std::to_string(code) + R"(,"message":")" + message + '"';
  if (echo) out += R"(,"order_id":")" + std::string(echo) + '"';
  out += R"(,"message_id":")" + (code == 0 ? "m-" + id : std::string()) + R"("})";
  return out;
}

std::string answer(const std::vector<std::string>& elements) {
  std::string out = R"({"code":0,"message":"ok","data":[)";
  for (std::size_t i = 0; i < elements.size(); ++i) out += (i ? "," : "") + elements[i];
  return out + "]}";
}

void check_sent(const item_result& r, const std::string& message_id) {
  CHECK(r.cls == outcome_class::sent);
  CHECK(r.code == "0");
  CHECK(r.message_id == message_id);
}

void check_unmatched(const item_result& r, const std::string& message) {
  CHECK(r.cls == outcome_class::ambiguous);
  CHECK(r.code == "unmatched");
  CHECK(r.message == message);
  CHECK(r.message_id.empty());
}

constexpr const char* cannot_place =
    "no answer item echoes this item's order_id, and the answer cannot be matched by position";

}  // namespace

TEST_CASE("douyin match: a reordered answer credits each item with its own echoed element") {
  call c{"A1", "A2", "A3"};
  const auto r = gw().parse(200, answer({element("A3", "3"), element("A1", "1"), element("A2", "2", 2, "模板不存在")}),
                            c.items);
  REQUIRE(r.size() == 3);
  check_sent(r[0], "m-1");
  CHECK(r[1].cls == outcome_class::permanent);  // A2's failure stays A2's, though it came first
  CHECK(r[1].message == "模板不存在");
  check_sent(r[2], "m-3");
}

TEST_CASE("douyin match: the vendor sample's shape, two items answered in reverse order") {
  call c{"6919023423442342342", "6919023423442342343"};
  const auto r = gw().parse(200,
                            R"({"code":0,"message":"ok","data":[)"
                            R"({"code":0,"message":"","order_id":"6919023423442342343","message_id":"0a01be41-b"},)"
                            R"({"code":0,"message":"","order_id":"6919023423442342342","message_id":"0a01be41-a"}]})",
                            c.items);
  REQUIRE(r.size() == 2);
  check_sent(r[0], "0a01be41-a");
  check_sent(r[1], "0a01be41-b");
}

TEST_CASE("douyin match: partial echo in request order, the unechoed element by position") {
  call c{"A1", "A2", "A3"};
  const auto r = gw().parse(200, answer({element("A1", "1"), element("", "2"), element(nullptr, "3")}), c.items);
  REQUIRE(r.size() == 3);
  check_sent(r[0], "m-1");
  check_sent(r[1], "m-2");
  check_sent(r[2], "m-3");
}

TEST_CASE("douyin match: partial echo out of order, the one element left goes to the one item left") {
  call c{"A1", "A2", "A3"};
  const auto r = gw().parse(200, answer({element("A3", "3"), element("", "2"), element("A1", "1")}), c.items);
  REQUIRE(r.size() == 3);
  check_sent(r[0], "m-1");
  check_sent(r[1], "m-2");
  check_sent(r[2], "m-3");
}

TEST_CASE("douyin match: out of order with two unechoed elements, those two items cannot be told apart") {
  call c{"A1", "A2", "A3"};
  const auto r = gw().parse(200, answer({element("A3", "3"), element("", "x"), element("", "y")}), c.items);
  REQUIRE(r.size() == 3);
  check_unmatched(r[0], cannot_place);
  check_unmatched(r[1], cannot_place);
  check_sent(r[2], "m-3");
}

TEST_CASE("douyin match: items passing no order_id are matched by position in an answer in order") {
  call c{"", "A2", ""};
  const auto r = gw().parse(200, answer({element("", "1"), element("A2", "2"), element("", "3")}), c.items);
  REQUIRE(r.size() == 3);
  check_sent(r[0], "m-1");
  check_sent(r[1], "m-2");
  check_sent(r[2], "m-3");
}

TEST_CASE("douyin match: a duplicate echo credits neither element, and position is no longer trusted") {
  call c{"A1", "A2", "A3"};
  auto r = gw().parse(200, answer({element("A1", "1a"), element("A1", "1b"), element("A3", "3")}), c.items);
  REQUIRE(r.size() == 3);
  check_unmatched(r[0], "two answer items echo this item's order_id");
  check_unmatched(r[1], cannot_place);
  check_sent(r[2], "m-3");

  r = gw().parse(200, answer({element("A1", "1a"), element("A1", "1b"), element("", "3")}), c.items);
  check_unmatched(r[0], "two answer items echo this item's order_id");
  check_unmatched(r[1], cannot_place);
  check_unmatched(r[2], cannot_place);  // by position it would be A3's, but the answer is not to be trusted
}

TEST_CASE("douyin match: an unknown echo credits no item, and the unechoed are not placed by position") {
  call c{"A1", "A2", "A3"};
  auto r = gw().parse(200, answer({element("A1", "1"), element("ZZ", "z"), element("A3", "3")}), c.items);
  REQUIRE(r.size() == 3);
  check_sent(r[0], "m-1");
  check_unmatched(r[1], cannot_place);
  check_sent(r[2], "m-3");

  call two{"A1", "A2"};
  r = gw().parse(200, answer({element("ZZ", "z"), element("", "2")}), two.items);
  REQUIRE(r.size() == 2);
  check_unmatched(r[0], cannot_place);
  check_unmatched(r[1], cannot_place);  // ZZ may be a garbled A1 or A2: the last element is not A2's by default
}

TEST_CASE("douyin match: missing items are ambiguous, whether the answer is in order or not") {
  call c{"A1", "A2", "A3"};
  auto r = gw().parse(200, answer({element("A3", "3"), element("A1", "1")}), c.items);
  REQUIRE(r.size() == 3);
  check_sent(r[0], "m-1");
  check_unmatched(r[1], cannot_place);
  check_sent(r[2], "m-3");

  // In order, without echoes: the missing one is the last by position.
  r = gw().parse(200, answer({element("", "1"), element(nullptr, "2")}), c.items);
  check_sent(r[0], "m-1");
  check_sent(r[1], "m-2");
  check_unmatched(r[2], "no answer item at this position (answer has 2 items for 3 sent)");

  // Out of order and short: the unechoed element cannot be given to either item left.
  r = gw().parse(200, answer({element("A3", "3"), element("", "x")}), c.items);
  check_unmatched(r[0], cannot_place);
  check_unmatched(r[1], cannot_place);
  check_sent(r[2], "m-3");

  r = gw().parse(200, answer({}), c.items);
  for (const auto& x : r) check_unmatched(x, "no answer item at this position (answer has 0 items for 3 sent)");
}

TEST_CASE("douyin match: items sharing an order_id are told apart only by their own positions in order") {
  call c{"X", "X", "B"};
  auto r = gw().parse(200, answer({element("X", "1"), element("X", "2"), element("B", "3")}), c.items);
  REQUIRE(r.size() == 3);
  check_sent(r[0], "m-1");
  check_sent(r[1], "m-2");
  check_sent(r[2], "m-3");

  r = gw().parse(200, answer({element("B", "3"), element("X", "1"), element("X", "2")}), c.items);
  constexpr const char* shared = "another item of the call has this order_id and the answer does not tell them apart";
  check_unmatched(r[0], shared);
  check_unmatched(r[1], shared);
  check_sent(r[2], "m-3");
}

TEST_CASE("douyin match: an element that is not an object, or whose echo is not text, is nobody's") {
  call c{"A1", "A2"};
  auto r = gw().parse(200, R"({"code":0,"data":[{"code":0,"order_id":7,"message_id":"m-7"},)" + element("", "2") + "]}",
                      c.items);
  REQUIRE(r.size() == 2);
  check_unmatched(r[0], cannot_place);
  check_unmatched(r[1], cannot_place);

  r = gw().parse(200, R"({"code":0,"data":[)" + element("A2", "2") + R"(,"x"]})", c.items);
  check_unmatched(r[0], cannot_place);
  check_sent(r[1], "m-2");
}

TEST_CASE("batch_distinct_key: 抖店 keeps one order_id per call; the other gateways have no constraint") {
  const auto by_phone = test::douyin_event("6919023423442342342", "tel-1");
  const auto by_order = test::douyin_order_event("6919023423442342343");
  CHECK(gw().batch_distinct_key(by_phone) == "6919023423442342342");
  CHECK(gw().batch_distinct_key(by_order) == "6919023423442342343");
  CHECK(gw().batch_distinct_key(test::douyin_event("", "tel-2")).empty());  // no order_id: nothing to keep apart
  // A view into the event, not a copy: the batcher keeps it while the item waits.
  CHECK(gw().batch_distinct_key(by_phone).data() == by_phone.order_id.data());

  const auto taobao = make_gateway(test::fw199_account());
  CHECK(taobao->batch_distinct_key(test::fw199_event("6919023423442342342", "oaid-1")).empty());
}
