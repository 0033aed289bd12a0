// application/x-www-form-urlencoded decoding for the gateway simulator (pure functions).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gwsim {

struct FormField {
  std::string name;
  std::string value;
};

// Fields in the order they appear in the body (duplicates kept; the caller decides).
using Form = std::vector<FormField>;

// Decodes one name or value: '+' is a space, %XX is a byte (hex digits of either case).
// Returns nullopt for a malformed escape ("%", "%4", "%G0").
std::optional<std::string> url_decode(std::string_view encoded);

// Splits "a=1&b=2" on '&' and the first '=' of each pair, then decodes both sides. Empty pairs
// ("a=1&&b=2") are skipped; a pair without '=' is a field with an empty value. On a malformed
// escape returns nullopt and, when `error` is given, stores a short description there.
std::optional<Form> parse_form(std::string_view body, std::string* error = nullptr);

// The decoded value of the first field called `name` in an encoded form, decoding nothing else:
// the per-account rate cap reads one field of every send call before (and without) the full
// parse, which for a 100-item call would decode ~40 KB twice. nullopt when there is no such
// field or its value's %-escapes are malformed (the full parse then refuses the call anyway).
std::optional<std::string> form_value(std::string_view encoded, std::string_view name);

// The value of the first field called `name`, or nullptr.
const std::string* find_field(const Form& form, std::string_view name);

// The first name that occurs more than once, or an empty view.
std::string_view first_duplicate_name(const Form& form);

// Strict UTF-8 check (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

// Percent-encodes everything except unreserved characters (RFC 3986); used by tests.
std::string url_encode(std::string_view raw);

}  // namespace gwsim
