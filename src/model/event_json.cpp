// Free-form JSON in an event (card.custom_short_code_json) kept as compact text.
#include "event_decoding.hpp"

#include <rapidjson/memorystream.h>

#include "herald/util/json_parse.hpp"
#include "herald/util/json_text.hpp"

namespace herald::model::detail {

void compact_json_writer::reset(std::string& out) {
  out_ = &out;
  out_->clear();
  depth_ = 0;
  has_items_ = 0;
  is_array_ = 0;
}

void compact_json_writer::before_value() {
  // Inside an object the key has written the comma already.
  if (depth_ == 0 || (is_array_ & bit()) == 0) return;
  if (has_items_ & bit()) out_->push_back(',');
  has_items_ |= bit();
}

void compact_json_writer::key(std::string_view k) {
  if (has_items_ & bit()) out_->push_back(',');
  has_items_ |= bit();
  json::append_string(*out_, k);
  out_->push_back(':');
}

void compact_json_writer::string(std::string_view s) {
  before_value();
  json::append_string(*out_, s);
}

void compact_json_writer::literal(std::string_view text) {
  before_value();
  out_->append(text);
}

void compact_json_writer::start(bool is_array) {
  before_value();
  out_->push_back(is_array ? '[' : '{');
  ++depth_;
  has_items_ &= ~bit();
  if (is_array)
    is_array_ |= bit();
  else
    is_array_ &= ~bit();
}

void compact_json_writer::end() {
  out_->push_back((is_array_ & bit()) ? ']' : '}');
  --depth_;
}

namespace {

// Feeds a compact_json_writer, refusing anything but an object at the top and deep nesting.
class object_handler {
 public:
  explicit object_handler(compact_json_writer& w) : w_(w) {}

  bool is_not_object() const { return is_not_object_; }
  bool is_too_deep() const { return is_too_deep_; }

  bool Null() { return literal("null"); }
  bool Bool(bool b) { return literal(b ? "true" : "false"); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return literal({s, n}); }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (!is_inside()) return false;
    w_.string({s, n});
    return true;
  }
  // Never called with kParseNumbersAsStringsFlag; here for the handler concept.
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(std::int64_t) { return false; }
  bool Uint64(std::uint64_t) { return false; }
  bool Double(double) { return false; }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    w_.key({s, n});
    return true;
  }
  bool StartObject() { return start(false); }
  bool StartArray() { return start(true); }
  bool EndObject(rapidjson::SizeType) {
    w_.end();
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    w_.end();
    return true;
  }

 private:
  bool is_inside() {
    if (w_.depth() == 0) is_not_object_ = true;
    return !is_not_object_;
  }
  bool literal(std::string_view text) {
    if (!is_inside()) return false;
    w_.literal(text);
    return true;
  }
  bool start(bool is_array) {
    if (w_.depth() == 0 && is_array) {
      is_not_object_ = true;
      return false;
    }
    if (w_.depth() >= compact_json_writer::max_depth) {
      is_too_deep_ = true;
      return false;
    }
    w_.start(is_array);
    return true;
  }

  compact_json_writer& w_;
  bool is_not_object_ = false;
  bool is_too_deep_ = false;
};

}  // namespace

std::string compact_json_object(std::string_view text, std::string& out, rapidjson::Reader& reader) {
  constexpr unsigned flags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag;
  compact_json_writer writer;
  writer.reset(out);
  object_handler handler(writer);
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::ParseResult parsed = reader.Parse<flags>(stream, handler);
  std::string problem;
  if (handler.is_not_object()) {
    problem = "the string must hold a JSON object";
  } else if (handler.is_too_deep()) {
    problem = "the string's JSON nests deeper than " + std::to_string(compact_json_writer::max_depth) + " levels";
  } else if (parsed.IsError()) {
    problem = "the string is " + json::describe_parse_error(text, parsed.Code(), parsed.Offset()).message();
  } else if (stream.Tell() < text.size()) {
    // The parser takes a NUL (written \u0000 in the event) for the end of the text.
    problem = "the string is " +
              json::describe_parse_error(text, rapidjson::kParseErrorDocumentRootNotSingular, stream.Tell()).message();
  } else if (std::size_t at = json::find_unpaired_surrogate_escape(text); at != std::string_view::npos) {
    // Decoded, it would be bytes that are not UTF-8 in the text sent on.
    problem = "the string is " + json::unpaired_surrogate_error(text, at).message();
  }
  if (!problem.empty()) out.clear();
  return problem;
}

}  // namespace herald::model::detail
