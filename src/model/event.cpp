// Decoding one order-notification event (docs/events.md). Runs once per consumed message, so it
// is a single SAX pass over the Kafka payload: no DOM, no copy of the input, numbers kept as the
// text they were written as, and each field copied straight into the event it ends up in.
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <utility>
#include <vector>

#include "herald/model/event.hpp"
#include "herald/util/json_text.hpp"

namespace herald::model {
namespace {

constexpr unsigned parse_flags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag;
constexpr std::size_t max_depth = 64;  // bounds the parser's stack; events are two levels deep
constexpr std::size_t max_recipient_chars = 512;

enum class field : std::uint8_t {
  unknown, event_id, account, order_id, recipient, sign_name, template_code, params, category,
  extend, extend_code, extend_name,
};

field field_of(std::string_view key) {
  static constexpr std::pair<std::string_view, field> fields[] = {
      {"event_id", field::event_id},   {"account", field::account},
      {"order_id", field::order_id},   {"recipient", field::recipient},
      {"sign_name", field::sign_name}, {"template_code", field::template_code},
      {"params", field::params},       {"category", field::category},
      {"extend", field::extend},       {"extend_code", field::extend_code},
      {"extend_name", field::extend_name},
  };
  for (const auto& [name, f] : fields)
    if (name == key) return f;
  return field::unknown;
}

enum class json_kind { null, boolean, number, string, object, array };

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

// Unicode characters in valid UTF-8 (the parser has validated it).
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

// A name for an error message: JSON-quoted and short. Only ever used for keys and non-personal
// values (account names, categories), never for the recipient.
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

// Reused between events on one thread, so that steady state allocates nothing here.
struct scratch_space {
  rapidjson::Reader reader;
  std::vector<std::pair<std::size_t, std::size_t>> param_keys;  // quoted keys' spans in params_json
  std::string param_key;                                         // the current one, for messages
  std::string recipient_key;                                     // an unknown recipient kind
};

class event_handler {
 public:
  event_handler(event& e, scratch_space& s) : e_(e), s_(s) {}

  // The first problem found; parsing goes on so that a syntax error later still wins.
  std::string& error() { return error_; }
  bool is_too_deep() const { return is_too_deep_; }
  bool has_recipient() const { return has_recipient_; }

  bool Null() { return value(json_kind::null, {}); }
  bool Bool(bool) { return value(json_kind::boolean, {}); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return value(json_kind::number, {s, n}); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return value(json_kind::string, {s, n}); }
  // Never called with kParseNumbersAsStringsFlag; here for the handler concept.
  bool Int(int) { return value(json_kind::number, {}); }
  bool Uint(unsigned) { return value(json_kind::number, {}); }
  bool Int64(std::int64_t) { return value(json_kind::number, {}); }
  bool Uint64(std::uint64_t) { return value(json_kind::number, {}); }
  bool Double(double) { return value(json_kind::number, {}); }

  bool StartObject() {
    if (depth_ == 1 && current_ == field::recipient) {
      mode_ = mode::recipient;
      recipient_keys_ = 0;
      recipient_kind_.reset();
    } else if (depth_ == 1 && current_ == field::params) {
      mode_ = mode::params;
      e_.params_json.reserve(128);  // one allocation for typical template variables
      e_.params_json.assign(1, '{');
      s_.param_keys.clear();
    } else if (depth_ != 0) {
      value(json_kind::object, {});
    }
    return enter();
  }

  bool EndObject(rapidjson::SizeType) {
    --depth_;
    if (depth_ == 1 && mode_ == mode::recipient) end_recipient();
    if (depth_ == 1 && mode_ == mode::params) e_.params_json.push_back('}');
    if (depth_ == 1) mode_ = mode::top;
    return true;
  }

  bool StartArray() {
    value(json_kind::array, {});
    return enter();
  }

  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }

  bool Key(const char* s, rapidjson::SizeType n, bool) {
    std::string_view key(s, n);
    if (depth_ == 1) {
      current_ = field_of(key);
      if (current_ != field::unknown) {
        auto bit = 1u << static_cast<unsigned>(current_);
        if (seen_ & bit) fail(std::string(key) + ": given more than once");
        seen_ |= bit;
      }
    } else if (depth_ == 2 && mode_ == mode::recipient) {
      if (++recipient_keys_ == 1) {
        recipient_kind_ = parse_recipient_kind(key);
        if (!recipient_kind_) s_.recipient_key.assign(key);
      }
    } else if (depth_ == 2 && mode_ == mode::params) {
      param_key(key);
    }
    return true;
  }

 private:
  enum class mode { top, recipient, params };

