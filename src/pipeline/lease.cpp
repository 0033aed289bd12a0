// The pump's side of the accounts' shared rate limits (docs/retries.md, "Shared rate limits"):
// flow::shared_rate decides when to ask the budget in Redis and for how many tokens; this makes
// the call and hands the answer back. One ask per account at a time, never on the hot path of a
// call: the pump goes on with the tokens in hand while the next chunk is on its way.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {

void worker::impl::ask_budget(account_runtime& acct, std::int64_t mono_now) {
  const auto want = acct.shared->start_ask(mono_now, acct.waiting.batches() + acct.waiting.checks());
  if (!want) return;
  // Posted, never run inline: co_spawn dispatches, so a lease that fails at once (Redis not
  // connected) would pump the account again from inside the pump that asked, whose loop then
  // took a call from a queue the inner pump had emptied (an empty batch: the worker crashed).
  // The coroutine catches what it could throw (a lease that throws is a failed one): detached
  // loses nothing.
  boost::asio::post(io, [self = shared_from_this(), a = &acct, n = *want] {
    boost::asio::co_spawn(self->io, self->lease_tokens(*a, n), boost::asio::detached);
  });
}

boost::asio::awaitable<void> worker::impl::lease_tokens(account_runtime& acct, std::uint32_t want) {
  auto self = shared_from_this();
  flow::shared_rate& rate = *acct.shared;
  std::string failure;
  lease_answer answer;
  try {
    auto r = co_await budget->lease(acct.rate_key, acct.rate_pods_key, rate.rate(), flow::shared_burst(rate.rate()),
                                    want, instance_id);
    if (r) answer = r.value();
    else failure = r.message();
  } catch (const std::exception& e) {
    failure = std::string("rate lease: ") + e.what();
  }
  const std::int64_t t = mono_ms();
  if (!failure.empty()) {
    // Once per episode: sending goes on at the local share, which N pods exceed the cap with only
    // when more pods run than the budget saw lately and rate_limit.fallback_pods says.
    if (rate.on_failed(t) && !is_stopping)
      log::warn("shared rate budget unreachable: this pod sends at its local share of the account's rate",
                {{"account", acct.cfg->name}, {"error", failure},
                 {"rate_limit_qps", static_cast<std::int64_t>(rate.rate())},
                 {"pods_assumed", static_cast<std::int64_t>(std::max({rate.pods_seen(), cfg.rate_limit.fallback_pods, 1u}))},
                 {"local_qps", static_cast<std::int64_t>(rate.degraded_rate())}});
  } else if (rate.on_granted(t, answer.granted, answer.refill_ms, answer.pods)) {
    log::info("shared rate budget reachable again", {{"account", acct.cfg->name},
                                                     {"pods", static_cast<std::int64_t>(answer.pods)}});
  }
  pump(acct);
}

}  // namespace herald::pipeline
