#pragma once
// The concurrency limit of one gateway account: how many calls may be in flight at once. It grows
// additively while calls succeed and halves when the gateway throttles (AIMD, as TCP congestion
// control does), so Herald finds the concurrency a gateway tolerates instead of being configured
// with it; and it holds every call back while a Retry-After is running (issue 5, flow control).
//
// Pure bookkeeping: the caller passes the time in, and owns the timer that retries after
// paused_until() or after a release frees a slot. Not thread-safe (one io_context thread).
#include <cstdint>

namespace herald::flow {

// What a finished call says about the gateway's capacity. Only a throttle answer (a throttle code
// in the body, HTTP 429) is a capacity signal; `other` (a permanent error, an ambiguous timeout, a
// call never written) leaves the limit alone, so one bad event or one dead connection cannot
// shrink the account's concurrency.
enum class call_outcome { success, throttled, other };

struct aimd_options {
  std::uint32_t min_limit = 1;      // raised to 1
  std::uint32_t max_limit = 16;     // raised to min_limit (account_config::max_concurrent_calls)
  std::uint32_t initial_limit = 0;  // 0: start at max_limit (throttling brings it down)
  double decrease_factor = 0.5;     // the limit is multiplied by this on a throttle; kept in (0, 1)
  // After a decrease, further throttles are ignored for this long: they come from calls that were
  // already in flight at the old limit, and counting them would collapse the limit to min at once.
  std::int64_t cooldown_ms = 1000;
};

class aimd_limiter {
 public:
  explicit aimd_limiter(const aimd_options& options) noexcept;

  // Takes a slot if fewer than limit() calls are in flight and no Retry-After pause is running at
  // now_ms. Every true must be matched by exactly one release.
  bool try_acquire(std::int64_t now_ms) noexcept;

  // Returns a slot. success: one step towards +1 (the limit grows by one after `limit()`
  // successes, i.e. about once per round of calls); throttled: the limit is multiplied by
  // decrease_factor (not below min_limit), at most once per cooldown.
  void release(std::int64_t now_ms, call_outcome outcome) noexcept;

  // A gateway's Retry-After: no call starts before until_ms. A shorter pause never cuts a longer
  // one short.
  void pause_until(std::int64_t until_ms) noexcept;
  std::int64_t paused_until() const noexcept { return paused_until_ms_; }
  bool is_paused(std::int64_t now_ms) const noexcept { return now_ms < paused_until_ms_; }

  std::uint32_t in_flight() const noexcept { return in_flight_; }
  std::uint32_t limit() const noexcept { return limit_; }

 private:
  std::uint32_t min_limit_;
  std::uint32_t max_limit_;
  double decrease_factor_;
  std::int64_t cooldown_ms_;
  std::uint32_t limit_;
  std::uint32_t in_flight_ = 0;
  std::uint32_t successes_ = 0;  // since the limit last changed
  bool has_decreased_ = false;
  std::int64_t last_decrease_ms_ = 0;
  std::int64_t paused_until_ms_ = 0;
};

}  // namespace herald::flow
