#pragma once
// A token-bucket rate limit, one per gateway account, for the gateways' QPS caps (issue 5, flow
// control; docs/gateways.md lists the caps). Pure arithmetic: the caller passes the time in and
// arms its own timer with wait_ms; nothing here sleeps or reads a clock.
//
// The level is kept in thousandths of a token, so that a rate in whole tokens per second adds
// exactly `rate` thousandths per millisecond: no floating point, no rounding drift over a day.
#include <cstdint>

namespace herald::flow {

class token_bucket {
 public:
  // rate_per_second: tokens added per second; 0 means unlimited (every take succeeds).
  // burst: the most tokens saved up while idle (raised to 1). The bucket starts full.
  token_bucket(std::uint32_t rate_per_second, std::uint32_t burst) noexcept;

  // Takes n tokens if they are there. A take larger than the burst can never find n tokens, so it
  // is allowed once the bucket is full and leaves the bucket in debt (later takes wait for the debt
  // to be repaid): the average rate holds and a large take is not starved.
  bool try_take(std::int64_t now_ms, std::uint32_t n = 1) noexcept;

  // Milliseconds from now_ms until try_take(now_ms + wait, n) succeeds (0: it would succeed now),
  // assuming nothing else is taken meanwhile. For n above the burst: until the bucket is full.
  std::int64_t wait_ms(std::int64_t now_ms, std::uint32_t n = 1) const noexcept;

  // Changes the rate and burst from now_ms on: tokens earned so far at the old rate are kept (up
  // to the new burst), so lowering the rate does not hand out a fresh burst. Going from unlimited
  // to limited starts with a full bucket.
  void set_rate(std::int64_t now_ms, std::uint32_t rate_per_second, std::uint32_t burst) noexcept;

  std::uint32_t rate() const noexcept { return rate_; }
  std::uint32_t burst() const noexcept { return burst_; }
  bool is_unlimited() const noexcept { return rate_ == 0; }
  // Whole tokens available at now_ms (negative while in debt).
  std::int64_t available(std::int64_t now_ms) const noexcept;

 private:
  static constexpr std::int64_t unit = 1000;  // thousandths of a token per token

  std::int64_t capacity() const noexcept { return std::int64_t{burst_} * unit; }
  std::int64_t level_at(std::int64_t now_ms) const noexcept;
  void refill(std::int64_t now_ms) noexcept;

  std::uint32_t rate_;
  std::uint32_t burst_;
  std::int64_t level_;         // thousandths of a token; below zero after an oversized take
  std::int64_t last_ms_ = 0;   // when level_ was last brought up to date
  bool has_time_ = false;      // false until the first call that passes a time
};

}  // namespace herald::flow
