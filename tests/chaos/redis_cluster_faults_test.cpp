// Chaos scenarios "Redis Cluster" (docs/reliability.md, docs/ledger.md "Redis Cluster"), on a
// 3-primary cluster of the test's own (support/dedicated_services.hpp; the shared cluster of
// deploy/local/services is never killed or resharded): a primary SIGKILLed while events flow and
// restarted from its append-only file; and a range of slots holding ledger keys resharded from
// one primary to another under Herald (ASK during the migration, MOVED after it). Each ends with
// the shared checker.
//
// Crash windows they open:
// - kill: a script call that ran on the killed primary (fsynced) whose reply never came back, for
//   each of reserve / write mark / settle; a batch split over primaries whose share on the other
//   two ran while the killed one's failed (the whole call fails and is retried: idempotent); calls
//   in flight when the node comes back without its script cache (NOSCRIPT) and while it refuses
//   writes for its first seconds (CLUSTERDOWN).
// - reshard: calls on slots that are MIGRATING (ASK to the target, TRYAGAIN while a call's keys
//   are split between the nodes, the call failing after the router's rounds and retried by the
//   ledger), and calls on a stale slot map after SETSLOT NODE (MOVED).
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "chaos/support/chaos_harness.hpp"
#include "chaos/support/config_patch.hpp"
#include "chaos/support/dedicated_services.hpp"

using namespace herald::chaos;
using namespace std::chrono_literals;
namespace test = herald::test;

namespace {

// The test harness in cluster mode against the dedicated cluster: write_config (through the rig)
// names its nodes in redis.cluster_nodes.
std::map<std::string, std::string> cluster_env(const dedicated_redis_cluster& cluster) {
  return {{"HERALD_TEST_REDIS_CLUSTER", "1"}, {"HERALD_REDIS_CLUSTER_NODES", cluster.seeds()}};
}

// Herald's own count of the redirects it followed: its debug log has one "redis cluster redirect"
// line per MOVED or ASK (TRYAGAIN is not logged).
struct redirects {
  long moved = 0, ask = 0;
};
redirects redirects_in(const std::string& log_path) {
  redirects r;
  std::ifstream in(log_path);
  for (std::string line; std::getline(in, line);) {
    if (line.find("redis cluster redirect") == std::string::npos) continue;
    if (line.find("\"MOVED\"") != std::string::npos) ++r.moved;
    else if (line.find("\"ASK\"") != std::string::npos) ++r.ask;
  }
  return r;
}

long lines_with(const std::string& log_path, const std::string& text) {
  std::ifstream in(log_path);
  long n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(text) != std::string::npos;
  return n;
}

// The ledger calls that failed and were retried, by kind (the windows a scenario opened).
std::string ledger_retries(const std::string& log_path) {
  return "reserve " + std::to_string(lines_with(log_path, "ledger reserve failed, retrying")) + ", write mark " +
         std::to_string(lines_with(log_path, "ledger write mark failed, retrying")) + ", settle " +
         std::to_string(lines_with(log_path, "ledger settle failed, retrying"));
}

// Outcomes other than `sent`, by account, status and reason: what to look at when a promise broke.
void print_unsent(const std::vector<outcome>& outcomes) {
  std::map<std::string, long> n;
  for (const auto& o : outcomes)
    if (o.status != "sent") ++n[o.account + " " + o.status + " " + o.outcome_class + " " + o.reason];
  for (const auto& [what, count] : n) std::cerr << "[chaos]   " << count << " x " << what << "\n";
}

// The rig's events are distinct notifications (distinct recipients) only within one
// rig::events call: the backlog is made in one call and produced in slices.
class backlog {
 public:
  backlog(rig& r, int count, const std::string& tag) : r_(r), values_(r.events(count, tag)) {}
  // The next `count` events (fewer at the end), produced; what was produced.
  std::vector<source_ref> produce(int count) {
    const auto end = std::min(values_.size(), next_ + static_cast<std::size_t>(count));
    const std::vector<std::string> slice(values_.begin() + static_cast<std::ptrdiff_t>(next_),
                                         values_.begin() + static_cast<std::ptrdiff_t>(end));
    next_ = end;
    return slice.empty() ? std::vector<source_ref>{} : as_sources(r_.events_topic(), test::produce(r_.events_topic(), slice));
  }
  std::size_t left() const { return values_.size() - next_; }

 private:
  rig& r_;
  std::vector<std::string> values_;
  std::size_t next_ = 0;
};

void wait_for_outcomes(outcome_reader& progress, std::size_t target, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (progress.outcomes().size() < target && std::chrono::steady_clock::now() < until) progress.read_to_end(300ms);
}

}  // namespace

