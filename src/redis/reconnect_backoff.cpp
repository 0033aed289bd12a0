#include "herald/redis/reconnect_backoff.hpp"

#include <algorithm>
#include <limits>

namespace herald::redis {

reconnect_backoff::reconnect_backoff(std::uint32_t min_ms, std::uint32_t max_ms) noexcept
    : min_ms_(std::max<std::uint32_t>(min_ms, 1)), max_ms_(std::max(max_ms, min_ms_)) {}

std::uint32_t reconnect_backoff::next_delay_ms(double random_unit) noexcept {
  // 64-bit with the exponent capped, so a long outage cannot overflow the shift.
  const std::uint32_t exponent = std::min<std::uint32_t>(failures_, 32);
  const std::uint64_t base = std::min<std::uint64_t>(std::uint64_t{min_ms_} << exponent, max_ms_);
  if (failures_ != std::numeric_limits<std::uint32_t>::max()) ++failures_;
  const double unit = std::clamp(random_unit, 0.0, 1.0);
  const auto delay = static_cast<std::uint64_t>(static_cast<double>(base) * (0.5 + 0.5 * unit));
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(delay, min_ms_, max_ms_));
}

}  // namespace herald::redis
