#pragma once
// The worker's state, shared by the files that implement its stages (intake, guard, dispatch,
// receipt, waiting, emit). Internal to the pipeline component.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "herald/batch/batcher.hpp"
#include "herald/flow/aimd_limiter.hpp"
#include "herald/flow/retry_envelope.hpp"
#include "herald/flow/shared_rate.hpp"
#include "herald/flow/token_bucket.hpp"
#include "herald/gateway/gateway.hpp"
#include "herald/http/admin_server.hpp"
#include "herald/http/client_pool.hpp"
#include "herald/kafka/consumer.hpp"
#include "herald/kafka/producer.hpp"
#include "herald/kafka/trace_context.hpp"
#include "herald/ledger/ledger_store.hpp"
#include "herald/model/outcome.hpp"
#include "herald/pipeline/call_queue.hpp"
#include "herald/pipeline/decide.hpp"
#include "herald/pipeline/inflight_index.hpp"
#include "herald/pipeline/ordered_handover.hpp"
#include "herald/pipeline/limits.hpp"
#include "herald/pipeline/watermark.hpp"
#include "herald/pipeline/coroutine_guard.hpp"
#include "herald/pipeline/metrics.hpp"
#include "herald/pipeline/rate_budget.hpp"
#include "herald/pipeline/worker.hpp"
#include "herald/redis/client.hpp"

