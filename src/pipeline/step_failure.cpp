// A pipeline coroutine that threw (coroutine_guard.hpp): logged, counted, and the events it still
// held ended with the outcome its step allows, so that none is stranded and its partition commits.
#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {

worker::impl::held_items worker::impl::hold(std::span<item* const> items, account_runtime* slot_of) {
  held_items held{++last_task, {items.begin(), items.end()}, slot_of};
  for (item* it : items) it->task = held.task;
  return held;
}

void worker::impl::on_step_failed(step s, const held_items& held, std::exception_ptr e) {
  ++stats.internal_errors;
  std::vector<held_view> views;
  views.reserve(held.items.size());
  // Safe to read: items are recycled, never deleted, while the worker runs (free_item).
  for (const item* it : held.items) views.push_back({it->task, it->at == stage::emitting});
  const step_failure_plan plan = plan_step_failure(s, held.task, e, views);
  log::error("pipeline step failed", {{"step", to_string(s)},
                                      {"error", plan.what},
                                      {"events", static_cast<std::int64_t>(held.items.size())},
                                      {"ended", static_cast<std::int64_t>(plan.to_end.size())},
                                      {"ended_as", plan.how == ending::unknown ? "unknown" : "failed"}});
  for (std::size_t i : plan.to_end) {
    item* it = held.items[i];
    it->task = 0;
    try {
      it->out.outcome_class.assign(to_string(outcome_class::internal_error));
      if (plan.how == ending::failed_to_dlq) {
        it->to_dlq = true;
        settle(it, model::status::failed, plan.reason);
      } else {
        settle(it, model::status::unknown, plan.reason);
      }
    } catch (const std::exception& x) {
      // The same fault again: the event stays unsettled (redelivered after a restart) rather than
      // the exception ending the worker.
      log::error("event could not be ended after an internal error",
                 {{"step", to_string(s)}, {"offset", it->offset}, {"trace_id", log::if_any(it->trace.trace_id())},
                  {"error", x.what()}});
    }
  }
  try {
    // Its call slot was given back when the coroutine unwound (call_slot): calls waiting for it go on.
    if (held.acct) pump(*held.acct);
    apply_flow_control();
  } catch (const std::exception& x) {
    log::error("pipeline could not resume after an internal error", {{"step", to_string(s)}, {"error", x.what()}});
  }
}

}  // namespace herald::pipeline