  bool enter() {
    if (++depth_ > max_depth) {
      is_too_deep_ = true;
      return false;  // stops the parser
    }
    return true;
  }

  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  bool value(json_kind k, std::string_view text) {
    if (depth_ == 0)
      fail("event is not a JSON object");
    else if (depth_ == 1)
      top_value(k, text);
    else if (depth_ == 2 && mode_ == mode::recipient)
      recipient_value(k, text);
    else if (depth_ == 2 && mode_ == mode::params)
      param_value(k, text);
    return true;  // deeper: inside a value that is skipped or already reported
  }

  // A string field: null means absent (like leaving it out).
  void take_string(std::string_view name, json_kind k, std::string_view text, std::string& out, std::size_t max_chars,
                   bool may_be_empty = false) {
    if (k == json_kind::null) return;
    if (k != json_kind::string) return fail(std::string(name) + ": must be a string (got " + std::string(describe(k)) + ")");
    std::size_t chars = count_chars(text);
    if (chars == 0 && !may_be_empty) return fail(std::string(name) + ": empty");
    if (chars > max_chars)
      return fail(std::string(name) + ": too long (" + std::to_string(chars) + " chars, at most " +
                  std::to_string(max_chars) + ")");
    if (has_control_char(text)) return fail(std::string(name) + ": must not contain control characters");
    out.assign(text);
  }

  void top_value(json_kind k, std::string_view text) {
    switch (current_) {
      case field::unknown: return;  // producers add tracing fields: ignored (docs/events.md)
      case field::event_id:
        if (k == json_kind::string && text.empty()) return fail("event_id: empty (leave it out to have one derived)");
        return take_string("event_id", k, text, e_.event_id, 128);
      case field::account: return take_string("account", k, text, e_.account, 64);
      case field::sign_name: return take_string("sign_name", k, text, e_.sign_name, 64);
      case field::template_code: return take_string("template_code", k, text, e_.template_code, 64);
      case field::order_id:
        if (k == json_kind::number) return take_order_number(text);
        return take_string("order_id", k, text, e_.order_id, 64);
      case field::recipient:
        if (k == json_kind::null) return;
        return fail("recipient: must be an object with one key, \"oaid\", \"post_tel\" or \"phone\" (got " +
                    std::string(describe(k)) + ")");
      case field::params:
        if (k == json_kind::null) return;
        return fail("params: must be an object (got " + std::string(describe(k)) + ")");
      case field::category: {
        if (k == json_kind::null) return;
        auto c = k == json_kind::string ? config::parse_category(text) : std::nullopt;
        if (!c)
          return fail("category: must be \"transactional\" or \"marketing\" (got " +
                      (k == json_kind::string ? quoted(text) : std::string(describe(k))) + ")");
        e_.category = *c;
        return;
      }
      case field::extend: return take_string("extend", k, text, e_.extend, 64, true);
      case field::extend_code: return take_string("extend_code", k, text, e_.extend_code, 64, true);
      case field::extend_name: return take_string("extend_name", k, text, e_.extend_name, 64, true);
    }
  }

  // Order pipelines often write the order number as a JSON number: keep its decimal text, exactly
  // as written (no trip through double, so 19-digit Taobao order numbers stay intact).
  void take_order_number(std::string_view text) {
    for (char c : text)
      if (c < '0' || c > '9') return fail("order_id: must be a string or a non-negative whole number");
    if (text.size() > 64) return fail("order_id: too long (" + std::to_string(text.size()) + " chars, at most 64)");
    e_.order_id.assign(text);
  }

  // Never puts the value in a message: it is personal data.
  void recipient_value(json_kind k, std::string_view text) {
    if (recipient_keys_ != 1 || !recipient_kind_) return;  // reported when the object ends
    auto fail = [this](std::string_view problem) {
      this->fail("recipient." + std::string(to_string(*recipient_kind_)) + ": " + std::string(problem));
    };
    if (k != json_kind::string) return fail("must be a string (got " + std::string(describe(k)) + ")");
    if (*recipient_kind_ == recipient_kind::phone) {
      std::string_view digits = text.starts_with('+') ? text.substr(1) : text;
      bool all_digits = !digits.empty();
      for (char c : digits) all_digits = all_digits && c >= '0' && c <= '9';
      if (!all_digits || text.size() < 5 || text.size() > 20)
        return fail("must be 5 to 20 characters of digits, optionally after a leading \"+\"");
    } else {
      std::size_t chars = count_chars(text);
      if (chars == 0) return fail("empty");
      if (chars > max_recipient_chars)
        return fail("too long (" + std::to_string(chars) + " chars, at most " + std::to_string(max_recipient_chars) + ")");
      if (has_control_char(text)) return fail("must not contain control characters");
    }
    e_.to.value.assign(text);
  }

