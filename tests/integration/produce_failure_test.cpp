// What Herald does when Kafka will not take what it writes, against the real broker and the
// `herald` binary: a DLQ copy over the record limit is cut to fit and says so, null keys and
// values stay null, and an output topic that is missing or refuses every record stops the worker
// with exit code 3 (docs/configuration.md, Exit codes) instead of crashing it or spinning. Before
// issue 12 the first three crashed the worker (a produce failing inside itself, without bound) and
// the last looped forever with the partition's watermark frozen.
#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <thread>

#include "herald/util/crypto.hpp"
#include "support/e2e_harness.hpp"

using namespace herald::test;
using namespace std::chrono_literals;

namespace {

struct outcome {
  std::string event_id, status, reason;
  std::int64_t offset = -1;
};

std::vector<outcome> parse_outcomes(const std::vector<kafka_record>& records) {
  std::vector<outcome> out;
  for (const auto& r : records) {
    rapidjson::Document d;
    d.Parse(r.value.c_str());
    REQUIRE_MESSAGE(d.IsObject(), "an outcome record is not a JSON object: ", r.value);
    outcome o;
    auto str = [&](const char* name) {
      auto it = d.FindMember(name);
      return it != d.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString()) : std::string();
    };
    o.event_id = str("event_id");
    o.status = str("status");
    o.reason = str("reason");
    REQUIRE(d.HasMember("source"));
    o.offset = d["source"]["offset"].GetInt64();
    out.push_back(std::move(o));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
  return out;
}

std::string good_event(const std::string& id) {
  return R"({"event_id":")" + id + R"(","account":"shop-a","order_id":"o-)" + id + R"(","recipient":{"oaid":"oaid-)" +
         id + R"("},"sign_name":"HeraldShop","template_code":"SMS_100","params":{"code":"1234"},"category":"transactional"})";
}

std::string sha256_hex(std::string_view bytes) {
  const auto d = herald::crypto::sha256(bytes);
  return herald::crypto::to_hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

rd_kafka_t* admin_client() {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "bootstrap.servers", kafka_brokers().c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) throw std::runtime_error(std::string("kafka client: ") + err);
  return rk;
}

// A topic with one topic-level setting (the harness' create_topic takes none).
void create_topic_with(const std::string& topic, const char* name, const char* value) {
  rd_kafka_t* rk = admin_client();
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), 1, 1, err, sizeof err);
  rd_kafka_NewTopic_set_config(nt, name, value);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  std::string failure;
  if (!ev) failure = "timeout";
  else if (rd_kafka_event_error(ev)) failure = rd_kafka_event_error_string(ev);
  else {
    size_t n = 0;
    auto** res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; ++i)
      if (rd_kafka_topic_result_error(res[i])) failure = rd_kafka_topic_result_error_string(res[i]);
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  if (!failure.empty()) throw std::runtime_error("create topic " + topic + ": " + failure);
}

void delete_topic(const std::string& topic) {
  rd_kafka_t* rk = admin_client();
  rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(topic.c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_DeleteTopics(rk, &dt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  const bool ok = ev && !rd_kafka_event_error(ev);
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_DeleteTopic_destroy(dt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  if (!ok) throw std::runtime_error("delete topic " + topic + " failed");
}

// Records with a null key or value where the optional is empty (the harness' produce keys every
// record "k<i>" and has no null value).
struct nullable_record {
  std::optional<std::string> key, value;
};
void produce_nullable(const std::string& topic, const std::vector<nullable_record>& records) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "bootstrap.servers", kafka_brokers().c_str(), err, sizeof err);
  int failed = 0;
  rd_kafka_conf_set_opaque(conf, &failed);
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err) ++*static_cast<int*>(opaque);
  });
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  REQUIRE(rk);
  for (const auto& r : records) {
    char* key = r.key ? const_cast<char*>(r.key->data()) : nullptr;
    const std::size_t key_size = r.key ? r.key->size() : 0;
    char* value = r.value ? const_cast<char*>(r.value->data()) : nullptr;
    const std::size_t value_size = r.value ? r.value->size() : 0;
    auto e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
                               RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_END);
    REQUIRE_MESSAGE(e == RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_err2str(e));
  }
  rd_kafka_flush(rk, 30000);
  rd_kafka_destroy(rk);
  REQUIRE(failed == 0);
}

