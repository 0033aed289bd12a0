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

void worker::impl::check_receipt(item* it) {
  if (!it->acct->has_receipt_query) {
    // Its account's gateway has no receipt query (any more): the policy decides.
    carry_out_recorded(it, by_policy("an earlier attempt may have sent it, and " +
                                         std::string(config::to_string(it->acct->cfg->gateway)) + " has no receipt query",
                                     facts_of(it), limits));
    return;
  }
  it->task = 0;  // the account's queue holds it until pump starts its check
  it->acct->waiting.push_check(mono_ms(), it);
  pump(*it->acct);
}

// Runs holding one of the account's call slots (taken by pump); gives it back before deciding.
boost::asio::awaitable<void> worker::impl::run_receipt_check(item* it) {
  auto self = shared_from_this();
  call_slot slot(*this, *it->acct);
  if (is_revoked(it)) {
    slot.finish(flow::call_outcome::other, 0);
    drop(it);
    co_return;
  }
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
  bool is_query_unsent = false;
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
      is_query_unsent = ex.fail == http::failure::not_sent;
      res = {gateway::receipt_verdict::retry_query, "transport", "the receipt query failed: " + ex.error, "", ""};
      break;
    }
    res = gw.parse_receipt_query(ex.resp.status, ex.resp.body, it->ev, ctx);
    if (res.next_cursor.empty()) break;
    ctx.cursor = res.next_cursor;
  }
  slot.finish(flow::call_outcome::other, 0);
  log::info("receipt check", {{"event_id", it->ev.event_id}, {"trace_id", log::if_any(it->trace.trace_id())}, {"account", it->ev.account},
                              {"verdict", gateway::to_string(res.verdict)}, {"code", res.code},
                              {"check", static_cast<std::int64_t>(it->receipt_checks)}});

  // A query that never left (the gateway refusing connections) says nothing: like a call never
  // written it costs no check, only time (docs/retries.md, "Brown-outs"), so that one outage cannot
  // use up an ambiguous send's checks.
  if (is_query_unsent && now_ms() - it->first_consumed_at_ms < cfg.retry.not_sent_budget_ms) --it->receipt_checks;
  const std::string seen = "receipt check " + std::to_string(it->receipt_checks) + ": " +
                           std::string(gateway::to_string(res.verdict)) + (res.message.empty() ? "" : " (" + res.message + ")");
  decided one[] = {{it, after_receipt(res.verdict, seen, facts_of(it), limits)}};
  if (gateway::proves_sent(res.verdict)) {
    ++stats.receipts_found;
    one[0].d.message_id = res.message_id.empty() ? it->sent_message_id : res.message_id;
  }
  it->out.gateway_code = res.code;
  co_await settle_in_ledger(one);
  carry_out(it, std::move(one[0].d));
}

}  // namespace herald::pipeline
