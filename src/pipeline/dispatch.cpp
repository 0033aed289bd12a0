// Dispatch: one signed gateway call per batch. Its items are marked written in the ledger before
// the first byte goes out; each is then settled on its own from the answer (docs/gateways.md: the
// business code decides, per item, never the HTTP status alone), by decide.hpp.
#include <boost/asio/co_spawn.hpp>
#include <bit>

#include "herald/flow/backoff.hpp"
#include "herald/http/retry_after.hpp"
#include "herald/redis/handshake_refusal.hpp"
#include "herald/util/crypto.hpp"
#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {

void worker::impl::dispatch(batch::batch<item> b) {
  account_runtime& acct = *b.items.front()->acct;
  acct.waiting.push_batch(mono_ms(), std::move(b.items));
  pump(acct);
}

bool worker::impl::park_overdue(account_runtime& acct, std::int64_t mono_now) {
  // An event must not hold its partition's commit in this process for long: past the bound it
  // waits on the retry topic (holding its `r`, or its `c`), and its source commits on.
  auto late = acct.waiting.take_overdue(mono_now, cfg.retry.max_in_process_hold_ms);
  if (late.empty()) return false;
  for (auto& items : late.batches)
    for (item* it : items) park(it, flow::retry_reason::account_busy, flow::retry_stage::send, now_ms());
  for (item* it : late.checks) park(it, flow::retry_reason::receipt_check, flow::retry_stage::receipt_check, now_ms());
  log::info("events waited too long for their account's call limits: they wait on the retry topic",
            {{"account", acct.cfg->name}, {"bound_ms", static_cast<std::int64_t>(cfg.retry.max_in_process_hold_ms)},
             {"batches", static_cast<std::int64_t>(late.batches.size())},
             {"checks", static_cast<std::int64_t>(late.checks.size())}});
  return true;
}

// Starts the account's waiting calls while its concurrency limit, its rate (the pod's bucket, and
// the shared budget's leased tokens) and any Retry-After allow; otherwise a timer (rate,
// Retry-After, the hold bound), the next finished call (concurrency) or a lease's answer pumps
// again. Receipt checks and sends take turns (call_queue.hpp).
void worker::impl::pump(account_runtime& acct) {
  if (acct.is_pumping) {
    acct.is_pump_wanted = true;
    return;
  }
  struct pumping {  // cleared on every way out: a flag left set would stop the account for good
    account_runtime& a;
    ~pumping() { a.is_pumping = false; }
  } guard{acct};
  acct.is_pumping = true;
  do {
    acct.is_pump_wanted = false;
    pump_pass(acct);
  } while (acct.is_pump_wanted);
}

void worker::impl::pump_pass(account_runtime& acct) {
  park_overdue(acct, mono_ms());
  while (!acct.waiting.empty()) {
    const std::int64_t t = mono_ms();
    if (acct.shared) ask_budget(acct, t);  // posts the lease: nothing here changes meanwhile
    const std::int64_t shared_wait = acct.shared ? acct.shared->wait_ms(t) : 0;
    const std::int64_t wait = std::max({acct.bucket.wait_ms(t), acct.limiter.paused_until() - t, shared_wait});
    if (wait > 0) {
      if (acct.is_pump_armed) return;
      acct.is_pump_armed = true;
      acct.pump_timer->expires_after(
          std::chrono::milliseconds(std::min<std::int64_t>(wait, cfg.retry.max_in_process_hold_ms)));
      acct.pump_timer->async_wait([self = shared_from_this(), a = &acct](const boost::system::error_code& ec) {
        a->is_pump_armed = false;
        if (!ec) self->pump(*a);
      });
      return;
    }
    // A lease is on its way and nothing else holds the calls: its answer pumps again (lease.cpp),
    // within redis.command_timeout_ms at the latest.
    if (shared_wait == flow::shared_rate::answer_pending) return;
    if (!acct.limiter.try_acquire(t)) return;
    acct.bucket.try_take(t);
    if (acct.shared) acct.shared->try_take(t);  // there is one: its wait_ms was 0
    auto next = acct.waiting.take_next();
    if (next.check) {
      item* const one[] = {next.check};
      auto held = hold(one, &acct);
      boost::asio::co_spawn(io, run_receipt_check(next.check), when_step_ends(step::receipt_check, std::move(held)));
      continue;
    }
    auto held = hold(next.batch, &acct);
    boost::asio::co_spawn(io, send_batch(std::move(next.batch)), when_step_ends(step::send, std::move(held)));
  }
}

void worker::impl::call_finished(account_runtime& acct, flow::call_outcome outcome, std::int64_t retry_after_ms) {
  const std::int64_t t = mono_ms();
  acct.limiter.release(t, outcome);
  if (retry_after_ms > 0) acct.limiter.pause_until(t + retry_after_ms);
  pump(acct);
}

