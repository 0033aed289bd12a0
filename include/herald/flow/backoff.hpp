#pragma once
// The delay before retrying a throttled (or definitely-not-sent) call: exponential backoff with
// full jitter, as in "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015). Full jitter
// spreads the retries of many events throttled at the same moment over the whole interval, so they
// do not come back as one burst and get throttled again. A Retry-After from the gateway is a floor.
#include <cstdint>
#include <optional>

namespace herald::flow {

// delay = uniform · min(cap_ms, base_ms · 2^attempt), then at least retry_after_ms.
//  - attempt: retries already made (0 for the first retry, whose ceiling is base_ms).
//  - retry_after_ms: the gateway's Retry-After from now (0 or less: none), as retry_after_hold_ms
//    capped it: a floor, since the gateway said when it will take calls again.
//  - uniform: a random value in [0, 1) drawn by the caller; outside it is clamped (NaN counts
//    as 0), so a generator that can return 1.0 cannot make the delay reach the ceiling.
// Negative base or cap count as 0. Never overflows, whatever the attempt.
std::int64_t backoff_delay_ms(std::uint32_t attempt, std::int64_t base_ms, std::int64_t cap_ms,
                              std::int64_t retry_after_ms, double uniform) noexcept;

// The ceiling of the jitter range for an attempt: min(cap_ms, base_ms · 2^attempt).
std::int64_t backoff_ceiling_ms(std::uint32_t attempt, std::int64_t base_ms, std::int64_t cap_ms) noexcept;

// How long a gateway's Retry-After holds the account, in ms: the parsed delay (seconds, as
// http::retry_after_seconds gives it; nullopt or negative: none, 0) at most cap_ms
// (retry.backoff_cap_ms). One answer may ask for up to a year; uncapped it would hold the account's
// calls, its events in flight and the retry partition they wait on for as long (docs/retries.md).
std::int64_t retry_after_hold_ms(std::optional<std::int64_t> retry_after_seconds, std::int64_t cap_ms) noexcept;

}  // namespace herald::flow
