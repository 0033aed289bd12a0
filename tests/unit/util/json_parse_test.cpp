// json::parse_dom: no recursion on untrusted bytes, a depth limit, and reasons that name the real
// problem, row by row.
#include <doctest/doctest.h>

#include <string>

#include "herald/util/json_parse.hpp"

using herald::json::find_unpaired_surrogate_escape;
using herald::json::parse_dom;
using herald::json::parse_dom_terminated;
using herald::json::parse_options;
using herald::json::parse_problem;

namespace {

std::string error_of(std::string_view text, parse_options options = {}) {
  rapidjson::Document doc;
  auto e = parse_dom(doc, text, options);
  if (e) CHECK(doc.IsNull());
  return e.message();
}

std::string terminated_error_of(const std::string& text) {
  rapidjson::Document doc;
  return parse_dom_terminated(doc, text, {.validate_utf8 = false}).message();
}

std::string nested(std::size_t levels, char open = '[', char close = ']') {
  return std::string(levels, open) + std::string(levels, close);
}

}  // namespace

TEST_CASE("well-formed JSON parses into the document") {
  rapidjson::Document doc;
  REQUIRE_FALSE(parse_dom(doc, R"({"a": [1, "x", {"b": null}], "c": 1.5})"));
  REQUIRE(doc.IsObject());
  CHECK(doc["a"].Size() == 3);
  CHECK(doc["c"].GetDouble() == 1.5);

  const std::string text = R"({"Code":"OK","Message":"店铺 【订单】已发货, longer than sixteen bytes"})";
  REQUIRE_FALSE(parse_dom_terminated(doc, text, {.validate_utf8 = false}));
  CHECK(std::string(doc["Message"].GetString()) == "店铺 【订单】已发货, longer than sixteen bytes");
  REQUIRE_FALSE(parse_dom_terminated(doc, text));  // validating: the bounded stream
  CHECK(doc["Code"] == "OK");
}

TEST_CASE("a reused document holds only the last parse") {
  rapidjson::Document doc;
  REQUIRE_FALSE(parse_dom(doc, R"({"a": 1})"));
  CHECK(parse_dom(doc, "{"));
  CHECK(doc.IsNull());
  REQUIRE_FALSE(parse_dom(doc, "[2]"));
  CHECK(doc[0].GetInt() == 2);
}

TEST_CASE("nesting is bounded, and deep input does not overflow the stack") {
  rapidjson::Document doc;
  CHECK_FALSE(parse_dom(doc, nested(64)));
  CHECK(error_of(nested(65)) == "nested deeper than the limit of 64 levels: level 65 opens at offset 64");
  CHECK(error_of(R"({"t":[[[)", {.max_depth = 2}) == "nested deeper than the limit of 2 levels: level 3 opens at offset 6");
  // What crashed identify_invalid (the recursive parser overflowed the stack).
  const std::string abyss = R"({"t":)" + std::string(200000, '[');
  CHECK(error_of(abyss) == "nested deeper than the limit of 64 levels: level 65 opens at offset 68");
  CHECK(terminated_error_of(abyss) == "nested deeper than the limit of 64 levels: level 65 opens at offset 68");
  // Within a larger limit, a deep document is parsed and freed without recursion.
  const std::string deep = nested(100000);
  REQUIRE_FALSE(parse_dom(doc, deep, {.max_depth = 200000}));
  CHECK(doc.IsArray());
}

TEST_CASE("a NUL byte is named wherever it is") {
  CHECK(error_of(std::string("\0{}", 3)) == "not JSON: a NUL byte at offset 0");
  CHECK(error_of(std::string("{\"a\": \"x\0y\"}", 12)) == "not JSON: a NUL byte at offset 8");
  CHECK(error_of(std::string("{}\0{\"x\": 1}", 11)) == "not JSON: a NUL byte at offset 2");
  CHECK(error_of(std::string("{\"a\":\0}", 7)) == "not JSON: a NUL byte at offset 5");
  CHECK(terminated_error_of(std::string("{}\0x", 4)) == "not JSON: a NUL byte at offset 2");
}

