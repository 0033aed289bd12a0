#include "herald/flow/shared_rate.hpp"

#include <algorithm>

namespace herald::flow {

std::uint32_t shared_burst(std::uint32_t rate) noexcept { return std::max<std::uint32_t>(1, rate / 20); }

std::uint32_t chunk_size(std::uint32_t rate, std::uint64_t spent_last_second, std::size_t waiting,
                         std::uint64_t in_hand, std::int64_t horizon_ms) noexcept {
  const std::uint64_t burst = shared_burst(rate);
  // Rounded up, so that a pod at a few calls per second still asks for one.
  const std::uint64_t by_rate = (spent_last_second * static_cast<std::uint64_t>(std::max<std::int64_t>(0, horizon_ms)) + 999) / 1000;
  const std::uint64_t wanted = std::min(std::max<std::uint64_t>(by_rate, waiting), burst);
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(1, wanted > in_hand ? wanted - in_hand : 0));
}

std::uint32_t fallback_rate(std::uint32_t rate, std::uint32_t pods_seen, std::uint32_t fallback_pods) noexcept {
  const std::uint32_t pods = std::max({pods_seen, fallback_pods, std::uint32_t{1}});
  return std::max<std::uint32_t>(1, rate / pods);
}

shared_rate::shared_rate(const shared_rate_options& options) noexcept
    : options_(options), fallback_(1, 1) {
  options_.rate = std::max<std::uint32_t>(1, options_.rate);
  options_.fallback_pods = std::max<std::uint32_t>(1, options_.fallback_pods);
  fallback_ = token_bucket(degraded_rate(), shared_burst(degraded_rate()));
}

std::uint32_t shared_rate::degraded_rate() const noexcept {
  return fallback_rate(options_.rate, pods_seen_, options_.fallback_pods);
}

void shared_rate::expire(std::int64_t now_ms) noexcept {
  while (!leases_.empty() && (leases_.front().left == 0 || leases_.front().expires_ms <= now_ms)) {
    stats_.expired += leases_.front().left;
    leases_.pop_front();
  }
}

std::uint64_t shared_rate::leased_in_hand(std::int64_t now_ms) const noexcept {
  std::uint64_t n = 0;
  for (const auto& l : leases_)
    if (l.expires_ms > now_ms) n += l.left;
  return n;
}

void shared_rate::count_spent(std::int64_t now_ms) noexcept {
  const std::int64_t slot = now_ms / slot_ms;
  const auto i = static_cast<std::size_t>(((slot % slots) + slots) % slots);
  if (spent_slot_[i] != slot) {
    spent_slot_[i] = slot;
    spent_[i] = 0;
  }
  ++spent_[i];
}

std::uint64_t shared_rate::spent_last_second(std::int64_t now_ms) const noexcept {
  const std::int64_t slot = now_ms / slot_ms;
  std::uint64_t n = 0;
  for (int i = 0; i < slots; ++i)
    if (spent_slot_[i] > slot - slots && spent_slot_[i] <= slot) n += spent_[i];
  return n;
}

bool shared_rate::try_take(std::int64_t now_ms) noexcept {
  expire(now_ms);
  if (!leases_.empty()) {
    --leases_.front().left;
    ++stats_.spent_leased;
    count_spent(now_ms);
    return true;
  }
  if (is_degraded_ && fallback_.try_take(now_ms)) {
    ++stats_.spent_fallback;
    count_spent(now_ms);
    return true;
  }
  return false;
}

std::uint64_t shared_rate::available(std::int64_t now_ms) const noexcept {
  std::uint64_t n = leased_in_hand(now_ms);
  if (is_degraded_) n += static_cast<std::uint64_t>(std::max<std::int64_t>(0, fallback_.available(now_ms)));
  return n;
}

std::int64_t shared_rate::wait_ms(std::int64_t now_ms) const noexcept {
  if (available(now_ms) > 0) return 0;
  if (is_degraded_) return std::max<std::int64_t>(1, fallback_.wait_ms(now_ms));
  if (is_asking_) return answer_pending;
  return std::max<std::int64_t>(1, next_ask_ms_ - now_ms);
}

std::optional<std::uint32_t> shared_rate::start_ask(std::int64_t now_ms, std::size_t waiting) noexcept {
  if (is_asking_ || now_ms < next_ask_ms_) return std::nullopt;
  expire(now_ms);
  const std::uint64_t recent = spent_last_second(now_ms);
  if (waiting == 0 && recent == 0) return std::nullopt;  // an idle account costs no round trips
  const std::uint64_t in_hand = leased_in_hand(now_ms);
  const std::uint32_t full = chunk_size(options_.rate, recent, waiting, 0, options_.horizon_ms);
  if (in_hand * 2 > full) return std::nullopt;
  asked_ = chunk_size(options_.rate, recent, waiting, in_hand, options_.horizon_ms);
  is_asking_ = true;
  ++stats_.asks;
  return asked_;
}

bool shared_rate::on_granted(std::int64_t now_ms, std::uint32_t granted, std::int64_t refill_ms,
                             std::uint32_t pods) noexcept {
  is_asking_ = false;
  granted = std::min(granted, asked_);
  if (granted > 0) {
    leases_.push_back({now_ms + options_.lease_ms, granted});
    stats_.leased += granted;
  }
  // Asking again before the bucket can hold another chunk would only cost round trips for a part
  // of one (the bucket keeps what refills meanwhile: a chunk is never more than its capacity).
  next_ask_ms_ = now_ms + std::clamp<std::int64_t>(refill_ms, 0, options_.max_wait_ms);
  pods_seen_ = std::max<std::uint32_t>(1, pods);
  const bool was_degraded = is_degraded_;
  is_degraded_ = false;
  return was_degraded;
}

bool shared_rate::on_failed(std::int64_t now_ms) noexcept {
  is_asking_ = false;
  ++stats_.failed_asks;
  next_ask_ms_ = now_ms + options_.retry_ms;
  if (is_degraded_) return false;
  is_degraded_ = true;
  // A fresh local share for this episode, sized from the pods seen last; it starts full (a twentieth
  // of a second of the share), like any bucket.
  fallback_ = token_bucket(degraded_rate(), shared_burst(degraded_rate()));
  return true;
}

}  // namespace herald::flow
