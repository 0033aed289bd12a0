#include "herald/flow/aimd_limiter.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace herald::flow {
namespace {

double sane_factor(double f) noexcept {
  // NaN, <= 0 or >= 1 would stop the limit from ever shrinking, or shrink it to nothing at once.
  return (std::isfinite(f) && f > 0.0 && f < 1.0) ? f : 0.5;
}

}  // namespace

aimd_limiter::aimd_limiter(const aimd_options& options) noexcept
    : min_limit_(std::max<std::uint32_t>(options.min_limit, 1)),
      max_limit_(std::max(options.max_limit, min_limit_)),
      decrease_factor_(sane_factor(options.decrease_factor)),
      cooldown_ms_(std::max<std::int64_t>(options.cooldown_ms, 0)),
      limit_(options.initial_limit == 0 ? max_limit_ : std::clamp(options.initial_limit, min_limit_, max_limit_)) {}

bool aimd_limiter::try_acquire(std::int64_t now_ms) noexcept {
  if (is_paused(now_ms) || in_flight_ >= limit_) return false;
  ++in_flight_;
  return true;
}

void aimd_limiter::release(std::int64_t now_ms, call_outcome outcome) noexcept {
  assert(in_flight_ > 0 && "release without a matching try_acquire");
  if (in_flight_ > 0) --in_flight_;
  switch (outcome) {
    case call_outcome::success:
      // +1 per `limit` successes: about one step per round of calls, whatever the limit.
      if (limit_ < max_limit_ && ++successes_ >= limit_) {
        ++limit_;
        successes_ = 0;
      }
      break;
    case call_outcome::throttled:
      if (has_decreased_ && now_ms - last_decrease_ms_ < cooldown_ms_) break;
      limit_ = std::max(min_limit_, static_cast<std::uint32_t>(static_cast<double>(limit_) * decrease_factor_));
      successes_ = 0;
      has_decreased_ = true;
      last_decrease_ms_ = now_ms;
      break;
    case call_outcome::other:
      break;
  }
}

void aimd_limiter::pause_until(std::int64_t until_ms) noexcept {
  paused_until_ms_ = std::max(paused_until_ms_, until_ms);
}

}  // namespace herald::flow
