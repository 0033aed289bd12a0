#pragma once
// Prometheus' text exposition format (version 0.0.4), written by hand: a HELP and a TYPE line per
// metric, then one line per series. Label values are escaped here (backslash, double quote, line
// feed), so that no value, whatever its bytes, can break a line or forge a label.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace herald::metrics {

struct label {
  std::string_view name;
  std::string_view value;
};

// "# HELP name help\n# TYPE name type\n" (type: counter, gauge, histogram).
void append_header(std::string& out, std::string_view name, std::string_view type, std::string_view help);
// `{a="x",b="y"}`; nothing for no labels. `extra` (e.g. a histogram's le) comes last.
void append_labels(std::string& out, std::span<const label> labels, const label* extra = nullptr);
// A value escaped as a label value's text.
void append_escaped(std::string& out, std::string_view value);
// Numbers as Prometheus parses them: integers exactly, doubles in their shortest form that reads
// back the same, "+Inf", "-Inf", "NaN".
void append_number(std::string& out, std::uint64_t v);
void append_number(std::string& out, std::int64_t v);
void append_number(std::string& out, double v);

// One line: name{labels} value
void append_sample(std::string& out, std::string_view name, std::span<const label> labels, double value);
void append_sample(std::string& out, std::string_view name, std::span<const label> labels, std::uint64_t value);
void append_sample(std::string& out, std::string_view name, std::span<const label> labels, std::int64_t value);
inline void append_sample(std::string& out, std::string_view name, std::initializer_list<label> labels, double value) {
  append_sample(out, name, std::span<const label>(labels.begin(), labels.size()), value);
}
inline void append_sample(std::string& out, std::string_view name, std::initializer_list<label> labels,
                          std::uint64_t value) {
  append_sample(out, name, std::span<const label>(labels.begin(), labels.size()), value);
}
inline void append_sample(std::string& out, std::string_view name, std::initializer_list<label> labels,
                          std::int64_t value) {
  append_sample(out, name, std::span<const label>(labels.begin(), labels.size()), value);
}

}  // namespace herald::metrics
