#pragma once
// Helpers shared by the gateways' parse() functions (internal to src/gateway/).
#include <rapidjson/document.h>

#include <charconv>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/gateway/gateway.hpp"
#include "herald/util/json_parse.hpp"

namespace herald::gateway::detail {

// The same result for every item of a call (an HTTP failure, an unreadable answer, a call-level
// error).
inline std::vector<item_result> uniform_results(std::size_t n, outcome_class cls, std::string_view code,
                                                std::string_view message) {
  item_result r;
  r.cls = cls;
  r.code = code;
  r.message = message;
  return std::vector<item_result>(n, r);
}

// Parses a gateway's answer into doc; false (doc null) when it is not JSON or nests deeper than
// json::default_max_depth (an answer is a few levels deep; the parse never recurses on its bytes,
// util/json_parse.hpp). From a NUL-terminated copy, not from (data, size): RapidJSON copies
// strings sixteen bytes at a time (RAPIDJSON_SSE2, CMakeLists.txt) only from a string stream, and
// every call's answer holds a record per item. The DOM copies its strings, so the buffer is free
// again on return. A UTF-8 byte order mark is skipped. Bytes are not checked for UTF-8 here.
inline bool parse_answer(rapidjson::Document& doc, std::string_view body) {
  thread_local std::string text;
  text.assign(body);
  return !json::parse_dom_terminated(doc, text, {.validate_utf8 = false});
}

// "http_503": the code recorded when the HTTP status alone decided.
inline std::string http_status_code(int status) { return "http_" + std::to_string(status); }

inline char fold_ascii(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

// Whether text contains needle, ignoring ASCII case; needle must be lower-case. UTF-8 bytes (CJK
// keywords) compare as they are, and UTF-8 cannot match in the middle of a character.
inline bool contains_folded(std::string_view text, std::string_view needle) noexcept {
  if (needle.empty()) return true;
  if (needle.size() > text.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= text.size(); ++i) {
    std::size_t j = 0;
    while (j < needle.size() && fold_ascii(text[i + j]) == needle[j]) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

// One row of a gateway's message classification table: the first row whose keyword the message
// contains decides.
struct message_rule {
  std::string_view keyword;  // lower-case ASCII, or UTF-8
  outcome_class cls;
};

inline outcome_class classify_by_rules(std::string_view message, std::span<const message_rule> rules,
                                       outcome_class otherwise) noexcept {
  for (const auto& rule : rules)
    if (contains_folded(message, rule.keyword)) return rule.cls;
  return otherwise;
}

// A JSON member as text: strings as they are, integers in decimal. False when absent or another type.
inline bool member_text(const rapidjson::Value& object, const char* name, std::string& out) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return false;
  const auto& v = it->value;
  if (v.IsString()) {
    out.assign(v.GetString(), v.GetStringLength());
    return true;
  }
  char buf[24];
  std::to_chars_result r{};
  if (v.IsInt64()) {
    r = std::to_chars(buf, buf + sizeof buf, v.GetInt64());
  } else if (v.IsUint64()) {
    r = std::to_chars(buf, buf + sizeof buf, v.GetUint64());
  } else {
    return false;
  }
  out.assign(buf, r.ptr);
  return true;
}

// A string member, or "" when absent or not a string.
inline std::string_view member_string(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

}  // namespace herald::gateway::detail
