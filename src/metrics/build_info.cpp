#include "herald/metrics/build_info.hpp"

#include "herald/metrics/exposition.hpp"

#ifndef HERALD_VERSION
#error "HERALD_VERSION is set for herald_metrics by CMakeLists.txt"
#endif

namespace herald::metrics {

std::string_view herald_version() noexcept { return HERALD_VERSION; }

void append_build_info(std::string& out) {
  append_header(out, "herald_build_info", "gauge", "Always 1; the version of the running Herald in its label.");
  append_sample(out, "herald_build_info", {{"version", herald_version()}}, std::uint64_t{1});
}

}  // namespace herald::metrics