namespace herald::pipeline {

struct item;

struct partition_state {
  kafka::topic_partition tp;
  // Names the partition to the producer (kafka::source_tag): its records not yet committed are
  // dropped when it is revoked. Never reused within a process.
  kafka::source_tag tag = 0;
  watermark marks;
  bool is_assigned = true;
  bool is_paused = false;
  bool is_dirty = false;
  // A retry or delay topic partition (docs/retries.md): its records are envelopes of waiting
  // events. While its head is not due, the partition is paused at held_offset until hold_timer.
  bool is_waiting_source = false;
  // Holds a record that can never be written (fail_stop): its offsets are never committed again.
  bool is_blocked = false;
  std::int64_t held_offset = -1;
  std::unique_ptr<boost::asio::steady_timer> hold_timer;
  // Transactions: finished events whose records wait for every offset below theirs to settle
  // (worker::impl::hand_over).
  ordered_handover<item> ready;
};

struct item;

struct account_runtime {
  const config::account_config* cfg = nullptr;
  std::unique_ptr<gateway::gateway> gw;
  std::size_t max_batch = 1;
  bool has_receipt_query = false;
  // Calls in flight: an AIMD limit up to max_concurrent_calls (at most the pool's connections),
  // held back by a Retry-After; calls per second: a token bucket. Full batches beyond them wait
  // here (in the pipeline, not in the connection pool, where waiting would time out as not_sent).
  flow::aimd_limiter limiter{flow::aimd_options{}};
  flow::token_bucket bucket{0, 1};
  // rate_limit.shared (docs/retries.md, "Shared rate limits"): the bucket above only paces this
  // pod (never above the account's rate); the calls' tokens are leased from the account's budget
  // in Redis, at these keys. Null without a rate or with sharing off.
  std::unique_ptr<flow::shared_rate> shared;
  std::string rate_key;
  std::string rate_pods_key;
  // Calls waiting for the limits (call_queue.hpp): at most retry.max_in_process_hold_ms, receipt
  // checks and sends taking turns.
  call_queue<item> waiting;
  std::unique_ptr<boost::asio::steady_timer> pump_timer;
  bool is_pump_armed = false;
  // The pump runs one at a time per account: a call that starts inline (co_spawn dispatches) and
  // finishes at once pumps again from inside the pump's loop; that nested pump only asks for
  // another pass (pump_pass), so no loop ever goes on from state a nested one changed.
  bool is_pumping = false;
  bool is_pump_wanted = false;
  // Its share of the in-flight window (limits.hpp, decide_share): events admitted and not settled,
  // since when it has been at its share (0: it is not; reset below 3/4 of it), how fast it finishes
  // events, and whether its events are being deferred (for one log line per episode).
  std::size_t in_flight = 0;
  std::int64_t busy_since_ms = 0;
  drain_meter drained;
  bool is_deferring = false;
  // Its herald_gateway_call_duration_seconds series, by call_result (metrics.hpp).
  metrics::histogram* call_seconds[call_result_count] = {};
};

// Where an in-flight event is (a gauge per stage in /metrics, to see what holds the in-flight
// bound: the ledger, the batcher, the gateway's limits, the gateway, or Kafka's acknowledgement).
enum class stage { decoding, reserving, batching, calling, recording, emitting, count };
static_assert(static_cast<int>(stage::count) == stage_count, "metrics.hpp names every stage");

// Delivery of an invalid event's DLQ copy (the outcome record is the item's own delivery).
struct dlq_delivery final : kafka::delivery_target {
  item* owner = nullptr;
  // Record limit of the next copy after a broker refused one as too large (0: the producer's), and
  // how many times that happened (dlq_copy.hpp, max_dlq_shrinks).
  std::size_t max_record_bytes = 0;
  int shrinks = 0;
  void on_delivery(const kafka::delivery_report& report) override;
};

// One consumed message, from intake until its outcome is durable on the results topic.
struct item final : kafka::delivery_target {
  worker::impl* core = nullptr;
  std::shared_ptr<partition_state> part;
  std::int64_t offset = 0;
  std::string key;  // the Kafka message key, kept for the DLQ copy and a retry envelope
  std::string raw;  // the original value, byte for byte: for the DLQ and a retry envelope
  std::string error;
  // The W3C trace context of its record (a retry envelope's when it came back from waiting),
  // written on every record made for it; inline, so that an event with one allocates nothing more.
  kafka::trace_context trace;
  model::event ev;
  account_runtime* acct = nullptr;
  ledger::item_keys keys;
  std::uint32_t daily_limit = 0;
  std::uint32_t attempts = 0;
  std::int64_t first_consumed_at_ms = 0;
  std::int64_t record_timestamp_ms = -1;  // its record's Kafka timestamp (-1: none): event latency
  // Its ledger record (docs/ledger.md): the attempt's owner token once reserved, the source id of
  // the consumed record it came from, and how the guard reserves it (resend: its `c` back to `r`).
  std::string owner;
  std::string source_id;
  ledger::reserve_mode reserve_mode = ledger::reserve_mode::fresh;
  // The last call that may have sent it (its `w`): time, OutId and the gateway's id, for the
  // receipt check.
  std::int64_t sent_at_s = 0;
  std::string call_out_id;
  std::string sent_message_id;
  std::uint32_t receipt_checks = 0;  // receipt checks, or looks at another copy's record
  pipeline::stage at = stage::decoding;
  bool to_dlq = false;       // failed after its retries: the original bytes go to the DLQ too
  bool is_key_null = false;  // a null key or value (not empty bytes): the DLQ copy's is null too
  bool is_raw_null = false;
  bool is_undeliverable = false;  // one of its records can never be written (fail_stop)
  bool counts_for_account = false;  // admitted: in its account's in_flight until it is settled
  bool is_offset_settled = false;   // its place in the watermark is settled (transactions: when produced)
  bool is_handed_over = false;      // transactions: settled and out of the in-flight window (hand_over)
  std::uint32_t held_bytes = 0;     // value + key as consumed: its part of in_flight_bytes
  std::string parked_topic;  // set while its envelope is written to a retry or delay topic
  model::outcome out;
  std::string outcome_json;
  int pending_deliveries = 0;
  dlq_delivery dlq;
  item* leader = nullptr;        // set when the same notification was already in flight
  std::vector<item*> followers;  // later copies waiting for this one's outcome (or its wait)
  std::uint64_t task = 0;        // the pipeline coroutine holding it (coroutine_guard.hpp); 0: none

