#include "decode_command.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <istream>
#include <ostream>
#include <string>

#include "exit_codes.hpp"
#include "herald/gateway/route_summary.hpp"
#include "herald/model/event.hpp"
#include "herald/pipeline/limits.hpp"

namespace herald::app {

int run_decode(const config::herald_config& cfg, bool is_json, std::istream& in, std::ostream& out) {
  std::string line;
  std::size_t number = 0, valid = 0, invalid = 0;
  model::event e;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    // As the worker does: the size first (nothing of an oversized record is read), then the decoder.
    status decoded = ok;
    if (pipeline::is_event_too_large(line.size(), 0, cfg.kafka.max_event_bytes))
      decoded = make_error(pipeline::event_too_large_reason(line.size(), 0, cfg.kafka.max_event_bytes));
    else
      decoded = model::decode_event_into(line, cfg, e);
    gateway::route_summary route;
    if (decoded) {
      ++valid;
      route = gateway::summarize_route(*cfg.find_account(e.account), e);
    } else {
      ++invalid;
    }
    if (is_json) {
      rapidjson::StringBuffer sb;
      rapidjson::Writer<rapidjson::StringBuffer> w(sb);
      auto str = [&](const char* k, std::string_view s) {
        w.Key(k);
        w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      };
      w.StartObject();
      w.Key("line");
      w.Uint64(number);
      w.Key("valid");
      w.Bool(static_cast<bool>(decoded));
      if (!decoded) {
        str("error", decoded.message());
      } else {
        str("event_id", e.event_id);
        w.Key("event_id_derived");
        w.Bool(e.is_event_id_derived);
        str("account", e.account);
        str("gateway", route.gateway);
        str("api", route.api);
        str("endpoint", route.endpoint);
        str("recipient_kind", route.recipient_kind);
        str("sign_name", e.sign_name);
        str("template_code", e.template_code);
        str("category", route.category);
        w.Key("card");
        w.Bool(e.card.has_value());
      }
      w.EndObject();
      out << sb.GetString() << "\n";
    } else if (!decoded) {
      out << "line " << number << ": invalid: " << decoded.message() << "\n";
    } else {
      out << "line " << number << ": valid: event_id " << e.event_id << (e.is_event_id_derived ? " (derived)" : "")
          << ", account " << e.account << " (" << route.gateway << ", " << route.api << ", " << route.endpoint
          << "), recipient " << route.recipient_kind << ", sign_name " << e.sign_name << ", template "
          << e.template_code << ", " << route.category << (e.card ? ", card" : "") << "\n";
    }
  }
  if (!is_json) out << valid << " valid, " << invalid << " invalid\n";
  return invalid ? exit_found : exit_ok;
}

}  // namespace herald::app