  void end_recipient() {
    constexpr std::string_view expected = "\"oaid\", \"post_tel\" or \"phone\"";
    if (recipient_keys_ != 1)
      return fail("recipient: must have exactly one key, " + std::string(expected) + " (got " +
                  std::to_string(recipient_keys_) + ")");
    if (!recipient_kind_) {
      // Echo the key only when it reads like a field name: a producer that wrote the phone
      // number or OAID as the key must not have it copied into logs and the DLQ headers.
      const std::string_view key = s_.recipient_key;
      bool is_name_like = !key.empty() && key.size() <= 32;
      for (char c : key) is_name_like = is_name_like && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_');
      return fail("recipient: unknown kind " + (is_name_like ? quoted(key) + " " : std::string()) + "(expected " +
                  std::string(expected) + ")");
    }
    e_.to.kind = *recipient_kind_;
    has_recipient_ = !e_.to.value.empty();
  }

  void param_key(std::string_view key) {
    s_.param_key.assign(key);
    if (key.empty()) return fail("params: a key is empty");
    std::size_t start = e_.params_json.size() + (s_.param_keys.empty() ? 0 : 1);
    json::append_key(e_.params_json, key, s_.param_keys.empty());
    std::string_view quoted_key(e_.params_json.data() + start, e_.params_json.size() - 1 - start);
    for (auto [offset, length] : s_.param_keys)
      if (std::string_view(e_.params_json.data() + offset, length) == quoted_key)
        return fail("params." + s_.param_key + ": given more than once");
    s_.param_keys.emplace_back(start, quoted_key.size());
  }

  void param_value(json_kind k, std::string_view text) {
    if (k == json_kind::string)
      json::append_string(e_.params_json, text);
    else if (k == json_kind::number)
      e_.params_json.append(text);  // as written: 1.50 stays 1.50
    else
      fail("params." + s_.param_key + ": must be a string or a number (got " + std::string(describe(k)) + ")");
  }

  event& e_;
  scratch_space& s_;
  std::string error_;
  std::size_t depth_ = 0;
  mode mode_ = mode::top;
  field current_ = field::unknown;
  std::uint32_t seen_ = 0;
  std::size_t recipient_keys_ = 0;
  std::optional<recipient_kind> recipient_kind_;
  bool has_recipient_ = false;
  bool is_too_deep_ = false;
};

std::string parse_error_message(rapidjson::ParseErrorCode code, std::size_t offset) {
  std::string what = rapidjson::GetParseError_En(code);
  if (what.ends_with('.')) what.pop_back();
  if (code == rapidjson::kParseErrorStringInvalidEncoding)
    return "not valid UTF-8: a string holds an invalid UTF-8 sequence at offset " + std::to_string(offset);
  return "not JSON: " + what + " at offset " + std::to_string(offset);
}

}  // namespace

result<event> decode_event(std::string_view bytes, const config::herald_config& cfg) {
  thread_local scratch_space scratch;
  event e;
  event_handler handler(e, scratch);
  rapidjson::MemoryStream stream(bytes.data(), bytes.size());
  rapidjson::ParseResult parsed = scratch.reader.Parse<parse_flags>(stream, handler);
  if (handler.is_too_deep()) return make_error("event nests deeper than " + std::to_string(max_depth) + " levels");
  if (parsed.IsError()) return make_error(parse_error_message(parsed.Code(), parsed.Offset()));
  // The parser takes a NUL byte for the end of the text: anything after one is not JSON.
  if (stream.Tell() < bytes.size())
    return make_error("not JSON: unexpected NUL byte at offset " + std::to_string(stream.Tell()));
  if (!handler.error().empty()) return make_error(std::move(handler.error()));

  if (e.account.empty()) return make_error("account: missing");
  const config::account_config* account = cfg.find_account(e.account);
  if (account == nullptr) return make_error("account: " + quoted(e.account) + " is not a configured account");
  if (e.order_id.empty()) return make_error("order_id: missing");
  if (!handler.has_recipient()) return make_error("recipient: missing");
  if (recipient_kind needed = recipient_kind_for(account->gateway); e.to.kind != needed)
    return make_error("recipient: account " + quoted(e.account) + " (" + std::string(config::to_string(account->gateway)) +
                      ") needs {\"" + std::string(to_string(needed)) + "\": ...}, got {\"" +
                      std::string(to_string(e.to.kind)) + "\": ...}");
  if (e.sign_name.empty()) return make_error("sign_name: missing");
  if (e.template_code.empty()) return make_error("template_code: missing");

  if (e.event_id.empty()) {
    e.event_id = derive_event_id(e);
    e.is_event_id_derived = true;
  }
  return e;
}

}  // namespace herald::model
