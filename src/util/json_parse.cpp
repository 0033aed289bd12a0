#include "herald/util/json_parse.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stream.h>

#include <cstdio>
#include <cstring>

namespace herald::json {

// A deeply nested DOM must not be freed level by level (recursively) either: with this
// allocator no value frees anything, the pool's chunks go at once.
static_assert(!rapidjson::Document::AllocatorType::kNeedFree);

namespace {

constexpr std::size_t bom_size = 3;

// Forwards the parser's events to the document and stops it past max_depth.
class depth_limited_handler {
 public:
  depth_limited_handler(rapidjson::Document& doc, std::size_t max_depth) : doc_(doc), max_depth_(max_depth) {}

  bool is_too_deep() const { return is_too_deep_; }

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned i) { return doc_.Uint(i); }
  bool Int64(std::int64_t i) { return doc_.Int64(i); }
  bool Uint64(std::uint64_t i) { return doc_.Uint64(i); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return doc_.RawNumber(s, n, copy); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool StartObject() { return enter() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return doc_.EndObject(n);
  }
  bool StartArray() { return enter() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return doc_.EndArray(n);
  }

 private:
  bool enter() {
    if (++depth_ <= max_depth_) return true;
    is_too_deep_ = true;
    return false;
  }

  rapidjson::Document& doc_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
  bool is_too_deep_ = false;
};

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The four hex digits at text[at], if there are four.
bool hex4(std::string_view text, std::size_t at, unsigned& out) {
  if (at + 4 > text.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + 4; ++i) {
    const char c = text[i];
    if (!is_hex(c)) return false;
    out = out * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return true;
}

std::string hex_byte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02X", c);
  return buf;
}

// Parses text (after any byte order mark) from stream type Stream, which starts at text + skip.
template <unsigned flags, class Stream>
parse_error parse_with(rapidjson::Document& doc, std::string_view text, std::size_t skip, Stream& stream,
                       const parse_options& options) {
  doc.SetNull();
  rapidjson::ParseResult parsed;
  bool is_too_deep = false;
  auto generate = [&](rapidjson::Document& d) {
    rapidjson::Reader reader;
    depth_limited_handler handler(d, options.max_depth);
    parsed = reader.Parse<flags | rapidjson::kParseIterativeFlag>(stream, handler);
    is_too_deep = handler.is_too_deep();
    return !parsed.IsError();
  };
  doc.Populate(generate);
  const std::size_t end = skip + stream.Tell();
  if (is_too_deep) {
    doc.SetNull();
    // The parser stops at the bracket that opened one level too many.
    parse_error e;
    e.problem = parse_problem::too_deep;
    e.offset = end;
    e.what = "nested deeper than the limit of " + std::to_string(options.max_depth) + " levels: level " +
             std::to_string(options.max_depth + 1) + " opens";
    return e;
  }
  if (parsed.IsError()) {
    doc.SetNull();
    return describe_parse_error(text, parsed.Code(), skip + parsed.Offset());
  }
  // The parser takes a NUL byte for the end of the text: never ignore what follows one.
  if (end < text.size()) {
    doc.SetNull();
    return describe_parse_error(text, rapidjson::kParseErrorDocumentRootNotSingular, end);
  }
  if (options.validate_utf8) {
    if (std::size_t at = find_unpaired_surrogate_escape(text); at != std::string_view::npos) {
      doc.SetNull();
      return unpaired_surrogate_error(text, at);
    }
  }
  return {};
}

}  // namespace

std::string parse_error::message() const { return message("offset " + std::to_string(offset)); }

std::string parse_error::message(std::string_view where) const {
  std::string out;
  switch (problem) {
    case parse_problem::none: return {};
    case parse_problem::syntax: out = "not JSON: "; break;
    case parse_problem::encoding: out = "not valid UTF-8: "; break;
    case parse_problem::too_deep: break;
  }
  out += what;
  out += " at ";
  out += where;
  out += hint;
  return out;
}

parse_error parse_dom(rapidjson::Document& doc, std::string_view text, const parse_options& options) {
  const std::size_t skip = has_bom(text) ? bom_size : 0;
  rapidjson::MemoryStream stream(text.data() + skip, text.size() - skip);
  if (options.validate_utf8)
    return parse_with<rapidjson::kParseValidateEncodingFlag>(doc, text, skip, stream, options);
  return parse_with<rapidjson::kParseNoFlags>(doc, text, skip, stream, options);
}

parse_error parse_dom_terminated(rapidjson::Document& doc, std::string_view text, const parse_options& options) {
  // Validating reads every byte of a multi-byte sequence without looking for the end first, so a
  // sequence cut short by the terminating NUL would read past it: bounded reading for that.
  if (options.validate_utf8) return parse_dom(doc, text, options);
  const std::size_t skip = has_bom(text) ? bom_size : 0;
  rapidjson::StringStream stream(text.data() + skip);
  return parse_with<rapidjson::kParseNoFlags>(doc, text, skip, stream, options);
}

parse_error describe_parse_error(std::string_view text, rapidjson::ParseErrorCode code, std::size_t offset) {
  parse_error e;
  e.problem = parse_problem::syntax;
  e.offset = offset;
  // The parser stops at a NUL byte as if the text ended there, so one at or before the error is
  // what went wrong ("The document is empty" for a leading one, a missing quotation mark for one
  // in a string).
  const std::size_t scanned = offset < text.size() ? offset + 1 : text.size();
  if (const void* nul = std::memchr(text.data(), 0, scanned)) {
    e.offset = static_cast<std::size_t>(static_cast<const char*>(nul) - text.data());
    e.what = "a NUL byte";
    return e;
  }
  const unsigned char at = offset < text.size() ? static_cast<unsigned char>(text[offset]) : 0;
  switch (code) {
    case rapidjson::kParseErrorStringEscapeInvalid:
      if (at < 0x20 && offset < text.size()) {
        e.what = "raw control character U+00" + hex_byte(at) + " in a string";
        e.hint = " (control characters must be escaped)";
        return e;
      }
      if (at == '\\' && offset + 1 < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[offset + 1]);
        e.what = c > 0x20 && c < 0x7F ? "invalid escape \\" + std::string(1, static_cast<char>(c)) + " in a string"
                                      : "invalid escape (a backslash before byte 0x" + hex_byte(c) + ") in a string";
        return e;
      }
      break;
    case rapidjson::kParseErrorNumberTooBig: {
      std::size_t end = offset;
      while (end < text.size() && end - offset < 40 && std::strchr("+-.eE0123456789", text[end]) && text[end] != '\0')
        ++end;
      e.what = "number " + std::string(text.substr(offset, end - offset)) + (end - offset == 40 ? "..." : "") +
               " out of range";
      e.hint = " (a number must fit a double)";
      return e;
    }
    case rapidjson::kParseErrorStringUnicodeSurrogateInvalid: return unpaired_surrogate_error(text, offset);
    case rapidjson::kParseErrorStringInvalidEncoding:
      e.problem = parse_problem::encoding;
      e.what = "a string holds an invalid UTF-8 sequence";
      return e;
    case rapidjson::kParseErrorValueInvalid:
      if (offset < text.size() && has_bom(text.substr(offset))) {
        e.what = "a byte order mark (EF BB BF) inside the text";
        return e;
      }
      break;
    default: break;
  }
  e.what = rapidjson::GetParseError_En(code);
  if (e.what.ends_with('.')) e.what.pop_back();
  return e;
}

