#pragma once
// Internal to herald_model: the pieces of decode_event (event.cpp) that are not the top-level SAX
// handler itself: value checks and messages (event_text.cpp), template-variable objects
// (event_text.cpp), the aliyun_card "card" object (event_card.cpp) and free-form JSON kept as
// compact text (event_json.cpp). Not a public header.
#include <rapidjson/reader.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/model/event.hpp"

namespace herald::model::detail {

enum class json_kind { null, boolean, number, string, object, array };

std::string_view describe(json_kind k);  // "a string", "null", ...
// Unicode characters in valid UTF-8 (the parser has validated it).
std::size_t count_chars(std::string_view s);
bool has_control_char(std::string_view s);  // U+0000-U+001F, U+007F
// A name for an error message: JSON-quoted and short. Only ever used for keys and non-personal
// values (account names, categories), never for the recipient.
std::string quoted(std::string_view s);

// The first problem found in an event; later ones are dropped, and parsing goes on so that a
// syntax error further on still wins.
class first_error {
 public:
  void fail(std::string message) {
    if (message_.empty()) message_ = std::move(message);
  }
  std::string& message() { return message_; }

 private:
  std::string message_;
};

// A string field named name into out. null means absent (out untouched); lengths in characters.
void take_string(first_error& errors, std::string_view name, json_kind k, std::string_view text, std::string& out,
                 std::size_t max_chars, bool may_be_empty = false);

// Template variables ("params", card.fallback_params) as compact JSON object text: values strings
// or numbers (kept as written), keys non-empty and not repeated. Reused between events.
class params_writer {
 public:
  // Starts the object in out (which is overwritten); name prefixes its messages.
  void start(std::string& out, std::string_view name);
  void key(std::string_view key, first_error& errors);
  void value(json_kind k, std::string_view text, first_error& errors);
  void end() { out_->push_back('}'); }

 private:
  std::string* out_ = nullptr;
  std::string_view name_;
  std::vector<std::pair<std::size_t, std::size_t>> keys_;  // quoted keys' spans in *out_
  std::string key_;                                         // the current one, for messages
};

// Writes the SAX events it is given as compact JSON: no whitespace, strings re-escaped, numbers
// exactly as written. The caller guarantees well-formed events (the parser has checked them) and
// bounds the nesting (at most max_depth).
class compact_json_writer {
 public:
  static constexpr std::size_t max_depth = 63;

  // Starts writing into out, which is cleared.
  void reset(std::string& out);
  // Containers open: 0 once the value that was started is complete.
  std::size_t depth() const { return depth_; }

  void key(std::string_view k);
  void string(std::string_view s);
  void literal(std::string_view text);  // a number as written, true, false or null
  void start(bool is_array);
  void end();

 private:
  void before_value();
  std::uint64_t bit() const { return std::uint64_t{1} << depth_; }

  std::string* out_ = nullptr;
  std::size_t depth_ = 0;
  std::uint64_t has_items_ = 0;  // bit d: the container open at depth d has an item already
  std::uint64_t is_array_ = 0;   // bit d: the container open at depth d is an array
};

// Parses text as one JSON object and writes it to out as compact JSON. Returns "" when it is one,
// else what is wrong. reader must not be in use by a parse in progress.
std::string compact_json_object(std::string_view text, std::string& out, rapidjson::Reader& reader);

// The "card" object of an aliyun_card event (docs/events.md; docs/gateways.md, SendCardSms), fed
// key by key as the parser meets them. Reused between events.
class card_reader {
 public:
  // Which writer takes the events of an object value inside the card.
  enum class nested { none, params, json };

  void start(card_fields& card);
  void key(std::string_view key, first_error& errors);
  // A value directly inside the card; objects go through start_object instead.
  void value(json_kind k, std::string_view text, first_error& errors);
  // An object value for the current key: starts the writer that takes it, or reports the key's
  // type error (none: its events are skipped).
  nested start_object(params_writer& params, compact_json_writer& json, first_error& errors);
  // The custom_short_code_json object has ended.
  void end_json(first_error& errors);

 private:
  enum class card_key : std::uint8_t {
    unknown, fallback_type, fallback_template_code, fallback_params, custom_url, custom_short_code_json,
  };

  card_fields* card_ = nullptr;
  card_key key_ = card_key::unknown;
  std::uint32_t seen_ = 0;
  rapidjson::Reader inner_reader_;  // for custom_short_code_json given as a string
};

// What the card's keys mean together (a fallback names its template, "NONE" takes none); "" when
// they fit. Checked once the account is known to take a card at all.
std::string_view card_problem(const card_fields& card);

}  // namespace herald::model::detail
