#pragma once
// Reading a point in time an operator types (`herald replay-dlq --from 2024-06-11T09:30:00+08:00`).
// Pure; the inverse of time.hpp's formatters.
#include <cstdint>
#include <string_view>

#include "herald/util/result.hpp"

namespace herald::time {

// ISO-8601 date and time with an explicit zone, to Unix milliseconds:
//   2024-06-11T09:30:00Z, 2024-06-11T09:30:00.123+08:00, 2024-06-11 09:30+0800, 2024-06-11T01:30:00-05:30
// Seconds and the fraction (1 to 9 digits; cut to milliseconds) are optional; a space may stand
// for the T. The zone is required: a time without one means a different instant on every
// operator's machine. The error says which part is wrong.
result<std::int64_t> parse_iso8601_ms(std::string_view text);

}  // namespace herald::time
