#include "herald/kafka/trace_context.hpp"

#include <algorithm>

namespace herald::kafka {
namespace {

bool is_lower_hex(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool is_lower_hex(std::string_view s) noexcept { return std::all_of(s.begin(), s.end(), [](char c) { return is_lower_hex(c); }); }

bool is_all_zeros(std::string_view s) noexcept { return s.find_first_not_of('0') == std::string_view::npos; }

std::string_view trim_ows(std::string_view s) noexcept {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;  // b is lower-case
  }
  return true;
}

}  // namespace

std::string_view parse_traceparent(std::string_view value, std::array<char, traceparent_size>& out) noexcept {
  const std::string_view v = trim_ows(value);
  if (v.size() < 3 || !is_lower_hex(v.substr(0, 2)) || v[2] != '-') return "version: not 2 lower-case hex digits and a dash";
  const std::string_view version = v.substr(0, 2);
  if (version == "ff") return "version: ff is invalid";
  if (v.size() < traceparent_size) return "shorter than 55 characters";
  if (version == "00" && v.size() != traceparent_size) return "version 00: longer than 55 characters";
  if (v.size() > traceparent_size && v[traceparent_size] != '-') return "flags: not followed by a dash";
  const std::string_view trace_id = v.substr(3, trace_id_size);
  const std::string_view parent_id = v.substr(36, 16);
  const std::string_view flags = v.substr(53, 2);
  if (!is_lower_hex(trace_id) || v[35] != '-') return "trace-id: not 32 lower-case hex digits and a dash";
  if (is_all_zeros(trace_id)) return "trace-id: all zeros";
  if (!is_lower_hex(parent_id) || v[52] != '-') return "parent-id: not 16 lower-case hex digits and a dash";
  if (is_all_zeros(parent_id)) return "parent-id: all zeros";
  if (!is_lower_hex(flags)) return "flags: not 2 lower-case hex digits";
  std::copy_n(v.data(), traceparent_size, out.data());
  if (version != "00") {
    // A version Herald does not know: its fields are carried in version 00, whose flags define
    // only `sampled` (what other bits mean in that version is unknown).
    const bool is_sampled = (flags[1] - (flags[1] <= '9' ? '0' : 'a' - 10)) & 1;
    out[0] = '0';
    out[1] = '0';
    out[53] = '0';
    out[54] = is_sampled ? '1' : '0';
  }
  return {};
}

std::string_view trace_context::read(std::span<const header> headers) {
  clear();
  // Fast path: most records carry no headers at all.
  if (headers.empty()) return {};
  const header* parent = nullptr;
  bool is_repeated = false;
  bool has_state = false;
  for (const auto& h : headers) {
    if (equals_ignoring_case(h.name, traceparent_header)) {
      is_repeated = parent != nullptr;
      if (is_repeated) break;
      parent = &h;
    } else if (equals_ignoring_case(h.name, tracestate_header)) {
      has_state = true;
    }
  }
  if (!parent) return {};
  // Two different parents cannot both be this record's: the spec restarts the trace.
  if (is_repeated) return "traceparent given more than once";
  if (auto why = parse_traceparent(parent->value, parent_); !why.empty()) return why;
  has_parent_ = true;
  if (!has_state) return {};
  for (const auto& h : headers) {
    if (!equals_ignoring_case(h.name, tracestate_header) || trim_ows(h.value).empty()) continue;
    if (state_.size() + (state_.empty() ? 0 : 1) + h.value.size() > max_tracestate_bytes) {
      state_.clear();  // over the bound: dropped whole, never cut inside a list member
      return {};
    }
    if (!state_.empty()) state_ += ',';
    state_.append(h.value);
  }
  return {};
}

std::size_t trace_context::write_headers(std::span<header, 2> out) const noexcept {
  if (!has_parent_) return 0;
  out[0] = {traceparent_header, traceparent()};
  if (state_.empty()) return 1;
  out[1] = {tracestate_header, state_};
  return 2;
}

}  // namespace herald::kafka
