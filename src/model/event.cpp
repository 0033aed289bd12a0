// Decoding one order-notification event (docs/events.md). Runs once per consumed message, so it
// is a single SAX pass over the Kafka payload: no DOM, no copy of the input, numbers kept as the
// text they were written as, and each field copied straight into the event it ends up in.
// The value checks, template variables, the card object and free-form JSON are in
// event_decoding.hpp's parts; this file holds the top-level handler and the cross-field rules.
#include <rapidjson/stream.h>
#include <rapidjson/reader.h>

#include <utility>

#include "event_decoding.hpp"
#include "herald/model/event.hpp"
#include "herald/util/json_parse.hpp"
#include "herald/util/utf8.hpp"

namespace herald::model {
namespace {

using detail::describe;
using detail::json_kind;
using detail::quoted;

// Recursive parsing (a few % faster than kParseIterativeFlag): its depth is bounded by the
// handler, which stops the parser past max_depth. The text is checked for UTF-8 as a whole first
// (utf8::is_valid, fast on ASCII runs); only a text that fails it is parsed with RapidJSON's own
// per-character check, whose error names the offset.
constexpr unsigned parse_flags = rapidjson::kParseNumbersAsStringsFlag;
constexpr unsigned parse_flags_validating = parse_flags | rapidjson::kParseValidateEncodingFlag;
constexpr std::size_t max_depth = 64;  // bounds the parser's stack; events are a few levels deep
constexpr std::size_t max_recipient_chars = 512;
constexpr std::string_view recipient_keys = R"("oaid", "post_tel", "phone" or "by_order")";

enum class field : std::uint8_t {
  unknown, event_id, account, order_id, recipient, sign_name, template_code, params, category,
  extend, extend_code, extend_name, card,
};

field field_of(std::string_view key) {
  static constexpr std::pair<std::string_view, field> fields[] = {
      {"event_id", field::event_id},   {"account", field::account},
      {"order_id", field::order_id},   {"recipient", field::recipient},
      {"sign_name", field::sign_name}, {"template_code", field::template_code},
      {"params", field::params},       {"category", field::category},
      {"extend", field::extend},       {"extend_code", field::extend_code},
      {"extend_name", field::extend_name}, {"card", field::card},
  };
  // Every key of every event comes here: the first byte rules out most names before a memcmp.
  if (key.empty()) return field::unknown;
  for (const auto& [name, f] : fields)
    if (name.size() == key.size() && name[0] == key[0] && name == key) return f;
  return field::unknown;
}

// How a recipient kind is written, for messages: {"oaid": ...} or {"by_order": true}.
std::string recipient_shape(recipient_kind k) {
  if (k == recipient_kind::by_order) return R"({"by_order": true})";
  return "{\"" + std::string(to_string(k)) + "\": ...}";
}

// recipient: account "dd" (fw199_douyin) needs {"post_tel": ...} or {"by_order": true}, got {"oaid": ...}
std::string wrong_recipient_message(const event& e, config::gateway_kind gateway) {
  constexpr recipient_kind all[] = {recipient_kind::oaid, recipient_kind::post_tel, recipient_kind::phone,
                                    recipient_kind::by_order};
  std::size_t count = 0, written = 0;
  for (recipient_kind k : all) count += accepts_recipient(gateway, k);
  std::string needs;
  for (recipient_kind k : all) {
    if (!accepts_recipient(gateway, k)) continue;
    if (written++ > 0) needs += written == count ? " or " : ", ";
    needs += recipient_shape(k);
  }
  return "recipient: account " + quoted(e.account) + " (" + std::string(config::to_string(gateway)) + ") needs " +
         needs + ", got " + recipient_shape(e.to.kind);
}

// Reused between events on one thread, so that steady state allocates nothing here.
struct scratch_space {
  rapidjson::Reader reader;
  detail::params_writer params;
  detail::card_reader card;
  detail::compact_json_writer json;
  std::string recipient_key;  // an unknown recipient kind
  std::string text;           // the event's bytes, parsed in place
};

class event_handler {
 public:
  event_handler(event& e, scratch_space& s) : e_(e), s_(s) {}

