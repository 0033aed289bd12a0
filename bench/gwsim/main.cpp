// herald-gwsim: an HTTPS stand-in for the SMS gateways (fw199 Taobao and 抖店, TOP, Alibaba Cloud).
// See bench/gwsim/README.md.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "options.hpp"
#include "server.hpp"
#include "sim.hpp"

int main(int argc, char** argv) {
  CLI::App app{"herald-gwsim: SMS gateway simulator (HTTPS): fw199 Taobao and 抖店, TOP OAID, Alibaba Cloud"};

  std::string listen = "127.0.0.1:0";
  gwsim::ServerOptions server;
  gwsim::SimConfig sim;
  std::vector<std::string> app_secrets;

  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0 = any free port)")
      ->capture_default_str();
  app.add_option("--cert", server.cert_file, "TLS certificate chain (PEM)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--key", server.key_file, "TLS private key (PEM)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--app-secret", app_secrets,
                 "APPID=SECRET used to verify signatures (repeatable; also read from "
                 "HERALD_GWSIM_SECRETS=\"app1=secret1,app2=secret2\")");
  app.add_option("--daily-limit", sim.daily_limit,
                 "acceptances per number (oaid) and template per UTC+8 day; 0 = no limit")
      ->capture_default_str();
  app.add_option("--latency-ms", sim.faults.latency_ms, "delay before every send answer")
      ->capture_default_str();
  app.add_option("--fault-5xx", sim.faults.p_5xx, "rate of HTTP 503 answers (nothing accepted)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--fault-reset", sim.faults.p_reset,
                 "rate of connections reset without an answer (nothing accepted)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--fault-slow", sim.faults.p_slow, "rate of answers delayed by --slow-ms")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--slow-ms", sim.faults.slow_ms, "extra delay of a slow answer")
      ->capture_default_str();
  app.add_option("--fault-drop-answer", sim.faults.p_drop_answer,
                 "rate of calls processed and recorded but never answered")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--rate-limit-qps", sim.faults.rate_limit_qps,
                 "send calls admitted per account in any sliding second; more get the gateway's "
                 "throttle answer; 0 = no cap")
      ->capture_default_str();
  app.add_option("--receipt-hide-ms", sim.receipt_hide_ms,
                 "receipt queries do not see a send until this long after its acceptance")
      ->capture_default_str();
  app.add_option("--receipt-delay-ms", sim.receipt_delay_ms,
                 "receipt queries report a send as waiting (status 1) until this long after its acceptance")
      ->capture_default_str();
  app.add_flag("--douyin-shuffle-answers", sim.douyin_shuffle_answers,
               "fw199 抖店 answers list their items in another order than the request (every one moved)");
  app.add_option("--seed", sim.seed, "seed of the fault and id generator")->capture_default_str();
  app.add_option("--port-file", server.port_file, "write the bound port to this file");
  app.add_option("--idle-timeout-s", server.idle_timeout_s,
                 "close keep-alive connections idle this long")
      ->capture_default_str();
  app.add_flag("-v,--verbose", server.verbose, "log connection errors to stderr");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  const auto address = gwsim::parse_listen(listen);
  if (!address) {
    std::cerr << "herald-gwsim: --listen wants HOST:PORT or [V6HOST]:PORT, got " << listen << '\n';
    return 2;
  }
  server.host = address->host;
  server.port = address->port;

  if (const char* env = std::getenv("HERALD_GWSIM_SECRETS")) {
    std::string error;
    if (!gwsim::add_app_secret_list(env, sim.secrets, &error)) {
      std::cerr << "herald-gwsim: HERALD_GWSIM_SECRETS: " << error << '\n';
      return 2;
    }
  }
  for (const auto& entry : app_secrets) {
    if (!gwsim::add_app_secret(entry, sim.secrets)) {
      std::cerr << "herald-gwsim: --app-secret wants APPID=SECRET\n";
      return 2;
    }
  }
  if (sim.secrets.empty())
    std::cerr << "herald-gwsim: warning: no app secrets configured, every call will be "
                 "rejected with 40001 invalid appid\n";

  try {
    gwsim::Simulator simulator(std::move(sim));
    gwsim::run_server(simulator, server);
  } catch (const std::exception& e) {
    std::cerr << "herald-gwsim: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