  void on_delivery(const kafka::delivery_report& report) override;
  // Readies a finished item for the next consumed message: every member as a new item's, except
  // that the buffers the next event fills again keep their capacity.
  void recycle();
};

// One event and what comes next for it (decide.hpp).
struct decided {
  item* it;
  decision d;
};

struct worker::impl : std::enable_shared_from_this<worker::impl> {
  impl(boost::asio::io_context& io, const config::herald_config& cfg, worker::options opts);

  boost::asio::io_context& io;
  config::herald_config cfg;
  worker::options opts;
  counters stats;
  observations observed;  // the histograms and the consumer lag (metrics.hpp)

  std::unique_ptr<kafka::consumer> consumer;
  std::unique_ptr<kafka::producer> producer;
  std::unique_ptr<redis::client> redis;
  std::unique_ptr<ledger::store> ledger;
  std::unique_ptr<rate_budget> budget;  // the accounts' shared rate limits
  std::unique_ptr<http::client_pool> http;
  std::unique_ptr<http::admin_server> admin;
  std::unordered_map<std::string, std::unique_ptr<account_runtime>> accounts;

  std::vector<std::shared_ptr<partition_state>> partitions;  // assigned now
  kafka::source_tag last_partition_tag = 0;
  // The notifications in flight here, by ledger record id (inflight_index.hpp). Keys view the
  // items' own keys.ledger, set once before the item is entered; release_followers takes it out.
  inflight_index<item> in_flight;
  // Finished items kept for the next messages (never deleted before ~impl, see free_item): their buffers are reused,
  // which saves a dozen allocations per event and the page faults of memory freed and taken again.
  std::vector<item*> spare_items;
  item* new_item();
  void free_item(item* it);
  ~impl();
  std::vector<item*> guard_queue;
  bool is_guard_posted = false;
  batch::batcher<item> batches;
  std::string route_scratch;  // to_batcher's route, built here so that no event allocates one
  boost::asio::steady_timer linger_timer;
  bool is_linger_armed = false;
  std::size_t total_in_flight = 0;
  std::size_t in_flight_bytes = 0;  // held_bytes of the items in flight (kafka.max_in_flight_bytes)
  // Transactions: settled items whose records wait for (or are in) a transaction not committed yet.
  std::size_t handed_over = 0;
  std::size_t handed_over_bytes = 0;
  std::size_t in_stage[static_cast<int>(stage::count)] = {};
  void move_to(item* it, stage s) {
    --in_stage[static_cast<int>(it->at)];
    ++in_stage[static_cast<int>(s)];
    it->at = s;
  }
  // Flow control of the overall bound (intake.cpp, apply_flow_control).
  static constexpr std::chrono::seconds max_gate_time{10};
  bool is_gated = false;
  bool is_gate_expired = false;
  boost::asio::steady_timer gate_timer;
  // While an account at its share has not shown yet whether it drains (share_verdict::
  // admit_and_wait), intake waits until this monotonic time at most; 0 = no account is waiting.
  std::int64_t share_wait_until_ms = 0;
  boost::asio::steady_timer share_timer;
  bool is_redis_up = false;
  bool has_redis_been_up = false;
  bool is_consumer_started = false;
  // Why the last Redis handshake refused the server (older than 7.0: redis/server_version.hpp);
  // empty once a server is used. /readyz shows it.
  std::string redis_refusal;
  bool is_stopping = false;
  // Fail-stop (emit.cpp): why the worker stopped by itself (empty while it works), and the items
  // whose records can never be written, which the drain does not wait for.
  std::string failure;
  std::size_t undeliverable = 0;
  std::function<void(int)> on_stopped;
  boost::asio::steady_timer stop_timer;
  boost::asio::steady_timer report_timer;

  std::int64_t now_ms() const { return opts.now_ms(); }
  http::admin_answer answer_admin(std::string_view path) const;