namespace {

// The one place a Retry-After is read: the account's hold (call_finished) and the events' backoff
// both take this, capped at retry.backoff_cap_ms.
std::int64_t retry_after_ms(const http::exchange& ex, std::int64_t now_s, std::int64_t cap_ms) {
  if (ex.resp.retry_after.empty()) return 0;
  return flow::retry_after_hold_ms(http::retry_after_seconds(ex.resp.retry_after, now_s), cap_ms);
}

}  // namespace

boost::asio::awaitable<bool> worker::impl::mark_written(std::vector<item*>& items, std::int64_t call_seconds) {
  account_runtime& acct = *items.front()->acct;
  std::vector<decided> elsewhere;
  std::chrono::milliseconds backoff{cfg.redis.reconnect_backoff_min_ms};
  bool is_marked = true;
  while (!items.empty()) {
    std::vector<const model::event*> events;
    events.reserve(items.size());
    for (item* it : items) events.push_back(&it->ev);
    const std::string call_id = acct.has_receipt_query ? acct.gw->receipt_call_id(events) : std::string();
    std::vector<ledger::write_item> request;
    request.reserve(items.size());
    for (item* it : items) {
      it->sent_at_s = call_seconds;
      it->call_out_id = call_id;
      request.push_back({&it->keys, it->owner, it->source_id, it->call_out_id});
    }
    auto answers = co_await ledger->mark_written(request, call_seconds);
    if (!answers) {
      ++stats.redis_errors;
      log::warn("ledger write mark failed, retrying", {{"error", answers.message()},
                                                       {"retry_ms", static_cast<std::int64_t>(backoff.count())}});
      if (redis::is_permission_refusal(answers.message())) fail_stop("the Redis user may not run the ledger's commands (the ACL rule: docs/operations.md, \"Production connections\"): " + std::string(answers.message()));
      if (is_stopping) {
        is_marked = false;  // not sent, not settled: redelivered after the restart
        break;
      }
      co_await sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(cfg.redis.reconnect_backoff_max_ms));
      continue;
    }
    std::vector<item*> written;
    written.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      item* it = items[i];
      const auto& a = answers.value()[i];
      if (!a.is_written) {
        // Another attempt took the record over (a redelivery elsewhere after a rebalance, a copy
        // in another partition): this one must not be sent.
        ++stats.writes_refused;
        log::info("ledger write mark refused: another attempt holds the record",
                  {{"event_id", it->ev.event_id}, {"trace_id", log::if_any(it->trace.trace_id())},
                   {"state", ledger::to_string(a.found.state)}});
        --it->attempts;
        elsewhere.push_back({it, after_write_refused(a.found, a.found.source == it->source_id, facts_of(it), limits)});
      } else if (is_revoked(it)) {
        // Revoked during the round trip: its `w` goes back to `r`, for the new owner to take over.
        decision back;
        back.writes_ledger = true;
        back.op = ledger::settle_op::not_sent;
        back.next = action::send;
        elsewhere.push_back({it, std::move(back)});
      } else {
        // max_receipt_checks bounds the checks of one send: a resend (proved missing) is a new
        // send, with checks of its own. One count for the event's life ran out on a send whose
        // receipt had barely been asked for, and ended it unknown (chaos receipts_ids_test).
        it->receipt_checks = 0;
        written.push_back(it);
      }
    }
    // A call that lost items names another OutId: the rest are marked again with it.
    const bool is_same_call = written.size() == items.size();
    items = std::move(written);
    if (is_same_call) break;
  }
  if (!elsewhere.empty()) {
    co_await settle_in_ledger(elsewhere);
    for (auto& d : elsewhere) carry_out(d.it, std::move(d.d));
  }
  co_return is_marked && !items.empty();
}

