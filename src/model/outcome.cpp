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

void clear(outcome& o) {
  o.event_id.clear();
  o.order_id.clear();
  o.account.clear();
  o.st = outcome{}.st;
  o.reason.clear();
  o.outcome_class.clear();
  o.gateway_code.clear();
  o.gateway_message_id.clear();
  o.policy.clear();
  o.trace_id.clear();
  o.attempts = 0;
  o.source.topic.clear();
  o.source.partition = 0;
  o.source.offset = 0;
  o.settled_at_ms = 0;
}

std::string to_json(const outcome& o) {
  // One record per event: the keys are written as literal text (they never need escaping), the
  // values escaped.
  std::string out;
  out.reserve(256 + o.reason.size());
  auto field = [&out](std::string_view key_text, std::string_view value) {
    out.append(key_text);
    json::append_string(out, value);
  };
  field("{\"event_id\":", o.event_id);
  field(",\"order_id\":", o.order_id);
  field(",\"account\":", o.account);
  field(",\"status\":", to_string(o.st));
  field(",\"reason\":", o.reason);
  if (!o.outcome_class.empty()) field(",\"class\":", o.outcome_class);
  field(",\"gateway_code\":", o.gateway_code);
  field(",\"gateway_message_id\":", o.gateway_message_id);
  if (!o.policy.empty()) field(",\"policy\":", o.policy);
  // Lower-case hex only (kafka/trace_context.hpp), so that a reader can join outcomes to traces.
  if (!o.trace_id.empty()) field(",\"trace_id\":", o.trace_id);
  out.append(",\"attempts\":");
  json::append_int(out, o.attempts);
  field(",\"source\":{\"topic\":", o.source.topic);
  out.append(",\"partition\":");
  json::append_int(out, o.source.partition);
  out.append(",\"offset\":");
  json::append_int(out, o.source.offset);
  out.append("},\"settled_at\":\"");  // digits and punctuation follow: nothing to escape
  time::append_iso8601_ms(out, o.settled_at_ms);
  out.append("\"}");
  return out;
}

namespace {
bool bound_text(std::string& s) {
  if (s.size() <= max_outcome_text_bytes) return false;
  static constexpr std::string_view mark = "\xE2\x80\xA6";  // …
  std::size_t keep = max_outcome_text_bytes - mark.size();
  // Back to the first byte of a character: continuation bytes are 10xxxxxx.
  while (keep > 0 && (static_cast<unsigned char>(s[keep]) & 0xC0) == 0x80) --keep;
  s.resize(keep);
  s.append(mark);
  return true;
}
}  // namespace

bool bound_texts(outcome& o) {
  const bool a = bound_text(o.reason);
  const bool b = bound_text(o.gateway_code);
  const bool c = bound_text(o.gateway_message_id);
  return a || b || c;
}

}  // namespace herald::model
