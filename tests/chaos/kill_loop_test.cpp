// Chaos scenario "kill -9 loop" (docs/reliability.md): a backlog over every gateway kind, Herald
// killed with SIGKILL at random moments again and again (same POD_NAME each time, as a
// Kubernetes pod restarts), then a clean run drains what is left; the shared checker decides.
#include <doctest/doctest.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "chaos/support/chaos_harness.hpp"

using namespace herald::chaos;
using namespace std::chrono_literals;

TEST_CASE("chaos: kill -9 at random moments over a backlog on every gateway kind loses nothing and doubles nothing") {
  const int events = by_scale(1200, 6000);
  const int kills = by_scale(4, 12);
  auto rng = seeded_rng("kill_loop");

  rig_options opt;
  opt.name = "chaos-kill";
  opt.event_partitions = 6;
  // 100 ms per answer and two calls at a time per account: a call is on the wire at almost every
  // moment, so a kill lands on sends whose fate only the gateway knows.
  opt.sim_args = {"--latency-ms", "100"};
  opt.max_concurrent_calls = 2;
  opt.max_batch = 10;
  // 100 events/s per batching account (receipt checks share it): the backlog outlasts several
  // lives of the pod, and the drain stays short.
  opt.batch_account_qps = 10;
  rig r(opt);
  const auto produced = r.produce_events(events, "kill");
  const long bound = kills * r.unknown_bound_per_kill();
  std::cerr << "[chaos] kill_loop: " << events << " events over " << r.accounts().size() << " accounts, " << kills
            << " kills; unknown bound = kills x sum over accounts without a receipt query of "
               "max_concurrent_calls x max_batch = "
            << kills << " x " << r.unknown_bound_per_kill() << " = " << bound << "\n";

  outcome_reader progress(r.results_topic());
  std::uniform_int_distribution<int> during_start(0, 4000);  // ms after the start
  std::uniform_int_distribution<int> during_calls(0, 2500);  // ms after calls resumed
  std::bernoulli_distribution kill_while_starting(0.25);
  for (int k = 1; k <= kills; ++k) {
    auto herald = r.start_herald("chaos-pod-1");
    const long calls_before = sim_number(r.sim(), "requests");
    int delay_ms = 0;
    std::string when;
    if (kill_while_starting(rng)) {
      delay_ms = during_start(rng);
      when = "while starting";
    } else {
      // Wait until this life of the pod calls a gateway (it has joined the group and got
      // partitions); if it never does within 30 s the backlog is done and the kill lands anyway.
      const bool calling = wait_for_calls(r.sim(), calls_before, 30s);
      delay_ms = during_calls(rng);
      when = calling ? "while calling" : "after 30 s without calls";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    REQUIRE_MESSAGE(herald->is_running(), "herald exited by itself before kill ", k, "; log tail:\n",
                    herald->log_tail(1500));
    herald->signal(SIGKILL);
    REQUIRE(herald->wait(10s).has_value());
    progress.read_to_end(10s);
    std::cerr << "[chaos] kill " << k << "/" << kills << " " << when << " +" << delay_ms << " ms: "
              << progress.outcomes().size() << " outcomes so far, " << sim_number(r.sim(), "items_accepted")
              << " items accepted by the gateway\n";
  }

  // The clean run: the same pod once more, left alone until every record has an outcome.
  auto herald = r.start_herald("chaos-pod-1");
  {
    const bool drained = drain(progress, produced, by_scale(150s, 900s), "kill_loop drain");
    INFO("herald log tail:\n", herald->log_tail(1500));
    CHECK_MESSAGE(drained, "not every record got an outcome before the drain deadline");
    CHECK(herald->is_running());
    CHECK(stop_gracefully(*herald) == 0);
  }
  require_promises(r.check(produced, bound, "kill_loop"));
}
