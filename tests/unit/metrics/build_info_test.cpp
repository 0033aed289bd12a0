#include <doctest/doctest.h>

#include <string>

#include "herald/metrics/build_info.hpp"

using namespace herald::metrics;

TEST_CASE("build info names the project's version") {
  CHECK_FALSE(herald_version().empty());
  CHECK(herald_version().find('.') != std::string_view::npos);
  std::string out;
  append_build_info(out);
  CHECK(out == "# HELP herald_build_info Always 1; the version of the running Herald in its label.\n"
               "# TYPE herald_build_info gauge\nherald_build_info{version=\"" +
                   std::string(herald_version()) + "\"} 1\n");
}
