#pragma once
// Loading and validating Herald's JSON configuration (docs/configuration.md). Start-up code:
// errors are exceptions whose message names the JSON path and what is wrong there.
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "herald/config/config.hpp"
#include "herald/util/result.hpp"

namespace herald::config {

// what() is "<json path>: <reason>", e.g.
// `kafka.max_in_flight: must be an integer from 1 to 10000000 (got -5)`, or just the reason when
// it concerns the whole file (unreadable, not JSON). Never contains a secret's value.
class config_error : public std::runtime_error {
 public:
  config_error(std::string json_path, std::string reason);
  const std::string& json_path() const noexcept { return json_path_; }  // "" for the whole file
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string json_path_;
  std::string reason_;
};

// Looks an environment variable up: nullptr when it is not set. Tests pass their own.
using getenv_function = std::function<const char*(const char*)>;
const char* process_getenv(const char* name);  // std::getenv

// Parses and validates a whole configuration, substituting ${VAR} / ${VAR:-default} / $$ in its
// string values. Throws config_error.
herald_config parse_config(std::string_view json_text, const getenv_function& getenv = process_getenv);
// Reads the file and parse_config()s it. Throws config_error (also when the file cannot be read).
herald_config load_config_file(const std::string& path, const getenv_function& getenv = process_getenv);

// The effective configuration (defaults filled in) as pretty JSON in the same shape as the file,
// with app_secret / access_key_secret / session / redis.password / ledger.recipient_hash_key and
// secret-looking librdkafka properties replaced by "***" (empty ones stay ""), URLs through
// redact_url. For `herald check-config`.
std::string to_redacted_json(const herald_config& cfg);
// A URL as check-config prints it: user info and the query (which may carry a token) replaced by
// "***", e.g. https://gw.example.com/send?*** (the scheme, host, port and path are shown).
std::string redact_url(std::string_view url);

// Splits and checks an endpoint URL: https://host[:port][/path][?query], or http:// when
// allow_plain_http. The port defaults to 443 / 80, the target to "/". No user info, no fragment.
result<endpoint> parse_endpoint(std::string_view url, bool allow_plain_http);

}  // namespace herald::config
