// One decision carried out (decide.hpp): the single place where an event moves on to its outcome,
// the batcher, a wait in this process, the retry topic or a receipt check. Also the copies that
// waited behind an event, and the events of a revoked partition.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "herald/util/crypto.hpp"
#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {

std::string worker::impl::next_owner() {
  // Base 36: short, so that records stay small; never '|', which separates a record's fields.
  static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::uint64_t n = ++last_reserve;
  char buf[16];
  int at = sizeof buf;
  do {
    buf[--at] = digits[n % 36];
    n /= 36;
  } while (n && at > 0);
  std::string owner = instance_id;
  owner.push_back('.');
  owner.append(buf + at, sizeof buf - at);
  return owner;
}

event_facts worker::impl::facts_of(const item* it) const {
  event_facts f;
  f.attempts = it->attempts;
  f.checks = it->receipt_checks;
  f.now_ms = now_ms();
  f.now_s = f.now_ms / 1000;
  f.first_consumed_ms = it->first_consumed_at_ms;
  f.has_receipt_query = it->acct->has_receipt_query;
  f.policy = it->acct->cfg->on_unknown;
  f.is_stopping = is_stopping;
  f.gateway = config::to_string(it->acct->cfg->gateway);
  return f;
}

void worker::impl::carry_out(item* it, decision&& d) {
  if (is_revoked(it)) {
    drop(it);
    return;
  }
  switch (d.next) {
    case action::emit:
      it->out.st = d.st;
      it->out.reason = std::move(d.reason);
      it->out.outcome_class.assign(to_string(d.cls));
      it->out.gateway_message_id = std::move(d.message_id);
      it->out.policy = std::move(d.policy);
      it->to_dlq = it->to_dlq || d.to_dlq;
      emit(it);
      return;
    case action::send:
      to_batcher(it);
      return;
    case action::send_later:
      ++stats.retries;
      retry_later(it, std::chrono::milliseconds(d.delay_ms), d.stage);
      return;
    case action::park:
      // A look at another attempt's unfinished record counts with the receipt checks (decide.hpp).
      if (d.why == flow::retry_reason::attempt_in_flight) ++it->receipt_checks;
      park(it, d.why, d.stage, now_ms() + d.delay_ms);
      return;
    case action::receipt_check:
      check_receipt(it);
      return;
  }
}

void worker::impl::carry_out_recorded(item* it, decision&& d) {
  if (!d.writes_ledger) {
    carry_out(it, std::move(d));
    return;
  }
  // Rare (a crash's leftovers, a policy without a call): a round trip of its own.
  item* const one[] = {it};
  auto held = hold(one);
  boost::asio::co_spawn(
      io,
      [](std::shared_ptr<impl> w, decided d) -> boost::asio::awaitable<void> {
        decided v[] = {std::move(d)};
        co_await w->settle_in_ledger(v);
        w->carry_out(v[0].it, std::move(v[0].d));
      }(shared_from_this(), decided{it, std::move(d)}),
      when_step_ends(step::decide_unknown, std::move(held)));
}

void worker::impl::retry_later(item* it, std::chrono::milliseconds delay, flow::retry_stage stage) {
  it->task = 0;  // the timer holds it until it moves on
  auto t = std::make_shared<boost::asio::steady_timer>(io, delay);
  t->async_wait([self = shared_from_this(), it, t, stage](const boost::system::error_code&) {
    if (self->is_revoked(it)) {
      self->drop(it);
      return;
    }
    if (stage != flow::retry_stage::resend) {
      self->to_batcher(it);
      return;
    }
    // Its record is `c`: the guard's resend mode makes it this attempt's `r` again.
    it->reserve_mode = ledger::reserve_mode::resend;
    self->move_to(it, stage::reserving);
    self->guard_queue.push_back(it);
    self->schedule_guard();
  });
}

std::vector<item*> worker::impl::take_followers(item* it) {
  if (!it->acct) return {};  // never entered (invalid, or parked before it was)
  return in_flight.take_followers(it, it->keys.ledger);
}

void worker::impl::release_followers(item* it) {
  auto followers = take_followers(it);
  if (followers.empty()) return;
  const auto& o = it->out;
  // A copy is a duplicate only of a copy that was sent; otherwise it ends as the first one did.
  const bool was_sent = o.st == model::status::sent || o.st == model::status::duplicate;
  const std::string said = "the same notification was in flight from offset " + std::to_string(it->offset) +
                           " and ended " + std::string(model::to_string(o.st));
  for (item* f : followers) {
    if (was_sent) {
      f->out.gateway_message_id = o.gateway_message_id;
      settle(f, model::status::duplicate, said);
      continue;
    }
    f->out.outcome_class = o.outcome_class;
    f->out.gateway_code = o.gateway_code;
    settle(f, o.st, said + ": " + o.reason);
  }
}

void worker::impl::park_followers(item* it, std::int64_t not_before_ms) {
  // They wait with it, a little longer, and then meet its record in the ledger (decide.hpp).
  for (item* f : take_followers(it))
    park(f, flow::retry_reason::attempt_in_flight, flow::retry_stage::send, not_before_ms + 1000);
}

void worker::impl::drop(item* it) {
  ++stats.revoked_dropped;
  log::debug("event of a revoked partition dropped",
             {{"topic", it->part->tp.topic}, {"partition", it->part->tp.partition}, {"offset", it->offset},
              {"trace_id", log::if_any(it->trace.trace_id())}});
  if (it->leader) {
    in_flight.leave(it);
  } else {
    // The copies behind it go on by themselves: through the guard, where the ledger decides.
    for (item* f : take_followers(it)) {
      if (is_revoked(f)) drop(f);
      else enter(f, flow::retry_stage::send);
    }
  }
  leave_window(it);
  --in_stage[static_cast<int>(it->at)];
  free_item(it);
  // A rebalance during a drain may drop the last events the stop waits for.
  if (is_stopping && total_in_flight == undeliverable)
    boost::asio::post(io, [self = shared_from_this()] { self->finish_stop(); });
  apply_flow_control();
}

}  // namespace herald::pipeline
