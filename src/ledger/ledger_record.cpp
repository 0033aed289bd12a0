#include "herald/ledger/ledger_record.hpp"

#include <charconv>

namespace herald::ledger {
namespace {

// A field of a record's text: up to the next '|', or the rest when `is_last` (a message id or an
// OutId, which may hold '|'). Fails when a field that is not the last has no '|' after it.
bool next_field(std::string_view& rest, std::string_view& field, bool is_last) {
  if (is_last) {
    field = rest;
    rest = {};
    return true;
  }
  const auto bar = rest.find('|');
  if (bar == std::string_view::npos) return false;
  field = rest.substr(0, bar);
  rest.remove_prefix(bar + 1);
  return true;
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

// "" is no quota day (nothing was charged).
bool parse_quota_day(std::string_view text, std::int32_t& out) {
  if (text.empty()) {
    out = -1;
    return true;
  }
  return parse_number(text, out);
}

void append_number(std::string& out, std::int64_t n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

void append_quota_day(std::string& out, std::int32_t day) {
  if (day >= 0) append_number(out, day);
}

error unreadable(std::string_view what) { return make_error("ledger record: " + std::string(what)); }

// Legacy values (written before owners and sources): R<t>, U<t>[|<outid>], S<message id>. A time
// that does not read counts as not known (0), as the older Herald's own reader treated it: these
// records only ever lead to a receipt check or the on_unknown policy, never to a send.
record decode_legacy(char letter, std::string_view rest) {
  record r;
  r.is_legacy = true;
  if (letter == 'S') {
    r.state = record_state::sent;
    r.message_id.assign(rest);
    return r;
  }
  r.state = record_state::checking;  // R: a send may have been under way; U: its fate unknown
  const auto bar = rest.find('|');
  const std::string_view when = rest.substr(0, bar);
  if (!parse_number(when, r.at_seconds)) r.at_seconds = 0;
  if (letter == 'U' && bar != std::string_view::npos) r.call_out_id.assign(rest.substr(bar + 1));
  return r;
}

}  // namespace

std::string_view to_string(record_state s) {
  switch (s) {
    case record_state::none: return "none";
    case record_state::reserved: return "reserved";
    case record_state::written: return "written";
    case record_state::checking: return "checking";
    case record_state::unknown: return "unknown";
    case record_state::sent: return "sent";
  }
  return "invalid";
}

result<record> decode_record(std::string_view value) {
  if (value.empty()) return unreadable("empty value");
  const char letter = value[0];
  std::string_view rest = value.substr(1);
  if (letter == 'R' || letter == 'U' || letter == 'S') return decode_legacy(letter, rest);
  record r;
  std::string_view f;
  if (letter == 's') {
    r.state = record_state::sent;
    if (!next_field(rest, f, false)) return unreadable("sent record without a source");
    r.source.assign(f);
    next_field(rest, f, true);
    r.message_id.assign(f);
    return r;
  }
  switch (letter) {
    case 'r': r.state = record_state::reserved; break;
    case 'w': r.state = record_state::written; break;
    case 'c': r.state = record_state::checking; break;
    case 'u': r.state = record_state::unknown; break;
    default: return unreadable("unknown state letter");
  }
  const bool has_owner = letter == 'r' || letter == 'w';
  const bool has_call = letter != 'r';
  if (!next_field(rest, f, false) || !parse_number(f, r.at_seconds)) return unreadable("unreadable time");
  if (has_owner) {
    if (!next_field(rest, f, false)) return unreadable("no owner");
    r.owner.assign(f);
  }
  if (!next_field(rest, f, !has_call) || !parse_quota_day(f, r.quota_day)) return unreadable("unreadable quota day");
  if (has_call) {
    if (!next_field(rest, f, false)) return unreadable("no source");
    r.source.assign(f);
    next_field(rest, f, true);
    r.call_out_id.assign(f);
  }
  return r;
}

std::string encode_record(const record& r) {
  std::string out;
  if (r.is_legacy) {
    // What an older Herald wrote (tests seed ledgers with these): a checking record as U.
    if (r.state == record_state::sent) {
      out.push_back('S');
      out.append(r.message_id);
    } else if (r.state != record_state::none) {
      out.push_back('U');
      if (r.at_seconds > 0) append_number(out, r.at_seconds);
      if (!r.call_out_id.empty()) out.append("|").append(r.call_out_id);
    }
    return out;
  }
  switch (r.state) {
    case record_state::none: return out;
    case record_state::sent:
      out.push_back('s');
      out.append(r.source).append("|").append(r.message_id);
      return out;
    case record_state::reserved: out.push_back('r'); break;
    case record_state::written: out.push_back('w'); break;
    case record_state::checking: out.push_back('c'); break;
    case record_state::unknown: out.push_back('u'); break;
  }
  append_number(out, r.at_seconds);
  out.push_back('|');
  if (r.state == record_state::reserved || r.state == record_state::written) out.append(r.owner).push_back('|');
  append_quota_day(out, r.quota_day);
  if (r.state != record_state::reserved) out.append("|").append(r.source).append("|").append(r.call_out_id);
  return out;
}

}  // namespace herald::ledger
