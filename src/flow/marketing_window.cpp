#include "herald/flow/marketing_window.hpp"

#include <algorithm>

namespace herald::flow {
namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t day_ms = 1440 * minute_ms;

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

bool marketing_window::is_unrestricted() const noexcept {
  const auto start = std::min<std::int64_t>(start_minute, 1440);
  const auto end = std::min<std::int64_t>(end_minute, 1440);
  return start == end || (start == 0 && end == 1440);
}

// A closed window's next opening is always later than now, so "opens now" is "is open".
bool marketing_window::is_open(std::int64_t now_ms) const noexcept { return next_opening_ms(now_ms) == now_ms; }

std::int64_t marketing_window::next_opening_ms(std::int64_t now_ms) const noexcept {
  if (is_unrestricted()) return now_ms;
  const std::int64_t offset_ms = std::int64_t{utc_offset_minutes} * minute_ms;
  const std::int64_t local_ms = now_ms + offset_ms;
  const std::int64_t day_start = floor_div(local_ms, day_ms) * day_ms;  // local midnight (floor: before 1970 too)
  const std::int64_t ms_of_day = local_ms - day_start;
  const std::int64_t start = std::min<std::int64_t>(start_minute, 1440) * minute_ms;
  const std::int64_t end = std::min<std::int64_t>(end_minute, 1440) * minute_ms;

  const bool inside = start < end ? (ms_of_day >= start && ms_of_day < end)
                                  : (ms_of_day >= start || ms_of_day < end);  // across midnight
  if (inside) return now_ms;
  // Closed: today's opening if it is still ahead, else tomorrow's.
  const std::int64_t opening_local = ms_of_day < start ? day_start + start : day_start + day_ms + start;
  return opening_local - offset_ms;
}

}  // namespace herald::flow
