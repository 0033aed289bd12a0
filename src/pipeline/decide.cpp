#include "herald/pipeline/decide.hpp"

#include <algorithm>

namespace herald::pipeline {
namespace {

decision emit(model::status st, outcome_class cls, std::string reason) {
  decision s;
  s.next = action::emit;
  s.st = st;
  s.cls = cls;
  s.reason = std::move(reason);
  return s;
}

decision with_write(decision s, ledger::settle_op op) {
  s.writes_ledger = true;
  s.op = op;
  return s;
}

// Waits of delay_ms: in this process while short (and the worker is not stopping), on the retry
// topic otherwise, so that no event holds its partition's commit for long.
decision later(const event_facts& f, const decide_limits& lim, std::int64_t delay_ms, flow::retry_reason why,
           flow::retry_stage stage) {
  decision s;
  s.delay_ms = std::max<std::int64_t>(0, delay_ms);
  s.why = why;
  s.stage = stage;
  s.next = s.delay_ms <= lim.max_in_process_delay_ms && !f.is_stopping ? action::send_later : action::park;
  return s;
}

decision park(std::int64_t delay_ms, flow::retry_reason why, flow::retry_stage stage) {
  decision s;
  s.next = action::park;
  s.delay_ms = std::max<std::int64_t>(0, delay_ms);
  s.why = why;
  s.stage = stage;
  return s;
}

// Until a receipt is likely to show a call made at at_s.
std::int64_t until_receipt_ms(std::int64_t at_s, const event_facts& f, const decide_limits& lim) {
  if (at_s <= 0) return lim.receipt_grace_ms;
  return std::clamp<std::int64_t>(at_s * 1000 + lim.receipt_grace_ms - f.now_ms, 0, lim.receipt_grace_ms);
}

// Another copy of the same notification (another consumed record) holds the record and is not
// finished: this one waits for it, a bounded number of times, and then says what it knows.
decision wait_for_first_copy(std::int64_t delay_ms, std::string_view state, const event_facts& f,
                         const decide_limits& lim) {
  if (f.checks >= lim.max_receipt_checks)
    return emit(model::status::unknown, outcome_class::ambiguous,
                "another copy of this notification is still " + std::string(state) + " after " +
                    std::to_string(f.checks) + " looks: its fate is unknown");
  return park(std::max(delay_ms, lim.receipt_grace_ms), flow::retry_reason::attempt_in_flight,
              flow::retry_stage::send);
}

// An earlier delivery of this record may have sent it: the receipt decides where there is one
// (after the grace period, on the retry topic: the source's commit goes on meanwhile), the
// account's policy where there is none.
decision maybe_sent(std::int64_t at_s, std::string_view why, const event_facts& f, const decide_limits& lim) {
  if (!f.has_receipt_query)
    return by_policy(std::string(why) + ", and " + std::string(f.gateway) + " has no receipt query", f, lim);
  return with_write(park(until_receipt_ms(at_s, f, lim), flow::retry_reason::receipt_check,
                         flow::retry_stage::receipt_check),
                    ledger::settle_op::checking);
}

}  // namespace

std::string_view to_string(outcome_class c) {
  switch (c) {
    case outcome_class::none: return "";
    case outcome_class::permanent: return "permanent";
    case outcome_class::recipient_limited: return "recipient_limited";
    case outcome_class::throttled: return "throttled";
    case outcome_class::not_sent: return "not_sent";
    case outcome_class::ambiguous: return "ambiguous";
    case outcome_class::internal_error: return "internal_error";
  }
  return "";
}

decision after_reserve_found(const ledger::record& found, bool is_same_source, const event_facts& f,
                         const decide_limits& lim) {
  using ledger::record_state;
  // A legacy record names no source: it may be this record's own earlier attempt, so it is
  // treated as one (never as a finished repeat).
  const bool is_own = is_same_source || found.is_legacy;
  switch (found.state) {
    case record_state::sent: {
      decision s = is_own && !found.is_legacy
                   ? emit(model::status::sent, outcome_class::none,
                          "sent by an earlier delivery of this record, whose outcome was not committed")
                   : emit(model::status::duplicate, outcome_class::none,
                          "already sent: the ledger holds a sent record for this event_id");
      s.message_id = found.message_id;
      return s;
    }
    case record_state::written: {
      const std::int64_t lease_left_s = found.at_seconds > 0 ? found.at_seconds + lim.write_lease_s - f.now_s : 0;
      if (lease_left_s > 0) {
        // Its writer may still be on the wire: decide once its call is over, either way.
        if (!is_own) return wait_for_first_copy(lease_left_s * 1000, "being sent", f, lim);
        return park(lease_left_s * 1000, flow::retry_reason::attempt_in_flight, flow::retry_stage::send);
      }
      if (!is_own) return wait_for_first_copy(lim.receipt_grace_ms, "of unknown fate", f, lim);
      return maybe_sent(found.at_seconds, "an earlier delivery of this record wrote its request and ended unanswered",
                        f, lim);
    }
    case record_state::checking:
      if (!is_own) return wait_for_first_copy(lim.receipt_grace_ms, "of unknown fate", f, lim);
      if (!f.has_receipt_query)
        return by_policy("an earlier delivery of this record may have sent it, and " + std::string(f.gateway) +
                             " has no receipt query",
                         f, lim);
      return park(until_receipt_ms(found.at_seconds, f, lim), flow::retry_reason::receipt_check,
                  flow::retry_stage::receipt_check);
    case record_state::unknown:
      return emit(model::status::unknown, outcome_class::ambiguous,
                  is_own ? "an earlier delivery of this record ended unknown: the gateway may have sent it"
                         : "the first copy of this notification ended unknown: the gateway may have sent it");
    case record_state::reserved:
    case record_state::none:
      break;
  }
  // The reserve only answers `found` for w, c, u and s; anything else is looked at again.
  return park(lim.receipt_grace_ms, flow::retry_reason::attempt_in_flight, flow::retry_stage::send);
}

decision over_quota(std::uint32_t daily_limit, config::category c) {
  return emit(model::status::rejected_quota, outcome_class::none,
              "daily limit of " + std::to_string(daily_limit) + " " + std::string(config::to_string(c)) +
                  " messages for this recipient reached");
}

decision after_write_refused(const ledger::record& found, bool is_same_source, const event_facts& f,
                         const decide_limits& lim) {
  // Another attempt took the reservation over (a redelivery elsewhere, a copy in another
  // partition): this one must not send. What that attempt left decides, as for a reserve.
  if (found.state == ledger::record_state::reserved || found.state == ledger::record_state::none)
    return wait_for_first_copy(lim.receipt_grace_ms, "reserved by another attempt", f, lim);
  return after_reserve_found(found, is_same_source, f, lim);
}

decision after_answer(const answer_facts& a, const event_facts& f, const decide_limits& lim) {
  const std::string words(a.message);
  if (a.never_written) {
    // Nothing left: no attempt is used, only time; past the budget (a brown-out that does not
    // end) the event fails for good and an operator replays it from the DLQ.
    const std::int64_t waited = f.now_ms - f.first_consumed_ms;
    if (waited >= lim.not_sent_budget_ms) {
      decision s = emit(model::status::failed, outcome_class::not_sent,
                    "the gateway could not be reached for " + std::to_string(waited / 1000) + " s: " + words);
      s.to_dlq = true;
      s.counts_attempt = false;
      return with_write(std::move(s), ledger::settle_op::failed);
    }
    decision s = later(f, lim, a.backoff_ms, flow::retry_reason::not_sent_backoff, flow::retry_stage::send);
    s.counts_attempt = false;
    return with_write(std::move(s), ledger::settle_op::not_sent);
  }
  switch (a.cls) {
    case gateway::outcome_class::sent:
      return with_write(emit(model::status::sent, outcome_class::none, "accepted by the gateway"),
                        ledger::settle_op::sent);
    case gateway::outcome_class::permanent:
      return with_write(emit(model::status::failed, outcome_class::permanent, words), ledger::settle_op::failed);
    case gateway::outcome_class::recipient_limited:
      return with_write(emit(model::status::failed, outcome_class::recipient_limited, words),
                        ledger::settle_op::failed);
    case gateway::outcome_class::throttled: {
      if (f.attempts >= lim.max_attempts) {
        decision s = emit(model::status::failed, outcome_class::throttled,
                      "throttled by the gateway: " + words + " (" + std::to_string(f.attempts) + " attempts)");
        s.to_dlq = true;
        return with_write(std::move(s), ledger::settle_op::failed);
      }
      return with_write(later(f, lim, a.backoff_ms, flow::retry_reason::throttled_backoff, flow::retry_stage::send),
                        ledger::settle_op::not_sent);
    }
    case gateway::outcome_class::ambiguous:
      break;
  }
  const std::string why = "the gateway's answer does not say whether it was sent: " + words;
  if (f.has_receipt_query)
    return with_write(park(lim.receipt_grace_ms, flow::retry_reason::receipt_check, flow::retry_stage::receipt_check),
                      ledger::settle_op::checking);
  return by_policy(why + "; " + std::string(f.gateway) + " has no receipt query", f, lim);
}

decision after_receipt(gateway::receipt_verdict v, std::string_view seen, const event_facts& f, const decide_limits& lim) {
  const std::string words(seen);
  if (gateway::proves_sent(v))
    return with_write(emit(model::status::sent, outcome_class::ambiguous, "the gateway has it: " + words),
                      ledger::settle_op::sent);
  switch (v) {
    case gateway::receipt_verdict::not_sent:
      // The gateway's records prove nothing went out: a resend cannot be a second message.
      if (f.attempts < lim.max_attempts) return later(f, lim, 0, flow::retry_reason::not_sent_backoff, flow::retry_stage::resend);
      return by_policy(words + ", but its " + std::to_string(f.attempts) + " attempts are used up", f, lim);
    case gateway::receipt_verdict::not_found:
    case gateway::receipt_verdict::retry_query:
      if (f.checks < lim.max_receipt_checks)
        return park(lim.receipt_grace_ms, flow::retry_reason::receipt_check, flow::retry_stage::receipt_check);
      return by_policy(words + " after " + std::to_string(f.checks) + " checks", f, lim);
    default:
      return by_policy(words, f, lim);
  }
}

decision by_policy(std::string_view why, const event_facts& f, const decide_limits& lim) {
  const std::string decided =
      std::string(why) + "; the account's on_unknown policy decided: " + std::string(config::to_string(f.policy));
  decision s;
  switch (f.policy) {
    case config::unknown_policy::assume_sent:
      s = with_write(emit(model::status::sent, outcome_class::ambiguous, decided), ledger::settle_op::sent);
      s.policy = "assume_sent";
      return s;
    case config::unknown_policy::resend:
      if (f.attempts < lim.max_attempts) {
        // Its record says `c` meanwhile (it may have been sent), which the resend takes over; a
        // stopping worker leaves the resend on the retry topic.
        s = with_write(later(f, lim, 0, flow::retry_reason::not_sent_backoff, flow::retry_stage::resend),
                       ledger::settle_op::checking);
        s.policy = "resend";
        return s;
      }
      s = with_write(emit(model::status::unknown, outcome_class::ambiguous,
                          decided + ", but its " + std::to_string(f.attempts) + " attempts are used up"),
                     ledger::settle_op::unknown);
      s.policy = "resend";
      return s;
    case config::unknown_policy::report_unknown:
      break;
  }
  s = with_write(emit(model::status::unknown, outcome_class::ambiguous, decided), ledger::settle_op::unknown);
  s.policy = "report_unknown";
  return s;
}

}  // namespace herald::pipeline
