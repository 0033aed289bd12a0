#include "sign_command.hpp"

#include <rapidjson/document.h>

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>

#include "herald/gateway/sign_tool.hpp"
#include "herald/util/json_parse.hpp"

namespace herald::app {

int run_sign(const std::string& scheme, const std::string& method, std::istream& in) {
  const char* secret = std::getenv("HERALD_SIGN_SECRET");
  if (!secret || !*secret) {
    std::cerr << "herald sign: set the secret in the environment variable HERALD_SIGN_SECRET\n";
    return 2;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  rapidjson::Document d;
  if (auto e = json::parse_dom(d, text)) {
    std::cerr << "herald sign: stdin: " << e.message() << "\n";
    return 2;
  }
  if (!d.IsObject()) {
    std::cerr << "herald sign: stdin must be a JSON object of string parameters\n";
    return 2;
  }
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& m : d.GetObject()) {
    if (!m.value.IsString()) {
      std::cerr << "herald sign: parameter \"" << m.name.GetString()
                << "\" must be a string (write numbers and JSON values as the text that is sent)\n";
      return 2;
    }
    params.emplace_back(std::string(m.name.GetString(), m.name.GetStringLength()),
                        std::string(m.value.GetString(), m.value.GetStringLength()));
  }
  auto r = gateway::sign_with_scheme(scheme, method, params, secret);
  if (!r) {
    std::cerr << "herald sign: " << r.message() << "\n";
    return 2;
  }
  // The canonical string first (what is signed, secret excluded), the signature alone last.
  std::cout << r->canonical << "\n" << r->signature << "\n";
  return 0;
}

}  // namespace herald::app
