// Receipt checks (docs/retries.md): a send whose fate is unknown is never resent blindly. The
// gateway's own record decides where it has one; where none can tell, the account's on_unknown
// policy decides and the outcome says so.
#include <boost/asio/co_spawn.hpp>
#include <random>

#include "herald/flow/backoff.hpp"
#include "herald/util/crypto.hpp"
#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {
namespace {

// Pages of one query (and the neighbouring day of a send near midnight) before giving up on it.
constexpr int max_receipt_pages = 20;

}  // namespace

std::int64_t worker::impl::backoff_ms(std::uint32_t attempt, std::int64_t retry_after_ms) const {
  static thread_local std::minstd_rand rng{std::random_device{}()};
  const double uniform = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  return flow::backoff_delay_ms(attempt, cfg.retry.backoff_base_ms, cfg.retry.backoff_cap_ms, retry_after_ms, uniform);
}

std::optional<decision> worker::impl::unknown_decision(item* it, const std::string& why, const std::string& code) {
  const auto policy = it->acct->cfg->on_unknown;
  const std::string decided = why + "; the account's on_unknown policy decided: " + std::string(config::to_string(policy));
  if (policy == config::unknown_policy::resend) {
    if (it->attempts < cfg.retry.max_attempts && !is_stopping) {
      it->out.policy = "resend";
      return std::nullopt;
    }
    const std::string why_not = is_stopping ? ", but the worker is stopping"
                                            : ", but its " + std::to_string(it->attempts) + " attempts are used up";
    return decision{it, model::status::unknown, ledger::settle_op::unknown, "ambiguous", decided + why_not, code,
                    ledger::unknown_record_detail(it->sent_at_s, it->call_out_id), "resend"};
  }
  if (policy == config::unknown_policy::assume_sent)
    return decision{it, model::status::sent, ledger::settle_op::sent, "ambiguous", decided, code, it->sent_message_id,
                    "assume_sent"};
  return decision{it, model::status::unknown, ledger::settle_op::unknown, "ambiguous", decided, code,
                  ledger::unknown_record_detail(it->sent_at_s, it->call_out_id), "report_unknown"};
}

boost::asio::awaitable<void> worker::impl::decide_unknown(item* it, std::string why, std::string code) {
  auto self = shared_from_this();
  auto d = unknown_decision(it, why, code);
  if (!d) {
    ++stats.retries;
    to_batcher(it);
    co_return;
  }
  std::vector<decision> one{std::move(*d)};
  co_await settle_in_ledger(one);
  settle(std::move(one.front()));
}

void worker::impl::check_receipt(item* it) {
  if (!it->acct->has_receipt_query) {
    item* const one[] = {it};
    auto held = hold(one);
    boost::asio::co_spawn(io,
                          decide_unknown(it,
                                         "an earlier attempt may have sent it, and " +
                                             std::string(config::to_string(it->acct->cfg->gateway)) +
                                             " has no receipt query",
                                         ""),
                          when_step_ends(step::decide_unknown, std::move(held)));
    return;
  }
  it->task = 0;  // the account's queue holds it until pump starts its check
  it->acct->waiting_checks.push_back(it);
  pump(*it->acct);
}

// Runs holding one of the account's call slots (taken by pump); gives it back before deciding.
boost::asio::awaitable<void> worker::impl::run_receipt_check(item* it) {
  auto self = shared_from_this();
  call_slot slot(*this, *it->acct);
  const gateway::gateway& gw = *it->acct->gw;
  ++it->receipt_checks;
  gateway::receipt_context ctx;
  ctx.unix_seconds = now_ms() / 1000;
  ctx.sent_at_unix_seconds = it->sent_at_s;
  ctx.message_id = it->sent_message_id;
  ctx.call_out_id = it->call_out_id;
  ctx.not_found_final_after_seconds = it->acct->cfg->receipt_not_found_final_after_seconds;
  const config::endpoint& ep = gw.receipt_endpoint() ? *gw.receipt_endpoint() : it->acct->cfg->endpoint;

  gateway::receipt_result res;
  for (int page = 0; page < max_receipt_pages; ++page) {
    ctx.nonce = crypto::random_hex(16);
    auto query = gw.build_receipt_query(it->ev, ctx);
    if (!query) {
      res = {gateway::receipt_verdict::cannot_tell, "", "no receipt query can be made for this send", "", ""};
      break;
    }
    ++stats.receipt_checks;
    http::request req{query->method, query->target, query->content_type, std::move(query->body), {}};
    http::exchange ex = co_await http->send(ep, std::move(req));
    if (ex.fail != http::failure::none) {
      res = {gateway::receipt_verdict::retry_query, "transport", "the receipt query failed: " + ex.error, "", ""};
      break;
    }
    res = gw.parse_receipt_query(ex.resp.status, ex.resp.body, it->ev, ctx);
    if (res.next_cursor.empty()) break;
    ctx.cursor = res.next_cursor;
  }
  slot.finish(flow::call_outcome::other, 0);
  log::info("receipt check", {{"event_id", it->ev.event_id}, {"account", it->ev.account},
                              {"verdict", gateway::to_string(res.verdict)}, {"code", res.code},
                              {"check", static_cast<std::int64_t>(it->receipt_checks)}});

  const std::string seen = "receipt check " + std::to_string(it->receipt_checks) + ": " +
                           std::string(gateway::to_string(res.verdict)) + (res.message.empty() ? "" : " (" + res.message + ")");
  if (gateway::proves_sent(res.verdict)) {
    ++stats.receipts_found;
    const std::string id = res.message_id.empty() ? it->sent_message_id : res.message_id;
    std::vector<decision> one{{it, model::status::sent, ledger::settle_op::sent, "ambiguous",
                               "the gateway has it: " + seen, res.code, id, ""}};
    co_await settle_in_ledger(one);
    settle(std::move(one.front()));
    co_return;
  }
  switch (res.verdict) {
    case gateway::receipt_verdict::not_sent:
      // The gateway's records prove nothing went out: a resend cannot be a second message.
      if (it->attempts < cfg.retry.max_attempts) {
        ++stats.retries;
        // While stopping, the resend waits on the retry topic instead of in this process.
        if (is_stopping) park(it, flow::retry_reason::not_sent_backoff, flow::retry_stage::resend, now_ms());
        else to_batcher(it);
        co_return;
      }
      co_await decide_unknown(it, seen + ", but its " + std::to_string(it->attempts) + " attempts are used up", res.code);
      co_return;
    case gateway::receipt_verdict::not_found:
    case gateway::receipt_verdict::retry_query:
      if (it->receipt_checks < cfg.retry.max_receipt_checks) {
        park(it, flow::retry_reason::receipt_check, flow::retry_stage::receipt_check,
             now_ms() + cfg.retry.receipt_grace_ms);
        co_return;
      }
      co_await decide_unknown(it, seen + " after " + std::to_string(it->receipt_checks) + " checks", res.code);
      co_return;
    default:
      co_await decide_unknown(it, seen, res.code);
      co_return;
  }
}

}  // namespace herald::pipeline