  // intake.cpp
  void on_message(const kafka::message_view& m);
  // A new item for a consumed message, tracked in its partition's watermark; nullptr for a
  // record delivered again (dropped, counted and logged by is_redelivery).
  item* track(const std::shared_ptr<partition_state>& part, const kafka::message_view& m);
  // Whether the watermark's answer for m makes it a redelivery to drop (counted and logged).
  bool is_redelivery(const partition_state& part, const kafka::message_view& m, watermark::track_result seen);
  // Decodes it->raw and starts the event at the given stage (fresh events: send).
  void admit(item* it, flow::retry_stage stage);
  // An admitted event enters the in-flight index (or follows the copy already there) and goes to
  // the guard, or to its receipt check.
  void enter(item* it, flow::retry_stage stage);
  void on_assigned(std::span<const kafka::topic_partition> tps);
  void on_revoked(std::span<const kafka::topic_partition> tps);
  // Transactions: what the partition's last commit says was finished above its offset.
  void on_committed(const kafka::topic_partition& tp, std::int64_t committed, std::string_view metadata);
  void apply_flow_control();
  // The account's share (limits.hpp): the load decide_share sees, entering and leaving the count.
  account_load load_of(account_runtime& acct, std::int64_t mono_now);
  void count_for_account(item* it);
  void uncount_for_account(item* it);
  // Parks a consumed event whose account holds its share and is not draining it.
  void defer_for_account(item* it, flow::retry_stage stage, const account_load& load, std::int64_t mono_now);
  bool is_share_wait_over(std::int64_t mono_now);
  void store_offsets();
  std::shared_ptr<partition_state> find_partition(std::string_view topic, std::int32_t partition);

  // guard.cpp
  void schedule_guard();
  boost::asio::awaitable<void> run_guard(std::vector<item*> batch);
  void to_batcher(item* it);
  void arm_linger();

  // waiting.cpp: the retry and delay topics
  void on_waiting_message(const std::shared_ptr<partition_state>& part, const kafka::message_view& m);
  void hold(const std::shared_ptr<partition_state>& part, std::int64_t offset, std::int64_t due_ms);
  void park(item* it, flow::retry_reason reason, flow::retry_stage stage, std::int64_t not_before_ms);

  // next.cpp: one decision carried out (decide.hpp), the copies that waited behind an event, and
  // the events of a revoked partition.
  decide_limits limits;
  event_facts facts_of(const item* it) const;
  // Carries out d for it: its ledger write must already be in Redis (settle_in_ledger).
  void carry_out(item* it, decision&& d);
  // The same for a decision of its own (not a call's): its ledger write first, if it has one.
  void carry_out_recorded(item* it, decision&& d);
  // The copies that waited behind it learn how it ended (or wait with it).
  void release_followers(item* it);
  std::vector<item*> take_followers(item* it);  // out of the in-flight index, followers freed
  void park_followers(item* it, std::int64_t not_before_ms);
  // An event of a partition no longer assigned here: no outcome (the partition's new owner
  // delivers it again), its account's count and the in-flight bound given back.
  bool is_revoked(const item* it) const { return !it->part->is_assigned; }
  void drop(item* it);
  // The token of one reserve call: "<instance>.<sequence>" (docs/ledger.md, owners).
  std::string instance_id;
  std::uint64_t last_reserve = 0;
  std::string next_owner();

  // receipt.cpp
  // Queues a receipt check of it behind the account's limits (dispatch.cpp, pump).
  void check_receipt(item* it);
  boost::asio::awaitable<void> run_receipt_check(item* it);
  std::int64_t backoff_ms(std::uint32_t attempt, std::int64_t retry_after_ms) const;