std::size_t find_unpaired_surrogate_escape(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    const void* found = std::memchr(text.data() + i, '\\', text.size() - i);
    if (found == nullptr) return std::string_view::npos;
    const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(found) - text.data());
    if (at + 1 >= text.size()) return std::string_view::npos;
    if (text[at + 1] != 'u') {
      i = at + 2;  // a two-character escape, \\ included
      continue;
    }
    unsigned cp = 0;
    if (!hex4(text, at + 2, cp)) {
      i = at + 2;
      continue;
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF) return at;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      unsigned low = 0;
      if (at + 7 < text.size() && text[at + 6] == '\\' && text[at + 7] == 'u' && hex4(text, at + 8, low) &&
          low >= 0xDC00 && low <= 0xDFFF) {
        i = at + 12;
        continue;
      }
      return at;
    }
    i = at + 6;
  }
  return std::string_view::npos;
}

parse_error unpaired_surrogate_error(std::string_view text, std::size_t offset) {
  parse_error e;
  e.problem = parse_problem::encoding;
  e.offset = offset;
  std::string escape(text.substr(offset, 6));
  for (char& c : escape)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
  e.what = "unpaired UTF-16 surrogate escape " + escape + " in a string";
  e.hint = " (a high surrogate escape must be followed by a low one)";
  return e;
}

}  // namespace herald::json
