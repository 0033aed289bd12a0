#include "herald/metrics/histogram.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace herald::metrics {

histogram::histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(std::make_unique<std::uint64_t[]>(bounds.size() + 1)) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) throw std::invalid_argument("histogram bounds must be finite");
    if (i > 0 && !(bounds[i - 1] < bounds[i])) throw std::invalid_argument("histogram bounds must ascend");
  }
}

std::uint64_t histogram::count() const noexcept {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) n += counts_[i];
  return n;
}

void histogram::render(std::string& out, std::string_view name, std::span<const label> labels) const {
  // le in fixed notation ("0.0005", not "5e-04"): the same bound reads the same in every scrape
  // and every tool.
  char le[64];
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    std::string_view le_text = "+Inf";
    if (i < bounds_.size()) {
      const auto r = std::to_chars(le, le + sizeof le, bounds_[i], std::chars_format::fixed);
      le_text = std::string_view(le, static_cast<std::size_t>(r.ptr - le));
    }
    out += name;
    out += "_bucket";
    const label extra{"le", le_text};
    append_labels(out, labels, &extra);
    out += ' ';
    append_number(out, cumulative);
    out += '\n';
  }
  out += name;
  out += "_sum";
  append_labels(out, labels);
  out += ' ';
  append_number(out, sum_);
  out += '\n';
  out += name;
  out += "_count";
  append_labels(out, labels);
  out += ' ';
  append_number(out, cumulative);
  out += '\n';
}

histogram_family::histogram_family(std::string name, std::string help, std::vector<std::string> label_names,
                                   std::span<const double> bounds)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), bounds_(bounds) {
  histogram check(bounds_);  // refuses bad bounds now, not at the first series
}

histogram& histogram_family::series(std::initializer_list<std::string_view> values) {
  if (values.size() != label_names_.size())
    throw std::invalid_argument("histogram " + name_ + ": " + std::to_string(label_names_.size()) +
                                " label values expected, " + std::to_string(values.size()) + " given");
  for (auto& e : series_) {
    bool is_same = true;
    std::size_t i = 0;
    for (const auto v : values) is_same = is_same && e->values[i++] == v;
    if (is_same) return e->h;
  }
  auto e = std::make_unique<entry>(entry{std::vector<std::string>(values.begin(), values.end()), histogram(bounds_)});
  series_.push_back(std::move(e));
  return series_.back()->h;
}

void histogram_family::render(std::string& out) const {
  append_header(out, name_, "histogram", help_);
  std::vector<label> labels(label_names_.size());
  for (const auto& e : series_) {
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = {label_names_[i], e->values[i]};
    e->h.render(out, name_, labels);
  }
}

}  // namespace herald::metrics
