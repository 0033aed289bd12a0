#include "chaos/support/config_patch.hpp"

#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

namespace herald::chaos {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }

int replace_in_file(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = read_text(path);
  int count = 0;
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size(), ++count)
    text.replace(at, from.size(), to);
  REQUIRE_MESSAGE(count > 0, "config ", path, " has no ", from);
  write_text(path, text);
  return count;
}

}  // namespace herald::chaos
