// Chaos scenario "progress after a restart" (issue 13, property 6; docs/reliability.md): a backlog
// on one Alibaba Cloud account against a simulator that records every send but never answers, so
// every call is ambiguous and its events wait for receipt checks. The first life of the pod
// commits nothing (a long transaction interval: a pod that dies young), and is killed with
// SIGKILL once most of the backlog is sent. The second life, with the simulator answering again,
// meets hundreds of redelivered ambiguous events: they must go to the retry topic at once so that
// the events topic commits to its end within seconds, and fresh events produced while their
// receipt checks run must get their turn (the checks share the account's limits, they do not
// queue ahead of its sends). Ends with the shared checker.
#include <doctest/doctest.h>
#include <signal.h>

#include <iostream>
#include <set>
#include <thread>

#include "chaos/support/chaos_harness.hpp"
#include "chaos/support/config_patch.hpp"

using namespace herald::chaos;
using namespace std::chrono_literals;

namespace {

// `count` events of one account from the rig's generator (which spreads over every account).
std::vector<std::string> events_of(const rig& r, const std::string& account, int count, const std::string& tag) {
  const int kinds = static_cast<int>(r.accounts().size());
  std::vector<std::string> out;
  for (const auto& e : r.events(count * kinds, tag))
    if (e.find(R"("account":")" + account + R"(")") != std::string::npos) out.push_back(e);
  REQUIRE(static_cast<int>(out.size()) == count);
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_CASE("chaos: a restart over hundreds of pending receipt checks commits within seconds and new sends get their turn") {
  const int backlog = by_scale(300, 2000);
  const int fresh = by_scale(30, 200);
  // The first life must end before its first transaction commits (kafka.transaction_interval_ms
  // stays below the 60 s transaction timeout).
  const int first_life_interval_ms = by_scale(30000, 55000);
  const double commit_bound_s = 10.0;
  const double fresh_bound_s = 5.0;
  auto rng = seeded_rng("restart_progress");  // printed for the record; nothing here is drawn
  (void)rng;

  rig_options opt;
  opt.name = "chaos-restart";
  opt.sim_args = {"--fault-drop-answer", "1"};
  opt.max_concurrent_calls = 2;
  opt.max_batch = 10;
  // 20 calls/s for sends and receipt checks together: the backlog's checks take ~15 s (short),
  // long enough to see whether fresh sends wait behind them.
  opt.batch_account_qps = 20;
  opt.http_request_timeout_ms = 300;
  opt.extra_sections =
      R"(  "retry": {"receipt_grace_ms": 1000, "max_receipt_checks": 20, "backoff_base_ms": 100, "backoff_cap_ms": 2000},
)";
  rig r(opt);
  const std::string account = "ali-batch";  // SendBatchSms, receipts by QuerySendDetails
  // A short connect timeout keeps the write lease (2 x connect + request timeout + 10 s) short.
  replace_in_file(r.config_path(), R"("request_timeout_ms": 300)", R"("request_timeout_ms": 300, "connect_timeout_ms": 1000)");
  const std::string second_life_config = read_text(r.config_path());
  replace_in_file(r.config_path(), R"("commit_interval_ms": 200,)",
                  R"("commit_interval_ms": 200, "transaction_interval_ms": )" + std::to_string(first_life_interval_ms) + ",");

  const auto old_sources = as_sources(r.events_topic(), herald::test::produce(r.events_topic(), events_of(r, account, backlog, "rp")));
  const offsets backlog_end = end_offsets(r.events_topic());

  // --- First life: everything it sends is ambiguous, nothing it does commits.
  const auto first_start = std::chrono::steady_clock::now();
  {
    auto herald = r.start_herald("chaos-pod-1");
    const auto until = first_start + std::chrono::milliseconds(first_life_interval_ms - 3000);
    long accepted = 0;
    while (std::chrono::steady_clock::now() < until && (accepted = sim_number(r.sim(), "items_accepted")) < backlog * 8 / 10)
      std::this_thread::sleep_for(100ms);
    REQUIRE_MESSAGE(herald->is_running(), "herald stopped by itself in its first life:\n", herald->log_tail());
    herald->signal(SIGKILL);
    REQUIRE(herald->wait(10s).has_value());
    std::cerr << "[chaos] restart_progress: first life killed after " << seconds_since(first_start) << " s with " << accepted
              << " of " << backlog << " items accepted (answers never came)\n";
    CHECK_MESSAGE(accepted >= backlog / 2, "the first life sent too little for the scenario: ", accepted);
  }
  long committed_before = 0;
  for (const auto& [p, c] : committed_offsets(r.group(), r.events_topic())) committed_before += std::max<std::int64_t>(0, c);
  std::cerr << "[chaos] restart_progress: committed offsets before the restart: " << committed_before << " of " << backlog
            << "\n";
  // The premise: the second life meets the backlog as redelivered records.
  REQUIRE_MESSAGE(committed_before <= backlog / 5, "the first life committed ", committed_before,
                  " offsets: the restart would not meet a redelivered backlog");

  // --- Second life: the simulator answers again; the ambiguous ones wait for their checks.
  r.sim().post("/_sim/faults", R"({"fault_drop_answer": 0})");
  write_text(r.config_path(), second_life_config);
  outcome_reader progress(r.results_topic());
  const std::set<source_ref> old_set(old_sources.begin(), old_sources.end());
  std::set<source_ref> fresh_set;
  std::vector<source_ref> fresh_sources;

  const auto restart = std::chrono::steady_clock::now();
  auto herald = r.start_herald("chaos-pod-1");
  double commit_s = -1, fresh_sent_s = -1;
  long old_pending_at_commit = -1, old_pending_at_fresh = -1;
  std::chrono::steady_clock::time_point fresh_at{};
  auto next_offsets_look = restart;
  const auto deadline = restart + by_scale(60s, 240s);
  while (std::chrono::steady_clock::now() < deadline && (commit_s < 0 || fresh_sent_s < 0)) {
    progress.read_to_end(200ms);
    std::set<source_ref> old_done, fresh_sent;
    for (const auto& o : progress.outcomes()) {
      if (old_set.count(o.source)) old_done.insert(o.source);
      else if (fresh_set.count(o.source) && o.status == "sent") fresh_sent.insert(o.source);
    }
    const long old_pending = backlog - static_cast<long>(old_done.size());
    if (commit_s < 0 && std::chrono::steady_clock::now() >= next_offsets_look) {
      next_offsets_look = std::chrono::steady_clock::now() + 250ms;
      const auto committed = committed_offsets(r.group(), r.events_topic());
      bool at_end = true;
      for (const auto& [p, e] : backlog_end) at_end = at_end && committed.count(p) && committed.at(p) >= e;
      if (at_end) {
        commit_s = seconds_since(restart);
        old_pending_at_commit = old_pending;
      }
    }
    // Fresh events once the receipt checks are under way (the first one has decided).
    if (fresh_sources.empty() && !old_done.empty()) {
      fresh_at = std::chrono::steady_clock::now();
      fresh_sources = as_sources(r.events_topic(), herald::test::produce(r.events_topic(), events_of(r, account, fresh, "rp-new")));
      fresh_set.insert(fresh_sources.begin(), fresh_sources.end());
      std::cerr << "[chaos] restart_progress: " << fresh << " fresh events produced " << seconds_since(restart)
                << " s after the restart, " << old_pending << " of the backlog still without an outcome\n";
    }
    if (!fresh_sources.empty() && fresh_sent_s < 0 && static_cast<int>(fresh_sent.size()) == fresh) {
      fresh_sent_s = seconds_since(fresh_at);
      old_pending_at_fresh = old_pending;
    }
  }
  std::cerr << "[chaos] restart_progress: events topic committed to its end " << commit_s << " s after the restart (bound "
            << commit_bound_s << " s), " << old_pending_at_commit << " of " << backlog
            << " redelivered events then still waiting for their receipt check; fresh events all sent " << fresh_sent_s
            << " s after they were produced (bound " << fresh_bound_s << " s), " << old_pending_at_fresh
            << " checks still pending then\n";
  INFO("herald log tail:\n", herald->log_tail(3000));
  CHECK_MESSAGE(commit_s >= 0, "the events topic did not commit to its end within the deadline");
  CHECK(commit_s <= commit_bound_s);
  // Hundreds of checks were still to run: the commit did not wait for them.
  CHECK(old_pending_at_commit >= backlog / 3);
  CHECK_MESSAGE(fresh_sent_s >= 0, "the fresh events did not all end sent within the deadline");
  CHECK(fresh_sent_s <= fresh_bound_s);
  // They went out while the backlog's checks were still running: fair share, not a queue.
  CHECK(old_pending_at_fresh >= backlog / 10);

  std::vector<source_ref> all = old_sources;
  all.insert(all.end(), fresh_sources.begin(), fresh_sources.end());
  const bool drained = drain(progress, all, by_scale(90s, 400s), "restart_progress drain");
  CHECK(drained);
  CHECK(herald->is_running());
  CHECK(stop_gracefully(*herald) == 0);
  long found_by_receipt = 0;
  for (const auto& o : progress.outcomes())
    if (old_set.count(o.source) && o.status == "sent" && o.reason.rfind("the gateway has it: receipt check", 0) == 0)
      ++found_by_receipt;
  std::cerr << "[chaos] restart_progress: " << found_by_receipt << " of the backlog found by a receipt check\n";
  // The checks were real: what the first life sent was found, not sent again.
  CHECK(found_by_receipt >= backlog / 2);
  // Alibaba Cloud has receipts: nothing may end unknown.
  require_promises(r.check(all, 0, "restart_progress"));
}
