// The per-event decisions, row by row (docs/retries.md has the same tables in words).
#include "herald/pipeline/decide.hpp"

#include <doctest/doctest.h>

using namespace herald;
using pipeline::action;
using pipeline::outcome_class;
using ledger::record_state;
using ledger::settle_op;
using flow::retry_stage;

namespace {

constexpr std::int64_t now_s = 1'800'000'000;

pipeline::event_facts facts(bool has_query = true, config::unknown_policy p = config::unknown_policy::report_unknown) {
  pipeline::event_facts f;
  f.attempts = 1;
  f.checks = 0;
  f.now_s = now_s;
  f.now_ms = now_s * 1000;
  f.first_consumed_ms = f.now_ms - 1000;
  f.has_receipt_query = has_query;
  f.policy = p;
  f.gateway = has_query ? "aliyun_sms" : "top_oaid";
  return f;
}

pipeline::decide_limits limits() {
  pipeline::decide_limits l;
  l.max_attempts = 5;
  l.max_receipt_checks = 3;
  l.max_in_process_delay_ms = 5000;
  l.receipt_grace_ms = 5000;
  l.write_lease_s = 30;
  l.not_sent_budget_ms = 3600 * 1000;
  return l;
}

ledger::record rec(record_state st, std::int64_t at = now_s - 100) {
  ledger::record r;
  r.state = st;
  r.at_seconds = at;
  r.message_id = st == record_state::sent ? "msg-1" : "";
  return r;
}

}  // namespace

TEST_CASE("a sent record: the same record's own send (outcome lost) is `sent`, any other copy a duplicate") {
  const auto own = pipeline::after_reserve_found(rec(record_state::sent), true, facts(), limits());
  CHECK(own.next == action::emit);
  CHECK(own.st == model::status::sent);
  CHECK(own.message_id == "msg-1");
  CHECK_FALSE(own.writes_ledger);
  const auto other = pipeline::after_reserve_found(rec(record_state::sent), false, facts(), limits());
  CHECK(other.st == model::status::duplicate);
  CHECK(other.message_id == "msg-1");
  // A legacy S names no source: never claimed as this record's own send (it may be another copy's).
  auto legacy = rec(record_state::sent);
  legacy.is_legacy = true;
  CHECK(pipeline::after_reserve_found(legacy, true, facts(), limits()).st == model::status::duplicate);
}

