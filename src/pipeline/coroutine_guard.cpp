#include "herald/pipeline/coroutine_guard.hpp"

#include <stdexcept>

namespace herald::pipeline {

const char* to_string(step s) {
  switch (s) {
    case step::reserve: return "reserve";
    case step::send: return "send";
    case step::receipt_check: return "receipt_check";
    case step::decide_unknown: return "decide_unknown";
  }
  return "?";
}

ending ending_of(step s) {
  // Only the reserve comes before any request of this attempt; the send may have written one,
  // and the receipt check and the policy decide a send whose fate is already unknown.
  return s == step::reserve ? ending::failed_to_dlq : ending::unknown;
}

std::string describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

step_failure_plan plan_step_failure(step s, std::uint64_t task, std::exception_ptr e, std::span<const held_view> held) {
  step_failure_plan plan{ending_of(s), describe(e), {}, {}};
  plan.reason = std::string("internal error in the ") + to_string(s) + " step: " + plan.what;
  if (plan.how == ending::unknown) plan.reason += "; it may have been sent, so it is not sent again";
  for (std::size_t i = 0; i < held.size(); ++i)
    if (held[i].task_now == task && !held[i].is_settled) plan.to_end.push_back(i);
  return plan;
}

}  // namespace herald::pipeline
