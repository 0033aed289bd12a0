#pragma once
#include <iosfwd>

#include "herald/config/config.hpp"

namespace herald::app {

// `herald decode`: one event per line of `in` (JSON Lines), decoded as the worker decodes a
// consumed record (the same size limit and decoder). Prints per line whether it is valid, and for
// a valid one how it would be sent (account, gateway call, recipient kind, template, category,
// event id); sends nothing, connects to nothing. Empty lines are skipped. exit_ok when every line
// is valid, exit_found when any is not.
int run_decode(const config::herald_config& cfg, bool is_json, std::istream& in, std::ostream& out);

}  // namespace herald::app