TEST_CASE("a written record inside its lease waits for its writer; after it, a receipt check or the policy") {
  // Written 10 s ago with a 30 s lease: 20 s to wait, on the retry topic (longer than in-process).
  const auto young = pipeline::after_reserve_found(rec(record_state::written, now_s - 10), true, facts(), limits());
  CHECK(young.next == action::park);
  CHECK(young.delay_ms == 20'000);
  CHECK(young.stage == retry_stage::send);
  CHECK(young.why == flow::retry_reason::attempt_in_flight);
  CHECK_FALSE(young.writes_ledger);

  const auto old = pipeline::after_reserve_found(rec(record_state::written, now_s - 31), true, facts(), limits());
  CHECK(old.next == action::park);
  CHECK(old.stage == retry_stage::receipt_check);
  CHECK(old.writes_ledger);
  CHECK(old.op == settle_op::checking);
  CHECK(old.delay_ms == 0);  // the grace period since the call is long over

  const auto no_query = pipeline::after_reserve_found(rec(record_state::written, now_s - 31), true, facts(false), limits());
  CHECK(no_query.next == action::emit);
  CHECK(no_query.st == model::status::unknown);
  CHECK(no_query.op == settle_op::unknown);
  CHECK(no_query.policy == "report_unknown");
  CHECK(no_query.reason.find("top_oaid has no receipt query") != std::string::npos);
}

TEST_CASE("another copy's unfinished record: the repeat waits for it, a bounded number of times") {
  auto f = facts();
  for (auto st : {record_state::written, record_state::checking}) {
    const auto wait = pipeline::after_reserve_found(rec(st, now_s - 100), false, f, limits());
    CHECK(wait.next == action::park);
    CHECK(wait.stage == retry_stage::send);
    CHECK(wait.why == flow::retry_reason::attempt_in_flight);
    CHECK(wait.delay_ms >= 5000);
    CHECK_FALSE(wait.writes_ledger);  // the first copy's record is never touched by a repeat
  }
  f.checks = 3;
  const auto done = pipeline::after_reserve_found(rec(record_state::checking), false, f, limits());
  CHECK(done.next == action::emit);
  CHECK(done.st == model::status::unknown);
  CHECK_FALSE(done.writes_ledger);
}

TEST_CASE("an unknown record: the repeat and the redelivery both report unknown, never duplicate") {
  for (bool same : {true, false}) {
    const auto s = pipeline::after_reserve_found(rec(record_state::unknown), same, facts(), limits());
    CHECK(s.next == action::emit);
    CHECK(s.st == model::status::unknown);
    CHECK(s.cls == outcome_class::ambiguous);
    CHECK(s.message_id.empty());
  }
}

TEST_CASE("a checking record of this record: its receipt check goes on from the retry topic") {
  const auto s = pipeline::after_reserve_found(rec(record_state::checking, now_s - 2), true, facts(), limits());
  CHECK(s.next == action::park);
  CHECK(s.stage == retry_stage::receipt_check);
  CHECK(s.delay_ms == 3000);  // the grace counts from the call, not from now
  auto legacy = rec(record_state::checking, now_s - 600);
  legacy.is_legacy = true;
  CHECK(pipeline::after_reserve_found(legacy, false, facts(), limits()).stage == retry_stage::receipt_check);
}

TEST_CASE("a write mark refused: the event never sends, and waits for the attempt that holds it") {
  const auto s = pipeline::after_write_refused(rec(record_state::reserved), true, facts(), limits());
  CHECK(s.next == action::park);
  CHECK(s.stage == retry_stage::send);
  CHECK_FALSE(s.writes_ledger);
  CHECK(pipeline::after_write_refused(rec(record_state::sent), false, facts(), limits()).st == model::status::duplicate);
}

TEST_CASE("gateway answers, row by row") {
  const auto lim = limits();
  struct row {
    gateway::outcome_class cls;
    std::uint32_t attempts;
    action next;
    model::status st;
    settle_op op;
    outcome_class out_cls;
    bool to_dlq;
  };
  const row rows[] = {
      {gateway::outcome_class::sent, 1, action::emit, model::status::sent, settle_op::sent, outcome_class::none, false},
      {gateway::outcome_class::permanent, 1, action::emit, model::status::failed, settle_op::failed, outcome_class::permanent, false},
      {gateway::outcome_class::recipient_limited, 1, action::emit, model::status::failed, settle_op::failed,
       outcome_class::recipient_limited, false},
      {gateway::outcome_class::throttled, 1, action::send_later, model::status::unknown, settle_op::not_sent,
       outcome_class::none, false},
      {gateway::outcome_class::throttled, 5, action::emit, model::status::failed, settle_op::failed, outcome_class::throttled, true},
      {gateway::outcome_class::ambiguous, 1, action::park, model::status::unknown, settle_op::checking, outcome_class::none, false},
  };
  for (const auto& r : rows) {
    CAPTURE(gateway::to_string(r.cls));
    CAPTURE(r.attempts);
    auto f = facts();
    f.attempts = r.attempts;
    const auto s = pipeline::after_answer({false, r.cls, "words", 200}, f, lim);
    CHECK(s.next == r.next);
    CHECK(s.writes_ledger);
    CHECK(s.op == r.op);
    CHECK(s.to_dlq == r.to_dlq);
    if (s.next == action::emit) {
      CHECK(s.st == r.st);
      CHECK(s.cls == r.out_cls);
    }
  }
  // A throttle backoff longer than the in-process bound waits on the retry topic, holding its `r`.
  const auto long_wait = pipeline::after_answer({false, gateway::outcome_class::throttled, "slow down", 60'000}, facts(), lim);
  CHECK(long_wait.next == action::park);
  CHECK(long_wait.stage == retry_stage::send);
  CHECK(long_wait.why == flow::retry_reason::throttled_backoff);
  CHECK(long_wait.op == settle_op::not_sent);
}

TEST_CASE("a call never written costs no attempt and fails only past the time budget") {
  auto f = facts();
  f.attempts = 5;  // even with every attempt used, a brown-out is only time
  const auto retry = pipeline::after_answer({true, gateway::outcome_class::ambiguous, "pool exhausted", 400}, f, limits());
  CHECK(retry.next == action::send_later);
  CHECK_FALSE(retry.counts_attempt);
  CHECK(retry.op == settle_op::not_sent);
  CHECK(retry.delay_ms == 400);
  f.first_consumed_ms = f.now_ms - 3600 * 1000;
  const auto gone = pipeline::after_answer({true, gateway::outcome_class::ambiguous, "connection refused", 400}, f, limits());
  CHECK(gone.next == action::emit);
  CHECK(gone.st == model::status::failed);
  CHECK(gone.cls == outcome_class::not_sent);
  CHECK(gone.to_dlq);
  CHECK(gone.op == settle_op::failed);
  CHECK(gone.reason.find("3600 s") != std::string::npos);
}

TEST_CASE("a stopping worker waits on the retry topic, never in process") {
  auto f = facts();
  f.is_stopping = true;
  const auto s = pipeline::after_answer({false, gateway::outcome_class::throttled, "busy", 10}, f, limits());
  CHECK(s.next == action::park);
}

TEST_CASE("an ambiguous answer without a receipt query: the policy, row by row") {
  struct row {
    config::unknown_policy p;
    std::uint32_t attempts;
    action next;
    model::status st;
    settle_op op;
  };
  const row rows[] = {
      {config::unknown_policy::report_unknown, 1, action::emit, model::status::unknown, settle_op::unknown},
      {config::unknown_policy::assume_sent, 1, action::emit, model::status::sent, settle_op::sent},
      {config::unknown_policy::resend, 1, action::send_later, model::status::unknown, settle_op::checking},
      {config::unknown_policy::resend, 5, action::emit, model::status::unknown, settle_op::unknown},
  };
  for (const auto& r : rows) {
    CAPTURE(config::to_string(r.p));
    auto f = facts(false, r.p);
    f.attempts = r.attempts;
    const auto s = pipeline::after_answer({false, gateway::outcome_class::ambiguous, "timeout", 0}, f, limits());
    CHECK(s.next == r.next);
    CHECK(s.op == r.op);
    CHECK(s.policy == config::to_string(r.p));
    if (s.next == action::emit) CHECK(s.st == r.st);
    if (s.next == action::send_later) CHECK(s.stage == retry_stage::resend);
  }
}

TEST_CASE("receipt verdicts, row by row") {
  struct row {
    gateway::receipt_verdict v;
    std::uint32_t checks;
    std::uint32_t attempts;
    action next;
    retry_stage stage;
    model::status st;
  };
  using gateway::receipt_verdict;
  const row rows[] = {
      {receipt_verdict::delivered, 1, 1, action::emit, retry_stage::send, model::status::sent},
      {receipt_verdict::accepted, 1, 1, action::emit, retry_stage::send, model::status::sent},
      {receipt_verdict::not_delivered, 1, 1, action::emit, retry_stage::send, model::status::sent},
      {receipt_verdict::not_sent, 1, 1, action::send_later, retry_stage::resend, model::status::unknown},
      {receipt_verdict::not_sent, 1, 5, action::emit, retry_stage::send, model::status::unknown},
      {receipt_verdict::not_found, 1, 1, action::park, retry_stage::receipt_check, model::status::unknown},
      {receipt_verdict::retry_query, 2, 1, action::park, retry_stage::receipt_check, model::status::unknown},
      {receipt_verdict::not_found, 3, 1, action::emit, retry_stage::send, model::status::unknown},
      {receipt_verdict::cannot_tell, 1, 1, action::emit, retry_stage::send, model::status::unknown},
  };
  for (const auto& r : rows) {
    CAPTURE(gateway::to_string(r.v));
    CAPTURE(r.checks);
    auto f = facts();
    f.checks = r.checks;
    f.attempts = r.attempts;
    const auto s = pipeline::after_receipt(r.v, "seen", f, limits());
    CHECK(s.next == r.next);
    if (s.next == action::emit) CHECK(s.st == r.st);
    else CHECK(s.stage == r.stage);
  }
}

TEST_CASE("outcome classes are spelled as outcome records always spelled them") {
  CHECK(pipeline::to_string(outcome_class::permanent) == "permanent");
  CHECK(pipeline::to_string(outcome_class::recipient_limited) == "recipient_limited");
  CHECK(pipeline::to_string(outcome_class::throttled) == "throttled");
  CHECK(pipeline::to_string(outcome_class::not_sent) == "not_sent");
  CHECK(pipeline::to_string(outcome_class::ambiguous) == "ambiguous");
  CHECK(pipeline::to_string(outcome_class::internal_error) == "internal_error");
  CHECK(pipeline::to_string(outcome_class::none).empty());
}
