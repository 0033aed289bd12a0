// Herald's transactional producer against the real broker (docs/architecture.md, "Kafka
// transactions"): kafka::producer and kafka::consumer driven directly on an io_context, no herald
// binary. Records and the consumed offsets they settle are committed together; a transaction that
// never commits (the process killed) is never visible to a read_committed reader and the next
// instance with the same transactional.id starts at once; dropped sources are never committed; a
// record too large fails alone; an instance fenced by a newer one stops; the idempotent mode still
// delivers.
#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "herald/kafka/consumer.hpp"
#include "herald/kafka/producer.hpp"
#include "support/e2e_harness.hpp"

using namespace herald;
using namespace herald::test;
using namespace std::chrono_literals;

namespace {

// What one record's target heard.
struct target : kafka::delivery_target {
  int heard = 0;
  bool is_delivered = false;
  kafka::produce_error kind = kafka::produce_error::transient;
  std::string error;
  void on_delivery(const kafka::delivery_report& r) override {
    ++heard;
    is_delivered = r.is_delivered;
    kind = r.kind;
    error = std::string(r.error);
  }
};

config::kafka_config kafka_cfg(const std::string& group, std::vector<std::string> topics = {}) {
  config::kafka_config k;
  k.brokers = kafka_brokers();
  k.group_id = group;
  k.client_id = "herald-txn-test";
  k.topics = std::move(topics);
  k.retry_topic.clear();
  k.delay_topic.clear();
  k.session_timeout_ms = 6000;
  k.transactions = true;
  k.transactional_id = unique_name("txn");
  return k;
}

// Runs the io_context until pred() holds or the timeout passed; returns pred().
bool run_until(boost::asio::io_context& io, const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(10ms);
  }
  return pred();
}

// The values of a topic as a reader with this isolation level sees them (every partition from the
// beginning), reading until `count` arrived and then `settle` longer, or until the timeout.
std::vector<std::string> read_values(const std::string& topic, bool read_committed, std::size_t count,
                                     std::chrono::milliseconds timeout, std::chrono::milliseconds settle = 1500ms) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const char* n, const std::string& v) { rd_kafka_conf_set(conf, n, v.c_str(), err, sizeof err); };
  set("bootstrap.servers", kafka_brokers());
  set("group.id", unique_name("txn-reader"));
  set("enable.auto.commit", "false");
  set("isolation.level", read_committed ? "read_committed" : "read_uncommitted");
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  REQUIRE(rk);
  rd_kafka_poll_set_consumer(rk);
  auto* parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  std::vector<std::string> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<std::chrono::steady_clock::time_point> settle_until;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (settle_until ? now >= *settle_until : now >= deadline) break;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m && !m->err) out.emplace_back(static_cast<const char*>(m->payload ? m->payload : ""), m->len);
    if (m) rd_kafka_message_destroy(m);
    if (!settle_until && out.size() >= count) settle_until = std::chrono::steady_clock::now() + settle;
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

// The group's committed offset of the partition (-1001: none).
std::int64_t committed_offset_of(const std::string& group, const std::string& topic, std::int32_t partition) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "bootstrap.servers", kafka_brokers().c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  REQUIRE(rk);
  auto* parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, topic.c_str(), partition);
  const rd_kafka_resp_err_t e = rd_kafka_committed(rk, parts, 10000);
  const std::int64_t offset = e ? -2 : parts->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(parts);
  rd_kafka_destroy(rk);
  return offset;
}

std::vector<std::string> numbered(const std::string& prefix, int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}

std::multiset<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

}  // namespace

TEST_CASE("records and the offsets they settle are committed together; targets hear only after the commit") {
  const std::string in = unique_name("txn-in"), out = unique_name("txn-out"), group = unique_name("txn-group");
  create_topic(in, 1);
  create_topic(out, 1);
  constexpr int n = 40;
  produce(in, numbered("event-", n));

  boost::asio::io_context io;
  config::kafka_config cfg = kafka_cfg(group, {in});
  kafka::producer producer(io.get_executor(), cfg);
  REQUIRE(producer.is_transactional());
  CHECK(producer.transactional_id() == cfg.transactional_id);
  std::vector<target> targets(n);
  std::int64_t next_offset = -1;
  int consumed = 0;
  std::unique_ptr<kafka::consumer> consumer;
  consumer = std::make_unique<kafka::consumer>(
      io.get_executor(), cfg,
      kafka::consumer::handlers{[&](const kafka::message_view& m) {
                                  REQUIRE(m.offset < n);
                                  const std::string value = "out-" + std::string(m.payload);
                                  producer.produce(out, m.key, value, {}, &targets[m.offset], {}, 1);
                                  next_offset = m.offset + 1;
                                  ++consumed;
                                },
                                nullptr, nullptr, nullptr});
  producer.use_group_metadata_of(*consumer);
  int commit_points = 0;
  producer.on_commit_point([&] {
    ++commit_points;
    std::vector<kafka::committed_offset> offsets;
    if (next_offset >= 0) offsets.push_back({{in, 0}, next_offset});
    return offsets;
  });
  consumer->start();

  // Until every target heard, nothing is committed that a target has not heard of: each delivered
  // report comes with its records already visible to a read_committed reader.
  REQUIRE(run_until(io, [&] { return std::all_of(targets.begin(), targets.end(), [](auto& t) { return t.heard; }); },
                    60s));
  for (const auto& t : targets) {
    CHECK(t.heard == 1);
    CHECK(t.is_delivered);
  }
  CHECK(consumed == n);
  CHECK(commit_points > 0);
  CHECK(producer.transactions_committed() >= 1);
  CHECK(producer.transactions_aborted() == 0);
  CHECK(producer.outstanding() == 0);
  // Committed through the transaction, not by the consumer (its auto-commit is off).
  CHECK(committed_offset_of(group, in, 0) == n);
  const auto seen = read_values(out, true, n, 20s);
  CHECK(as_set(seen) == as_set(numbered("out-event-", n)));
  CHECK(producer.flush(5s) == 0);
  consumer->close();
}

