// The HTTPS server: one io_context thread, one coroutine per keep-alive connection.
#pragma once

#include <cstdint>
#include <string>

#include "sim.hpp"

namespace gwsim {

struct ServerOptions {
  std::string host = "127.0.0.1";  // an IP literal
  std::uint16_t port = 0;          // 0 = any free port
  std::string cert_file;           // PEM certificate chain
  std::string key_file;            // PEM private key
  std::string port_file;           // when set, the bound port is written there
  std::uint32_t idle_timeout_s = 60;  // keep-alive connections idle this long are closed
  bool verbose = false;               // log connection errors (one line each) to stderr
};

// Listens, prints "herald-gwsim listening on HOST:PORT" to stdout and serves until SIGINT or
// SIGTERM. Throws std::exception on setup errors (bad address, unreadable cert or key).
void run_server(Simulator& sim, const ServerOptions& options);

}  // namespace gwsim
