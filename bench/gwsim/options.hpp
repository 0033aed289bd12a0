// Parsing of command-line values (pure functions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fw199_taobao.hpp"

namespace gwsim {

struct ListenAddress {
  std::string host;  // IP literal, without brackets
  std::uint16_t port = 0;
};

// "127.0.0.1:8443", "[::1]:0". Returns nullopt when malformed.
std::optional<ListenAddress> parse_listen(std::string_view text);

// Adds "appid=secret" (split on the first '='; both sides non-empty) to `table`, replacing an
// earlier secret for the same appid. Returns false when malformed.
bool add_app_secret(std::string_view entry, SecretTable& table);

// Adds a comma-separated list "app1=secret1,app2=secret2" (the HERALD_GWSIM_SECRETS format;
// blank entries are skipped). On a malformed entry returns false and names it in `error`.
bool add_app_secret_list(std::string_view list, SecretTable& table, std::string* error);

}  // namespace gwsim
