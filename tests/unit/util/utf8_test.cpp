// utf8::is_valid against RFC 3629's edges, in and across the eight-byte ASCII steps.
#include <doctest/doctest.h>

#include <string>

#include "herald/util/utf8.hpp"

using herald::utf8::is_valid;

TEST_CASE("well-formed UTF-8 is accepted") {
  CHECK(is_valid(""));
  CHECK(is_valid("plain ascii, longer than eight bytes"));
  CHECK(is_valid("店铺 【订单】已发货"));
  CHECK(is_valid("\xC2\x80"));                  // U+0080, the first two-byte
  CHECK(is_valid("\xE0\xA0\x80"));              // U+0800, the first three-byte
  CHECK(is_valid("\xED\x9F\xBF"));              // U+D7FF, just below the surrogates
  CHECK(is_valid("\xEE\x80\x80"));              // U+E000, just above them
  CHECK(is_valid("\xF0\x90\x80\x80"));          // U+10000
  CHECK(is_valid("\xF4\x8F\xBF\xBF"));          // U+10FFFF, the last code point
  CHECK(is_valid("1234567\xE4\xB8\xAD" "abcdefgh"));  // a sequence across an eight-byte step
  CHECK(is_valid(std::string("nul\0inside", 10)));
}

TEST_CASE("ill-formed UTF-8 is refused wherever it is") {
  CHECK_FALSE(is_valid("\x80"));                // a lone continuation byte
  CHECK_FALSE(is_valid("\xC0\xAF"));            // overlong '/'
  CHECK_FALSE(is_valid("\xC1\xBF"));            // overlong
  CHECK_FALSE(is_valid("\xE0\x9F\xBF"));        // overlong three-byte
  CHECK_FALSE(is_valid("\xED\xA0\x80"));        // U+D800, a surrogate
  CHECK_FALSE(is_valid("\xF0\x8F\xBF\xBF"));    // overlong four-byte
  CHECK_FALSE(is_valid("\xF4\x90\x80\x80"));    // above U+10FFFF
  CHECK_FALSE(is_valid("\xF5\x80\x80\x80"));    // no such lead byte
  CHECK_FALSE(is_valid("\xFF"));
  CHECK_FALSE(is_valid("\xE4\xB8"));            // cut short at the end
  CHECK_FALSE(is_valid("\xE4\x41\xAD"));        // a continuation byte missing
  CHECK_FALSE(is_valid("eight ok\xE4\xB8 more ascii"));  // cut short, then ASCII
  CHECK_FALSE(is_valid("0123456789abcdef\xC3\x28"));     // after two ASCII steps
}
