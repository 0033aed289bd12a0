#pragma once
// A Prometheus histogram of our own: fixed bucket bounds chosen per metric, an observation is a
// bucket search over a dozen bounds and two adds, never an allocation, a lock or a lookup. Not
// thread-safe: the worker observes on its one io thread (docs/operations.md, Metrics).
//
// Series of a labelled histogram are resolved once, at set-up (histogram_family::series), and the
// caller keeps the reference, indexed by an enum or an account's slot: the hot path never looks a
// series up by its label values.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/metrics/exposition.hpp"

namespace herald::metrics {

class histogram {
 public:
  // bounds: the buckets' upper bounds (inclusive: Prometheus' `le`), finite and strictly
  // ascending; the +Inf bucket is implied. They must outlive the histogram (a static constexpr
  // array). Throws std::invalid_argument otherwise (set-up only).
  explicit histogram(std::span<const double> bounds);

  void observe(double v) noexcept {
    if (v != v) return;  // NaN: it would poison _sum for good
    // The bucket is the number of bounds below v (they ascend), counted without a branch: a
    // search that stops early mispredicts on latencies that vary (16 bounds, lognormal latencies,
    // a tight loop: ~11 ns an observation against ~8 ns).
    std::size_t i = 0;
    const std::size_t n = bounds_.size();
    for (std::size_t k = 0; k < n; ++k) i += v > bounds_[k] ? 1 : 0;
    ++counts_[i];
    sum_ += v;
  }

  std::span<const double> bounds() const noexcept { return bounds_; }
  // Observations in bucket i alone, not cumulative; i == bounds().size() is the +Inf bucket.
  std::uint64_t in_bucket(std::size_t i) const noexcept { return counts_[i]; }
  std::uint64_t count() const noexcept;
  double sum() const noexcept { return sum_; }

  // The series' lines: name_bucket{labels,le="..."} (cumulative, +Inf last), name_sum, name_count.
  void render(std::string& out, std::string_view name, std::span<const label> labels) const;

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::uint64_t[]> counts_;  // bounds_.size() + 1
  double sum_ = 0;
};

class histogram_family {
 public:
  // label_names: every series has one value for each, in this order.
  histogram_family(std::string name, std::string help, std::vector<std::string> label_names,
                   std::span<const double> bounds);
  histogram_family(const histogram_family&) = delete;
  histogram_family& operator=(const histogram_family&) = delete;

  // The series with these label values, made on its first call. The reference stays valid for the
  // family's life. Throws std::invalid_argument for a wrong number of values (set-up only).
  histogram& series(std::initializer_list<std::string_view> values);
  std::size_t size() const noexcept { return series_.size(); }

  // HELP and TYPE, then every series in the order they were made.
  void render(std::string& out) const;

 private:
  struct entry {
    std::vector<std::string> values;
    histogram h;
  };
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::span<const double> bounds_;
  std::vector<std::unique_ptr<entry>> series_;
};

}  // namespace herald::metrics
