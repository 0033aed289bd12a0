#pragma once
// The local-time window in which marketing SMS may go out (docs/gateways.md: 08:00-22:00 China time;
// docs/configuration.md, "Marketing window"). Pure: the time is passed in as Unix milliseconds and
// the offset is fixed (the configured ledger.quota_utc_offset), so there is no DST and no tz
// database: a day is always 24 h of local time.
#include <cstdint>

namespace herald::flow {

struct marketing_window {
  // Minutes after local midnight, 0..1440 (larger values count as 1440). The start is included,
  // the end is not. start == end (or 0..1440) means no window: always open. A start after the end
  // is a window across midnight (22:00-08:00); config refuses those today, but they work here.
  std::uint16_t start_minute = 0;
  std::uint16_t end_minute = 0;
  int utc_offset_minutes = 0;  // minutes east of UTC: +08:00 is 480, -05:00 is -300

  bool is_unrestricted() const noexcept;
  // Whether a marketing SMS may go out at now_ms.
  bool is_open(std::int64_t now_ms) const noexcept;
  // now_ms when open; otherwise the Unix ms at which the window next opens (the not_before of a
  // marketing event parked on the retry topic).
  std::int64_t next_opening_ms(std::int64_t now_ms) const noexcept;
};

}  // namespace herald::flow
