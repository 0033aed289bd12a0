#include "herald/pipeline/limits.hpp"

#include <algorithm>

namespace herald::pipeline {

std::string event_too_large_reason(std::size_t value_bytes, std::size_t key_bytes, std::size_t max_event_bytes) {
  return "event too large: " + std::to_string(value_bytes + key_bytes) + " bytes (value " +
         std::to_string(value_bytes) + ", key " + std::to_string(key_bytes) + "), at most " +
         std::to_string(max_event_bytes) + " (kafka.max_event_bytes)";
}

void clear_buffer(std::string& s) noexcept {
  if (should_release_buffer(s.capacity())) std::string().swap(s);
  else s.clear();
}

void drain_meter::roll(std::int64_t now_ms) noexcept {
  const std::int64_t elapsed = now_ms - window_start_ms_;
  if (elapsed < window_ms) return;
  // A whole window without a call here finished nothing: the last count is stale.
  previous_ = elapsed < 2 * window_ms ? current_ : 0;
  current_ = 0;
  window_start_ms_ = elapsed < 2 * window_ms ? window_start_ms_ + window_ms : now_ms;
}

void drain_meter::add(std::int64_t now_ms) noexcept {
  roll(now_ms);
  ++current_;
}

std::uint32_t drain_meter::recent(std::int64_t now_ms) noexcept {
  roll(now_ms);
  return std::max(previous_, current_);
}

share_verdict decide_share(const account_load& a) noexcept {
  if (a.in_flight < a.share) return share_verdict::admit;
  if (a.is_held) return share_verdict::defer;
  const auto can_finish = static_cast<std::uint64_t>(a.finished_recently) *
                          static_cast<std::uint64_t>(account_drain_horizon_ms / drain_meter::window_ms);
  if (can_finish >= a.in_flight) return share_verdict::admit;
  // Until it has been at its share for a whole window the meter cannot tell a stall from a fresh
  // start that has finished nothing yet: intake waits, and only the rest of the slice of records
  // already taken from librdkafka (up to 256) goes past the share, by at most an eighth of it.
  if (a.busy_for_ms >= drain_meter::window_ms) return share_verdict::defer;
  return a.in_flight < a.share + std::max<std::size_t>(1, a.share / 8) ? share_verdict::admit_and_wait
                                                                       : share_verdict::defer;
}

std::int64_t account_busy_delay_ms(const account_load& a, std::int64_t hold_remaining_ms, std::int64_t cap_ms) noexcept {
  std::int64_t wait = min_account_busy_delay_ms;
  if (a.is_held) {
    wait = hold_remaining_ms;  // it cannot drain before the hold ends
  } else if (a.busy_for_ms >= drain_meter::window_ms) {
    // Measured: the time it needs to finish what it holds (finishing nothing: as long as any backoff).
    wait = a.finished_recently > 0
               ? static_cast<std::int64_t>(a.in_flight) * drain_meter::window_ms / a.finished_recently
               : cap_ms;
  }  // else within its first window at its share: nothing is known yet, so the event is back soon
  return std::max(min_account_busy_delay_ms, std::min(wait, cap_ms));
}

}  // namespace herald::pipeline
