#pragma once
// Small helpers for writing JSON text by hand on the hot path (no DOM).
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::json {

// Appends s as a quoted JSON string, escaping what RFC 8259 requires.
void append_string(std::string& out, std::string_view s);
// Appends "key": (with a leading comma unless first).
void append_key(std::string& out, std::string_view key, bool first = false);
void append_int(std::string& out, std::int64_t v);

}  // namespace herald::json