// The group's committed offset of a partition (RD_KAFKA_OFFSET_INVALID: none).
std::int64_t committed_offset(const std::string& group, const std::string& topic, std::int32_t partition) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "bootstrap.servers", kafka_brokers().c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  REQUIRE(rk);
  auto* parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, topic.c_str(), partition);
  const auto e = rd_kafka_committed(rk, parts, 10000);
  REQUIRE_MESSAGE(e == RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_err2str(e));
  const std::int64_t offset = parts->elems[0].offset;
  rd_kafka_topic_partition_list_destroy(parts);
  rd_kafka_destroy(rk);
  return offset;
}

// One test's world: its own topics, group, key prefix and simulator. The events topic has one
// partition, so outcomes and DLQ copies follow the order the test produced.
struct world {
  std::string events = unique_name("pf-events");
  std::string results = unique_name("pf-outcomes");
  std::string dlq = unique_name("pf-dlq");
  std::string group = unique_name("pf-group");
  std::string prefix = unique_name("pf") + ":";
  std::string secret = unique_name("secret");
  gateway_simulator sim;

  // Topics the test makes itself (a missing one, a small limit) are left out here.
  explicit world(bool make_results = true, bool make_dlq = true) : sim({{"app-1", secret}}) {
    create_topic(events, 1);
    if (make_results) create_topic(results, 1);
    if (make_dlq) create_topic(dlq, 1);
  }

  std::string config() const {
    const std::string accounts = R"({"shop-a": {"gateway": "fw199_taobao", "endpoint": ")" +
                                 sim.url("/jst/sms/oaid/send") +
                                 R"(", "app_id": "app-1", "app_secret": "${TEST_FW199_SECRET}",
      "seller_nick": "seller-a", "daily_limit": {"transactional": 100, "marketing": 3}}})";
    return write_config(events, results, dlq, group, prefix, accounts);
  }

  std::unique_ptr<child_process> start() const { return start_herald(config(), {{"TEST_FW199_SECRET", secret}}); }
};

// A herald that stops by itself: its exit code (never a signal's 128 + n) and log.
void require_fail_stop(child_process& herald, const std::string& topic, std::chrono::seconds within) {
  const auto code = herald.wait(within);
  INFO("herald log tail:\n", herald.log_tail());
  REQUIRE_MESSAGE(code.has_value(), "herald did not stop by itself");
  CHECK(*code == 3);
  const std::string log = herald.log_tail(20000);
  CHECK(log.find("herald cannot go on: stopping") != std::string::npos);
  CHECK(log.find(topic) != std::string::npos);
  CHECK(log.find("\"level\":\"error\"") != std::string::npos);
}

}  // namespace

