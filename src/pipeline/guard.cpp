// Guard: one ledger round trip reserves a whole batch of events (record + daily quota); what
// the ledger already knows is settled here, what it reserved goes to the batcher.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include "herald/redis/handshake_refusal.hpp"
#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {

void worker::impl::schedule_guard() {
  if (guard_queue.size() >= cfg.batch.guard_batch_max) {
    std::vector<item*> batch;
    batch.swap(guard_queue);
    auto held = hold(batch);
    boost::asio::co_spawn(io, run_guard(std::move(batch)), when_step_ends(step::reserve, std::move(held)));
    return;
  }
  if (is_guard_posted) return;
  is_guard_posted = true;
  // Everything consumed in this turn of the event loop goes in one round trip.
  boost::asio::post(io, [self = shared_from_this()] {
    self->is_guard_posted = false;
    if (self->guard_queue.empty()) return;
    std::vector<item*> batch;
    batch.swap(self->guard_queue);
    auto held = self->hold(batch);
    boost::asio::co_spawn(self->io, self->run_guard(std::move(batch)),
                          self->when_step_ends(step::reserve, std::move(held)));
  });
}

boost::asio::awaitable<void> worker::impl::run_guard(std::vector<item*> batch) {
  auto self = shared_from_this();
  // One owner token for the call: retried after a lost answer with the same token, the reserve
  // recognises its own records and charges nothing twice.
  const std::string owner = next_owner();
  std::vector<ledger::reserve_item> request;
  request.reserve(batch.size());
  for (item* it : batch) request.push_back({&it->keys, it->daily_limit, it->source_id, it->reserve_mode});

  std::chrono::milliseconds backoff{cfg.redis.reconnect_backoff_min_ms};
  for (;;) {
    const std::int64_t now_s = now_ms() / 1000;
    // New records go into the bucket of the reserve's period; later calls must find them there.
    const std::int32_t period = ledger->layout().period_of(now_s);
    for (item* it : batch) it->keys.period = period;
    auto answers = co_await ledger->reserve(request, owner, now_s,
                                            ledger::quota_ttl_seconds(now_s, cfg.ledger.quota_utc_offset_minutes));
    if (answers) {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        item* it = batch[i];
        const auto& a = answers.value()[i];
        switch (a.v) {
          case ledger::verdict::reserved:
            it->owner = owner;
            it->reserve_mode = ledger::reserve_mode::fresh;
            if (a.is_taken_over)
              log::info("ledger reservation of an earlier attempt taken over: nothing of it was written",
                        {{"event_id", it->ev.event_id}, {"trace_id", log::if_any(it->trace.trace_id())}});
            // Revoked meanwhile: the `r` stays for the new owner to take over.
            if (is_revoked(it)) drop(it);
            else to_batcher(it);
            break;
          case ledger::verdict::over_quota:
            carry_out(it, over_quota(it->daily_limit, it->ev.category));
            break;
          case ledger::verdict::found: {
            // An earlier attempt wrote a request, or finished (a crash, a rebalance, a repeat):
            // what it left decides, never a blind resend (decide.hpp, docs/retries.md).
            const bool is_same_source = a.found.source == it->source_id;
            if (a.found.state != ledger::record_state::sent)
              log::info("ledger record of an earlier attempt found",
                        {{"event_id", it->ev.event_id}, {"trace_id", log::if_any(it->trace.trace_id())},
                         {"state", ledger::to_string(a.found.state)},
                         {"same_record", is_same_source}});
            it->sent_at_s = a.found.at_seconds;
            it->call_out_id = a.found.call_out_id;
            carry_out_recorded(it, after_reserve_found(a.found, is_same_source, facts_of(it), limits));
            break;
          }
        }
      }
      co_return;
    }
    ++stats.redis_errors;
    log::warn("ledger reserve failed, retrying", {{"error", answers.message()},
                                                  {"events", static_cast<std::int64_t>(batch.size())},
                                                  {"retry_ms", static_cast<std::int64_t>(backoff.count())}});
    if (redis::is_permission_refusal(answers.message())) fail_stop("the Redis user may not run the ledger's commands (the ACL rule: docs/operations.md, \"Production connections\"): " + std::string(answers.message()));
    if (is_stopping) co_return;  // left unsettled: redelivered after the restart
    co_await sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(cfg.redis.reconnect_backoff_max_ms));
  }
}

void worker::impl::to_batcher(item* it) {
  if (is_revoked(it)) {
    drop(it);
    return;
  }
  move_to(it, stage::batching);
  it->task = 0;  // the batcher's now: a coroutine that handed it here no longer ends it
  // Built in a buffer kept for the next event: the batcher copies a route only to open a batch.
  std::string& route = route_scratch;
  route.assign(it->ev.account);
  route.push_back('\x1f');
  route += it->acct->gw->route_key(it->ev);
  // 抖店 answers are matched to items by their echoed order_id: never two of one order in a call.
  if (auto full = batches.add(route, it->acct->max_batch, it, mono_ms(), it->acct->gw->batch_distinct_key(it->ev)))
    dispatch(std::move(*full));
  arm_linger();
}

void worker::impl::arm_linger() {
  if (is_linger_armed) return;
  auto due = batches.next_due_ms();
  if (!due) return;
  is_linger_armed = true;
  linger_timer.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(0, *due - mono_ms())));
  linger_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    self->is_linger_armed = false;
    if (ec) return;
    for (auto& b : self->batches.take_due(mono_ms())) self->dispatch(std::move(b));
    self->arm_linger();
  });
}

}  // namespace herald::pipeline
