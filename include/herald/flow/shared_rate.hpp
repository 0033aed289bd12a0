#pragma once
// The local side of an account's rate limit shared by every pod (docs/retries.md, "Shared rate
// limits"). The budget itself is a token bucket in Redis (pipeline/rate_budget.hpp) refilled at
// rate_limit_qps on Redis's own clock; a pod leases tokens from it in chunks and spends them here,
// one per gateway call, without a round trip per call. This class decides:
//
// - how large a chunk to ask for (chunk_size: the pod's recent rate over a short horizon, or the
//   calls waiting, at most the shared bucket's burst),
// - when to ask (one ask at a time; only with demand; again once the tokens in hand are down to
//   half a chunk; not before the bucket can hold another chunk, as its answer says),
// - that a leased token not spent within lease_ms is dropped: a pod that stalls cannot save up
//   tokens and spend them later on top of the other pods' (which would break the cap), and a dead
//   pod's chunk is simply gone, so what it would have used is the bucket's to refill,
// - what to do while the budget cannot be reached (degraded): send at a local share of the
//   cap, rate / max(pods seen by the budget lately, fallback_pods), never nothing; leases still in
//   hand are spent first.
//
// Pure bookkeeping: the caller passes the (monotonic) time in, makes the Redis call, and owns the
// timers. Not thread-safe (one io_context thread).
#include <array>
#include <cstdint>
#include <deque>
#include <optional>

#include "herald/flow/token_bucket.hpp"

namespace herald::flow {

struct shared_rate_options {
  std::uint32_t rate = 1;           // the account's calls per second, all pods together (raised to 1)
  std::uint32_t fallback_pods = 1;  // degraded: at least this many pods are assumed (raised to 1)
  std::int64_t lease_ms = 500;      // a leased token not spent by then is dropped
  std::int64_t horizon_ms = 100;    // a chunk covers this long of the pod's recent rate
  std::int64_t retry_ms = 1000;     // after a failed ask, the next one
  std::int64_t max_wait_ms = 5000;  // the longest an answer's refill time holds the next ask
};

// The shared bucket's capacity, which is also the largest chunk: a twentieth of a second of the
// rate, at least 1. Every one-second window then sees at most 1.05 × the rate granted, however
// many pods ask; the other half of the tenth a gateway tolerates above its rate is left for what
// no budget controls (tokens spent a little after their grant, calls arriving late or together).
std::uint32_t shared_burst(std::uint32_t rate) noexcept;

// The tokens to ask for: horizon_ms at the pod's rate over the last second, or the calls waiting
// if more, minus the tokens in hand; at least 1, at most shared_burst(rate).
std::uint32_t chunk_size(std::uint32_t rate, std::uint64_t spent_last_second, std::size_t waiting,
                         std::uint64_t in_hand, std::int64_t horizon_ms) noexcept;

// A pod's rate while the budget cannot be reached: the rate divided by the larger of the pods the
// budget saw lately and fallback_pods (an operator's floor: pods that had no demand are not seen),
// at least 1 call per second, so that an outage never stops sending.
std::uint32_t fallback_rate(std::uint32_t rate, std::uint32_t pods_seen, std::uint32_t fallback_pods) noexcept;

struct shared_rate_stats {
  std::uint64_t asks = 0;            // lease requests made (Redis round trips)
  std::uint64_t failed_asks = 0;     // of which failed (Redis unreachable, an error reply)
  std::uint64_t leased = 0;          // tokens granted by the budget
  std::uint64_t spent_leased = 0;    // calls made on a leased token
  std::uint64_t spent_fallback = 0;  // calls made on the local share while degraded
  std::uint64_t expired = 0;         // leased tokens dropped unspent (lease_ms passed)
};

class shared_rate {
 public:
  static constexpr std::int64_t answer_pending = -1;

  explicit shared_rate(const shared_rate_options& options) noexcept;

  // One token for one call: a leased one (oldest lease first), else, degraded, one of the local
  // share. Tokens past their lease are dropped first.
  bool try_take(std::int64_t now_ms) noexcept;
  // Tokens that try_take could take now (leased and unexpired, plus the local share's when degraded).
  std::uint64_t available(std::int64_t now_ms) const noexcept;
  // How long until try_take can succeed, for the caller's timer: 0 now; degraded: the local
  // share's wait; else until the next ask is due; answer_pending (-1) while an ask is out: its
  // answer, not a timer, wakes the caller (a timer armed for longer would hold the pod back).
  std::int64_t wait_ms(std::int64_t now_ms) const noexcept;

  // Whether to ask the budget now, and for how many tokens: nullopt while an ask is out, before
  // the next one is due, without demand (nothing waiting and nothing spent in the last second),
  // or while more than half a chunk is in hand. A returned count marks an ask as out: exactly one
  // on_granted or on_failed must follow.
  std::optional<std::uint32_t> start_ask(std::int64_t now_ms, std::size_t waiting) noexcept;
  // The budget's answer: `granted` tokens (0..asked), `refill_ms` until it holds as many as were
  // asked again (the next ask waits that long, at most max_wait_ms), and the pods it saw lately.
  // True when this ends a degraded episode.
  bool on_granted(std::int64_t now_ms, std::uint32_t granted, std::int64_t refill_ms, std::uint32_t pods) noexcept;
  // The ask failed: degraded until an ask succeeds; the next one in retry_ms. True when this
  // starts a degraded episode (the caller logs it once).
  bool on_failed(std::int64_t now_ms) noexcept;

  bool is_degraded() const noexcept { return is_degraded_; }
  bool is_asking() const noexcept { return is_asking_; }
  std::uint32_t pods_seen() const noexcept { return pods_seen_; }
  // The local share used while degraded (fallback_rate of the last pods seen).
  std::uint32_t degraded_rate() const noexcept;
  std::uint32_t rate() const noexcept { return options_.rate; }
  std::uint64_t spent_last_second(std::int64_t now_ms) const noexcept;
  const shared_rate_stats& stats() const noexcept { return stats_; }

 private:
  struct lease {
    std::int64_t expires_ms;
    std::uint32_t left;
  };
  static constexpr int slots = 10;  // the last second in tenths, for the recent rate
  static constexpr std::int64_t slot_ms = 100;

  void expire(std::int64_t now_ms) noexcept;
  std::uint64_t leased_in_hand(std::int64_t now_ms) const noexcept;
  void count_spent(std::int64_t now_ms) noexcept;

  shared_rate_options options_;
  std::deque<lease> leases_;  // oldest first; a few at most (one ask out at a time)
  std::array<std::uint32_t, slots> spent_{};
  std::array<std::int64_t, slots> spent_slot_{};  // which tenth of a second each count is for
  token_bucket fallback_;
  bool is_degraded_ = false;
  bool is_asking_ = false;
  std::uint32_t asked_ = 0;
  std::int64_t next_ask_ms_ = 0;
  std::uint32_t pods_seen_ = 0;  // 0: the budget never answered
  shared_rate_stats stats_;
};

}  // namespace herald::flow