TEST_CASE("an invalid event over the record limit: its outcome, a DLQ copy cut to fit, and the next event sent") {
  world w;
  auto herald = w.start();
  // Over librdkafka's message.max.bytes (1000000), under the broker's (1048588); not an event.
  std::string big(1'010'000, 'x');
  for (std::size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
  produce(w.events, {big, good_event("after-big")}, 0);

  auto outcomes = parse_outcomes(consume(w.results, 2, 60s, 1s));
  INFO("herald log tail:\n", herald->log_tail());
  REQUIRE(outcomes.size() == 2);
  CHECK(outcomes[0].offset == 0);
  CHECK(outcomes[0].status == "invalid");
  CHECK(outcomes[1].event_id == "after-big");
  CHECK(outcomes[1].status == "sent");

  auto copies = consume(w.dlq, 1, 30s, 1s);
  REQUIRE(copies.size() == 1);
  const auto& copy = copies[0];
  CHECK(copy.key == "k0");
  CHECK(copy.headers.at("herald.source.offset") == "0");
  CHECK(copy.headers.at("herald.truncated") == "true");
  CHECK(copy.headers.at("herald.original.size") == std::to_string(big.size()));
  CHECK(copy.headers.at("herald.original.sha256") == sha256_hex(big));
  CHECK(copy.headers.count("herald.original.key.size") == 0);  // the key was kept whole
  // Cut to fit the producer's limit with room for key, headers and framing, and a prefix of the
  // original: as much of it as fits.
  CHECK(copy.value.size() < 1'000'000);
  CHECK(copy.value.size() > 990'000);
  CHECK(big.compare(0, copy.value.size(), copy.value) == 0);
  CHECK(herald->is_running());
  CHECK(herald->log_tail(20000).find("DLQ copy cut to fit the record limit") != std::string::npos);
}

TEST_CASE("null keys and values stay null in the DLQ copies, empty ones stay empty") {
  world w;
  auto herald = w.start();
  produce_nullable(w.events, {{std::nullopt, std::string("not json")},
                              {std::string("key-1"), std::nullopt},
                              {std::nullopt, std::nullopt},
                              {std::string(), std::string()},
                              {std::string("key-4"), good_event("after-nulls")}});
  auto outcomes = parse_outcomes(consume(w.results, 5, 60s, 1s));
  INFO("herald log tail:\n", herald->log_tail());
  REQUIRE(outcomes.size() == 5);
  for (int i = 0; i < 4; ++i) CHECK(outcomes[static_cast<std::size_t>(i)].status == "invalid");
  CHECK(outcomes[4].status == "sent");

  auto copies = consume(w.dlq, 4, 30s, 1s);
  REQUIRE(copies.size() == 4);
  std::sort(copies.begin(), copies.end(), [](const auto& a, const auto& b) {
    return std::stoll(a.headers.at("herald.source.offset")) < std::stoll(b.headers.at("herald.source.offset"));
  });
  CHECK(copies[0].is_key_null);
  CHECK_FALSE(copies[0].is_value_null);
  CHECK(copies[0].value == "not json");

  CHECK_FALSE(copies[1].is_key_null);
  CHECK(copies[1].key == "key-1");
  CHECK(copies[1].is_value_null);

  CHECK(copies[2].is_key_null);
  CHECK(copies[2].is_value_null);

  CHECK_FALSE(copies[3].is_key_null);
  CHECK_FALSE(copies[3].is_value_null);
  CHECK(copies[3].key.empty());
  CHECK(copies[3].value.empty());
  CHECK(herald->is_running());
}

TEST_CASE("a DLQ topic that does not exist stops herald at start-up with exit code 3, naming it") {
  world w(/*make_results=*/true, /*make_dlq=*/false);
  auto herald = w.start();
  require_fail_stop(*herald, w.dlq, 60s);
  CHECK(herald->log_tail(20000).find("output topic cannot be written") != std::string::npos);
}

TEST_CASE("a results topic that refuses every outcome record stops herald, commits nothing past it") {
  world w(/*make_results=*/false);
  // Smaller than any outcome record: the broker refuses each (MSG_SIZE_TOO_LARGE), a permanent
  // failure that librdkafka reports only after sending, so the start-up check cannot see it.
  create_topic_with(w.results, "max.message.bytes", "200");
  auto herald = w.start();
  produce(w.events, {good_event("refused-1"), good_event("refused-2")}, 0);
  require_fail_stop(*herald, w.results, 90s);
  // The events' outcomes never became durable: their offsets are not committed.
  const std::int64_t committed = committed_offset(w.group, w.events, 0);
  CHECK((committed == RD_KAFKA_OFFSET_INVALID || committed == 0));
}

TEST_CASE("a DLQ topic deleted while herald runs stops it at the next invalid event, not before a good one") {
  world w;
  auto herald = w.start();
  produce(w.events, {good_event("before-delete")}, 0);
  auto outcomes = parse_outcomes(consume(w.results, 1, 60s, 500ms));
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes[0].status == "sent");
  delete_topic(w.dlq);
  produce(w.events, {"not an event"}, 0);
  // librdkafka finds the topic gone at its next metadata refresh and fails the copy for good
  // (topic.metadata.propagation.max.ms, 30 s by default).
  require_fail_stop(*herald, w.dlq, 120s);
  // The invalid event's DLQ copy was never written: its offset (1) is not committed.
  CHECK(committed_offset(w.group, w.events, 0) <= 1);
}
