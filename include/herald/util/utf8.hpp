#pragma once
// UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
#include <string_view>

namespace herald::utf8 {

// True when every byte sequence of `text` is well-formed UTF-8. ASCII runs, what most of an
// event is, are checked eight bytes at a time.
bool is_valid(std::string_view text) noexcept;

}  // namespace herald::utf8
