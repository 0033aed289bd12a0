// herald: the command line. Start-up errors are exceptions turned into one clear message and a
// non-zero exit; once running, every failure ends in an outcome, a metric and a log line.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <iostream>

#include "herald/config/load.hpp"
#include "herald/config/run_checks.hpp"
#include "herald/flow/retry_envelope.hpp"
#include "herald/ledger/ledger_script.hpp"
#include "herald/pipeline/worker.hpp"
#include "herald/util/log.hpp"
#include "herald/util/time.hpp"
#include "operator_commands.hpp"
#include "sign_command.hpp"

namespace {

// The file's own rules, then the ones that span components: every event Herald accepts must be
// able to wait on the retry topic (flow/retry_envelope.hpp, check_retry_record_fits).
herald::config::herald_config load_config(const std::string& config_path) {
  auto cfg = herald::config::load_config_file(config_path);
  if (auto fits = herald::flow::check_retry_record_fits(cfg.kafka.max_event_bytes, cfg.kafka.producer_properties); !fits)
    throw herald::config::config_error("", fits.message());
  if (auto fit = herald::config::check_for_run(cfg); !fit) throw herald::config::config_error("", fit.message());
  return cfg;
}

int run(const std::string& config_path, std::int64_t clock_offset_ms) {
  auto cfg = load_config(config_path);
  herald::log::level level{};
  if (herald::log::parse_level(cfg.log.level, level)) herald::log::set_level(level);
  for (const auto& warning : herald::config::security_warnings(cfg)) herald::log::warn("insecure setting", {{"warning", warning}});

  boost::asio::io_context io(1);
  herald::pipeline::worker::options opts;
  if (clock_offset_ms != 0) {
    // Tests move Herald's wall clock (marketing window, quota day); the monotonic clock is untouched.
    herald::log::warn("wall clock offset in effect (a test aid)", {{"clock_offset_ms", clock_offset_ms}});
    opts.now_ms = [clock_offset_ms] { return herald::time::unix_ms() + clock_offset_ms; };
  }
  int exit_code = 0;
  // A worker that stops by itself (its output cannot be written) exits with its code, which
  // docs/configuration.md lists; the pod restarts visibly rather than wedging.
  opts.on_failed = [&exit_code, &io](int code) {
    exit_code = code;
    io.stop();
  };
  herald::pipeline::worker worker(io, cfg, std::move(opts));
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    herald::log::info("signal received, draining", {{"signal", signo}, {"drain_timeout_ms", std::int64_t{cfg.shutdown.drain_timeout_ms}}});
    worker.stop(std::chrono::milliseconds(cfg.shutdown.drain_timeout_ms), [&](int code) {
      exit_code = code;
      io.stop();
    });
  });
  worker.start();
  io.run();
  return exit_code;
}

int check_config(const std::string& config_path) {
  auto cfg = load_config(config_path);
  std::cout << herald::config::to_redacted_json(cfg) << "\n";
  for (const auto& warning : herald::config::security_warnings(cfg)) std::cerr << "warning: " << warning << "\n";
  std::cerr << "config OK: " << cfg.accounts.size() << " account(s), " << cfg.kafka.topics.size()
            << " topic(s)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Herald: order-notification SMS from Kafka, sent once, through signed gateway calls"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("herald ") + HERALD_VERSION);

  std::string config_path;
  auto* run_cmd = app.add_subcommand("run", "consume events and send notifications until SIGTERM");
  run_cmd->add_option("-c,--config", config_path, "the JSON configuration file")->required();
  std::int64_t clock_offset_ms = 0;
  run_cmd->add_option("--clock-offset-ms", clock_offset_ms,
                      "testing only: add this to the wall clock (marketing window, quota day, signatures)");
  auto* check_cmd = app.add_subcommand("check-config", "validate a configuration without connecting; print it, secrets redacted");
  check_cmd->add_option("-c,--config", config_path, "the JSON configuration file")->required();
  auto* version_cmd = app.add_subcommand("version", "print the version");
  std::string scheme, method = "POST";
  auto* sign_cmd = app.add_subcommand(
      "sign", "sign a JSON object of string parameters read on stdin with the secret in HERALD_SIGN_SECRET; "
              "prints the canonical string, then the signature on the last line");
  sign_cmd->add_option("--scheme", scheme, "top-md5 | top-hmac | top-hmac-sha256 | fw199 | aliyun-rpc")->required();
  sign_cmd->add_option("--method", method, "HTTP method, for aliyun-rpc (GET or POST)");

  std::string script_name;
  auto* script_cmd = app.add_subcommand("ledger-script", "print one of the ledger's Lua scripts (reserve, write or settle)");
  script_cmd->add_option("name", script_name)->required()->check(CLI::IsMember({"reserve", "write", "settle"}));
  herald::app::operator_commands operator_cmds(app, *check_cmd);

  CLI11_PARSE(app, argc, argv);
  try {
    if (*version_cmd) {
      std::cout << "herald " << HERALD_VERSION << "\n";
      return 0;
    }
    if (*check_cmd) {
      const int code = check_config(config_path);
      return code == 0 ? operator_cmds.after_check_config(load_config(config_path)) : code;
    }
    if (*script_cmd) {
      std::cout << (script_name == "reserve" ? herald::ledger::reserve_script()
                    : script_name == "write" ? herald::ledger::write_script()
                                             : herald::ledger::settle_script());
      return 0;
    }
    if (*sign_cmd) return herald::app::run_sign(scheme, method, std::cin);
    if (auto code = operator_cmds.run(load_config)) return *code;
    if (*run_cmd) return run(config_path, clock_offset_ms);
  } catch (const herald::config::config_error& e) {
    std::cerr << "herald: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "herald: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