TEST_CASE("chaos: a Redis Cluster primary SIGKILLed mid-run and restarted from its AOF loses and doubles nothing") {
  const int events = by_scale(1200, 5000);
  const int kills = by_scale(3, 10);
  auto rng = seeded_rng("redis_cluster_primary_kill");
  dedicated_redis_cluster cluster(3);
  scoped_env env(cluster_env(cluster));
  rig_options opt;
  opt.name = "chaos-ckl";
  // Slow enough answers and small batches that the backlog lasts through the kills.
  opt.sim_args = {"--latency-ms", "100"};
  opt.max_batch = 3;
  rig r(opt);
  // Debug logging: each outcome's line, to follow an event through the kills.
  replace_in_file(r.config_path(), R"("log": {"level": "info"})", R"("log": {"level": "debug"})");
  auto herald = r.start_herald("chaos-pod-1");
  outcome_reader progress(r.results_topic());
  // Half the backlog first; around each kill a share of the rest, produced a few at a time from
  // just before the kill until after the restart, so that the kill lands while new events are
  // being reserved too, not only while sends are marked and settled.
  const int first_part = events / 2;
  backlog pending(r, events, "ckl");
  auto produced = pending.produce(first_part);
  const int per_kill = (events - first_part) / kills;
  std::uniform_int_distribution<int> down_ms(1000, 2000);
  std::uniform_int_distribution<int> lead_ms(100, 400);
  std::uniform_int_distribution<std::size_t> which(0, cluster.size() - 1);
  std::uniform_real_distribution<double> jitter(-0.5, 0.5);
  for (int k = 1; k <= kills; ++k) {
    // Killed when about k/(kills+1) of the first half has its outcome: while events flow.
    const auto target = static_cast<std::size_t>(first_part * (k + jitter(rng) * 0.8) / (kills + 1));
    wait_for_outcomes(progress, target, 60s);
    const int share = per_kill + (k == kills ? (events - first_part) % kills : 0);
    std::vector<source_ref> fed;
    std::thread feeder([&, k, share] {
      for (int i = 0; i < share; i += 5) {
        const auto part = pending.produce(std::min(5, share - i));
        fed.insert(fed.end(), part.begin(), part.end());
        std::this_thread::sleep_for(15ms);
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(lead_ms(rng)));
    const std::size_t node = which(rng);
    const int down = down_ms(rng);
    const auto at_kill = progress.outcomes().size();
    cluster.kill(node);
    std::this_thread::sleep_for(std::chrono::milliseconds(down));
    cluster.start(node);
    feeder.join();
    produced.insert(produced.end(), fed.begin(), fed.end());
    std::cerr << "[chaos] cluster primary " << node << " (port " << cluster.port(node) << ") kill " << k << "/"
              << kills << " at " << at_kill << " outcomes (aimed at " << target << "), down " << down << " ms\n";
    // The next kill only once the cluster is whole again: each kill is one primary's crash, not
    // two primaries down at once (which a 3-primary cluster without replicas cannot serve).
    REQUIRE_MESSAGE(cluster.wait_until_ok(60s), "the cluster did not recover after kill ", k, ":\n",
                    cluster.log_tail(node));
  }
  REQUIRE(pending.left() == 0);
  REQUIRE(produced.size() == static_cast<std::size_t>(events));
  const bool drained = drain(progress, produced, by_scale(150s, 900s), "cluster primary kill");
  print_unsent(progress.outcomes());
  INFO("herald log tail:\n", herald->log_tail());
  std::cerr << "[chaos] herald saw the cluster unusable " << lines_with(herald->log_path(), "redis cluster not usable")
            << " time(s), connected " << lines_with(herald->log_path(), "redis cluster connected")
            << " time(s); ledger calls failed and retried: " << ledger_retries(herald->log_path()) << "\n";
  CHECK(drained);
  CHECK(herald->is_running());
  CHECK(stop_gracefully(*herald) == 0);
  // No pod died and no gateway answer was ambiguous: nothing may end unknown.
  require_promises(r.check(produced, 0, "redis_cluster_primary_kill"));
}

TEST_CASE("chaos: slots holding ledger keys resharded mid-run (ASK, then MOVED) lose and double nothing") {
  const int events = by_scale(1000, 5000);
  const int moves = by_scale(2, 6);
  auto rng = seeded_rng("redis_cluster_reshard");
  dedicated_redis_cluster cluster(3);
  scoped_env env(cluster_env(cluster));
  rig_options opt;
  opt.name = "chaos-crs";
  opt.sim_args = {"--latency-ms", "100"};
  opt.max_batch = 3;
  rig r(opt);
  // Debug logging: Herald's only record of the redirects it followed.
  replace_in_file(r.config_path(), R"("log": {"level": "info"})", R"("log": {"level": "debug"})");
  auto herald = r.start_herald("chaos-pod-1");
  outcome_reader progress(r.results_topic());
  // Half the backlog first; each move produces its share as it begins, so that new recipients'
  // reserves (keys that do not exist yet) meet the migrating slots too, not only the writes and
  // settles of records reserved before.
  const int first_part = events / 2;
  backlog pending(r, events, "crs");
  auto produced = pending.produce(first_part);
  const int per_move = (events - first_part) / moves;
  std::uniform_int_distribution<unsigned> offset(0, 1024);
  for (int k = 1; k <= moves; ++k) {
    wait_for_outcomes(progress, static_cast<std::size_t>(first_part) * static_cast<std::size_t>(k) / (moves + 1), 60s);
    // 1024 slots (1/16 of the keys) from one primary to the next, round the ring.
    const std::size_t from = static_cast<std::size_t>(k - 1) % cluster.size(), to = (from + 1) % cluster.size();
    const auto ranges = cluster.slots_of(from);
    REQUIRE_MESSAGE(!ranges.empty(), "primary ", from, " serves no slot");
    // Its largest range (a range moved to it before may be one of its others).
    const auto [lo, hi] = *std::max_element(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) {
      return a.second - a.first < b.second - b.first;
    });
    REQUIRE(hi - lo + 1 >= 1024 + 1024);
    const unsigned first = lo + offset(rng), last = first + 1023;
    long held = 0;
    for (unsigned s = first; s <= last; ++s) held += cluster.keys_in_slot(from, s);
    REQUIRE_MESSAGE(held > 0, "slots ", first, "-", last, " hold no ledger key yet: the scenario would move nothing");
    const auto before = redirects_in(herald->log_path());
    const auto t0 = std::chrono::steady_clock::now();
    cluster.begin_migration(first, last, from, to);
    const auto part = pending.produce(per_move + (k == moves ? (events - first_part) % moves : 0));
    produced.insert(produced.end(), part.begin(), part.end());
    // A few keys a MIGRATE with a pause between: the slots stay migrating, with their keys split
    // between the two nodes, for a while Herald sends.
    const long moved_keys = cluster.migrate_keys(first, last, from, to, 5, 20ms);
    // Keys moved, slots still migrating: until Herald was sent to the target (ASK) at least once,
    // or 10 s.
    const auto ask_until = std::chrono::steady_clock::now() + 10s;
    while (redirects_in(herald->log_path()).ask == before.ask && std::chrono::steady_clock::now() < ask_until)
      std::this_thread::sleep_for(50ms);
    const auto during = redirects_in(herald->log_path());
    cluster.finish_migration(first, last, from, to);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    REQUIRE_MESSAGE(cluster.wait_until_ok(30s), "the cluster does not agree on the slots after move ", k);
    long left = 0, arrived = 0;
    for (unsigned s = first; s <= last; ++s) {
      left += cluster.keys_in_slot(from, s);
      arrived += cluster.keys_in_slot(to, s);
    }
    CHECK(cluster.owner_of(first) == to);
    CHECK(cluster.owner_of(last) == to);
    CHECK_MESSAGE(left == 0, "keys left on the source after the move");
    CHECK(arrived >= moved_keys);
    // MOVED comes once Herald calls on one of the moved slots with its old map.
    const auto moved_until = std::chrono::steady_clock::now() + 20s;
    while (redirects_in(herald->log_path()).moved == during.moved && std::chrono::steady_clock::now() < moved_until)
      std::this_thread::sleep_for(50ms);
    const auto after = redirects_in(herald->log_path());
    std::cerr << "[chaos] reshard " << k << "/" << moves << ": slots " << first << "-" << last << " from primary " << from
              << " to " << to << ", " << held << " keys held, " << moved_keys << " migrated, " << took.count()
              << " ms migrating; Herald followed ASK " << during.ask - before.ask << " (during), MOVED "
              << after.moved - during.moved << " (after)" << "\n";
    CHECK_MESSAGE(during.ask > before.ask, "Herald was never sent ASK while the slots migrated: the scenario did not happen");
    CHECK_MESSAGE(after.moved > during.moved, "Herald never met MOVED after the move: the scenario did not happen");
  }
  REQUIRE(pending.left() == 0);
  REQUIRE(produced.size() == static_cast<std::size_t>(events));
  const bool drained = drain(progress, produced, by_scale(150s, 900s), "cluster reshard");
  print_unsent(progress.outcomes());
  INFO("herald log tail:\n", herald->log_tail());
  const auto total = redirects_in(herald->log_path());
  std::cerr << "[chaos] reshard: Herald followed ASK " << total.ask << ", MOVED " << total.moved
            << " in all; ledger calls failed and retried: " << ledger_retries(herald->log_path()) << "\n";
  CHECK(drained);
  CHECK(herald->is_running());
  CHECK(stop_gracefully(*herald) == 0);
  require_promises(r.check(produced, 0, "redis_cluster_reshard"));
}
