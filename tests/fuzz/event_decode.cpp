// libFuzzer target: decoding a consumed event (model::decode_event_into) with one account of every
// gateway kind, and on failure what the invalid path reads of it (identify_invalid_event). Beyond
// "no crash": a decoded event's text is valid UTF-8 (it goes into outcome records and requests),
// and so is whatever an invalid event's identity copied.
#include "fuzz/fuzz_support.hpp"
#include "herald/model/event.hpp"
#include "herald/model/invalid_event.hpp"
#include "herald/util/utf8.hpp"
#include "unit/model/event_test_support.hpp"

namespace {

void check_text(const herald::model::event& e) {
  using herald::utf8::is_valid;
  for (const std::string* s : {&e.event_id, &e.account, &e.order_id, &e.to.value, &e.sign_name, &e.template_code,
                               &e.params_json, &e.extend, &e.extend_code, &e.extend_name})
    if (!is_valid(*s)) herald::fuzz::fail("an event field is not valid UTF-8");
  if (e.card && (!is_valid(e.card->custom_short_code_json) || !is_valid(e.card->fallback_params_json)))
    herald::fuzz::fail("a card field is not valid UTF-8");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herald;
  static const config::herald_config cfg = model::test::accounts_of_every_kind();
  static model::event e;  // reused, as the worker reuses its items
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (model::decode_event_into(bytes, cfg, e)) {
    check_text(e);
    return 0;
  }
  model::clear(e);
  model::identify_invalid_event(bytes, e);
  check_text(e);
  return 0;
}
