#include "herald/metrics/exposition.hpp"

#include <charconv>
#include <cmath>

namespace herald::metrics {

void append_header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  // HELP text escapes backslash and line feed (the format's rule); the texts are Herald's own.
  for (const char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_escaped(std::string& out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void append_labels(std::string& out, std::span<const label> labels, const label* extra) {
  if (labels.empty() && !extra) return;
  out += '{';
  bool is_first = true;
  const auto one = [&](const label& l) {
    if (!is_first) out += ',';
    is_first = false;
    out += l.name;
    out += "=\"";
    append_escaped(out, l.value);
    out += '"';
  };
  for (const auto& l : labels) one(l);
  if (extra) one(*extra);
  out += '}';
}

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

namespace {

template <class V>
void sample(std::string& out, std::string_view name, std::span<const label> labels, V value) {
  out += name;
  append_labels(out, labels);
  out += ' ';
  append_number(out, value);
  out += '\n';
}

}  // namespace

void append_sample(std::string& out, std::string_view name, std::span<const label> labels, double value) {
  sample(out, name, labels, value);
}
void append_sample(std::string& out, std::string_view name, std::span<const label> labels, std::uint64_t value) {
  sample(out, name, labels, value);
}
void append_sample(std::string& out, std::string_view name, std::span<const label> labels, std::int64_t value) {
  sample(out, name, labels, value);
}

}  // namespace herald::metrics
