#pragma once
// The operator commands' exit codes (docs/operations.md, "Operator commands"; `herald run`'s are
// in docs/configuration.md, "Exit codes").
namespace herald::app {

inline constexpr int exit_ok = 0;
inline constexpr int exit_error = 1;    // an unexpected error (the message says which)
inline constexpr int exit_config = 2;   // the configuration or the command's arguments are invalid
inline constexpr int exit_found = 4;    // the command ran and found a problem: a check failed, a line invalid,
                                        // Redis or Kafka not reachable, a record not delivered

}  // namespace herald::app
