#include "herald/util/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

#include "herald/util/json_text.hpp"
#include "herald/util/time.hpp"

namespace herald::log {
namespace {
std::atomic<level> g_level{level::info};
constexpr std::string_view names[] = {"debug", "info", "warn", "error"};
}  // namespace

void set_level(level l) { g_level.store(l, std::memory_order_relaxed); }
level current_level() { return g_level.load(std::memory_order_relaxed); }

bool parse_level(std::string_view text, level& out) {
  for (int i = 0; i < 4; ++i)
    if (names[i] == text) {
      out = static_cast<level>(i);
      return true;
    }
  return false;
}

void write(level l, std::string_view message, std::initializer_list<field> fields) {
  if (l < current_level()) return;
  std::string line;
  line.reserve(160);
  line += "{\"ts\":";
  json::append_string(line, time::format_iso8601_ms(time::unix_ms()));
  json::append_key(line, "level");
  json::append_string(line, names[static_cast<int>(l)]);
  json::append_key(line, "msg");
  json::append_string(line, message);
  for (const auto& f : fields) {
    const auto* optional_text = std::get_if<text_if_any>(&f.v);
    if (optional_text && optional_text->text.empty()) continue;
    json::append_key(line, f.key);
    if (optional_text) {
      json::append_string(line, optional_text->text);
      continue;
    }
    if (auto s = std::get_if<std::string_view>(&f.v)) json::append_string(line, *s);
    else if (auto i = std::get_if<std::int64_t>(&f.v)) json::append_int(line, *i);
    else if (auto d = std::get_if<double>(&f.v)) line += std::to_string(*d);
    else line += std::get<bool>(f.v) ? "true" : "false";
  }
  line += "}\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace herald::log
