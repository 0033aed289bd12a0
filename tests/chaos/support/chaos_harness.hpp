#pragma once
// The chaos harness (docs/reliability.md): one rig with an account of every gateway kind against
// one simulator, the scale knob, and the ONE checker every chaos scenario ends with. It builds on
// the end-to-end harness (tests/integration/support/e2e_harness.hpp): real Kafka, Redis, the
// gateway simulator and herald binaries as child processes.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "integration/support/e2e_harness.hpp"

namespace herald::chaos {

using test::child_process;
using test::gateway_simulator;

// --- Scale --------------------------------------------------------------------------------
// HERALD_CHAOS_SCALE: "short" (default; what the test command runs) or "long" (the sizes of
// issue 13: >= 5,000 events, >= 10 kills). Anything else fails the test at once.
bool is_long_scale();
const char* scale_name();
template <class T>
T by_scale(T short_value, T long_value) {
  return is_long_scale() ? long_value : short_value;
}

// The scenario's random generator: seed from HERALD_CHAOS_SEED, else from the clock; printed, so
// a failing run can be repeated with the same kill moments.
std::mt19937_64 seeded_rng(const std::string& scenario);

// --- A record and its outcomes ---------------------------------------------------------------
struct source_ref {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  auto operator<=>(const source_ref&) const = default;
};
std::string to_string(const source_ref& s);

struct outcome {
  source_ref source;
  std::string status;
  std::string event_id;
  std::string account;
  std::string reason;
  std::string outcome_class;       // "class": failed / unknown only
  std::string gateway_message_id;  // the gateway's id (property 7: never a time or an OutId)
  std::int32_t result_partition = -1;  // where the outcome itself sits on the results topic
  std::int64_t result_offset = -1;
};

// Produced records (as test::produce returns them) named by topic.
std::vector<source_ref> as_sources(const std::string& topic,
                                   const std::vector<std::pair<std::int32_t, std::int64_t>>& produced);

// Reads a results topic from the beginning with isolation.level=read_committed (aborted and open
// transactions are invisible, as to any downstream consumer). One reader keeps its place, so a
// drain loop only reads what is new.
class outcome_reader {
 public:
  explicit outcome_reader(const std::string& results_topic);
  ~outcome_reader();
  outcome_reader(const outcome_reader&) = delete;
  outcome_reader& operator=(const outcome_reader&) = delete;
  // Reads until every partition reported its end (the last stable offset) with nothing new for a
  // short quiet time, or the timeout passed. Returns false on timeout.
  bool read_to_end(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  const std::vector<outcome>& outcomes() const { return outcomes_; }
  // Records on the topic that are not outcome JSON (each one a defect in itself).
  const std::vector<std::string>& unparsable() const { return unparsable_; }

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::vector<outcome> outcomes_;
  std::vector<std::string> unparsable_;
};

// Waits until every produced record has at least one committed outcome, or the deadline passed.
// Prints a progress line now and then. Returns true when all are covered.
bool drain(outcome_reader& reader, const std::vector<source_ref>& produced, std::chrono::seconds deadline,
           const std::string& label = "drain");

// --- Simulator ------------------------------------------------------------------------------
// One number of /_sim/stats (-1 when it is missing), without failing the test.
long sim_number(gateway_simulator& sim, const char* name);
// Waits until the simulator's send calls ("requests") exceed `above`, or the timeout passed.
bool wait_for_calls(gateway_simulator& sim, long above, std::chrono::milliseconds timeout);

// --- Kafka group offsets ----------------------------------------------------------------------
// partition -> offset
using offsets = std::map<std::int32_t, std::int64_t>;
offsets end_offsets(const std::string& topic);
// The group's committed offsets on the topic (-1 for none), read with OffsetFetch: a consumer with
// that group.id that never joins the group, so it cannot disturb it.
offsets committed_offsets(const std::string& group, const std::string& topic);

// --- The checker ------------------------------------------------------------------------------
struct check_input {
  std::string label;             // names the scenario in the summary
  std::string events_topic;
  std::vector<source_ref> produced;  // every record produced to the events topic
  std::string results_topic;
  std::string group;
  gateway_simulator* sim = nullptr;
  long unknown_bound = 0;        // most `unknown` outcomes the scenario allows (property 2)
  // Every produced event is a distinct notification: a `duplicate` outcome then means a sent
  // notification lost its `sent` outcome (property 3), and the simulator's accepted items must lie
  // between the `sent` and `sent + unknown` counts.
  bool distinct_events = true;
  std::chrono::seconds commit_wait{30};  // how long committed offsets may lag the last outcome
};

struct check_report {
  std::map<std::string, long> by_status;
  long outcomes = 0;
  long produced = 0;
  long covered = 0;                 // produced records with >= 1 outcome
  std::vector<std::pair<source_ref, std::vector<std::string>>> repeated;  // > 1 outcome: statuses
  std::vector<source_ref> missing;  // no outcome
  std::vector<outcome> foreign;     // outcome naming no produced record
  long unparsable = 0;
  long sim_duplicates = -1;
  long sim_accepted_unique = -1;
  offsets committed, end;
  std::vector<std::string> failures;  // one line per broken promise
  bool ok() const { return failures.empty(); }
  std::string summary(const std::string& label, long unknown_bound) const;
};

// Reads everything (a fresh read_committed reader), waits up to commit_wait for the committed
// offsets, evaluates promises (a)-(e), prints a one-screen summary and returns the report. Does
// not touch doctest: `require_promises` does.
check_report check_promises(const check_input& in);
// check_promises, then one doctest CHECK per promise, each naming what broke.
check_report require_promises(const check_input& in);

// --- The rig: an account of every gateway kind against one simulator -------------------------
struct rig_options {
  std::string name = "chaos";
  int event_partitions = 6;
  int result_partitions = 3;
  std::vector<std::string> sim_args;  // e.g. {"--latency-ms", "100"}
  int max_concurrent_calls = 2;       // per account
  int max_batch = 10;                 // per account (top_oaid sends one per call regardless)
  // rate_limit_qps of every account that batches (0: none). Paces a backlog so that it lasts
  // through a scenario's kills and rebalances; top_oaid (one message per call) is left unpaced.
  int batch_account_qps = 0;
  int redis_port = 0;                 // 0: the shared test Redis (a proxy's port otherwise)
  // Sections added to the config ("retry": {...}, with a trailing comma); the rig's own retry
  // section (short receipt waits) is used when empty.
  std::string extra_sections;
  int http_request_timeout_ms = 3000;
};

class rig {
 public:
  explicit rig(rig_options opt = {});
  const rig_options& options() const { return opt_; }
  gateway_simulator& sim() { return *sim_; }
  const std::string& events_topic() const { return events_; }
  const std::string& results_topic() const { return results_; }
  const std::string& dlq_topic() const { return dlq_; }
  const std::string& group() const { return group_; }
  const std::string& config_path() const { return config_; }
  // The accounts and their gateway kinds, in the order events are spread over them.
  const std::vector<std::pair<std::string, std::string>>& accounts() const { return accounts_; }