boost::asio::awaitable<void> worker::impl::send_batch(std::vector<item*> items) {
  auto self = shared_from_this();
  account_runtime& acct = *items.front()->acct;
  call_slot slot(*this, acct);
  // Revoked while waiting: their `r` stays for the partition's new owner to take over.
  std::erase_if(items, [this](item* it) {
    if (!is_revoked(it)) return false;
    drop(it);
    return true;
  });
  for (item* it : items) {
    ++it->attempts;
    move_to(it, stage::calling);
  }
  gateway::send_context ctx{now_ms() / 1000, crypto::random_hex(16)};
  // Written in the ledger before the request exists: a crash from here on leaves `w`, which no
  // later attempt resends blindly; a crash before leaves `r`, which the next attempt simply sends.
  if (items.empty() || !co_await mark_written(items, ctx.unix_seconds)) {
    slot.finish(flow::call_outcome::other, 0);
    co_return;
  }
  std::vector<const model::event*> events;
  events.reserve(items.size());
  for (item* it : items) events.push_back(&it->ev);

  gateway::http_request built;
  std::string build_error;
  try {
    built = acct.gw->build(events, ctx);
  } catch (const std::exception& e) {
    build_error = e.what();
  }
  std::vector<decided> decisions;
  decisions.reserve(items.size());
  if (!build_error.empty()) {
    // A request the gateway cannot build (a contract broken between batcher and gateway) fails
    // its items for good; nothing was sent, so the ledger releases them.
    slot.finish(flow::call_outcome::other, 0);
    log::error("gateway request could not be built", {{"account", acct.cfg->name}, {"error", build_error}});
    for (item* it : items)
      decisions.push_back({it, after_answer({false, gateway::outcome_class::permanent,
                                             "the request could not be built: " + build_error, 0},
                                            facts_of(it), limits)});
    co_await settle_in_ledger(decisions);
    for (auto& d : decisions) carry_out(d.it, std::move(d.d));
    co_return;
  }
  http::request req{built.method, built.target, built.content_type, std::move(built.body), {}};
  ++stats.gateway_calls;
  stats.gateway_items += items.size();
  const auto call_started = std::chrono::steady_clock::now();
  http::exchange ex = co_await http->send(acct.cfg->endpoint, std::move(req));
  const double call_took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - call_started).count();
  const std::int64_t retry_after = retry_after_ms(ex, now_ms() / 1000, cfg.retry.backoff_cap_ms);

  if (ex.fail == http::failure::not_sent) {
    // The request never left: a retry cannot send anything twice, and a brown-out costs the event
    // time (bounded by retry.not_sent_budget_ms), not attempts.
    slot.finish(flow::call_outcome::other, 0);
    ++stats.http_failures;
    acct.call_seconds[static_cast<int>(call_result::not_sent)]->observe(call_took_s);
    log::warn("gateway call not sent", {{"account", acct.cfg->name}, {"error", ex.error},
                                        {"events", static_cast<std::int64_t>(items.size())}});
    for (item* it : items) {
      const std::int64_t waited = std::max<std::int64_t>(0, now_ms() - it->first_consumed_at_ms);
      const auto tries = static_cast<std::uint32_t>(std::bit_width(static_cast<std::uint64_t>(
          waited / std::max<std::int64_t>(1, cfg.retry.backoff_base_ms))));
      auto d = after_answer({true, gateway::outcome_class::ambiguous, "the gateway could not be reached: " + ex.error,
                             backoff_ms(tries, 0)},
                            facts_of(it), limits);
      if (!d.counts_attempt) --it->attempts;
      decisions.push_back({it, std::move(d)});
    }
  } else {
    std::vector<gateway::item_result> results;
    if (ex.fail == http::failure::ambiguous) {
      ++stats.http_failures;
      log::warn("gateway call ambiguous", {{"account", acct.cfg->name}, {"error", ex.error}});
      results.assign(items.size(), gateway::item_result{gateway::outcome_class::ambiguous, "transport", ex.error, ""});
    } else {
      results = acct.gw->parse(ex.resp.status, ex.resp.body, events);
    }
    acct.call_seconds[static_cast<int>(classify_call(ex, results))]->observe(call_took_s);
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
      // The gateway's id, when it gave one, even for an answer that leaves the send's fate open.
      it->sent_message_id = r.message_id;
      auto d = after_answer({false, r.cls, r.message, backoff_ms(it->attempts - 1, retry_after)}, facts_of(it), limits);
      if (d.next == action::emit && d.st == model::status::sent) d.message_id = std::move(r.message_id);
      it->out.gateway_code = std::move(r.code);
      decisions.push_back({it, std::move(d)});
    }
  }
  co_await settle_in_ledger(decisions);
  for (auto& d : decisions) carry_out(d.it, std::move(d.d));
}

boost::asio::awaitable<void> worker::impl::settle_in_ledger(std::span<decided> decisions) {
  std::vector<ledger::settle_item> request;
  request.reserve(decisions.size());
  for (const auto& d : decisions) {
    if (!d.d.writes_ledger) continue;
    item* it = d.it;
    move_to(it, stage::recording);
    request.push_back({&it->keys, d.d.op, it->owner, it->source_id, d.d.message_id, it->sent_at_s, it->call_out_id});
  }
  if (request.empty()) co_return;
  std::chrono::milliseconds backoff{cfg.redis.reconnect_backoff_min_ms};
  // The ledger must hold what happened before the event moves on, or a redelivery could not
  // tell a sent notification from an unsent one. Keep trying.
  for (;;) {
    auto st = co_await ledger->settle(request);
    if (st) co_return;
    ++stats.redis_errors;
    log::warn("ledger settle failed, retrying", {{"error", st.message()},
                                                 {"retry_ms", static_cast<std::int64_t>(backoff.count())}});
    // Kept trying even then: the fail-stop's drain ends the process.
    if (redis::is_permission_refusal(st.message())) fail_stop("the Redis user may not run the ledger's commands (the ACL rule: docs/operations.md, \"Production connections\"): " + std::string(st.message()));
    co_await sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(cfg.redis.reconnect_backoff_max_ms));
  }
}

}  // namespace herald::pipeline
