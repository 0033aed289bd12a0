#pragma once
#include <cstdint>
#include <iosfwd>

#include "herald/config/config.hpp"

namespace herald::app {

// `herald check-config --connect`: after the file's checks, connects to everything the worker
// uses without sending anything: Kafka (metadata of every topic, partition counts), Redis (the
// worker's handshake, PING, version, SCRIPT LOAD of the ledger's scripts) and each account's
// gateway endpoints (DNS, TCP, TLS handshake and certificate). One line per check, OK or FAIL
// with why; every step within timeout_ms. exit_ok when all are OK, else exit_found.
int run_check_connect(const config::herald_config& cfg, std::uint32_t timeout_ms, std::ostream& out);

}  // namespace herald::app
