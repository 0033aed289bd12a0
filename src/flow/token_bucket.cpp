#include "herald/flow/token_bucket.hpp"

#include <algorithm>

namespace herald::flow {

token_bucket::token_bucket(std::uint32_t rate_per_second, std::uint32_t burst) noexcept
    : rate_(rate_per_second), burst_(std::max<std::uint32_t>(burst, 1)), level_(capacity()) {}

std::int64_t token_bucket::level_at(std::int64_t now_ms) const noexcept {
  if (rate_ == 0) return capacity();
  // A time before the last one (a caller mixing clocks) earns nothing rather than taking back.
  if (!has_time_ || now_ms <= last_ms_ || level_ >= capacity()) return std::min(level_, capacity());
  const std::int64_t missing = capacity() - level_;
  const std::int64_t elapsed = now_ms - last_ms_;
  // Compared before multiplying, so a long idle time cannot overflow elapsed * rate.
  if (elapsed >= (missing + rate_ - 1) / rate_) return capacity();
  return level_ + elapsed * rate_;
}

void token_bucket::refill(std::int64_t now_ms) noexcept {
  level_ = level_at(now_ms);
  if (!has_time_ || now_ms > last_ms_) last_ms_ = now_ms;
  has_time_ = true;
}

bool token_bucket::try_take(std::int64_t now_ms, std::uint32_t n) noexcept {
  if (rate_ == 0 || n == 0) return true;
  refill(now_ms);
  const std::int64_t wanted = std::int64_t{n} * unit;
  const std::int64_t needed = std::min(wanted, capacity());  // an oversized take needs a full bucket
  if (level_ < needed) return false;
  level_ -= wanted;
  return true;
}

std::int64_t token_bucket::wait_ms(std::int64_t now_ms, std::uint32_t n) const noexcept {
  if (rate_ == 0 || n == 0) return 0;
  const std::int64_t needed = std::min(std::int64_t{n} * unit, capacity());
  const std::int64_t missing = needed - level_at(now_ms);
  if (missing <= 0) return 0;
  return (missing + rate_ - 1) / rate_;
}

void token_bucket::set_rate(std::int64_t now_ms, std::uint32_t rate_per_second, std::uint32_t burst) noexcept {
  const bool was_unlimited = rate_ == 0;
  refill(now_ms);  // what was earned at the old rate is kept
  rate_ = rate_per_second;
  burst_ = std::max<std::uint32_t>(burst, 1);
  level_ = was_unlimited ? capacity() : std::min(level_, capacity());
}

std::int64_t token_bucket::available(std::int64_t now_ms) const noexcept {
  const std::int64_t level = level_at(now_ms);
  // Floor division: a debt of half a token is -1 whole tokens available, not 0.
  return level >= 0 ? level / unit : -((-level + unit - 1) / unit);
}

}  // namespace herald::flow
