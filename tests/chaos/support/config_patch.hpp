#pragma once
// Small edits of a rig's config file between a scenario's lives (a setting changed for one
// Herald run, endpoints pointed at a proxy). Each edit fails the test when its text is missing,
// so a config that changed shape cannot make a scenario silently test something else.
#include <string>

namespace herald::chaos {

std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& text);
// Replaces every occurrence of `from` (at least one, or the test fails); returns how many.
int replace_in_file(const std::string& path, const std::string& from, const std::string& to);

}  // namespace herald::chaos
