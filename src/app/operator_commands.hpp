#pragma once
// The operator commands' command lines (docs/operations.md, "Operator commands"): registered on
// main's CLI11 app here, each command's work in its own <name>_command.cpp.
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "herald/config/config.hpp"
#include "ledger_command.hpp"
#include "replay_dlq_command.hpp"

namespace herald::app {

class operator_commands {
 public:
  // main's load_config: the file's rules and the cross-component checks; throws config_error.
  using config_loader = std::function<config::herald_config(const std::string& path)>;

  // Adds `ledger get`, `replay-dlq` and `decode` to app, and --connect to check-config.
  operator_commands(CLI::App& app, CLI::App& check_config);

  // After check-config's own checks passed: the connection checks when --connect was given.
  int after_check_config(const config::herald_config& cfg) const;
  // The command chosen, run; nullopt when it is none of these.
  std::optional<int> run(const config_loader& load) const;

 private:
  bool is_connect_ = false;
  std::uint32_t connect_timeout_ms_ = 5000;
  CLI::App* ledger_get_ = nullptr;
  CLI::App* replay_ = nullptr;
  CLI::App* decode_ = nullptr;
  std::string config_path_;
  ledger_query ledger_;
  replay_query replay_q_;
  std::int32_t replay_partition_ = -1;
  bool is_decode_json_ = false;
  bool is_by_order_ = false;
};

}  // namespace herald::app