  // `count` distinct notifications spread round robin over every account (distinct recipients,
  // so no daily limit is reached). `tag` makes them unique across calls.
  std::vector<std::string> events(int count, const std::string& tag = "e") const;
  // Produces them; returns what was produced.
  std::vector<source_ref> produce_events(int count, const std::string& tag = "e");

  // Herald with POD_NAME=pod_name and the rig's secrets in its environment.
  std::unique_ptr<child_process> start_herald(const std::string& pod_name) const;

  // Calls on the wire when a pod dies that may end `unknown`: per account whose gateway has no
  // receipt query that can prove a send missing (fw199_taobao, fw199_douyin, top_oaid):
  // max_concurrent_calls x effective max_batch. Alibaba Cloud accounts have receipts (and the
  // rig sets receipt_not_found_final_after_seconds), so a crash leaves them nothing unknown.
  long unknown_bound_per_kill() const;

  check_input check(const std::vector<source_ref>& produced, long unknown_bound, const std::string& label) ;

 private:
  rig_options opt_;
  std::string events_, results_, dlq_, group_, prefix_, secret_, config_;
  std::vector<std::pair<std::string, std::string>> accounts_;
  std::unique_ptr<gateway_simulator> sim_;
};

// Stops a herald gracefully (SIGTERM, then SIGKILL after the timeout); returns its exit code.
int stop_gracefully(child_process& p, std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace herald::chaos
