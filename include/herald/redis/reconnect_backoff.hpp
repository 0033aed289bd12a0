#pragma once
// Delays between reconnection attempts: exponential from min to max, with jitter so that many
// workers that lost the same Redis do not all come back in the same millisecond. Pure arithmetic:
// the caller passes the randomness in.
#include <cstdint>

namespace herald::redis {

class reconnect_backoff {
 public:
  // min_ms is raised to 1 (a zero delay would spin while Redis is down); max_ms to min_ms.
  reconnect_backoff(std::uint32_t min_ms, std::uint32_t max_ms) noexcept;

  // The delay before the next attempt. With base = min(max, min * 2^failures), the delay is spread
  // over [base / 2, base] by `random_unit` (in [0, 1]), and never below min.
  std::uint32_t next_delay_ms(double random_unit) noexcept;

  // After a successful connection: the next delay starts at min again.
  void reset() noexcept { failures_ = 0; }
  std::uint32_t failures() const noexcept { return failures_; }

 private:
  std::uint32_t min_ms_;
  std::uint32_t max_ms_;
  std::uint32_t failures_ = 0;
};

}  // namespace herald::redis
