// Chaos scenario "pods" (docs/reliability.md): Herald pods sharing one consumer group, as a
// Deployment scales. One pod starts alone, a second joins mid-run (two pods), a third joins
// (three pods), then one of them is killed with SIGKILL mid-run; the survivors drain the rest.
// Every join and the death is a rebalance on a topic of many partitions.
#include <doctest/doctest.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "chaos/support/chaos_harness.hpp"

using namespace herald::chaos;
using namespace std::chrono_literals;

namespace {
void report(outcome_reader& progress, gateway_simulator& sim, const std::string& step) {
  progress.read_to_end(10s);
  std::cerr << "[chaos] pods: " << step << ": " << progress.outcomes().size() << " outcomes so far, "
            << sim_number(sim, "items_accepted") << " items accepted by the gateway in " << sim_number(sim, "requests")
            << " calls\n";
}
}  // namespace

TEST_CASE("chaos: pods joining and one dying mid-run in one group leave one outcome per record and no double send") {
  const int events = by_scale(1200, 6000);
  auto rng = seeded_rng("pods");

  rig_options opt;
  opt.name = "chaos-pods";
  opt.event_partitions = by_scale(6, 12);
  opt.sim_args = {"--latency-ms", "100"};
  opt.max_concurrent_calls = 2;
  opt.max_batch = 10;
  // 30 events/s per batching account and pod: the backlog outlasts the joins and the kill.
  opt.batch_account_qps = 3;
  rig r(opt);
  // A third of the backlog before each start: every join meets work in flight, whatever the pace.
  std::vector<source_ref> produced = r.produce_events(events / 3, "pods-a");
  auto produce_more = [&](const std::string& tag) {
    const auto more = r.produce_events(events / 3, tag);
    produced.insert(produced.end(), more.begin(), more.end());
  };
  const int kills = 1;
  const long bound = kills * r.unknown_bound_per_kill();
  std::cerr << "[chaos] pods: " << events << " events on " << opt.event_partitions << " partitions over "
            << r.accounts().size() << " accounts; unknown bound = " << kills << " kill x " << r.unknown_bound_per_kill()
            << " = " << bound << " (a join or a graceful leave may add none)\n";

  outcome_reader progress(r.results_topic());
  std::uniform_int_distribution<int> pause_ms(1000, 3500);
  std::map<std::string, std::unique_ptr<child_process>> pods;

  pods["chaos-pod-1"] = r.start_herald("chaos-pod-1");
  REQUIRE_MESSAGE(wait_for_calls(r.sim(), 0, 30s), "the first pod never called a gateway");
  std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
  report(progress, r.sim(), "one pod");

  produce_more("pods-b");
  pods["chaos-pod-2"] = r.start_herald("chaos-pod-2");  // two pods: a scale-out rebalance
  std::this_thread::sleep_for(std::chrono::milliseconds(3000 + pause_ms(rng)));
  report(progress, r.sim(), "two pods");

  produce_more("pods-c");
  pods["chaos-pod-3"] = r.start_herald("chaos-pod-3");  // three pods
  std::this_thread::sleep_for(std::chrono::milliseconds(3000 + pause_ms(rng)));
  report(progress, r.sim(), "three pods");

  // One of the three dies (seeded choice): its partitions move to the survivors once its session
  // times out, and what it had on the wire is all that may end unknown.
  const std::string victim = "chaos-pod-" + std::to_string(std::uniform_int_distribution<int>(1, 3)(rng));
  for (auto& [name, pod] : pods)
    REQUIRE_MESSAGE(pod->is_running(), name, " exited by itself; log tail:\n", pod->log_tail(1500));
  pods[victim]->signal(SIGKILL);
  REQUIRE(pods[victim]->wait(10s).has_value());
  pods.erase(victim);
  report(progress, r.sim(), victim + " killed");

  {
    const bool drained = drain(progress, produced, by_scale(150s, 900s), "pods drain");
    CHECK_MESSAGE(drained, "not every record got an outcome before the drain deadline");
    for (auto& [name, pod] : pods) {
      INFO(name, " log tail:\n", pod->log_tail(1500));
      CHECK_MESSAGE(pod->is_running(), name, " exited by itself");
    }
    // Both survivors leave gracefully; the last one commits what the other handed over.
    for (auto& [name, pod] : pods) CHECK_MESSAGE(stop_gracefully(*pod) == 0, name, " did not stop cleanly");
  }
  require_promises(r.check(produced, bound, "pods"));
}
