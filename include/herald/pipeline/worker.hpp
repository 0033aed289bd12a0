#pragma once
// The worker: Kafka → decode → guard (Redis ledger + quota) → batch → signed HTTPS → settle →
// outcomes → commit (docs/architecture.md, "The path of one event"). Everything runs on one
// io_context thread.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "herald/config/config.hpp"

namespace herald::pipeline {

struct counters {
  std::uint64_t consumed = 0;
  std::uint64_t outcomes[6] = {};  // by model::status
  std::uint64_t gateway_calls = 0;
  std::uint64_t gateway_items = 0;
  std::uint64_t redis_errors = 0;
  std::uint64_t http_failures = 0;
  std::uint64_t produce_failures = 0;   // records Kafka refused for good (an outcome, a cut copy or a stop follows)
  std::uint64_t dlq_truncated = 0;      // DLQ copies cut to fit a record limit (docs/events.md, DLQ)
  std::uint64_t dlq_lost = 0;           // DLQ copies given up: refused as too large even when cut
  std::uint64_t consume_errors = 0;     // consume errors that named no record (logged)
  std::uint64_t throttled_calls = 0;    // gateway calls answered with a throttle code
  std::uint64_t retries = 0;            // items sent again after throttling / a call never written
  std::uint64_t parked = 0;             // items written to the retry or delay topic
  std::uint64_t account_deferred = 0;   // of those, because their account held its in-flight share
  std::uint64_t receipt_checks = 0;     // receipt queries asked (one per check, pages included)
  std::uint64_t receipts_found = 0;     // checks that proved an ambiguous send went out
  std::uint64_t redeliveries_dropped = 0;  // records delivered again while handled or after (watermark.hpp)
  std::uint64_t internal_errors = 0;    // pipeline coroutines ended by an exception (coroutine_guard.hpp)
  std::uint64_t revoked_dropped = 0;    // events of a revoked partition dropped unfinished (its new owner has them)
  std::uint64_t writes_refused = 0;     // events not sent: another attempt held their ledger record (docs/ledger.md)
};

class worker {
 public:
  struct options {
    // The wall clock in Unix milliseconds; tests inject their own.
    std::function<std::int64_t()> now_ms;
    // Called once the worker has stopped by itself (fail-stop: an output topic missing or
    // forbidden, a fatal producer error, an outcome record that can never be written), with the
    // exit code exit_code_failed. Without it the worker stops and nothing is told.
    std::function<void(int exit_code)> on_failed;
  };

  // The exit codes of `herald run` (docs/configuration.md, Exit codes).
  static constexpr int exit_code_failed = 3;

  // Throws std::runtime_error when a client cannot be set up (bad Kafka property, CA file).
  worker(boost::asio::io_context& io, const config::herald_config& cfg, options opts = {});
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  void start();
  // Stops taking events, lets what is in flight settle (at most drain_timeout), commits the
  // settled offsets and leaves the group; then calls done(exit_code).
  void stop(std::chrono::milliseconds drain_timeout, std::function<void(int)> done);
  const counters& stats() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace herald::pipeline
