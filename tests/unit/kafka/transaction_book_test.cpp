// The transactional producer's bookkeeping, record by record: what is produced when, what a
// commit and an abort make of each record, and what a dropped source does.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "herald/kafka/transaction_book.hpp"

using namespace herald::kafka;

namespace {

struct probe : delivery_target {
  void on_delivery(const delivery_report&) override {}
};

txn_record rec(std::string_view value, source_tag source = 0, delivery_target* target = nullptr) {
  return make_txn_record(0, "k", value, {}, target, {}, source, false);
}

// Values of the records hear() is called for, in order, with their state.
struct heard {
  std::vector<std::string> values;
  std::vector<record_state> states;
  void operator()(txn_record& r) {
    values.emplace_back(r.value());
    states.push_back(r.state);
  }
};

// Produces everything that waits into the open transaction; the values, in order.
std::vector<std::string> open_all(transaction_book& b) {
  std::vector<std::string> out;
  while (auto s = b.open_next_waiting()) out.emplace_back(b.find(*s)->value());
  return out;
}

}  // namespace

TEST_CASE("a record keeps its key, value and headers in one copy; a borrowed value is not copied") {
  const header hs[] = {{"herald.truncated", "true"}, {"", ""}, {"original.size", "1048576"}};
  txn_record r = make_txn_record(3, "event-1", "payload", hs, nullptr, {false, true}, 42, false);
  CHECK(r.topic == 3);
  CHECK(r.key() == "event-1");
  CHECK(r.value() == "payload");
  CHECK(r.source == 42);
  CHECK(r.null_parts.value);
  std::vector<std::pair<std::string, std::string>> got;
  r.for_each_header([&](std::string_view n, std::string_view v) { got.emplace_back(n, v); });
  REQUIRE(got.size() == 3);
  CHECK(got[0] == std::pair<std::string, std::string>{"herald.truncated", "true"});
  CHECK(got[1] == std::pair<std::string, std::string>{"", ""});
  CHECK(got[2] == std::pair<std::string, std::string>{"original.size", "1048576"});

  std::string owner = "outcome json";
  txn_record b = make_txn_record(0, "e", owner, hs, nullptr, {}, 0, true);
  CHECK(b.value().data() == owner.data());  // the owner's bytes, not a copy
  std::size_t n = 0;
  b.for_each_header([&](std::string_view, std::string_view) { ++n; });
  CHECK(n == 3);
  // The copy does not move when the record does (librdkafka reads it without a copy of its own).
  const char* at = r.value().data();
  txn_record moved = std::move(r);
  CHECK(moved.value().data() == at);
}

TEST_CASE("records wait until a transaction is open, then join it in their order") {
  transaction_book b;
  CHECK_FALSE(b.add(rec("a")).has_value());
  CHECK_FALSE(b.add(rec("b")).has_value());
  CHECK(b.waiting_size() == 2);
  CHECK_FALSE(b.open_next_waiting().has_value());  // nothing open yet
  b.began();
  CHECK(open_all(b) == std::vector<std::string>{"a", "b"});
  CHECK(b.open_size() == 2);
  // Nothing waits now: a new record joins the open transaction at once.
  auto s = b.add(rec("c"));
  REQUIRE(s.has_value());
  CHECK(b.find(*s)->value() == "c");
  CHECK(b.open_size() == 3);
}