  // dispatch.cpp
  void dispatch(batch::batch<item> b);
  void pump(account_runtime& acct);
  void pump_pass(account_runtime& acct);
  // Events that waited longer than retry.max_in_process_hold_ms for the account's limits go to the
  // retry topic (true if the pump must look again).
  bool park_overdue(account_runtime& acct, std::int64_t mono_now);
  void call_finished(account_runtime& acct, flow::call_outcome outcome, std::int64_t retry_after_ms);
  // lease.cpp, the pump's side of the shared rate limits: a lease of the account's shared budget when its
  // flow::shared_rate asks for one; the answer (or the failure: degraded) pumps the account again.
  void ask_budget(account_runtime& acct, std::int64_t mono_now);
  boost::asio::awaitable<void> lease_tokens(account_runtime& acct, std::uint32_t want);
  boost::asio::awaitable<void> send_batch(std::vector<item*> items);
  // The items' `w` before their call's first byte: those refused (another attempt holds the
  // record) or revoked meanwhile are taken out of `items` and carried out elsewhere.
  boost::asio::awaitable<bool> mark_written(std::vector<item*>& items, std::int64_t call_seconds);
  // The ledger writes of the decisions that have one, retried until Redis takes them.
  boost::asio::awaitable<void> settle_in_ledger(std::span<decided> decisions);
  void retry_later(item* it, std::chrono::milliseconds delay, flow::retry_stage stage);

  // emit.cpp
  void settle(item* it, model::status st, std::string reason);
  void emit(item* it);
  // Its place in its partition's watermark (once): when its records are given to a transaction,
  // or, without transactions, once they are durable.
  void settle_offset(item* it);
  // Its records to the producer: at once, or (transactions) once the watermark passes it.
  void hand_over(item* it);
  void give_ready(partition_state& part);
  void give_records(item* it);
  void on_outcome_durable(item* it);
  // Out of the in-flight window, or of the handed-over bound, whichever it is in.
  void leave_window(item* it);
  // Transactions: the offsets to commit with the records produced so far.
  std::vector<kafka::committed_offset> offsets_now();
  void finish_stop();

  // coroutine_guard.hpp: every pipeline coroutine is spawned holding its items, stamped with a
  // task id of its own; its completion handler ends those still held if it throws.
  struct held_items {
    std::uint64_t task = 0;
    std::vector<item*> items;
    account_runtime* acct = nullptr;  // whose call slot the coroutine held (send, receipt check)
  };
  std::uint64_t last_task = 0;
  held_items hold(std::span<item* const> items, account_runtime* slot_of = nullptr);
  void on_step_failed(step s, const held_items& held, std::exception_ptr e);
  auto when_step_ends(step s, held_items held) {
    return on_exception([self = shared_from_this(), s, held = std::move(held)](std::exception_ptr e) {
      self->on_step_failed(s, held, e);
    });
  }
  // The DLQ copy of an invalid or failed event, cut to fit when it must (dlq_copy.hpp).
  void produce_dlq_copy(item* it);
  // An output topic missing or forbidden, a fatal producer error, or an outcome record that can
  // never be written: log the cause, answer /readyz with it, take nothing more, commit nothing
  // past what is unsettled, and stop with worker::exit_code_failed. Never a crash, never a spin.
  void fail_stop(std::string cause);
  void mark_undeliverable(item* it);
  // worker::stop's work, also started by fail_stop.
  void begin_stop(std::chrono::milliseconds drain_timeout, std::function<void(int)> done);
};

// Monotonic milliseconds, for linger times and backoff (never the injectable wall clock).
std::int64_t mono_ms();

// One of an account's call slots (taken by pump), held by the coroutine making the call: given
// back by finish(), or, should the coroutine throw first, by the destructor (the failed step's
// handler pumps the account again), so that an exception cannot shrink the account's concurrency
// for good.
struct call_slot {
  worker::impl& w;
  account_runtime& acct;
  bool is_held = true;
  void finish(flow::call_outcome outcome, std::int64_t retry_after_ms) {
    is_held = false;
    w.call_finished(acct, outcome, retry_after_ms);
  }
  call_slot(worker::impl& w_, account_runtime& a) : w(w_), acct(a) {}
  call_slot(const call_slot&) = delete;
  call_slot& operator=(const call_slot&) = delete;
  ~call_slot() {
    if (is_held) acct.limiter.release(mono_ms(), flow::call_outcome::other);
  }
};

// Sleep on the io_context without blocking it.
boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d);

}  // namespace herald::pipeline
