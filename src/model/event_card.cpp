// The "card" object of an aliyun_card event (docs/events.md, "Card SMS"): the parts of
// SendCardSms (docs/gateways.md "Alibaba Cloud SMS") that differ per event. The card template
// itself is the event's template_code and its dyncParams the event's params.
#include <utility>

#include "event_decoding.hpp"

namespace herald::model::detail {
namespace {

constexpr std::size_t max_template_code_chars = 64;
constexpr std::size_t max_custom_url_chars = 512;
constexpr std::size_t max_short_code_json_chars = 4096;
constexpr std::string_view card_keys =
    R"("fallback_type", "fallback_template_code", "fallback_params", "custom_url" or "custom_short_code_json")";

}  // namespace

void card_reader::start(card_fields& card) {
  card_ = &card;
  key_ = card_key::unknown;
  seen_ = 0;
}

void card_reader::key(std::string_view key, first_error& errors) {
  static constexpr std::pair<std::string_view, card_key> keys[] = {
      {"fallback_type", card_key::fallback_type},
      {"fallback_template_code", card_key::fallback_template_code},
      {"fallback_params", card_key::fallback_params},
      {"custom_url", card_key::custom_url},
      {"custom_short_code_json", card_key::custom_short_code_json},
  };
  key_ = card_key::unknown;
  for (const auto& [name, k] : keys)
    if (name == key) key_ = k;
  // Unlike at the top level, an unknown key here is an error: nobody adds tracing fields inside a
  // card, and a misspelt fallback would silently change what an unrenderable card does.
  if (key_ == card_key::unknown)
    return errors.fail("card: unknown key " + quoted(key) + " (expected " + std::string(card_keys) + ")");
  auto bit = 1u << static_cast<unsigned>(key_);
  if (seen_ & bit) errors.fail("card." + std::string(key) + ": given more than once");
  seen_ |= bit;
}

void card_reader::value(json_kind k, std::string_view text, first_error& errors) {
  card_fields& c = *card_;
  if (k == json_kind::null) return;  // the same as leaving the key out
  switch (key_) {
    case card_key::unknown: return;  // reported at its key
    case card_key::fallback_type:
      if (k == json_kind::string && (text == "SMS" || text == "DIGITALSMS" || text == "NONE"))
        return (void)c.fallback_type.assign(text);
      return errors.fail(R"(card.fallback_type: must be "SMS", "DIGITALSMS" or "NONE" (got )" +
                         (k == json_kind::string ? quoted(text) : std::string(describe(k))) + ")");
    case card_key::fallback_template_code:
      return take_string(errors, "card.fallback_template_code", k, text, c.fallback_template_code,
                         max_template_code_chars);
    case card_key::fallback_params:
      return errors.fail("card.fallback_params: must be an object (got " + std::string(describe(k)) + ")");
    case card_key::custom_url:
      return take_string(errors, "card.custom_url", k, text, c.custom_url, max_custom_url_chars, true);
    case card_key::custom_short_code_json: {
      if (k != json_kind::string)
        return errors.fail("card.custom_short_code_json: must be an object or a string holding one (got " +
                           std::string(describe(k)) + ")");
      // Producers that build the JSON text themselves send it as a string: checked and made
      // compact the same way as the object form.
      std::string problem = compact_json_object(text, c.custom_short_code_json, inner_reader_);
      if (!problem.empty()) return errors.fail("card.custom_short_code_json: " + problem);
      return end_json(errors);
    }
  }
}

card_reader::nested card_reader::start_object(params_writer& params, compact_json_writer& json, first_error& errors) {
  switch (key_) {
    case card_key::fallback_params:
      params.start(card_->fallback_params_json, "card.fallback_params");
      return nested::params;
    case card_key::custom_short_code_json:
      json.reset(card_->custom_short_code_json);
      json.start(false);
      return nested::json;
    default:
      value(json_kind::object, {}, errors);
      return nested::none;
  }
}

void card_reader::end_json(first_error& errors) {
  std::size_t chars = count_chars(card_->custom_short_code_json);
  if (chars > max_short_code_json_chars)
    errors.fail("card.custom_short_code_json: too long (" + std::to_string(chars) + " chars of compact JSON, at most " +
                std::to_string(max_short_code_json_chars) + ")");
}

std::string_view card_problem(const card_fields& c) {
  if (c.fallback_type == "NONE") {
    if (!c.fallback_template_code.empty()) return R"(card.fallback_template_code: not used when fallback_type is "NONE")";
    if (!c.fallback_params_json.empty()) return R"(card.fallback_params: not used when fallback_type is "NONE")";
  } else if (c.fallback_template_code.empty()) {
    return R"(card.fallback_template_code: missing (required unless fallback_type is "NONE"))";
  }
  return {};
}

}  // namespace herald::model::detail
