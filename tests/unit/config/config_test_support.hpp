#pragma once
// Helpers shared by the config unit tests: a fake environment and "the error this text gives".
#include <map>
#include <string>
#include <string_view>

#include "herald/config/load.hpp"

namespace herald::config::test {

struct fake_env {
  std::map<std::string, std::string> vars;

  getenv_function function() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

// The smallest valid config: one fw199_taobao account, every other option left to its default.
inline std::string minimal_config(std::string_view account_extra = "", std::string_view top_extra = "") {
  std::string text = R"({)";
  text += top_extra;
  if (!top_extra.empty()) text += ",";
  text += R"("accounts": {"shop-a": {"gateway": "fw199_taobao", "endpoint": "https://gw.example.com/jst/sms/oaid/send",
            "app_id": "app-1", "app_secret": "s3cr3t-value", "seller_nick": "nick")";
  text += account_extra;
  text += "}}}";
  return text;
}

// A config with one account given in full (JSON text of the account object).
inline std::string config_with_account(std::string_view account_json) {
  return std::string(R"({"accounts": {"shop-a": )") + std::string(account_json) + "}}";
}

// The message parse_config throws for text, or "(no error)".
inline std::string error_of(std::string_view text, const fake_env& env = {}) {
  try {
    (void)parse_config(text, env.function());
  } catch (const config_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace herald::config::test
