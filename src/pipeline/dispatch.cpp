// Dispatch: one signed gateway call per batch; each item is settled on its own from the answer
// (docs/gateways.md: the business code decides, per item, never the HTTP status alone).
#include <boost/asio/co_spawn.hpp>
#include "herald/flow/backoff.hpp"
#include "herald/http/retry_after.hpp"

#include "herald/util/crypto.hpp"
#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {

void worker::impl::dispatch(batch::batch<item> b) {
  account_runtime& acct = *b.items.front()->acct;
  acct.waiting_batches.push_back(std::move(b.items));
  pump(acct);
}

// Starts the account's waiting calls while its concurrency limit, its rate and any Retry-After
// allow; otherwise a timer (rate, Retry-After) or the next finished call (concurrency) pumps again.
void worker::impl::pump(account_runtime& acct) {
  while (!acct.waiting_batches.empty() || !acct.waiting_checks.empty()) {
    const std::int64_t t = mono_ms();
    const std::int64_t wait = std::max(acct.bucket.wait_ms(t), acct.limiter.paused_until() - t);
    if (wait > 0) {
      if (acct.is_pump_armed) return;
      acct.is_pump_armed = true;
      acct.pump_timer->expires_after(std::chrono::milliseconds(wait));
      acct.pump_timer->async_wait([self = shared_from_this(), a = &acct](const boost::system::error_code& ec) {
        a->is_pump_armed = false;
        if (!ec) self->pump(*a);
      });
      return;
    }
    if (!acct.limiter.try_acquire(t)) return;
    acct.bucket.try_take(t);
    if (!acct.waiting_checks.empty()) {
      // Receipt checks first: each holds an event that a crash or a lost answer left undecided.
      item* it = acct.waiting_checks.front();
      acct.waiting_checks.pop_front();
      item* const one[] = {it};
      auto held = hold(one, &acct);
      boost::asio::co_spawn(io, run_receipt_check(it), when_step_ends(step::receipt_check, std::move(held)));
      continue;
    }
    auto items = std::move(acct.waiting_batches.front());
    acct.waiting_batches.pop_front();
    auto held = hold(items, &acct);
    boost::asio::co_spawn(io, send_batch(std::move(items)), when_step_ends(step::send, std::move(held)));
  }
}

void worker::impl::call_finished(account_runtime& acct, flow::call_outcome outcome, std::int64_t retry_after_ms) {
  const std::int64_t t = mono_ms();
  acct.limiter.release(t, outcome);
  if (retry_after_ms > 0) acct.limiter.pause_until(t + retry_after_ms);
  pump(acct);
}

void worker::impl::retry_later(item* it, std::chrono::milliseconds delay) {
  ++stats.retries;
  it->task = 0;  // the timer holds it until it goes back to the batcher
  auto t = std::make_shared<boost::asio::steady_timer>(io, delay);
  t->async_wait([self = shared_from_this(), it, t](const boost::system::error_code&) { self->to_batcher(it); });
}

namespace {

// A definitely-not-sent item (throttled, or the call never written) is tried again: in this
// process after a short backoff, through the retry topic after a long one, or it fails for good
// once its attempts are used up (and goes to the DLQ, to be replayed by an operator).
void plan_retry(worker::impl& w, item* it, std::vector<decision>& out, std::string_view cls, std::string why,
                std::string code, std::int64_t retry_after_ms) {
  if (it->attempts >= w.cfg.retry.max_attempts) {
    it->to_dlq = true;
    out.push_back({it, model::status::failed, ledger::settle_op::failed, std::string(cls),
                   why + " (" + std::to_string(it->attempts) + " attempts)", std::move(code), "", ""});
    return;
  }
  const std::int64_t delay = w.backoff_ms(it->attempts - 1, retry_after_ms);
  if (delay <= w.cfg.retry.max_in_process_delay_ms && !w.is_stopping) {
    w.retry_later(it, std::chrono::milliseconds(delay));
    return;
  }
  // Released in the ledger (nothing was sent), the reservation is made again when it is due.
  decision d{it, model::status::failed, ledger::settle_op::failed, std::string(cls), std::move(why), std::move(code),
             "", ""};
  d.next = next_step::wait_and_send;
  d.not_before_ms = w.now_ms() + delay;
  d.wait_reason = cls == "throttled" ? flow::retry_reason::throttled_backoff : flow::retry_reason::not_sent_backoff;
  out.push_back(std::move(d));
}

// The one place a Retry-After is read: the account's hold (call_finished) and the events' backoff
// (plan_retry) both take this, capped at retry.backoff_cap_ms.
std::int64_t retry_after_ms(const http::exchange& ex, std::int64_t now_s, std::int64_t cap_ms) {
  if (ex.resp.retry_after.empty()) return 0;
  return flow::retry_after_hold_ms(http::retry_after_seconds(ex.resp.retry_after, now_s), cap_ms);
}

}  // namespace

