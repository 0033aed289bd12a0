#pragma once
// The limits every in-flight event is held to (docs/configuration.md, kafka.max_event_bytes,
// max_in_flight_bytes, max_in_flight_per_account; docs/retries.md, "One account's share"): pure
// decisions, so that the worker only feeds them its counts and the clock.
#include <cstddef>
#include <cstdint>
#include <string>

namespace herald::pipeline {

// --- One event's size

// Value + key of a consumed record above max_event_bytes: invalid before it is decoded.
constexpr bool is_event_too_large(std::size_t value_bytes, std::size_t key_bytes, std::size_t max_event_bytes) noexcept {
  return value_bytes + key_bytes > max_event_bytes;
}
// The outcome's reason for such an event: its size and the limit (cold path).
std::string event_too_large_reason(std::size_t value_bytes, std::size_t key_bytes, std::size_t max_event_bytes);

// --- The in-flight window (events and bytes)

struct window_use {
  std::size_t events = 0;
  std::size_t bytes = 0;  // value + key of the records consumed, as they were consumed
};
struct window_limits {
  std::size_t max_events = 0;
  std::size_t max_bytes = 0;
};
// Either bound reached: the intake gate closes.
constexpr bool is_window_full(window_use u, window_limits l) noexcept {
  return u.events >= l.max_events || u.bytes >= l.max_bytes;
}
// Both below 7/8 of their bound: a closed gate opens again (a margin, so that it does not open and
// close with every event).
constexpr bool is_window_reopened(window_use u, window_limits l) noexcept {
  return u.events < l.max_events * 7 / 8 && u.bytes < l.max_bytes / 8 * 7;
}
// Both below 3/4: partitions paused by a gate that stayed closed too long may resume.
constexpr bool is_window_drained(window_use u, window_limits l) noexcept {
  return u.events < l.max_events * 3 / 4 && u.bytes < l.max_bytes / 4 * 3;
}

// --- Buffers of recycled items

// A finished item keeps its buffers for the next event (a few hundred bytes each), except buffers
// a large event grew beyond this: kept, a burst of large events would hold its memory for as long
// as the items are spare (up to max_in_flight of them).
inline constexpr std::size_t max_kept_buffer_bytes = 16 * 1024;
constexpr bool should_release_buffer(std::size_t capacity) noexcept { return capacity > max_kept_buffer_bytes; }
// Clears s; frees its buffer when should_release_buffer says so.
void clear_buffer(std::string& s) noexcept;

// --- One account's share of the window

// How fast an account finishes its events: completions in the current and the last window of
// window_ms (a one-second count, two buckets). Fed the monotonic clock.
class drain_meter {
 public:
  static constexpr std::int64_t window_ms = 1000;
  void add(std::int64_t now_ms) noexcept;
  // Events finished in the last window_ms or so (the larger of the last full window and the current one).
  std::uint32_t recent(std::int64_t now_ms) noexcept;

 private:
  void roll(std::int64_t now_ms) noexcept;
  std::int64_t window_start_ms_ = 0;
  std::uint32_t current_ = 0;
  std::uint32_t previous_ = 0;
};

// An account at its share that would take longer than this to finish what it holds, at the rate
// it finished events over the last second, is not draining: its new events wait.
inline constexpr std::int64_t account_drain_horizon_ms = 5000;
// The shortest wait of a deferred event on the retry topic.
inline constexpr std::int64_t min_account_busy_delay_ms = 1000;

struct account_load {
  std::size_t in_flight = 0;        // the account's events admitted and not yet settled
  std::size_t share = 0;            // kafka.max_in_flight_per_account
  std::int64_t busy_for_ms = 0;     // how long it has been at its share without a break (0: not)
  std::uint32_t finished_recently = 0;  // drain_meter::recent
  bool is_held = false;             // a Retry-After is holding its calls
};

enum class share_verdict {
  admit,  // below its share, or draining what it holds fast enough
  // At its share, and its meter cannot tell yet (it reached the share less than a window ago and
  // has not shown it drains): admitted, but intake waits (the gate) until the meter can tell or
  // the window has passed, so that a fresh slow account cannot fill the window meanwhile.
  admit_and_wait,
  defer,  // at its share and not draining it: the event waits on the retry topic
};

// admit below the share. At it: defer when a Retry-After holds the account; admit when it would
// finish what it holds within account_drain_horizon_ms at its recent rate (an account that is
// merely busy, a backlog on a fast gateway, keeps its events: the window's gate, not the retry
// topic, slows it down); otherwise admit_and_wait for its first meter window (up to an eighth
// over the share; beyond, defer), then defer.
share_verdict decide_share(const account_load& a) noexcept;

// How long a deferred event waits: the account's remaining hold when one holds it, else the time
// it would take to finish what it holds (min_account_busy_delay_ms within its first window at its
// share, when nothing is measured yet); at least min_account_busy_delay_ms, at most cap_ms
// (retry.backoff_cap_ms).
std::int64_t account_busy_delay_ms(const account_load& a, std::int64_t hold_remaining_ms, std::int64_t cap_ms) noexcept;

}  // namespace herald::pipeline