TEST_CASE("raw control characters, bad escapes and out-of-range numbers are named") {
  CHECK(error_of("{\"a\": \"x\x01y\"}") ==
        "not JSON: raw control character U+0001 in a string at offset 8 (control characters must be escaped)");
  CHECK(error_of("{\"a\": \"x\ny\"}") ==
        "not JSON: raw control character U+000A in a string at offset 8 (control characters must be escaped)");
  CHECK(error_of(R"({"a": "\x"})") == "not JSON: invalid escape \\x in a string at offset 7");
  CHECK(error_of(R"({"n": 1e999})") == "not JSON: number 1e999 out of range at offset 6 (a number must fit a double)");
  CHECK(error_of(R"([-2e400, 1])") == "not JSON: number -2e400 out of range at offset 1 (a number must fit a double)");
  CHECK(error_of("") == "not JSON: The document is empty at offset 0");
  CHECK(error_of(R"({"a": 1,})") == "not JSON: Missing a name for object member at offset 8");
}

TEST_CASE("a byte order mark at the start is skipped; elsewhere it is named") {
  rapidjson::Document doc;
  REQUIRE_FALSE(parse_dom(doc, "\xEF\xBB\xBF{\"a\": 1}"));
  CHECK(doc["a"].GetInt() == 1);
  REQUIRE_FALSE(parse_dom_terminated(doc, std::string("\xEF\xBB\xBF[1]"), {.validate_utf8 = false}));
  CHECK(doc[0].GetInt() == 1);
  // Offsets count the skipped mark.
  CHECK(error_of("\xEF\xBB\xBF{\"a\": x}") == "not JSON: Invalid value at offset 9");
  CHECK(error_of("\xEF\xBB\xBF\xEF\xBB\xBF{}") == "not JSON: a byte order mark (EF BB BF) inside the text at offset 3");
  // Only a whole mark is one (RapidJSON's own stream skipped any of its bytes).
  CHECK(error_of("\xBB{}").starts_with("not JSON: "));
}

TEST_CASE("invalid UTF-8 and unpaired surrogate escapes are refused when validating") {
  CHECK(error_of("{\"a\": \"\xff\"}") == "not valid UTF-8: a string holds an invalid UTF-8 sequence at offset 7");
  CHECK(error_of(R"({"a": "x\udc00"})") ==
        "not valid UTF-8: unpaired UTF-16 surrogate escape \\udc00 in a string at offset 8 (a high surrogate escape "
        "must be followed by a low one)");
  CHECK(error_of(R"({"a": "\uD800x"})").starts_with("not valid UTF-8: unpaired UTF-16 surrogate escape \\uD800 "));
  rapidjson::Document doc;
  REQUIRE_FALSE(parse_dom(doc, R"({"a": "\ud83d\ude00"})"));  // a pair: U+1F600
  CHECK(std::string(doc["a"].GetString()) == "\xF0\x9F\x98\x80");
  // Not validating takes the bytes as they are.
  CHECK_FALSE(parse_dom(doc, "{\"a\": \"\xff\"}", {.validate_utf8 = false}));
}

TEST_CASE("unpaired surrogate escapes are found row by row") {
  constexpr auto npos = std::string_view::npos;
  CHECK(find_unpaired_surrogate_escape(R"("plain")") == npos);
  CHECK(find_unpaired_surrogate_escape(R"("\udc00")") == 1);
  CHECK(find_unpaired_surrogate_escape(R"("\uDFFF")") == 1);
  CHECK(find_unpaired_surrogate_escape(R"("\ud800")") == 1);
  CHECK(find_unpaired_surrogate_escape(R"("\ud800\u0041")") == 1);
  CHECK(find_unpaired_surrogate_escape(R"("\ud83d\ude00")") == npos);
  CHECK(find_unpaired_surrogate_escape(R"("\ud83d\ude00\udc00")") == 13);
  CHECK(find_unpaired_surrogate_escape(R"("\\udc00")") == npos);  // an escaped backslash, then text
  CHECK(find_unpaired_surrogate_escape(R"("\\\udc00")") == 3);
  CHECK(find_unpaired_surrogate_escape(R"("\u00e9\ud7ff\ue000")") == npos);
  CHECK(find_unpaired_surrogate_escape(R"("\udc0)") == npos);  // cut short: the parser's error
}