TEST_CASE("a transaction that never commits (the process killed) is never visible; the next instance starts at once") {
  const std::string out = unique_name("txn-killed");
  create_topic(out, 1);
  const std::string txn_id = unique_name("txn-killed-id");
  constexpr int n = 10;

  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child: produces n records in a transaction it never commits (a commit only every 50 s,
    // the broker's abort after 60 s), says so once they are written, and waits to be killed.
    close(ready[0]);
    boost::asio::io_context io;
    config::kafka_config cfg = kafka_cfg("txn-killed-group");
    cfg.transactional_id = txn_id;
    cfg.transaction_interval_ms = 50000;
    cfg.transaction_timeout_ms = 60000;
    kafka::producer producer(io.get_executor(), cfg);
    std::vector<target> targets(n);
    for (int i = 0; i < n; ++i) producer.produce(out, "k", "uncommitted-" + std::to_string(i), {}, &targets[i]);
    // Written, though not committed: read_uncommitted sees them (the parent checks).
    run_until(io, [] { return false; }, 3s);
    const bool none_heard = std::none_of(targets.begin(), targets.end(), [](auto& t) { return t.heard; });
    const char c = none_heard ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    run_until(io, [] { return false; }, 60s);
    _exit(0);
  }
  close(ready[1]);
  char c = 0;
  REQUIRE(read(ready[0], &c, 1) == 1);
  close(ready[0]);
  CHECK_MESSAGE(c == 'y', "a target heard before its transaction committed");
  // The records are in the log (so "never visible" below is not trivially true).
  REQUIRE(read_values(out, false, n, 20s, 500ms).size() == n);
  REQUIRE(kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));

  // The next instance with the same transactional.id: its start aborts what the dead one left
  // open at once (not after the 60 s transaction timeout), and its own record is committed.
  const auto started = std::chrono::steady_clock::now();
  boost::asio::io_context io;
  config::kafka_config cfg = kafka_cfg("txn-killed-group");
  cfg.transactional_id = txn_id;
  kafka::producer producer(io.get_executor(), cfg);
  target t;
  producer.produce(out, "k", "after-restart", {}, &t);
  CHECK(producer.flush(15s) == 0);
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(t.heard == 1);
  CHECK(t.is_delivered);
  CHECK_MESSAGE(took < 8s, "the new instance took ",
                std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), " ms to commit");
  const auto committed = read_values(out, true, 1, 15s);
  CHECK(committed == std::vector<std::string>{"after-restart"});
  CHECK(read_values(out, false, n + 1, 15s, 500ms).size() == n + 1);
}

TEST_CASE("records of a dropped source are never committed, the others are; their targets hear dropped") {
  const std::string out = unique_name("txn-drop");
  create_topic(out, 1);
  boost::asio::io_context io;
  config::kafka_config cfg = kafka_cfg(unique_name("txn-drop-group"));
  cfg.transaction_interval_ms = 5000;  // the test decides when the transaction ends (flush)
  kafka::producer producer(io.get_executor(), cfg);

  // While the producer starts, records wait: dropping takes them out at once.
  std::vector<target> waiting(4);
  for (int i = 0; i < 4; ++i)
    producer.produce(out, "k", "waiting-" + std::to_string(i), {}, &waiting[i], {}, i % 2 ? 2 : 1);
  const kafka::source_tag first[] = {1};
  producer.drop_sources(first);
  // The drop is reported later, on the io thread, never from inside drop_sources.
  CHECK(waiting[0].heard == 0);
  CHECK(producer.flush(15s) == 0);
  for (int i = 0; i < 4; ++i) {
    CHECK(waiting[i].heard == 1);
    if (i % 2) {
      CHECK(waiting[i].is_delivered);
    } else {
      CHECK_FALSE(waiting[i].is_delivered);
      CHECK(waiting[i].kind == kafka::produce_error::dropped);
    }
  }
  const auto aborted_before = producer.transactions_aborted();

  // In the open transaction (written already): the transaction is aborted and the others are
  // produced again in the next one.
  std::vector<target> open(6);
  for (int i = 0; i < 6; ++i)
    producer.produce(out, "k", "open-" + std::to_string(i), {}, &open[i], {}, i % 2 ? 4 : 3);
  run_until(io, [] { return false; }, 1s);  // delivery reports in: the records are in the log
  CHECK(std::none_of(open.begin(), open.end(), [](auto& t) { return t.heard; }));
  const kafka::source_tag third[] = {3};
  producer.drop_sources(third);
  CHECK(producer.flush(15s) == 0);
  CHECK(producer.transactions_aborted() == aborted_before + 1);
  for (int i = 0; i < 6; ++i) {
    CHECK(open[i].heard == 1);
    if (i % 2) {
      CHECK(open[i].is_delivered);
    } else {
      CHECK_FALSE(open[i].is_delivered);
      CHECK(open[i].kind == kafka::produce_error::dropped);
    }
  }
  const auto committed = read_values(out, true, 5, 15s);
  CHECK(as_set(committed) == std::multiset<std::string>{"waiting-1", "waiting-3", "open-1", "open-3", "open-5"});
  // The dropped open ones were written (then aborted), the kept ones twice (aborted, then committed).
  const auto all = read_values(out, false, 2 + 6 + 3, 15s, 500ms);
  CHECK(std::count(all.begin(), all.end(), "open-0") == 1);
  CHECK(std::count(all.begin(), all.end(), "open-1") == 2);
}

