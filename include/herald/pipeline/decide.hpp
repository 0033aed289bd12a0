#pragma once
// What happens next to one event: pure functions of values (what the ledger holds, what the
// gateway or a receipt check answered, the account's policy, the attempts so far), with no I/O.
// The coroutines in src/pipeline only carry bytes between these decisions (docs/retries.md has
// the same tables in words).
#include <cstdint>
#include <string>
#include <string_view>

#include "herald/config/config.hpp"
#include "herald/flow/retry_envelope.hpp"
#include "herald/gateway/gateway.hpp"
#include "herald/ledger/ledger_record.hpp"
#include "herald/ledger/ledger_store.hpp"
#include "herald/model/outcome.hpp"

namespace herald::pipeline {

// Why an event ended as it did, or waits (the outcome record's "class").
enum class outcome_class {
  none,               // sent, duplicate, invalid, over quota: the status says it all
  permanent,          // the gateway refused it for good
  recipient_limited,  // the gateway's own per-recipient limit
  throttled,          // the gateway throttled it, and its attempts are used up
  not_sent,           // the gateway could not be reached for longer than the time budget
  ambiguous,          // the gateway may have sent it
  internal_error,     // a pipeline step failed (coroutine_guard.hpp)
};
std::string_view to_string(outcome_class c);

// What the pipeline does with the event next.
enum class action {
  emit,           // its one outcome record (status, class, reason, message id below)
  send,           // to the batcher: a gateway call (the event holds its reservation)
  send_later,     // to the batcher again after delay_ms, in this process
  park,           // on the retry topic until delay_ms from now, then `stage` (retry_envelope.hpp)
  receipt_check,  // ask the gateway's receipt query now (the account's call limits apply)
};

struct decision {
  action next = action::emit;
  // The ledger write that must be in Redis before the action (none: nothing to write).
  bool writes_ledger = false;
  ledger::settle_op op = ledger::settle_op::sent;
  // emit:
  model::status st = model::status::unknown;
  outcome_class cls = outcome_class::none;
  std::string reason;
  bool to_dlq = false;
  std::string policy;      // the on_unknown policy, when it decided
  std::string message_id;  // the gateway's id when it is known here (a sent record); callers add theirs
  // send_later, park. Stage send: the event still holds its reservation (send_later: straight to
  // the batcher; park: through the guard again, which takes its `r` over); stage resend: its record
  // is `c`, which the guard's resend mode turns into this attempt's `r` again.
  std::int64_t delay_ms = 0;
  flow::retry_reason why = flow::retry_reason::not_sent_backoff;
  flow::retry_stage stage = flow::retry_stage::send;
  // Whether this attempt counts against retry.max_attempts (a call that was never written does not).
  bool counts_attempt = true;
  bool operator==(const decision&) const = default;
};

// What the decisions know about the event and its account.
struct event_facts {
  std::uint32_t attempts = 0;        // gateway calls made for it so far (this one included)
  std::uint32_t checks = 0;          // receipt checks (or waits for a first copy) so far
  std::int64_t now_s = 0;            // Unix seconds
  std::int64_t first_consumed_ms = 0;
  std::int64_t now_ms = 0;
  bool has_receipt_query = false;
  config::unknown_policy policy = config::unknown_policy::report_unknown;
  bool is_stopping = false;
  std::string_view gateway;          // the account's gateway kind, for reasons
};

struct decide_limits {
  std::uint32_t max_attempts = 5;
  std::uint32_t max_receipt_checks = 6;
  std::int64_t max_in_process_delay_ms = 5000;
  std::int64_t receipt_grace_ms = 5000;
  // A written request's lease: after this long from its `w`, the attempt that wrote it is over
  // (answered, timed out, or its pod is gone): http connect + pool wait + request timeouts + slack.
  std::int64_t write_lease_s = 30;
  // How long a gateway that cannot be reached may hold an event before it fails (brown-outs).
  std::int64_t not_sent_budget_ms = 6 * 3600 * 1000;
};

// The ledger answered a reserve with a record this attempt may not take (verdict::found).
// `is_same_source`: the record came from this very consumed record (an earlier delivery of it).
decision after_reserve_found(const ledger::record& found, bool is_same_source, const event_facts& f,
                         const decide_limits& lim);

// The reserve answered over quota.
decision over_quota(std::uint32_t daily_limit, config::category c);

// The call's write mark was refused: another attempt owns the record now (found).
decision after_write_refused(const ledger::record& found, bool is_same_source, const event_facts& f,
                         const decide_limits& lim);

// What one gateway call's answer means for one of its items. `never_written`: the request did not
// leave (connect refused, pool exhausted): a retry cannot send anything twice. `backoff_ms`: the
// jittered backoff for this attempt (the Retry-After folded in).
struct answer_facts {
  bool never_written = false;
  gateway::outcome_class cls = gateway::outcome_class::ambiguous;
  std::string_view message;  // the gateway's (or the transport's) words
  std::int64_t backoff_ms = 0;
};
decision after_answer(const answer_facts& a, const event_facts& f, const decide_limits& lim);

// What a receipt check's verdict means.
decision after_receipt(gateway::receipt_verdict v, std::string_view seen, const event_facts& f, const decide_limits& lim);

// No receipt can tell (cannot_tell, checks used up, no receipt query): the on_unknown policy.
decision by_policy(std::string_view why, const event_facts& f, const decide_limits& lim);

}  // namespace herald::pipeline
