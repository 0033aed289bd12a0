#include <doctest/doctest.h>

#include <string>

#include "herald/flow/retry_envelope.hpp"

using herald::flow::decode_retry_envelope;
using herald::flow::encode_retry_envelope;
using herald::flow::retry_envelope;

namespace {

retry_envelope keyless(bool is_null) {
  retry_envelope e;
  e.original_value = R"({"event_id":"evt-1"})";
  e.source = {"herald.events", 0, 7};
  e.not_before_ms = 1718098200000;
  e.first_consumed_at_ms = 1718098080000;
  e.is_key_null = is_null;
  return e;
}

}  // namespace

TEST_CASE("a null original key stays null through the envelope, an empty one stays empty") {
  for (bool is_null : {true, false}) {
    CAPTURE(is_null);
    auto text = encode_retry_envelope(keyless(is_null));
    REQUIRE_MESSAGE(text, text.message());
    CHECK((text->find(R"("key_null":true)") != std::string::npos) == is_null);
    auto back = decode_retry_envelope(*text);
    REQUIRE_MESSAGE(back, back.message());
    CHECK(back->is_key_null == is_null);
    CHECK(back->original_key.empty());
    CHECK(*back == keyless(is_null));
  }
}

TEST_CASE("an envelope without key_null (an older Herald's) reads as a key that was not null") {
  auto text = *encode_retry_envelope(keyless(false));
  REQUIRE(text.find("key_null") == std::string::npos);
  auto back = decode_retry_envelope(text);
  REQUIRE_MESSAGE(back, back.message());
  CHECK_FALSE(back->is_key_null);
}

TEST_CASE("key_null must be a boolean") {
  std::string text = *encode_retry_envelope(keyless(true));
  const auto at = text.find(R"("key_null":true)");
  REQUIRE(at != std::string::npos);
  text.replace(at, 15, R"("key_null":"yes")");
  auto back = decode_retry_envelope(text);
  REQUIRE_FALSE(back);
  CHECK(back.message() == "retry envelope: key_null: expected a boolean, got a string");
}

TEST_CASE("the envelope size bound covers a null key's extra field") {
  const auto text = *encode_retry_envelope(keyless(true));
  CHECK(text.size() <= herald::flow::retry_envelope_max_size(keyless(true).original_value.size(), 0));
}
