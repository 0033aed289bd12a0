#pragma once
// herald_build_info{version="..."} 1: the version a series came from, to join on in queries
// (e.g. a latency change after a roll-out).
#include <string>
#include <string_view>

namespace herald::metrics {

// The project's version (CMakeLists.txt, project(VERSION)).
std::string_view herald_version() noexcept;

void append_build_info(std::string& out);

}  // namespace herald::metrics