TEST_CASE("a new record waits behind records that still wait (librdkafka's queue was full)") {
  transaction_book b;
  b.began();
  auto s = b.add(rec("a"));
  REQUIRE(s);
  b.unopen_last();  // producev said the queue is full
  CHECK(b.open_size() == 0);
  CHECK_FALSE(b.add(rec("b")).has_value());  // must not overtake a
  CHECK(open_all(b) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("a commit: delivered records are heard as delivered; records produced meanwhile wait for the next") {
  transaction_book b;
  b.began();
  auto a = b.add(rec("a"));
  auto c = b.add(rec("c"));
  REQUIRE(a);
  REQUIRE(c);
  b.end_open();
  CHECK(b.is_ending());
  CHECK_FALSE(b.is_open());
  // During the commit: new records wait, reports for the ending transaction still land.
  CHECK_FALSE(b.add(rec("d")).has_value());
  CHECK(b.on_report(*a, record_state::delivered));
  CHECK(b.on_report(*c, record_state::delivered));
  heard h;
  b.committed(h);
  CHECK(h.values == std::vector<std::string>{"a", "c"});
  CHECK(h.states == std::vector<record_state>{record_state::delivered, record_state::delivered});
  CHECK_FALSE(b.is_ending());
  CHECK(b.find(*a) == nullptr);  // gone
  b.began();
  CHECK(open_all(b) == std::vector<std::string>{"d"});
}

TEST_CASE("an abort: records are produced again first, in order, before those that waited; failed ones are heard") {
  transaction_book b;
  b.began();
  auto a = b.add(rec("a"));
  auto big = b.add(rec("too large"));
  auto c = b.add(rec("c"));
  REQUIRE((a && big && c));
  CHECK(b.on_report(*a, record_state::delivered));
  CHECK(b.on_report(*big, record_state::failed, produce_error::record_too_large, "Broker: Message size too large"));
  CHECK(b.must_abort_open());
  b.end_open();
  CHECK(b.on_report(*c, record_state::retry));  // purged by the abort
  b.add(rec("d"));                              // produced during the abort
  heard h;
  b.aborted(h);
  REQUIRE(h.values == std::vector<std::string>{"too large"});
  CHECK(h.states[0] == record_state::failed);
  CHECK(b.waiting_size() == 3);
  b.began();
  CHECK_FALSE(b.must_abort_open());  // a new transaction starts clean
  CHECK(open_all(b) == std::vector<std::string>{"a", "c", "d"});
}

TEST_CASE("the failed record keeps librdkafka's kind and text for its target") {
  transaction_book b;
  b.began();
  auto s = b.add(rec("x"));
  REQUIRE(s);
  b.on_report(*s, record_state::failed, produce_error::topic_unusable, "Broker: Unknown topic or partition");
  b.end_open();
  produce_error kind = produce_error::transient;
  std::string error;
  b.aborted([&](txn_record& r) {
    kind = r.kind;
    error = r.error;
  });
  CHECK(kind == produce_error::topic_unusable);
  CHECK(error == "Broker: Unknown topic or partition");
}

TEST_CASE("a retry or a failure in the open transaction means it must be aborted; a delivery does not") {
  transaction_book b;
  b.began();
  auto a = b.add(rec("a"));
  REQUIRE(a);
  CHECK_FALSE(b.must_abort_open());
  b.on_report(*a, record_state::delivered);
  CHECK_FALSE(b.must_abort_open());
  b.on_report(*a, record_state::retry);
  CHECK(b.must_abort_open());
  b.on_report(*a, record_state::retry);  // the same record twice counts once
  auto c = b.add(rec("c"));
  REQUIRE(c);
  b.on_report(*c, record_state::failed, produce_error::record_too_large, "too large");
  CHECK(b.must_abort_open());
}

TEST_CASE("a slot of a finished transaction names no record") {
  transaction_book b;
  b.began();
  auto a = b.add(rec("a"));
  REQUIRE(a);
  b.end_open();
  b.committed([](txn_record&) {});
  b.began();
  auto c = b.add(rec("c"));
  REQUIRE(c);
  CHECK(*a != *c);  // the same index, another generation
  CHECK_FALSE(b.on_report(*a, record_state::delivered));
  CHECK(b.find(*a) == nullptr);
  CHECK(b.find(*c)->value() == "c");
  CHECK(*c != 0);
}

TEST_CASE("a dropped source: waiting records are taken out at once, open ones force an abort and are never produced again") {
  transaction_book b;
  b.began();
  auto a1 = b.add(rec("a1", 1));
  auto b1 = b.add(rec("b1", 2));
  auto a2 = b.add(rec("a2", 1));
  auto none = b.add(rec("no source", 0));
  REQUIRE((a1 && b1 && a2 && none));
  b.end_open();
  b.committed([](txn_record&) {});
  b.began();
  auto a3 = b.add(rec("a3", 1));
  auto b2 = b.add(rec("b2", 2));
  REQUIRE((a3 && b2));
  b.unopen_last();  // b2 waits (queue full)
  b.add(rec("a4", 1));
  const source_tag tags[] = {1};
  std::vector<txn_record> now = b.drop(tags);
  REQUIRE(now.size() == 1);
  CHECK(now[0].value() == "a4");
  CHECK(now[0].state == record_state::dropped);
  CHECK(b.must_abort_open());
  b.on_report(*a3, record_state::delivered);  // a report after the drop does not undo it
  CHECK(b.find(*a3)->state == record_state::dropped);
  b.end_open();
  heard h;
  b.aborted(h);
  CHECK(h.values == std::vector<std::string>{"a3"});
  CHECK(h.states == std::vector<record_state>{record_state::dropped});
  b.began();
  CHECK(open_all(b) == std::vector<std::string>{"b2"});
}

TEST_CASE("a record of a commit already under way when its source is dropped: delivered if the commit succeeds") {
  transaction_book b;
  b.began();
  auto a = b.add(rec("a", 7));
  auto c = b.add(rec("c", 8));
  REQUIRE((a && c));
  b.end_open();
  const source_tag tags[] = {7};
  CHECK(b.drop(tags).empty());
  CHECK(b.find(*a)->state == record_state::dropped);
  b.on_report(*a, record_state::delivered);
  b.on_report(*c, record_state::delivered);
  heard committed;
  b.committed(committed);
  CHECK(committed.values == std::vector<std::string>{"a", "c"});
  CHECK(committed.states == std::vector<record_state>{record_state::delivered, record_state::delivered});
}

TEST_CASE("a record of a commit under way when its source is dropped: dropped, not produced again, if it aborts") {
  transaction_book b;
  b.began();
  auto a = b.add(rec("a", 7));
  auto c = b.add(rec("c", 8));
  REQUIRE((a && c));
  b.end_open();
  const source_tag tags[] = {7};
  b.drop(tags);
  heard h;
  b.aborted(h);
  CHECK(h.values == std::vector<std::string>{"a"});
  CHECK(h.states == std::vector<record_state>{record_state::dropped});
  b.began();
  CHECK(open_all(b) == std::vector<std::string>{"c"});
}

TEST_CASE("a commit that succeeded although a record was not written: that record is produced again") {
  transaction_book b;
  b.began();
  auto a = b.add(rec("a"));
  auto c = b.add(rec("c"));
  REQUIRE((a && c));
  b.end_open();
  b.on_report(*a, record_state::delivered);
  b.on_report(*c, record_state::retry);
  heard h;
  b.committed(h);
  CHECK(h.values == std::vector<std::string>{"a"});
  CHECK(b.waiting_size() == 1);
  b.began();
  CHECK(open_all(b) == std::vector<std::string>{"c"});
}

TEST_CASE("records that hear their end may produce new ones: they wait for the next transaction") {
  transaction_book b;
  b.began();
  auto a = b.add(rec("a"));
  REQUIRE(a);
  b.on_report(*a, record_state::failed, produce_error::record_too_large, "too large");
  b.end_open();
  b.aborted([&](txn_record&) { CHECK_FALSE(b.add(rec("smaller copy")).has_value()); });
  b.began();
  CHECK(open_all(b) == std::vector<std::string>{"smaller copy"});
}

TEST_CASE("sizes count every record the book holds") {
  transaction_book b;
  b.add(rec("w"));
  CHECK(b.size() == 1);
  b.began();
  open_all(b);
  b.add(rec("o"));
  b.end_open();
  b.add(rec("w2"));
  CHECK(b.ending_size() == 2);
  CHECK(b.waiting_size() == 1);
  CHECK(b.size() == 3);
}

TEST_CASE("a transaction error that names no record: the records of the topics found unusable fail, the others go again") {
  transaction_book b;
  b.began();
  auto ok = b.add(make_txn_record(0, "k", "outcome", {}, nullptr, {}, 1, false));
  auto gone = b.add(make_txn_record(1, "k", "dlq copy", {}, nullptr, {}, 2, false));
  auto dropped = b.add(make_txn_record(1, "k", "dropped dlq copy", {}, nullptr, {}, 3, false));
  REQUIRE((ok && gone && dropped));
  const source_tag tags[] = {3};
  b.drop(tags);
  b.end_open();
  b.fail_ending([](const txn_record& r) { return r.topic == 1 ? std::string_view("dlq: Unknown topic") : ""; },
                produce_error::topic_unusable);
  heard h;
  std::vector<std::string> errors;
  b.aborted([&](txn_record& r) {
    h(r);
    errors.push_back(r.error);
  });
  CHECK(h.values == std::vector<std::string>{"dlq copy", "dropped dlq copy"});
  CHECK(h.states == std::vector<record_state>{record_state::failed, record_state::dropped});
  CHECK(errors[0] == "dlq: Unknown topic");
  b.began();
  CHECK(open_all(b) == std::vector<std::string>{"outcome"});
}
