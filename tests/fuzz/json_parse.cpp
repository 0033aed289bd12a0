// libFuzzer target: json::parse_dom, the DOM parse behind gateway answers, invalid events, retry
// envelopes, the config and the signing tool, both ways (bounded, validating; NUL-terminated, as
// gateway answers are read). Beyond "no crash": both agree on whether the text is JSON when it
// holds valid UTF-8, and a validated document's strings are valid UTF-8.
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "herald/util/json_parse.hpp"
#include "herald/util/utf8.hpp"

namespace {

// Iteratively: the document is at most default_max_depth deep, but the walk must not rely on it.
bool strings_are_utf8(const rapidjson::Value& root) {
  std::vector<const rapidjson::Value*> todo{&root};
  while (!todo.empty()) {
    const rapidjson::Value* v = todo.back();
    todo.pop_back();
    if (v->IsString() && !herald::utf8::is_valid({v->GetString(), v->GetStringLength()})) return false;
    if (v->IsArray())
      for (const auto& item : v->GetArray()) todo.push_back(&item);
    if (v->IsObject())
      for (const auto& m : v->GetObject()) {
        if (!herald::utf8::is_valid({m.name.GetString(), m.name.GetStringLength()})) return false;
        todo.push_back(&m.value);
      }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herald;
  const std::string text(reinterpret_cast<const char*>(data), size);
  rapidjson::Document checked;
  const auto e1 = json::parse_dom(checked, text);
  if (!e1 && !strings_are_utf8(checked)) fuzz::fail("a validated document holds a string that is not UTF-8");
  rapidjson::Document fast;
  const auto e2 = json::parse_dom_terminated(fast, text, {.validate_utf8 = false});
  if (e1.problem == json::parse_problem::syntax || e1.problem == json::parse_problem::too_deep)
    if (!e2 || e2.problem != e1.problem || e2.offset != e1.offset)
      fuzz::fail("the two parses disagree about a syntax error or the depth");
  if (!e1 && e2) fuzz::fail("the NUL-terminated parse refused what the bounded one took");
  (void)e1.message();
  (void)e2.message();
  return 0;
}
