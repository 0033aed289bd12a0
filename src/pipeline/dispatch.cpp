// Dispatch: one signed gateway call per batch; each item is settled on its own from the answer
// (GATEWAYS.md: the business code decides, per item, never the HTTP status alone).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <random>

#include "herald/util/crypto.hpp"
#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {
namespace {

// Attempts for a call that never reached the gateway, or that the gateway throttled, before
// the items fail. Backoff is exponential with full jitter.
constexpr std::uint32_t max_attempts = 5;
constexpr std::chrono::milliseconds backoff_base{200};
constexpr std::chrono::milliseconds backoff_cap{5000};

std::chrono::milliseconds jittered_backoff(std::uint32_t attempt) {
  static thread_local std::minstd_rand rng{std::random_device{}()};
  auto ceiling = std::min<std::int64_t>(backoff_cap.count(), backoff_base.count() << std::min<std::uint32_t>(attempt, 10));
  return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(ceiling / 2, ceiling)(rng));
}

}  // namespace

void worker::impl::dispatch(batch::batch<item> b) {
  account_runtime& acct = *b.items.front()->acct;
  if (acct.calls_in_flight >= acct.max_calls) {
    acct.waiting_batches.push_back(std::move(b.items));
    return;
  }
  start_call(acct, std::move(b.items));
}

void worker::impl::start_call(account_runtime& acct, std::vector<item*> items) {
  ++acct.calls_in_flight;
  boost::asio::co_spawn(io, send_batch(std::move(items)), boost::asio::detached);
}

void worker::impl::call_finished(account_runtime& acct) {
  --acct.calls_in_flight;
  if (!acct.waiting_batches.empty() && acct.calls_in_flight < acct.max_calls) {
    auto next = std::move(acct.waiting_batches.front());
    acct.waiting_batches.pop_front();
    start_call(acct, std::move(next));
  }
}

void worker::impl::retry_later(item* it, std::chrono::milliseconds delay) {
  auto t = std::make_shared<boost::asio::steady_timer>(io, delay);
  t->async_wait([self = shared_from_this(), it, t](const boost::system::error_code&) { self->to_batcher(it); });
}

boost::asio::awaitable<void> worker::impl::send_batch(std::vector<item*> items) {
  auto self = shared_from_this();
  account_runtime& acct = *items.front()->acct;
  std::vector<const model::event*> events;
  events.reserve(items.size());
  for (item* it : items) {
    ++it->attempts;
    events.push_back(&it->ev);
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
    call_finished(acct);
    log::error("gateway request could not be built", {{"account", acct.cfg->name}, {"error", build_error}});
    std::vector<decision> failed;
    for (item* it : items)
      failed.push_back({it, model::status::failed, ledger::settle_op::failed, "permanent",
                        "the request could not be built: " + build_error, "", "", ""});
    co_await settle_in_ledger(failed);
    for (const auto& d : failed) settle(d);
    co_return;
  }
  http::request req{built.method, built.target, built.content_type, std::move(built.body), {}};
  ++stats.gateway_calls;
  stats.gateway_items += items.size();
  http::exchange ex = co_await http->send(acct.cfg->endpoint, std::move(req));
  call_finished(acct);

  std::vector<decision> decisions;
  decisions.reserve(items.size());
  if (ex.fail == http::failure::not_sent) {
    // The request never left: a retry cannot send anything twice.
    ++stats.http_failures;
    log::warn("gateway call not sent", {{"account", acct.cfg->name}, {"error", ex.error},
                                        {"attempt", static_cast<std::int64_t>(items.front()->attempts)}});
    for (item* it : items) {
      if (it->attempts < max_attempts && !is_stopping) retry_later(it, jittered_backoff(it->attempts));
      else decisions.push_back({it, model::status::failed, ledger::settle_op::failed, "not_sent",
                                "the gateway could not be reached: " + ex.error, "", "", ""});
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
    for (std::size_t i = 0; i < items.size(); ++i) {
      item* it = items[i];
      const auto& r = results[i];
      switch (r.cls) {
        case gateway::outcome_class::sent:
          decisions.push_back({it, model::status::sent, ledger::settle_op::sent, "", "accepted by the gateway",
                               r.code, r.message_id, it->out.policy});
          break;
        case gateway::outcome_class::permanent:
        case gateway::outcome_class::recipient_limited:
          decisions.push_back({it, model::status::failed, ledger::settle_op::failed,
                               std::string(gateway::to_string(r.cls)), r.message, r.code, "", ""});
          break;
        case gateway::outcome_class::throttled:
          if (it->attempts < max_attempts && !is_stopping) retry_later(it, jittered_backoff(it->attempts));
          else decisions.push_back({it, model::status::failed, ledger::settle_op::failed, "throttled",
                                    "throttled by the gateway " + std::to_string(it->attempts) + " times: " + r.message,
                                    r.code, "", ""});
          break;
        case gateway::outcome_class::ambiguous: {
          // The gateway may have sent it. Receipt checks are not wired in here yet (the gateway
          // interface has them, docs/gateways.md), so the account's policy decides; never a
          // blind resend by default.
          const auto policy = acct.cfg->on_unknown;
          const std::string why = "the gateway's answer does not say whether it was sent: " + r.message;
          if (policy == config::unknown_policy::resend && it->attempts < max_attempts && !is_stopping) {
            it->out.policy = "resend";
            retry_later(it, jittered_backoff(it->attempts));
          } else if (policy == config::unknown_policy::assume_sent) {
            decisions.push_back({it, model::status::sent, ledger::settle_op::sent, "ambiguous", why, r.code, "",
                                 "assume_sent"});
          } else {
            decisions.push_back({it, model::status::unknown, ledger::settle_op::unknown, "ambiguous", why, r.code,
                                 "", std::string(config::to_string(policy))});
          }
          break;
        }
      }
    }
  }
  if (decisions.empty()) co_return;
  co_await settle_in_ledger(decisions);
  for (const auto& d : decisions) settle(d);
}

boost::asio::awaitable<void> worker::impl::settle_in_ledger(std::vector<decision>& decisions) {
  std::vector<ledger::settle_item> request;
  request.reserve(decisions.size());
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