TEST_CASE("a record too large fails alone, after its transaction was aborted; the rest of it is committed") {
  const std::string out = unique_name("txn-large");
  create_topic(out, 1);
  boost::asio::io_context io;
  config::kafka_config cfg = kafka_cfg(unique_name("txn-large-group"));
  cfg.transaction_interval_ms = 5000;
  kafka::producer producer(io.get_executor(), cfg);
  target before, large, after;
  producer.produce(out, "k", "small-before", {}, &before);
  producer.produce(out, "k", std::string(producer.max_record_bytes() + 1000, 'x'), {}, &large);
  producer.produce(out, "k", "small-after", {}, &after);
  CHECK(large.heard == 0);  // never from inside produce()
  CHECK(producer.flush(15s) == 0);
  CHECK(large.heard == 1);
  CHECK_FALSE(large.is_delivered);
  CHECK(large.kind == kafka::produce_error::record_too_large);
  CHECK_FALSE(large.error.empty());
  CHECK(before.heard == 1);
  CHECK(before.is_delivered);
  CHECK(after.heard == 1);
  CHECK(after.is_delivered);
  CHECK(as_set(read_values(out, true, 2, 15s)) == std::multiset<std::string>{"small-before", "small-after"});
}

TEST_CASE("an instance fenced by a newer one with the same transactional.id stops (fatal error)") {
  const std::string out = unique_name("txn-fenced");
  create_topic(out, 1);
  boost::asio::io_context io;
  config::kafka_config cfg = kafka_cfg(unique_name("txn-fenced-group"));
  cfg.transaction_interval_ms = 5000;
  kafka::producer old_one(io.get_executor(), cfg);
  std::optional<std::string> fatal;
  old_one.on_fatal_error([&](std::string why) { fatal = why; });
  target first;
  old_one.produce(out, "k", "old-1", {}, &first);
  REQUIRE(old_one.flush(15s) == 0);
  REQUIRE(first.is_delivered);

  kafka::producer new_one(io.get_executor(), cfg);
  target second;
  new_one.produce(out, "k", "new-1", {}, &second);
  REQUIRE(new_one.flush(15s) == 0);
  CHECK(second.is_delivered);

  target late;
  old_one.produce(out, "k", "old-2", {}, &late);
  old_one.flush(15s);
  run_until(io, [&] { return fatal.has_value(); }, 15s);
  REQUIRE(fatal.has_value());
  CHECK(old_one.has_fatal_error());
  CHECK_FALSE(late.is_delivered);
  CHECK(as_set(read_values(out, true, 2, 15s)) == std::multiset<std::string>{"old-1", "new-1"});
}

TEST_CASE("without transactions the idempotent producer still delivers at once") {
  const std::string out = unique_name("txn-off");
  create_topic(out, 1);
  boost::asio::io_context io;
  config::kafka_config cfg = kafka_cfg(unique_name("txn-off-group"));
  cfg.transactions = false;
  kafka::producer producer(io.get_executor(), cfg);
  CHECK_FALSE(producer.is_transactional());
  CHECK(producer.transactional_id().empty());
  std::vector<target> targets(5);
  for (int i = 0; i < 5; ++i) producer.produce(out, "k", "plain-" + std::to_string(i), {}, &targets[i], {}, 9);
  const kafka::source_tag tags[] = {9};
  producer.drop_sources(tags);  // nothing to take back
  REQUIRE(run_until(io, [&] { return std::all_of(targets.begin(), targets.end(), [](auto& t) { return t.heard; }); },
                    15s));
  for (const auto& t : targets) CHECK(t.is_delivered);
  CHECK(producer.transactions_committed() == 0);
  CHECK(as_set(read_values(out, true, 5, 15s)) == as_set(numbered("plain-", 5)));
}
