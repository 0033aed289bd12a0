#pragma once
// One JSON object per log line on stderr (docs/architecture.md "How we write code", Logs and
// metrics). Never pass a recipient, secret or
// signature as a field.
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <variant>

namespace herald::log {

enum class level { debug = 0, info = 1, warn = 2, error = 3 };

// A text written only when it is not empty (an event's trace_id: most events have none, and a
// line is easier to read without "trace_id":"").
struct text_if_any {
  std::string_view text;
};
inline text_if_any if_any(std::string_view text) { return {text}; }

using value = std::variant<std::string_view, std::int64_t, double, bool, text_if_any>;
struct field {
  std::string_view key;
  value v;
  field(std::string_view k, std::string_view s) : key(k), v(s) {}
  field(std::string_view k, text_if_any t) : key(k), v(t) {}
  field(std::string_view k, const char* s) : key(k), v(std::string_view(s)) {}
  template <class I>
    requires std::is_integral_v<I> && (!std::is_same_v<I, bool>)
  field(std::string_view k, I i) : key(k), v(static_cast<std::int64_t>(i)) {}
  field(std::string_view k, double d) : key(k), v(d) {}
  field(std::string_view k, bool b) : key(k), v(b) {}
};

void set_level(level l);
level current_level();
bool parse_level(std::string_view text, level& out);
void write(level l, std::string_view message, std::initializer_list<field> fields = {});

inline void debug(std::string_view m, std::initializer_list<field> f = {}) {
  if (current_level() <= level::debug) write(level::debug, m, f);
}
inline void info(std::string_view m, std::initializer_list<field> f = {}) { write(level::info, m, f); }
inline void warn(std::string_view m, std::initializer_list<field> f = {}) { write(level::warn, m, f); }
inline void error(std::string_view m, std::initializer_list<field> f = {}) { write(level::error, m, f); }

}  // namespace herald::log
