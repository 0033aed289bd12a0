#pragma once
// Building a RapidJSON DOM from untrusted bytes (gateway answers, invalid events, retry envelopes,
// the config, the signing tool's stdin), and reasons for parse errors that name the real problem.
//
// RapidJSON's default parser recurses once per nesting level: `[` repeated 200,000 times
// overflows the thread's stack. parse_dom parses iteratively (the parser's stack is on the heap)
// and refuses a document nested deeper than max_depth, so that nothing that walks the DOM later
// can recurse without bound either. Destroying a DOM never recurses: rapidjson::Document's
// MemoryPoolAllocator frees its chunks whole (kNeedFree is false, checked in json_parse.cpp).
#include <rapidjson/document.h>
#include <rapidjson/error/error.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace herald::json {

inline constexpr std::size_t default_max_depth = 64;

enum class parse_problem : std::uint8_t {
  none,
  syntax,    // not JSON
  encoding,  // not valid UTF-8, or a string escape that is not a Unicode character
  too_deep,  // nested deeper than the limit
};

struct parse_error {
  parse_problem problem = parse_problem::none;
  std::size_t offset = 0;  // in the text given (a skipped byte order mark counts)
  std::string what;        // "a NUL byte", "number 1e999 out of range", ...
  std::string hint;        // after the position: " (control characters must be escaped)", or ""

  explicit operator bool() const noexcept { return problem != parse_problem::none; }
  // "not JSON: <what> at <where><hint>"; "not valid UTF-8: ..."; "too deep: ...". where is
  // "offset N" unless given ("line 3, column 7").
  std::string message() const;
  std::string message(std::string_view where) const;
};

struct parse_options {
  std::size_t max_depth = default_max_depth;
  // RapidJSON's per-character UTF-8 check, and no \u escape of an unpaired surrogate (which
  // RapidJSON would decode into bytes that are not UTF-8). Off: bytes are taken as they are.
  bool validate_utf8 = true;
};

// Parses text into doc (replacing what it held). A UTF-8 byte order mark at the start is skipped
// (RFC 8259 allows ignoring it). On error doc is null and the error says why.
parse_error parse_dom(rapidjson::Document& doc, std::string_view text, const parse_options& options = {});

// The same from text that is followed by a NUL byte (text.data()[text.size()] == '\0', as in a
// std::string): RapidJSON copies unescaped string runs sixteen bytes at a time (RAPIDJSON_SSE2,
// CMakeLists.txt) only from such a stream, and only without validate_utf8. For a gateway's
// answer, which holds a record per item of a call.
parse_error parse_dom_terminated(rapidjson::Document& doc, std::string_view text, const parse_options& options = {});

// What RapidJSON's error (code at offset, in text) really was: a NUL byte before the error, a raw
// control character in a string, an out-of-range number, an unpaired surrogate escape, or else
// RapidJSON's own words. For SAX parsers (the event decoder) that keep their own handler.
parse_error describe_parse_error(std::string_view text, rapidjson::ParseErrorCode code, std::size_t offset);

// The offset of the first \u escape of an unpaired UTF-16 surrogate (a \uDC00-\uDFFF not after a
// \uD800-\uDBFF escape, or a high one not followed by a low one) in JSON text, or npos.
std::size_t find_unpaired_surrogate_escape(std::string_view text) noexcept;

// The encoding error for such an escape at offset.
parse_error unpaired_surrogate_error(std::string_view text, std::size_t offset);

// Whether text starts with a UTF-8 byte order mark (EF BB BF).
constexpr bool has_bom(std::string_view text) noexcept { return text.starts_with("\xEF\xBB\xBF"); }

}  // namespace herald::json
