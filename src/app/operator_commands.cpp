#include "operator_commands.hpp"

#include <cstdlib>
#include <iostream>
#include <iterator>

#include "check_connect_command.hpp"
#include "decode_command.hpp"
#include "exit_codes.hpp"

namespace herald::app {

operator_commands::operator_commands(CLI::App& app, CLI::App& check_config) {
  check_config.add_flag("--connect", is_connect_,
                        "then connect without sending: Kafka topics, Redis (version, scripts), each gateway endpoint "
                        "(DNS, TLS, certificate); one OK/FAIL line each, exit 4 when one failed");
  check_config.add_option("--timeout-ms", connect_timeout_ms_, "--connect: the limit of each check (default 5000)")
      ->check(CLI::Range(100u, 600000u));

  auto* ledger = app.add_subcommand("ledger", "look into the ledger in Redis (read only)");
  ledger->require_subcommand(1);
  ledger_get_ = ledger->add_subcommand(
      "get", "print a notification's ledger record (state, time, OutId, message id, bucket TTL) and its "
             "recipient's quota counters for today");
  ledger_get_->add_option("-c,--config", config_path_, "the JSON configuration file")->required();
  ledger_get_->add_option("--account", ledger_.account, "the event's account");
  ledger_get_->add_option("--event-id", ledger_.event_id, "the event's event_id (as its outcome record shows it)");
  ledger_get_->add_option("--order-id", ledger_.order_id, "for a derived event id: the event's order_id");
  ledger_get_->add_option("--template-code", ledger_.template_code, "for a derived event id: its template_code");
  auto* oaid = ledger_get_->add_option("--oaid", ledger_.recipient_value, "the recipient's OAID");
  auto* post_tel = ledger_get_->add_option("--post-tel", ledger_.recipient_value, "the recipient's post_tel");
  auto* phone = ledger_get_->add_option("--phone", ledger_.recipient_value, "the recipient's phone number");
  auto* by_order = ledger_get_->add_flag("--by-order", is_by_order_, "the recipient is the order's buyer ({\"by_order\": true})");
  oaid->excludes(post_tel)->excludes(phone)->excludes(by_order);
  post_tel->excludes(phone)->excludes(by_order);
  phone->excludes(by_order);
  ledger_get_->add_option("--event", ledger_.event_json,
                          "the event's JSON text (everything else follows from it); - reads it from stdin, "
                          "which keeps a recipient out of the shell's history");
  ledger_get_->add_option("--category", ledger_.category, "the quota counter to show (default both)")
      ->check(CLI::IsMember({"transactional", "marketing"}));
  ledger_get_->add_flag("--json", ledger_.is_json, "one JSON object instead of text");
  ledger_get_->add_option("--timeout-ms", ledger_.timeout_ms, "how long Redis may take (default 5000)");
  ledger_get_->callback([this, oaid, post_tel, phone] {
    ledger_.recipient_kind = *oaid ? "oaid" : *post_tel ? "post_tel" : *phone ? "phone" : is_by_order_ ? "by_order" : "";
  });

  replay_ = app.add_subcommand(
      "replay-dlq", "re-publish DLQ copies' original value and key to the events topic they came from; the ledger "
                    "makes an event sent meanwhile a duplicate");
  replay_->add_option("-c,--config", config_path_, "the JSON configuration file")->required();
  replay_->add_option("--from", replay_q_.from,
                      "first record: an offset, Unix milliseconds, an ISO-8601 time with a zone, or beginning "
                      "(default)");
  replay_->add_option("--to", replay_q_.to, "end, exclusive: the same forms, or end (default: the end now)");
  replay_->add_option("--partition", replay_partition_, "only this partition of the DLQ topic (default all)");
  replay_->add_option("--reason-class", replay_q_.reason_classes,
                      "only copies of this class (repeatable): invalid, or a failed outcome's class "
                      "(throttled, not_sent, internal_error, permanent, ...)");
  replay_->add_flag("--dry-run", replay_q_.is_dry_run, "print what would be replayed; produce nothing");
  replay_->add_option("--timeout-ms", replay_q_.timeout_ms, "how long Kafka may take for each step (default 10000)");

  decode_ = app.add_subcommand(
      "decode", "read events, one JSON object a line, on stdin; print whether each is valid and how it would be "
                "sent, sending nothing; exit 4 when a line is invalid");
  decode_->add_option("-c,--config", config_path_,
                      "the JSON configuration file (default: $HERALD_CONFIG, else /etc/herald/config.json)");
  decode_->add_flag("--json", is_decode_json_, "one JSON object a line instead of text");
}

int operator_commands::after_check_config(const config::herald_config& cfg) const {
  if (!is_connect_) return exit_ok;
  return run_check_connect(cfg, connect_timeout_ms_, std::cout);
}

std::optional<int> operator_commands::run(const config_loader& load) const {
  if (ledger_get_ && *ledger_get_) {
    ledger_query q = ledger_;
    if (q.event_json == "-") q.event_json.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    while (!q.event_json.empty() && (q.event_json.back() == '\n' || q.event_json.back() == '\r')) q.event_json.pop_back();
    return run_ledger_get(load(config_path_), q, std::cout, std::cerr);
  }
  if (*replay_) {
    replay_query q = replay_q_;
    if (replay_partition_ >= 0) q.partition = replay_partition_;
    return run_replay_dlq(load(config_path_), q, std::cout, std::cerr);
  }
  if (*decode_) {
    std::string path = config_path_;
    if (path.empty()) {
      const char* env = std::getenv("HERALD_CONFIG");
      path = env && *env ? env : "/etc/herald/config.json";
    }
    return run_decode(load(path), is_decode_json_, std::cin, std::cout);
  }
  return std::nullopt;
}

}  // namespace herald::app
