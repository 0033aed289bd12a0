// shutdown.drain_timeout_ms bounds how long SIGTERM waits for in-flight events (the pod's
// terminationGracePeriodSeconds is sized from it). Before issue 14 the drain was a fixed 30 s.
#include <doctest/doctest.h>
#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "support/e2e_harness.hpp"

using namespace herald::test;
using namespace std::chrono_literals;

namespace {

std::string replace_in_file(const std::string& path, const std::string& from, const std::string& to) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const auto at = s.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "the harness' config changed: ", s);
  s.replace(at, from.size(), to);
  std::ofstream(path, std::ios::trunc) << s;
  return path;
}

std::string event_json(const std::string& id) {
  return R"({"event_id":")" + id + R"(","account":"shop-a","order_id":"o-)" + id + R"(","recipient":{"oaid":"oaid-)" +
         id + R"("},"sign_name":"HeraldShop","template_code":"SMS_100","params":{"code":"1234"},"category":"transactional"})";
}

}  // namespace

TEST_CASE("SIGTERM drains for shutdown.drain_timeout_ms, then stops with exit code 0, leaving the rest") {
  const std::string secret = unique_name("secret");
  // Every send is answered after 40 s: the calls are in flight for the whole drain.
  gateway_simulator sim({{"app-1", secret}}, {"--latency-ms", "40000"});
  const std::string events = unique_name("events"), results = unique_name("outcomes"), dlq = unique_name("dlq");
  create_topic(events, 1);
  create_topic(results, 1);
  create_topic(dlq, 1);
  const std::string accounts = R"({"shop-a": {"gateway": "fw199_taobao", "endpoint": ")" + sim.url("/jst/sms/oaid/send") +
                               R"(", "app_id": "app-1", "app_secret": "${TEST_FW199_SECRET}", "seller_nick": "seller-a"}})";
  auto cfg = write_config(events, results, dlq, unique_name("group"), unique_name("it") + ":", accounts,
                          R"("shutdown": {"drain_timeout_ms": 1000},)");
  // A request timeout longer than the answer's delay, so that nothing but the drain bound ends the wait.
  cfg = replace_in_file(cfg, R"("request_timeout_ms": 3000)", R"("request_timeout_ms": 60000)");
  auto herald = start_herald(cfg, {{"TEST_FW199_SECRET", secret}});
  produce(events, {event_json("d1"), event_json("d2"), event_json("d3")});

  // Wait until the simulator holds the calls.
  bool is_calling = false;
  for (int i = 0; i < 300 && !is_calling; ++i) {
    is_calling = herald->log_tail(20000).find("\"msg\":\"herald started\"") != std::string::npos &&
                 sim_stat(sim.get("/_sim/stats"), "requests") > 0;
    if (!is_calling) std::this_thread::sleep_for(100ms);
  }
  INFO("herald log tail:\n", herald->log_tail());
  REQUIRE(is_calling);

  const auto signalled = std::chrono::steady_clock::now();
  herald->signal(SIGTERM);
  const auto code = herald->wait(20s);  // the old fixed 30 s drain would still be waiting
  const auto took = std::chrono::steady_clock::now() - signalled;
  REQUIRE_MESSAGE(code.has_value(), "herald still draining 20 s after SIGTERM with a 1 s drain timeout");
  CHECK(*code == 0);
  CHECK(took >= 1s);  // it did wait for the calls first
  const auto tail = herald->log_tail(40000);
  CHECK(tail.find(R"("msg":"signal received, draining")") != std::string::npos);
  CHECK(tail.find(R"("drain_timeout_ms":1000)") != std::string::npos);
  // Nothing settled: the three are left for the partition's next owner, not ended by the stop.
  CHECK(consume(results, 1, 3s, 0ms).empty());
}
