#pragma once
// One pipelined round trip to the configured Redis for an operator command: the worker's client
// (its handshake: AUTH, SELECT, PING, INFO, the version check), connected, used once, stopped.
#include <cstdint>
#include <vector>

#include "herald/config/config.hpp"
#include "herald/redis/command.hpp"
#include "herald/redis/reply.hpp"
#include "herald/util/result.hpp"

namespace herald::app {

// Fails naming the server and why (refused, too old, no connection within timeout_ms).
result<std::vector<redis::reply>> redis_exec_once(const config::redis_config& cfg, std::vector<redis::command> commands,
                                                  std::uint32_t timeout_ms);

}  // namespace herald::app