  std::string& error() { return errors_.message(); }
  bool is_too_deep() const { return is_too_deep_; }
  bool has_recipient() const { return has_recipient_; }

  bool Null() { return value(json_kind::null, "null"); }
  bool Bool(bool b) { return value(json_kind::boolean, b ? "true" : "false"); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return value(json_kind::number, {s, n}); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return value(json_kind::string, {s, n}); }
  // Never called with kParseNumbersAsStringsFlag; here for the handler concept.
  bool Int(int) { return value(json_kind::number, {}); }
  bool Uint(unsigned) { return value(json_kind::number, {}); }
  bool Int64(std::int64_t) { return value(json_kind::number, {}); }
  bool Uint64(std::uint64_t) { return value(json_kind::number, {}); }
  bool Double(double) { return value(json_kind::number, {}); }

  bool StartObject() {
    if (mode_ == mode::card_json) {
      s_.json.start(false);
    } else if (depth_ == 1 && current_ == field::recipient) {
      mode_ = mode::recipient;
      recipient_keys_ = 0;
      recipient_kind_.reset();
      is_by_order_ = false;
    } else if (depth_ == 1 && current_ == field::params) {
      mode_ = mode::params;
      s_.params.start(e_.params_json, "params");
    } else if (depth_ == 1 && current_ == field::card) {
      mode_ = mode::card;
      s_.card.start(e_.card.emplace());
    } else if (depth_ == 2 && mode_ == mode::card) {
      switch (s_.card.start_object(s_.params, s_.json, errors_)) {
        case detail::card_reader::nested::params: mode_ = mode::card_params; break;
        case detail::card_reader::nested::json: mode_ = mode::card_json; break;
        case detail::card_reader::nested::none: break;
      }
    } else if (depth_ != 0) {
      value(json_kind::object, {});
    }
    return enter();
  }

  bool EndObject(rapidjson::SizeType) {
    --depth_;
    if (mode_ == mode::card_json) {
      s_.json.end();
      if (s_.json.depth() == 0) {
        mode_ = mode::card;
        s_.card.end_json(errors_);
      }
    } else if (depth_ == 2 && mode_ == mode::card_params) {
      s_.params.end();
      mode_ = mode::card;
    } else if (depth_ == 1) {
      if (mode_ == mode::recipient) end_recipient();
      if (mode_ == mode::params) s_.params.end();
      mode_ = mode::top;
    }
    return true;
  }

  bool StartArray() {
    if (mode_ == mode::card_json)
      s_.json.start(true);
    else
      value(json_kind::array, {});
    return enter();
  }

  bool EndArray(rapidjson::SizeType) {
    --depth_;
    if (mode_ == mode::card_json) s_.json.end();
    return true;
  }

  bool Key(const char* s, rapidjson::SizeType n, bool) {
    std::string_view key(s, n);
    if (mode_ == mode::card_json) {
      s_.json.key(key);
    } else if (depth_ == 1) {
      current_ = field_of(key);
      if (current_ != field::unknown) {
        auto bit = 1u << static_cast<unsigned>(current_);
        if (seen_ & bit) errors_.fail(std::string(key) + ": given more than once");
        seen_ |= bit;
      }
    } else if (depth_ == 2 && mode_ == mode::recipient) {
      if (++recipient_keys_ == 1) {
        recipient_kind_ = parse_recipient_kind(key);
        if (!recipient_kind_) s_.recipient_key.assign(key);
      }
    } else if (is_in_params()) {
      s_.params.key(key, errors_);
    } else if (depth_ == 2 && mode_ == mode::card) {
      s_.card.key(key, errors_);
    }
    return true;
  }

 private:
  // Where the parser is: at the top level, or directly inside which object. card_json is anywhere
  // inside card.custom_short_code_json's object, whose events go to the compact JSON writer as
  // they are.
  enum class mode { top, recipient, params, card, card_params, card_json };

  bool is_in_params() const {
    return (depth_ == 2 && mode_ == mode::params) || (depth_ == 3 && mode_ == mode::card_params);
  }

  bool enter() {
    if (++depth_ > max_depth) {
      is_too_deep_ = true;
      return false;  // stops the parser
    }
    return true;
  }

