#include <doctest/doctest.h>

#include <limits>
#include <stdexcept>
#include <string>

#include "herald/metrics/histogram.hpp"

using namespace herald::metrics;

namespace {
constexpr double bounds[] = {0.01, 0.1, 1};
}

TEST_CASE("an observation goes to the first bucket whose bound it does not exceed") {
  struct row {
    double v;
    std::size_t bucket;
  };
  // Bounds are inclusive (le): a value equal to a bound is in that bound's bucket.
  const row rows[] = {
      {-1, 0}, {0, 0}, {0.005, 0}, {0.01, 0}, {0.0100001, 1}, {0.1, 1}, {0.5, 2}, {1, 2}, {1.0000001, 3}, {1e9, 3},
  };
  for (const auto& r : rows) {
    CAPTURE(r.v);
    histogram h(bounds);
    h.observe(r.v);
    for (std::size_t i = 0; i <= 3; ++i) CHECK(h.in_bucket(i) == (i == r.bucket ? 1u : 0u));
    CHECK(h.count() == 1);
    CHECK(h.sum() == r.v);
  }
}

TEST_CASE("sum and count add up every observation; NaN is not observed") {
  histogram h(bounds);
  h.observe(0.5);
  h.observe(0.25);
  h.observe(2);
  h.observe(std::numeric_limits<double>::quiet_NaN());
  CHECK(h.count() == 3);
  CHECK(h.sum() == doctest::Approx(2.75));
  CHECK(h.in_bucket(2) == 2);
  CHECK(h.in_bucket(3) == 1);
}

TEST_CASE("bounds must be finite and strictly ascending") {
  constexpr double equal[] = {1, 1};
  constexpr double down[] = {2, 1};
  static const double inf[] = {1, std::numeric_limits<double>::infinity()};
  CHECK_THROWS_AS(histogram{equal}, std::invalid_argument);
  CHECK_THROWS_AS(histogram{down}, std::invalid_argument);
  CHECK_THROWS_AS(histogram{inf}, std::invalid_argument);
  CHECK_THROWS_AS(histogram_family("x", "y", {}, down), std::invalid_argument);
  CHECK_NOTHROW(histogram{std::span<const double>()});
}

TEST_CASE("a histogram renders cumulative buckets with +Inf last, then _sum and _count") {
  histogram h(bounds);
  h.observe(0.001);
  h.observe(0.05);
  h.observe(0.07);
  h.observe(5);
  std::string out;
  const label labels[] = {{"account", "shop-a"}};
  h.render(out, "x_seconds", labels);
  CHECK(out ==
        "x_seconds_bucket{account=\"shop-a\",le=\"0.01\"} 1\n"
        "x_seconds_bucket{account=\"shop-a\",le=\"0.1\"} 3\n"
        "x_seconds_bucket{account=\"shop-a\",le=\"1\"} 3\n"
        "x_seconds_bucket{account=\"shop-a\",le=\"+Inf\"} 4\n"
        "x_seconds_sum{account=\"shop-a\"} 5.121\n"
        "x_seconds_count{account=\"shop-a\"} 4\n");
}

TEST_CASE("small bounds render in fixed notation") {
  constexpr double tiny[] = {0.0001, 0.00025};
  histogram h(tiny);
  std::string out;
  h.render(out, "t", {});
  CHECK(out.find("t_bucket{le=\"0.0001\"} 0\n") != std::string::npos);
  CHECK(out.find("t_bucket{le=\"0.00025\"} 0\n") != std::string::npos);
  CHECK(out.find("t_sum 0\n") != std::string::npos);
  CHECK(out.find("t_count 0\n") != std::string::npos);
}

TEST_CASE("a family resolves each label set once and renders every series under one header") {
  histogram_family f("herald_x_seconds", "Time of x.", {"account", "result"}, bounds);
  histogram& a = f.series({"shop-a", "ok"});
  histogram& b = f.series({"shop-b", "ok"});
  CHECK(&f.series({"shop-a", "ok"}) == &a);
  CHECK(&a != &b);
  CHECK(f.size() == 2);
  CHECK_THROWS_AS(f.series({"shop-a"}), std::invalid_argument);
  a.observe(0.5);
  std::string out;
  f.render(out);
  CHECK(out.rfind("# HELP herald_x_seconds Time of x.\n# TYPE herald_x_seconds histogram\n", 0) == 0);
  CHECK(out.find("herald_x_seconds_count{account=\"shop-a\",result=\"ok\"} 1\n") != std::string::npos);
  CHECK(out.find("herald_x_seconds_count{account=\"shop-b\",result=\"ok\"} 0\n") != std::string::npos);
  // Series in the order they were made.
  CHECK(out.find("shop-a") < out.find("shop-b"));
  // A reference stays valid however many series come after it.
  for (int i = 0; i < 100; ++i) f.series({"acct-" + std::to_string(i), "ok"});
  a.observe(0.5);
  CHECK(a.count() == 2);
}
