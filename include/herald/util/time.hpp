#pragma once
// Wall-clock helpers. Pure functions take the time as an argument (docs/architecture.md,
// "How we write code": the time is passed in).
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::time {

std::int64_t unix_ms();

// Parses "+08:00", "-05:30", "Z" or "+0800" into minutes east of UTC.
bool parse_utc_offset(std::string_view text, int& minutes_out);

// The calendar day (as YYYYMMDD) that unix_seconds falls on at the given UTC offset.
std::int32_t calendar_day(std::int64_t unix_seconds, int offset_minutes);
// Seconds from unix_seconds until the end of its calendar day at the offset.
std::int64_t seconds_until_day_end(std::int64_t unix_seconds, int offset_minutes);
// Minutes since local midnight at the offset (0..1439).
int minute_of_day(std::int64_t unix_seconds, int offset_minutes);

// "yyyy-MM-dd HH:mm:ss" at the offset (TOP's timestamp format).
std::string format_datetime(std::int64_t unix_seconds, int offset_minutes);
// "yyyy-MM-ddTHH:mm:ssZ" in UTC (Alibaba Cloud's Timestamp).
std::string format_iso8601(std::int64_t unix_seconds);
// "yyyy-MM-ddTHH:mm:ss.mmmZ" in UTC (outcome records, logs).
std::string format_iso8601_ms(std::int64_t unix_ms);
void append_iso8601_ms(std::string& out, std::int64_t unix_ms);

}  // namespace herald::time
