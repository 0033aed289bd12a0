#pragma once
// The worker's state, shared by the files that implement its stages (intake, guard, dispatch,
// emit). Internal to the pipeline component.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "herald/batch/batcher.hpp"
#include "herald/gateway/gateway.hpp"
#include "herald/http/admin_server.hpp"
#include "herald/http/client_pool.hpp"
#include "herald/kafka/consumer.hpp"
#include "herald/kafka/producer.hpp"
#include "herald/ledger/ledger_store.hpp"
#include "herald/model/outcome.hpp"
#include "herald/pipeline/watermark.hpp"
#include "herald/pipeline/worker.hpp"
#include "herald/redis/client.hpp"

namespace herald::pipeline {

struct partition_state {
  kafka::topic_partition tp;
  watermark marks;
  bool is_assigned = true;
  bool is_paused = false;
  bool is_dirty = false;
};

struct item;

struct account_runtime {
  const config::account_config* cfg = nullptr;
  std::unique_ptr<gateway::gateway> gw;
  std::size_t max_batch = 1;
  // Gateway calls in flight, bounded by max_concurrent_calls; full batches beyond it wait here
  // (in the pipeline, not in the connection pool, where waiting would time out as not_sent).
  std::uint32_t max_calls = 1;  // max_concurrent_calls, at most the pool's connections
  std::uint32_t calls_in_flight = 0;
  std::deque<std::vector<item*>> waiting_batches;
};

struct item;

// Delivery of an invalid event's DLQ copy (the outcome record is the item's own delivery).
struct dlq_delivery final : kafka::delivery_target {
  item* owner = nullptr;
  void on_delivery(bool delivered, std::string_view error) override;
};

// One consumed message, from intake until its outcome is durable on the results topic.
struct item final : kafka::delivery_target {
  worker::impl* core = nullptr;
  std::shared_ptr<partition_state> part;
  std::int64_t offset = 0;
  std::string key;  // the Kafka message key, kept for the DLQ copy
  std::string raw;  // original bytes: kept only for invalid events, for the DLQ
  std::string error;
  model::event ev;
  account_runtime* acct = nullptr;
  ledger::item_keys keys;
  std::uint32_t daily_limit = 0;
  std::uint32_t attempts = 0;
  model::outcome out;
  std::string outcome_json;
  int pending_deliveries = 0;
  dlq_delivery dlq;
  item* leader = nullptr;        // set when the same notification was already in flight
  std::vector<item*> followers;  // later copies waiting for this one's outcome

  void on_delivery(bool delivered, std::string_view error) override;
};

// What a gateway call decided for one item.
struct decision {
  item* it;
  model::status st;
  ledger::settle_op op;
  std::string outcome_class;
  std::string reason;
  std::string code;
  std::string message_id;
  std::string policy;
};

struct worker::impl : std::enable_shared_from_this<worker::impl> {
  impl(boost::asio::io_context& io, const config::herald_config& cfg, worker::options opts);

  boost::asio::io_context& io;
  config::herald_config cfg;
  worker::options opts;
  counters stats;

  std::unique_ptr<kafka::consumer> consumer;
  std::unique_ptr<kafka::producer> producer;
  std::unique_ptr<redis::client> redis;
  std::unique_ptr<ledger::store> ledger;
  std::unique_ptr<http::client_pool> http;
  std::unique_ptr<http::admin_server> admin;
  std::unordered_map<std::string, std::unique_ptr<account_runtime>> accounts;

  std::vector<std::shared_ptr<partition_state>> partitions;  // assigned now
  std::unordered_map<std::string, item*> in_flight_by_key;   // ledger key → the item sending it
  std::vector<item*> guard_queue;
  bool is_guard_posted = false;
  batch::batcher<item> batches;
  boost::asio::steady_timer linger_timer;
  bool is_linger_armed = false;
  std::size_t total_in_flight = 0;
  bool is_redis_up = false;
  bool is_stopping = false;
  std::function<void(int)> on_stopped;
  boost::asio::steady_timer stop_timer;
  boost::asio::steady_timer report_timer;

  std::int64_t now_ms() const { return opts.now_ms(); }
  http::admin_answer answer_admin(std::string_view path) const;

  // intake.cpp
  void on_message(const kafka::message_view& m);
  void on_assigned(std::span<const kafka::topic_partition> tps);
  void on_revoked(std::span<const kafka::topic_partition> tps);
  void apply_flow_control();
  void store_offsets();
  std::shared_ptr<partition_state> find_partition(std::string_view topic, std::int32_t partition);

  // guard.cpp
  void schedule_guard();
  boost::asio::awaitable<void> run_guard(std::vector<item*> batch);
  void to_batcher(item* it);
  void arm_linger();

  // dispatch.cpp
  void dispatch(batch::batch<item> b);
  void start_call(account_runtime& acct, std::vector<item*> items);
  void call_finished(account_runtime& acct);
  boost::asio::awaitable<void> send_batch(std::vector<item*> items);
  boost::asio::awaitable<void> settle_in_ledger(std::vector<decision>& decisions);
  void retry_later(item* it, std::chrono::milliseconds delay);

  // emit.cpp
  void settle(item* it, model::status st, std::string reason);
  void settle(const decision& d);
  void emit(item* it);
  void on_outcome_durable(item* it);
  void finish_stop();
};

// Monotonic milliseconds, for linger times and backoff (never the injectable wall clock).
std::int64_t mono_ms();

// Sleep on the io_context without blocking it.
boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d);

}  // namespace herald::pipeline
