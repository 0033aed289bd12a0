#pragma once
#include <iosfwd>
#include <string>

namespace herald::app {

// `herald sign`: reads a JSON object of string parameters on stdin and the secret from
// HERALD_SIGN_SECRET; prints the canonical string, then the signature alone on the last line.
int run_sign(const std::string& scheme, const std::string& method, std::istream& in);

}  // namespace herald::app