boost::asio::awaitable<void> worker::impl::send_batch(std::vector<item*> items) {
  auto self = shared_from_this();
  account_runtime& acct = *items.front()->acct;
  call_slot slot(*this, acct);
  std::vector<const model::event*> events;
  events.reserve(items.size());
  for (item* it : items) {
    ++it->attempts;
    events.push_back(&it->ev);
    move_to(it, stage::calling);
  }

  gateway::send_context ctx{now_ms() / 1000, crypto::random_hex(16)};
  gateway::http_request built;
  std::string build_error;
  try {
    built = acct.gw->build(events, ctx);
  } catch (const std::exception& e) {
    build_error = e.what();
  }
  if (!build_error.empty()) {
    // A request the gateway cannot build (a contract broken between batcher and gateway) fails
    // its items for good; nothing was sent, so the ledger releases them.
    slot.finish(flow::call_outcome::other, 0);
    log::error("gateway request could not be built", {{"account", acct.cfg->name}, {"error", build_error}});
    std::vector<decision> failed;
    for (item* it : items)
      failed.push_back({it, model::status::failed, ledger::settle_op::failed, "permanent",
                        "the request could not be built: " + build_error, "", "", ""});
    co_await settle_in_ledger(failed);
    for (auto& d : failed) settle(std::move(d));
    co_return;
  }
  const std::string call_id = acct.has_receipt_query ? acct.gw->receipt_call_id(events) : std::string();
  for (item* it : items) {
    it->sent_at_s = ctx.unix_seconds;
    it->call_out_id = call_id;
  }
  http::request req{built.method, built.target, built.content_type, std::move(built.body), {}};
  ++stats.gateway_calls;
  stats.gateway_items += items.size();
  http::exchange ex = co_await http->send(acct.cfg->endpoint, std::move(req));
  const std::int64_t retry_after = retry_after_ms(ex, now_ms() / 1000, cfg.retry.backoff_cap_ms);

  std::vector<decision> decisions;
  decisions.reserve(items.size());
  if (ex.fail == http::failure::not_sent) {
    // The request never left: a retry cannot send anything twice.
    slot.finish(flow::call_outcome::other, 0);
    ++stats.http_failures;
    log::warn("gateway call not sent", {{"account", acct.cfg->name}, {"error", ex.error},
                                        {"attempt", static_cast<std::int64_t>(items.front()->attempts)}});
    for (item* it : items)
      plan_retry(*this, it, decisions, "not_sent", "the gateway could not be reached: " + ex.error, "", 0);
  } else {
    std::vector<gateway::item_result> results;
    if (ex.fail == http::failure::ambiguous) {
      ++stats.http_failures;
      log::warn("gateway call ambiguous", {{"account", acct.cfg->name}, {"error", ex.error}});
      results.assign(items.size(), gateway::item_result{gateway::outcome_class::ambiguous, "transport", ex.error, ""});
    } else {
      results = acct.gw->parse(ex.resp.status, ex.resp.body, events);
    }
    bool is_throttled = false;
    for (const auto& r : results) is_throttled |= r.cls == gateway::outcome_class::throttled;
    if (is_throttled) {
      ++stats.throttled_calls;
      log::warn("gateway throttled the call", {{"account", acct.cfg->name}, {"code", results.front().code},
                                               {"limit", static_cast<std::int64_t>(acct.limiter.limit())},
                                               {"retry_after_ms", retry_after}});
    }
    slot.finish(is_throttled ? flow::call_outcome::throttled : flow::call_outcome::success,
                is_throttled ? retry_after : 0);
    for (std::size_t i = 0; i < items.size(); ++i) {
      item* it = items[i];
      auto& r = results[i];
      switch (r.cls) {
        case gateway::outcome_class::sent:
          // The answer's texts are this item's alone: moved, not copied.
          decisions.push_back({it, model::status::sent, ledger::settle_op::sent, "", "accepted by the gateway",
                               std::move(r.code), std::move(r.message_id), it->out.policy});
          break;
        case gateway::outcome_class::permanent:
        case gateway::outcome_class::recipient_limited:
          decisions.push_back({it, model::status::failed, ledger::settle_op::failed,
                               std::string(gateway::to_string(r.cls)), r.message, r.code, "", ""});
          break;
        case gateway::outcome_class::throttled:
          plan_retry(*this, it, decisions, "throttled", "throttled by the gateway: " + r.message, r.code, retry_after);
          break;
        case gateway::outcome_class::ambiguous: {
          // The gateway may have sent it: the ledger says so first, then a receipt check (after
          // the grace period, on the retry topic) or, without one, the account's policy.
          it->sent_message_id = r.message_id;
          const std::string why = "the gateway's answer does not say whether it was sent: " + r.message;
          if (acct.has_receipt_query) {
            decision d{it, model::status::unknown, ledger::settle_op::unknown, "ambiguous", why, r.code,
                       ledger::unknown_record_detail(it->sent_at_s, it->call_out_id), ""};
            d.next = next_step::receipt_check;
            decisions.push_back(std::move(d));
          } else if (auto d = unknown_decision(it, why + "; " + std::string(config::to_string(acct.cfg->gateway)) +
                                                        " has no receipt query",
                                               r.code)) {
            decisions.push_back(std::move(*d));
          } else {
            retry_later(it, std::chrono::milliseconds(backoff_ms(it->attempts - 1, 0)));
          }
          break;
        }
      }
    }
  }
  if (decisions.empty()) co_return;
  co_await settle_in_ledger(decisions);
  for (auto& d : decisions) {
    switch (d.next) {
      case next_step::outcome:
        settle(std::move(d));
        break;
      case next_step::receipt_check:
        park(d.it, flow::retry_reason::receipt_check, flow::retry_stage::receipt_check,
             now_ms() + cfg.retry.receipt_grace_ms);
        break;
      case next_step::wait_and_send:
        park(d.it, d.wait_reason, flow::retry_stage::send, d.not_before_ms);
        break;
    }
  }
}

boost::asio::awaitable<void> worker::impl::settle_in_ledger(std::vector<decision>& decisions) {
  std::vector<ledger::settle_item> request;
  request.reserve(decisions.size());
  for (const auto& d : decisions) move_to(d.it, stage::recording);
  for (const auto& d : decisions) request.push_back({&d.it->keys, d.it->daily_limit, d.op, d.message_id});
  std::chrono::milliseconds backoff{cfg.redis.reconnect_backoff_min_ms};
  // The gateway has answered: its answer must reach the ledger before the outcome, or a
  // redelivery could not tell a sent notification from an unsent one. Keep trying.
  for (;;) {
    auto st = co_await ledger->settle(request);
    if (st) co_return;
    ++stats.redis_errors;
    log::warn("ledger settle failed, retrying", {{"error", st.message()},
                                                 {"retry_ms", static_cast<std::int64_t>(backoff.count())}});
    co_await sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(cfg.redis.reconnect_backoff_max_ms));
  }
}

}  // namespace herald::pipeline
