#include "herald/model/outcome.hpp"

#include "herald/util/json_text.hpp"
#include "herald/util/time.hpp"

namespace herald::model {

std::string_view to_string(status s) {
  switch (s) {
    case status::sent: return "sent";
    case status::duplicate: return "duplicate";
    case status::rejected_quota: return "rejected_quota";
    case status::failed: return "failed";
    case status::unknown: return "unknown";
    case status::invalid: return "invalid";
  }
  return "unknown";
}

std::string to_json(const outcome& o) {
  std::string out;
  out.reserve(256 + o.reason.size());
  out.push_back('{');
  json::append_key(out, "event_id", true);
  json::append_string(out, o.event_id);
  json::append_key(out, "order_id");
  json::append_string(out, o.order_id);
  json::append_key(out, "account");
  json::append_string(out, o.account);
  json::append_key(out, "status");
  json::append_string(out, to_string(o.st));
  json::append_key(out, "reason");
  json::append_string(out, o.reason);
  if (!o.outcome_class.empty()) {
    json::append_key(out, "class");
    json::append_string(out, o.outcome_class);
  }
  json::append_key(out, "gateway_code");
  json::append_string(out, o.gateway_code);
  json::append_key(out, "gateway_message_id");
  json::append_string(out, o.gateway_message_id);
  if (!o.policy.empty()) {
    json::append_key(out, "policy");
    json::append_string(out, o.policy);
  }
  json::append_key(out, "attempts");
  json::append_int(out, o.attempts);
  json::append_key(out, "source");
  out.push_back('{');
  json::append_key(out, "topic", true);
  json::append_string(out, o.source.topic);
  json::append_key(out, "partition");
  json::append_int(out, o.source.partition);
  json::append_key(out, "offset");
  json::append_int(out, o.source.offset);
  out.push_back('}');
  json::append_key(out, "settled_at");
  json::append_string(out, time::format_iso8601_ms(o.settled_at_ms));
  out.push_back('}');
  return out;
}

}  // namespace herald::model
