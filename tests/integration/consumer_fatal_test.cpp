// A fatal consumer error stops the worker (exit code 3) instead of leaving a live-looking process
// that consumes nothing: with static membership (group.instance.id), a second member joining with
// the same id fences the first one, which librdkafka reports only as a fatal error. Before issue 14
// Herald logged it as a warning, kept /healthz at 200 and sat on its transactional id forever.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "support/e2e_harness.hpp"

using namespace herald::test;
using namespace std::chrono_literals;

namespace {

// The harness' kafka section plus a consumer property (write_config has no parameter for it).
std::string with_instance_id(const std::string& path, const std::string& instance_id) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const std::string anchor = R"("session_timeout_ms": 6000})";
  const auto at = s.find(anchor);
  REQUIRE_MESSAGE(at != std::string::npos, "the harness' config changed: ", s);
  s.replace(at, anchor.size(),
            R"("session_timeout_ms": 6000, "consumer_properties": {"group.instance.id": ")" + instance_id + R"("}})");
  std::ofstream(path, std::ios::trunc) << s;
  return path;
}

}  // namespace

TEST_CASE("a consumer fenced by a member with its group.instance.id stops herald with exit code 3, naming it") {
  const std::string events = unique_name("events"), results = unique_name("outcomes"), dlq = unique_name("dlq");
  create_topic(events, 2);
  create_topic(results, 1);
  create_topic(dlq, 1);
  // Nothing here reaches a gateway: only records that are not events, whose outcomes need none.
  const std::string accounts = R"({"shop-a": {"gateway": "fw199_taobao", "endpoint": "http://127.0.0.1:9/send",
      "allow_plain_http": true, "app_id": "app-1", "app_secret": "not-a-secret", "seller_nick": "seller-a"}})";
  const auto cfg = with_instance_id(
      write_config(events, results, dlq, unique_name("group"), unique_name("it") + ":", accounts), unique_name("member"));

  // Distinct pods (transactional ids), so that only the consumer is fenced, not the producer.
  auto first = start_herald(cfg, {{"POD_NAME", "pod-a"}});
  produce(events, {"not an event (1)"}, 0);
  auto seen = consume(results, 1, 60s, 1s);
  INFO("first herald's log tail:\n", first->log_tail());
  REQUIRE(seen.size() == 1);  // the first member consumes

  auto second = start_herald(cfg, {{"POD_NAME", "pod-b"}});
  const auto code = first->wait(60s);
  REQUIRE_MESSAGE(code.has_value(), "the fenced herald did not stop");
  CHECK(*code == 3);
  const auto tail = first->log_tail(20000);
  CHECK(tail.find("kafka consumer fatal error") != std::string::npos);
  CHECK(tail.find("the Kafka consumer has a fatal error") != std::string::npos);

  // The member that took the id over consumes on.
  produce(events, {"not an event (2)"}, 1);
  seen = consume(results, 2, 60s, 1s);
  INFO("second herald's log tail:\n", second->log_tail());
  CHECK(seen.size() == 2);
  CHECK(second->is_running());
}
