#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "herald/metrics/exposition.hpp"

using namespace herald::metrics;

TEST_CASE("label values are escaped: backslash, double quote and line feed") {
  struct row {
    std::string_view in, out;
  };
  const row rows[] = {
      {"plain", "plain"},
      {"a\"b", "a\\\"b"},
      {"a\\b", "a\\\\b"},
      {"a\nb", "a\\nb"},
      {"\"} 1\nforged 2", "\\\"} 1\\nforged 2"},
      {"", ""},
      {"中文", "中文"},
  };
  for (const auto& r : rows) {
    std::string out;
    append_escaped(out, r.in);
    CHECK(out == r.out);
  }
}

TEST_CASE("a sample line has its labels in braces, none without labels") {
  std::string out;
  append_sample(out, "m", {{"a", "1"}, {"b", "x\"y"}}, std::uint64_t{3});
  append_sample(out, "n", {}, std::int64_t{-2});
  append_sample(out, "d", {}, 0.25);
  CHECK(out == "m{a=\"1\",b=\"x\\\"y\"} 3\nn -2\nd 0.25\n");
}

TEST_CASE("numbers read back as Prometheus parses them") {
  struct row {
    double v;
    std::string_view text;
  };
  const row rows[] = {
      {0, "0"}, {1, "1"}, {0.1, "0.1"}, {1.5e-7, "1.5e-07"}, {123456789, "123456789"},
      {std::numeric_limits<double>::infinity(), "+Inf"}, {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
  };
  for (const auto& r : rows) {
    std::string out;
    append_number(out, r.v);
    CHECK(out == r.text);
  }
  std::string big;
  append_number(big, std::numeric_limits<std::uint64_t>::max());
  CHECK(big == "18446744073709551615");
}

TEST_CASE("HELP text escapes backslash and line feed") {
  std::string out;
  append_header(out, "m", "gauge", "a\\b\nc");
  CHECK(out == "# HELP m a\\\\b\\nc\n# TYPE m gauge\n");
}
