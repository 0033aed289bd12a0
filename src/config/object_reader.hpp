#pragma once
// Internal to herald_config: reading one JSON object of the config with its path, so that every
// error names where it is (docs/architecture.md "How we write code", Config). Not a public header.
#include <rapidjson/document.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "herald/config/load.hpp"

namespace herald::config::detail {

[[noreturn]] void fail(std::string path, std::string reason);
std::string join_path(std::string_view parent, std::string_view key);

// A value as an error message shows it: -5, "ftp://x" (quoted, shortened), true, null,
// an object, an array.
std::string describe(const rapidjson::Value& v);
// Only its type (for secrets): a string, a number, ...
std::string describe_type(const rapidjson::Value& v);
// JSON-quoted, cut at 80 characters.
std::string quote(std::string_view s);

// The known key closest to an unknown one (edit distance), or "" when none is close.
std::string_view closest_key(std::string_view key, const std::vector<std::string_view>& known);

// ${VAR}, ${VAR:-default} and $$ in a string value (docs/configuration.md). Throws config_error
// at path for an unset variable or a malformed reference.
std::string expand_env(std::string_view text, const getenv_function& getenv, const std::string& path);
// The whole string is exactly one ${...} reference (typed substitution for numbers and booleans).
bool is_single_reference(std::string_view text);

struct string_rules {
  bool is_secret = false;        // never echo the value, in any message
  bool may_be_empty = false;
  std::size_t max_length = 4096;  // bytes
};

class object_reader {
 public:
  // Throws unless v is an object whose keys are all in known and none is repeated.
  object_reader(const rapidjson::Value& v, std::string path, const getenv_function& getenv,
                std::initializer_list<std::string_view> known);

  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const { return join_path(path_, key); }
  const getenv_function& getenv() const { return getenv_; }
  const rapidjson::Value* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  [[noreturn]] void fail_at(std::string_view key, std::string reason) const;

  // Each leaves out untouched when the key is absent and returns whether it was present.
  bool read_string(std::string_view key, std::string& out, string_rules rules = {}) const;
  bool read_uint(std::string_view key, std::uint32_t& out, std::uint32_t min, std::uint32_t max) const;
  bool read_bool(std::string_view key, bool& out) const;
  // Reads a required string; "missing" (plus why) when absent.
  std::string require_string(std::string_view key, string_rules rules = {}, std::string_view why = {}) const;
  // An object child, or nullptr when absent; throws if present and not an object.
  const rapidjson::Value* find_object(std::string_view key) const;

 private:
  const rapidjson::Value& object_;
  std::string path_;
  const getenv_function& getenv_;
};

// Schema pieces shared between load.cpp and account.cpp.
// {"transactional": N, "marketing": N} at parent.key; a limit left out keeps its value in start.
daily_limits read_daily_limits(const object_reader& parent, std::string_view key, daily_limits start);
account_config read_account(const object_reader& r, std::string name, const daily_limits& quota_default);

}  // namespace herald::config::detail
