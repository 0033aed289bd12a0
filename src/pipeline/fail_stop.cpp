// Fail-stop: when Herald's output cannot be written (a results, DLQ, retry or delay topic missing
// or forbidden, a fatal producer error, an outcome record no broker takes), working on would only
// pile up events whose outcomes never come, and retrying would spin. The worker stops instead, so
// that the pod restarts visibly and the cause is in its last log lines and in /readyz meanwhile.
#include <boost/asio/post.hpp>

#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {
namespace {
// What in flight may still settle (calls answered, outcomes to a topic that works) before the stop.
constexpr std::chrono::seconds fail_stop_drain{10};
}  // namespace

void worker::impl::mark_undeliverable(item* it) {
  if (it->is_undeliverable) return;
  it->is_undeliverable = true;
  // Its offset may already be settled (a transaction settles it when the record is given): the
  // partition commits nothing more, so that the record is delivered again after the restart.
  it->part->is_blocked = true;
  // Counted against the unsettled events the drain waits for; one handed over is not among them.
  if (!it->is_handed_over) ++undeliverable;
  // A stop under way waits for no item like this one: if it was the last to wait for, stop now.
  if (is_stopping && total_in_flight == undeliverable)
    boost::asio::post(io, [self = shared_from_this()] { self->finish_stop(); });
}

void worker::impl::fail_stop(std::string cause) {
  if (!failure.empty()) return;  // the first cause is the one that counts
  failure = std::move(cause);
  log::error("herald cannot go on: stopping", {{"cause", failure},
                                               {"exit_code", worker::exit_code_failed},
                                               {"in_flight", static_cast<std::int64_t>(total_in_flight)}});
  // Nothing more is taken from Kafka. Offsets: only settled events are stored (the watermark), so
  // nothing is committed past an event whose record was not written; it is consumed again later.
  is_gated = true;
  gate_timer.cancel();
  consumer->set_gated(true);
  for (auto& p : partitions) {
    if (p->is_paused) continue;
    consumer->pause(p->tp);
    p->is_paused = true;
  }
  if (is_stopping) return;  // a stop is under way already: it ends with exit_code_failed now
  begin_stop(fail_stop_drain, [self = shared_from_this()](int code) {
    if (self->opts.on_failed) self->opts.on_failed(code);
  });
}

}  // namespace herald::pipeline
