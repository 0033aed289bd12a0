// Chaos scenario "Kafka broker stopped and restarted mid-run" (docs/reliability.md). The shared
// broker of deploy/local/services is never touched (other tests run against it): the scenario
// starts a single-node KRaft broker of its own on free ports, points the rig and Herald at it,
// kills it mid-run and starts it again on the same ports and data; the shared checker decides.
#include <doctest/doctest.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "chaos/support/chaos_harness.hpp"
#include "chaos/support/dedicated_services.hpp"

using namespace herald::chaos;
using namespace std::chrono_literals;

TEST_CASE("chaos: the Kafka broker killed and restarted mid-run loses and doubles nothing") {
  if (!dedicated_kafka::libs_dir()) {
    MESSAGE("skipped: no Kafka jars under deploy/local/.cache (deploy/local/install-deps installs them)");
    return;
  }
  const int events = by_scale(400, 5000);
  const int restarts = by_scale(1, 3);
  auto rng = seeded_rng("broker_restart");
  const auto t0 = std::chrono::steady_clock::now();
  dedicated_kafka kafka;
  const auto first_start = kafka.start();
  const auto setup = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0);
  std::cerr << "[chaos] broker_restart: dedicated broker " << kafka.brokers() << " formatted and started in "
            << setup.count() << " s (start alone " << first_start.count() << " ms)\n";
  if (!is_long_scale() && setup > 60s) {
    MESSAGE("skipped in the short form: a second broker took ", setup.count(),
            " s to start on this machine (over 60 s); HERALD_CHAOS_SCALE=long runs this scenario");
    return;
  }
  // The harness (topics, producer, readers, write_config) reads the brokers from the environment.
  scoped_env env({{"HERALD_KAFKA_BROKERS", kafka.brokers()}});

  rig_options opt;
  opt.name = "chaos-brk";
  // Slow answers and small batches: the backlog lasts well past the first restart.
  opt.sim_args = {"--latency-ms", "100"};
  opt.max_batch = 3;
  rig r(opt);
  REQUIRE(wait_for_topics(kafka.brokers(),
                          {r.events_topic(), r.results_topic(), r.dlq_topic(), r.events_topic() + ".retry",
                           r.events_topic() + ".delay"},
                          30s));
  auto herald = r.start_herald("chaos-pod-1");
  // A Herald that stops by itself fails the test, and is then started again once, as Kubernetes
  // would restart the pod, so that the checker still tells whether anything was lost or doubled
  // on the way. A second stop ends the scenario.
  bool restarted = false;
  auto keep_running = [&](const char* when) {
    if (herald->is_running()) return;
    const auto rc = herald->wait(1s);
    const std::string tail = herald->log_tail(1500);
    CHECK_MESSAGE(false, "herald stopped by itself ", when, " (exit code ", rc.value_or(-1), "); log tail:\n", tail);
    REQUIRE_MESSAGE(!restarted, "herald stopped by itself a second time");
    std::cerr << "[chaos] broker_restart: herald exited (" << rc.value_or(-1) << ") " << when << ", started again once\n";
    herald = r.start_herald("chaos-pod-1");
    restarted = true;
  };
  outcome_reader progress(r.results_topic());
  const auto produced = r.produce_events(events, "brk");

  std::uniform_int_distribution<int> down_ms(2000, 6000);
  std::uniform_real_distribution<double> jitter(-0.4, 0.4);
  for (int k = 1; k <= restarts; ++k) {
    // About k/(restarts+1) of the backlog settled: mid-run whatever the machine's speed.
    const auto target = static_cast<std::size_t>(events * (k + jitter(rng)) / (restarts + 1));
    const auto until = std::chrono::steady_clock::now() + 90s;
    while (progress.outcomes().size() < target && std::chrono::steady_clock::now() < until && herald->is_running())
      progress.read_to_end(300ms);
    keep_running("before the broker went away");
    const auto at_stop = progress.outcomes().size();
    const bool hard = k % 2 == 1;  // SIGKILL first (a crash), then a clean stop, and so on
    if (hard) kafka.kill();
    else kafka.stop(30s);
    const int down = down_ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(down));
    INFO("broker log tail:\n", kafka.log_tail());
    const auto back = kafka.start();
    std::cerr << "[chaos] broker " << (hard ? "killed" : "stopped") << " " << k << "/" << restarts << " at " << at_stop
              << " outcomes (aimed at " << target << "), down " << down << " ms, answering again after "
              << back.count() << " ms\n";
    keep_running("while the broker was away");
  }
  // Drained in slices, so that a Herald that stops by itself is noticed at once.
  bool drained = false;
  const auto drain_until = std::chrono::steady_clock::now() + by_scale(180s, 900s);
  while (!drained && std::chrono::steady_clock::now() < drain_until) {
    keep_running("after the broker came back");
    drained = drain(progress, produced, 10s, "broker restart");
  }
  INFO("herald log tail:\n", herald->log_tail());
  INFO("broker log tail:\n", kafka.log_tail());
  CHECK(drained);
  CHECK(stop_gracefully(*herald) == 0);
  // No pod died and no gateway answer was ambiguous: nothing may end unknown.
  require_promises(r.check(produced, 0, "broker_restart"));
}