  void fail(std::string message) { errors_.fail(std::move(message)); }

  bool value(json_kind k, std::string_view text) {
    if (mode_ == mode::card_json) {
      if (k == json_kind::string)
        s_.json.string(text);
      else
        s_.json.literal(text);
    } else if (depth_ == 0) {
      fail("event is not a JSON object");
    } else if (depth_ == 1) {
      top_value(k, text);
    } else if (depth_ == 2 && mode_ == mode::recipient) {
      recipient_value(k, text);
    } else if (is_in_params()) {
      s_.params.value(k, text, errors_);
    } else if (depth_ == 2 && mode_ == mode::card) {
      s_.card.value(k, text, errors_);
    }
    return true;  // deeper: inside a value that is skipped or already reported
  }

  void take_string(std::string_view name, json_kind k, std::string_view text, std::string& out, std::size_t max_chars,
                   bool may_be_empty = false) {
    detail::take_string(errors_, name, k, text, out, max_chars, may_be_empty);
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
        return fail("recipient: must be an object with one key, " + std::string(recipient_keys) + " (got " +
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
      case field::card:
        if (k == json_kind::null) return;
        return fail("card: must be an object (got " + std::string(describe(k)) + ")");
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
    if (*recipient_kind_ == recipient_kind::by_order) {
      // 抖店 biz_type 1: the gateway finds the buyer from order_id. Only true means that.
      if (k == json_kind::boolean && text == "true") {
        is_by_order_ = true;
        return;
      }
      return fail("must be true (got " + std::string(k == json_kind::boolean ? "false" : describe(k)) + ")");
    }
    if (k != json_kind::string) return fail("must be a string (got " + std::string(describe(k)) + ")");
    if (*recipient_kind_ == recipient_kind::phone) {
      std::string_view digits = text.starts_with('+') ? text.substr(1) : text;
      bool all_digits = !digits.empty();
      for (char c : digits) all_digits = all_digits && c >= '0' && c <= '9';
      if (!all_digits || text.size() < 5 || text.size() > 20)
        return fail("must be 5 to 20 characters of digits, optionally after a leading \"+\"");
    } else {
      std::size_t chars = detail::count_chars(text);
      if (chars == 0) return fail("empty");
      if (chars > max_recipient_chars)
        return fail("too long (" + std::to_string(chars) + " chars, at most " + std::to_string(max_recipient_chars) + ")");
      if (detail::has_control_char(text)) return fail("must not contain control characters");
    }
    e_.to.value.assign(text);
  }

  void end_recipient() {
    if (recipient_keys_ != 1)
      return fail("recipient: must have exactly one key, " + std::string(recipient_keys) + " (got " +
                  std::to_string(recipient_keys_) + ")");
    if (!recipient_kind_) {
      // Echo the key only when it reads like a field name: a producer that wrote the phone
      // number or OAID as the key must not have it copied into logs and the DLQ headers.
      const std::string_view key = s_.recipient_key;
      bool is_name_like = !key.empty() && key.size() <= 32;
      for (char c : key) is_name_like = is_name_like && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_');
      return fail("recipient: unknown kind " + (is_name_like ? quoted(key) + " " : std::string()) + "(expected " +
                  std::string(recipient_keys) + ")");
    }
    e_.to.kind = *recipient_kind_;
    has_recipient_ = e_.to.kind == recipient_kind::by_order ? is_by_order_ : !e_.to.value.empty();
  }

  event& e_;
  scratch_space& s_;
  detail::first_error errors_;
  std::size_t depth_ = 0;
  mode mode_ = mode::top;
  field current_ = field::unknown;
  std::uint32_t seen_ = 0;
  std::size_t recipient_keys_ = 0;
  std::optional<recipient_kind> recipient_kind_;
  bool is_by_order_ = false;
  bool has_recipient_ = false;
  bool is_too_deep_ = false;
};

}  // namespace

void clear(event& e) {
  e.event_id.clear();
  e.is_event_id_derived = false;
  e.account.clear();
  e.order_id.clear();
  e.to.kind = recipient{}.kind;
  e.to.value.clear();
  e.sign_name.clear();
  e.template_code.clear();
  e.params_json.assign(event{}.params_json);
  e.category = event{}.category;
  e.extend.clear();
  e.extend_code.clear();
  e.extend_name.clear();
  e.card.reset();  // rare (aliyun_card accounts only): not worth keeping
}

result<event> decode_event(std::string_view bytes, const config::herald_config& cfg) {
  event e;
  auto st = decode_event_into(bytes, cfg, e);
  if (!st) return st.err();
  return e;
}

status decode_event_into(std::string_view bytes, const config::herald_config& cfg, event& e) {
  thread_local scratch_space scratch;
  clear(e);
  event_handler handler(e, scratch);
  // Parsed in place, in a copy (the event's bytes stay as they were, for the DLQ): strings are
  // then scanned sixteen bytes at a time (RAPIDJSON_SSE2 / RAPIDJSON_NEON, CMakeLists.txt) and
  // handed over where they lie, instead of copied byte by byte into the parser's stack, which was
  // the largest part of decoding an event. The handler copies what it keeps.
  // A UTF-8 byte order mark is skipped (RFC 8259 allows ignoring it); offsets count it.
  const std::size_t skip = json::has_bom(bytes) ? 3 : 0;
  scratch.text.assign(bytes);
  const bool is_utf8 = utf8::is_valid(bytes);
  // Validating reads every byte of a multi-byte sequence before it checks them: a sequence cut
  // short at the end must read NULs, not past the buffer.
  if (!is_utf8) scratch.text.append(4, '\0');
  rapidjson::InsituStringStream stream(scratch.text.data() + skip);
  rapidjson::ParseResult parsed =
      is_utf8 ? scratch.reader.Parse<parse_flags | rapidjson::kParseInsituFlag>(stream, handler)
              : scratch.reader.Parse<parse_flags_validating | rapidjson::kParseInsituFlag>(stream, handler);
  if (handler.is_too_deep()) return make_error("event nests deeper than " + std::to_string(max_depth) + " levels");
  if (parsed.IsError()) return make_error(json::describe_parse_error(bytes, parsed.Code(), skip + parsed.Offset()).message());
  // The parser takes a NUL byte for the end of the text: anything after one is not JSON.
  if (skip + stream.Tell() < bytes.size())
    return make_error(
        json::describe_parse_error(bytes, rapidjson::kParseErrorDocumentRootNotSingular, skip + stream.Tell()).message());
  // RapidJSON decodes an escaped lone surrogate (\udc00) into three bytes that are not UTF-8; the
  // text holds no backslash at all in most events, which one memchr tells.
  if (std::size_t at = json::find_unpaired_surrogate_escape(bytes); at != std::string_view::npos)
    return make_error(json::unpaired_surrogate_error(bytes, at).message());
  if (!handler.error().empty()) return make_error(std::move(handler.error()));

  if (e.account.empty()) return make_error("account: missing");
  const config::account_config* account = cfg.find_account(e.account);
  if (account == nullptr) return make_error("account: " + quoted(e.account) + " is not a configured account");
  if (e.order_id.empty()) return make_error("order_id: missing");
  if (!handler.has_recipient()) return make_error("recipient: missing");
  if (!accepts_recipient(account->gateway, e.to.kind)) return make_error(wrong_recipient_message(e, account->gateway));
  if (e.sign_name.empty()) return make_error("sign_name: missing");
  if (e.template_code.empty()) return make_error("template_code: missing");
  const bool takes_card = account->gateway == config::gateway_kind::aliyun_card;
  if (takes_card && !e.card) return make_error("card: missing (required for aliyun_card accounts)");
  if (!takes_card && e.card) return make_error("card: only aliyun_card accounts take a card");
  if (e.card)
    if (std::string_view problem = detail::card_problem(*e.card); !problem.empty())
      return make_error(std::string(problem));

  if (e.event_id.empty()) {
    e.event_id = derive_event_id(e, cfg.ledger.recipient_hash_key);
    e.is_event_id_derived = true;
  }
  return ok;
}

}  // namespace herald::model
