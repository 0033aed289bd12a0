// Value checks and error-message pieces shared by the event decoder's parts, and template
// variables written as compact JSON (docs/events.md).
#include "event_decoding.hpp"
#include "herald/util/json_text.hpp"

namespace herald::model::detail {

std::string_view describe(json_kind k) {
  switch (k) {
    case json_kind::null: return "null";
    case json_kind::boolean: return "a boolean";
    case json_kind::number: return "a number";
    case json_kind::string: return "a string";
    case json_kind::object: return "an object";
    case json_kind::array: return "an array";
  }
  return "?";
}

std::size_t count_chars(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool has_control_char(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

std::string quoted(std::string_view s) {
  std::string out;
  if (s.size() > 64) {
    std::size_t cut = 64;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    json::append_string(out, s.substr(0, cut));
    out.insert(out.size() - 1, "...");
  } else {
    json::append_string(out, s);
  }
  return out;
}

void take_string(first_error& errors, std::string_view name, json_kind k, std::string_view text, std::string& out,
                 std::size_t max_chars, bool may_be_empty) {
  if (k == json_kind::null) return;
  if (k != json_kind::string)
    return errors.fail(std::string(name) + ": must be a string (got " + std::string(describe(k)) + ")");
  std::size_t chars = count_chars(text);
  if (chars == 0 && !may_be_empty) return errors.fail(std::string(name) + ": empty");
  if (chars > max_chars)
    return errors.fail(std::string(name) + ": too long (" + std::to_string(chars) + " chars, at most " +
                       std::to_string(max_chars) + ")");
  if (has_control_char(text)) return errors.fail(std::string(name) + ": must not contain control characters");
  out.assign(text);
}

void params_writer::start(std::string& out, std::string_view name) {
  out_ = &out;
  name_ = name;
  out.reserve(128);  // one allocation for typical template variables
  out.assign(1, '{');
  keys_.clear();
}

void params_writer::key(std::string_view key, first_error& errors) {
  std::string& out = *out_;
  key_.assign(key);
  if (key.empty()) return errors.fail(std::string(name_) + ": a key is empty");
  std::size_t start = out.size() + (keys_.empty() ? 0 : 1);
  json::append_key(out, key, keys_.empty());
  // Compared as written out, so that "a" and "\u0061" are the same key.
  std::string_view quoted_key(out.data() + start, out.size() - 1 - start);
  for (auto [offset, length] : keys_)
    if (std::string_view(out.data() + offset, length) == quoted_key)
      return errors.fail(std::string(name_) + "." + key_ + ": given more than once");
  keys_.emplace_back(start, quoted_key.size());
}

void params_writer::value(json_kind k, std::string_view text, first_error& errors) {
  if (k == json_kind::string)
    json::append_string(*out_, text);
  else if (k == json_kind::number)
    out_->append(text);  // as written: 1.50 stays 1.50
  else
    errors.fail(std::string(name_) + "." + key_ + ": must be a string or a number (got " + std::string(describe(k)) +
                ")");
}

}  // namespace herald::model::detail
