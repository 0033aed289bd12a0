#include "herald/model/invalid_event.hpp"

#include <rapidjson/document.h>

#include "herald/util/json_parse.hpp"
#include "herald/util/utf8.hpp"

namespace herald::model {

void identify_invalid_event(std::string_view bytes, event& e) {
  rapidjson::Document d;
  // Not validating: a field of valid UTF-8 is still worth having when another one is not.
  if (json::parse_dom(d, bytes, {.validate_utf8 = false}) || !d.IsObject()) return;
  auto text = [&](const char* name, std::string& out) {
    auto m = d.FindMember(name);
    if (m == d.MemberEnd() || !m->value.IsString() || m->value.GetStringLength() > 128) return;
    const std::string_view value(m->value.GetString(), m->value.GetStringLength());
    if (utf8::is_valid(value)) out.assign(value);
  };
  text("event_id", e.event_id);
  text("order_id", e.order_id);
  text("account", e.account);
}

}  // namespace herald::model
