#include "herald/flow/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace herald::flow {

std::int64_t backoff_ceiling_ms(std::uint32_t attempt, std::int64_t base_ms, std::int64_t cap_ms) noexcept {
  base_ms = std::max<std::int64_t>(base_ms, 0);
  cap_ms = std::max<std::int64_t>(cap_ms, 0);
  if (base_ms == 0) return 0;
  // base · 2^attempt > cap, tested without computing the product (which can overflow); from 63 on
  // even base 1 is past any int64 cap.
  if (attempt >= 63 || base_ms > (cap_ms >> attempt)) return cap_ms;
  return base_ms << attempt;
}

std::int64_t backoff_delay_ms(std::uint32_t attempt, std::int64_t base_ms, std::int64_t cap_ms,
                              std::int64_t retry_after_ms, double uniform) noexcept {
  const std::int64_t ceiling = backoff_ceiling_ms(attempt, base_ms, cap_ms);
  const double u = std::isnan(uniform) ? 0.0 : std::clamp(uniform, 0.0, std::nextafter(1.0, 0.0));
  // Full jitter: anywhere in [0, ceiling). Compared as a double first: for a huge ceiling the
  // product can round up to 2^63, which no int64 holds.
  const double scaled = std::floor(u * static_cast<double>(ceiling));
  const std::int64_t last = std::max<std::int64_t>(ceiling - 1, 0);
  const std::int64_t jittered = scaled >= static_cast<double>(last) ? last : static_cast<std::int64_t>(scaled);
  return std::max(jittered, retry_after_ms);
}

std::int64_t retry_after_hold_ms(std::optional<std::int64_t> retry_after_seconds, std::int64_t cap_ms) noexcept {
  if (!retry_after_seconds || *retry_after_seconds <= 0 || cap_ms <= 0) return 0;
  // Compared in seconds first: seconds · 1000 may not fit (the parser caps at a year, but this
  // function takes any value).
  if (*retry_after_seconds >= cap_ms / 1000 + 1) return cap_ms;
  return std::min(*retry_after_seconds * 1000, cap_ms);
}

}  // namespace herald::flow
