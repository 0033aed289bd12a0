#pragma once
// What happens when a pipeline coroutine (reserve, send, receipt check, on_unknown decision) ends
// with an exception. Spawned `detached`, the exception vanished: the events it held were never
// settled, their partition stopped committing, and nothing was logged. Every such coroutine now
// has a completion handler that logs and counts the exception and ends the events the coroutine
// still held, each with the one outcome its step allows.
//
// Which events it still holds: items are recycled for later events, so a pointer taken when the
// coroutine was spawned may name another event by the time the exception arrives. Each spawn gets
// a task id never used before, stamped on the items it holds (item::task); handing an item on (to
// the batcher, a receipt check queue, a retry timer, another coroutine) clears or replaces the
// stamp, and recycling clears it. An item still stamped with the task id and not yet settled is
// the coroutine's own; any other is left alone, so that nothing is ever settled twice.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <vector>

namespace herald::pipeline {

// The pipeline coroutines, by what they do to their events.
enum class step {
  reserve,         // run_guard: the ledger reserve of a batch, nothing sent yet
  send,            // send_batch: the gateway call, its answer and the ledger settle
  receipt_check,   // run_receipt_check: the receipt query of a send of unknown fate
  decide_unknown,  // decide_unknown: the on_unknown policy of a send of unknown fate
};
const char* to_string(step s);

// How an event still held by a failed step ends.
enum class ending {
  // Nothing can have been sent in this step (an earlier attempt was proved not sent, or goes to
  // a receipt check): outcome `failed`, the original bytes to the DLQ, as for any unrecoverable
  // error; a replay meets the ledger's record, and a reserved record goes to the receipt check.
  failed_to_dlq,
  // The request may have been written to the gateway, or an earlier send's fate was still being
  // decided: a resend could be a second message, so the outcome is `unknown`, as for an ambiguous
  // send no receipt could decide (docs/retries.md); the ledger keeps its record.
  unknown,
};
ending ending_of(step s);

// What the completion handler reads of one item the step was given.
struct held_view {
  std::uint64_t task_now;  // the item's stamp now
  bool is_settled;         // its outcome was already made (or it waits on a retry topic)
};

struct step_failure_plan {
  ending how;
  std::string what;                  // the exception's message
  std::string reason;                // the outcome's reason
  std::vector<std::size_t> to_end;   // indices into the held items: the ones to end
};

// The exception's message ("unknown exception" when it is not a std::exception).
std::string describe(std::exception_ptr e);

// Pure: what a step's completion handler does after it threw.
step_failure_plan plan_step_failure(step s, std::uint64_t task, std::exception_ptr e, std::span<const held_view> held);

// A completion handler for co_spawn that calls on_exception(e) only when the coroutine threw.
template <class F>
auto on_exception(F on_exception) {
  return [f = std::move(on_exception)](std::exception_ptr e) mutable {
    if (e) f(e);
  };
}

}  // namespace herald::pipeline
