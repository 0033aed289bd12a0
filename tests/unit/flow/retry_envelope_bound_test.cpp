// The bound of a retry envelope's size (retry_envelope_max_size) against the real encoder, and the
// start-up check that the largest allowed event can always wait on the retry topic.
#include <doctest/doctest.h>

#include <limits>
#include <random>
#include <string>

#include "herald/flow/retry_envelope.hpp"

using namespace herald::flow;

namespace {

// The worst case the encoder can be given: value and key of the given sizes, every text field at
// its limit and made of bytes JSON must escape as \u00XX, the largest numbers, the longest names.
retry_envelope worst_case(std::size_t value_bytes, std::size_t key_bytes) {
  retry_envelope e;
  e.original_value.assign(value_bytes, '\xff');
  e.original_key.assign(key_bytes, '\0');
  e.is_key_null = key_bytes == 0;  // a null key is the larger empty one ("key_null":true)
  e.source.topic.assign(max_envelope_topic_bytes, '\x1f');
  e.message_id.assign(max_envelope_id_bytes, '\x02');
  e.out_id.assign(max_envelope_id_bytes, '\x7');
  e.source.partition = std::numeric_limits<std::int32_t>::max();
  e.source.offset = std::numeric_limits<std::int64_t>::max();
  e.attempts = std::numeric_limits<std::uint32_t>::max();
  e.receipt_checks = std::numeric_limits<std::uint32_t>::max();
  e.not_before_ms = std::numeric_limits<std::int64_t>::max();
  e.first_consumed_at_ms = std::numeric_limits<std::int64_t>::max();
  e.sent_at_ms = std::numeric_limits<std::int64_t>::max();
  e.reason = retry_reason::throttled_backoff;  // the longest reason name
  e.stage = retry_stage::receipt_check;        // the longest stage name
  return e;
}

std::size_t encoded_size(const retry_envelope& e) {
  auto text = encode_retry_envelope(e);
  REQUIRE_MESSAGE(text, text.message());
  return text->size();
}

}  // namespace

TEST_CASE("the bound is exact for the worst case of a 64 KiB event, however value and key split it") {
  const std::size_t limit = 64 * 1024;
  for (std::size_t key : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{128}, limit / 2,
                          limit - 1, limit}) {
    CAPTURE(key);
    const retry_envelope e = worst_case(limit - key, key);
    CHECK(encoded_size(e) == retry_envelope_max_size(limit - key, key));
  }
}

TEST_CASE("no envelope is larger than the bound") {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    retry_envelope e;
    const std::size_t value_bytes = rng() % 5000;
    const std::size_t key_bytes = rng() % 300;
    for (std::size_t i = 0; i < value_bytes; ++i) e.original_value.push_back(static_cast<char>(rng()));
    for (std::size_t i = 0; i < key_bytes; ++i) e.original_key.push_back(static_cast<char>(rng()));
    e.source = {"herald.events", static_cast<std::int32_t>(rng() % 1000), static_cast<std::int64_t>(rng())};
    const std::size_t id_bytes = rng() % (max_envelope_id_bytes + 1);
    e.message_id.assign(id_bytes, static_cast<char>(rng() % 0x80));  // ASCII, escaped or not
    e.out_id = "evt-" + std::to_string(rng());
    e.attempts = rng() % 10;
    e.not_before_ms = 1718098200000 + static_cast<std::int64_t>(rng() % 100000);
    e.first_consumed_at_ms = 1718098000000;
    if (rng() % 2) e.sent_at_ms = 1718098100000;
    e.reason = static_cast<retry_reason>(rng() % 5);
    e.stage = static_cast<retry_stage>(rng() % 3);
    CAPTURE(round);
    CHECK(encoded_size(e) <= retry_envelope_max_size(value_bytes, key_bytes));
  }
}

TEST_CASE("ids and topics beyond the bound's limits are refused, so the bound holds for whatever encodes") {
  retry_envelope e = worst_case(10, 10);
  e.message_id.assign(max_envelope_id_bytes + 1, 'a');
  CHECK(encode_retry_envelope(e).message() == "retry envelope: message_id: longer than 512 bytes");
  e = worst_case(10, 10);
  e.out_id.assign(max_envelope_id_bytes + 1, 'a');
  CHECK(encode_retry_envelope(e).message() == "retry envelope: out_id: longer than 512 bytes");
  e = worst_case(10, 10);
  e.source.topic.assign(max_envelope_topic_bytes + 1, 't');
  CHECK(encode_retry_envelope(e).message() == "retry envelope: source.topic: longer than 249 bytes");
}

TEST_CASE("an account_busy envelope round-trips, and its reason is a name of its own") {
  retry_envelope e = worst_case(3, 3);
  e.reason = retry_reason::account_busy;
  e.stage = retry_stage::send;
  auto text = encode_retry_envelope(e);
  REQUIRE(text);
  CHECK(text->find(R"("reason":"account_busy")") != std::string::npos);
  auto back = decode_retry_envelope(*text);
  REQUIRE_MESSAGE(back, back.message());
  CHECK(*back == e);
  CHECK(parse_retry_reason("account_busy") == retry_reason::account_busy);
}

TEST_CASE("a record's bound counts the key twice (base64 in the value, raw as the key), the trace headers and the framing") {
  const std::size_t n = 65536;
  // Any split of n bytes between value and key stays within it, the all-key split reaches it.
  for (std::size_t key = 0; key <= n; key += 4099)
    CHECK(retry_envelope_max_size(n - key, key) + key + retry_record_trace_headers_bytes < retry_record_max_size(n));
  CHECK(retry_record_max_size(n) >= retry_envelope_max_size(0, n) + n + retry_record_trace_headers_bytes);
  CHECK(retry_record_max_size(n) <= retry_envelope_max_size(0, n) + n + retry_record_trace_headers_bytes + 64);
  CHECK(retry_record_max_size(n + 1) >= retry_record_max_size(n));
}

TEST_CASE("the default limits fit librdkafka's default message.max.bytes") {
  CHECK(check_retry_record_fits(64 * 1024, {}));
  CHECK(check_retry_record_fits(64 * 1024, {{"message.max.bytes", "200000"}}));
}

TEST_CASE("a max_event_bytes whose retry records would not fit is refused, naming both numbers") {
  const std::size_t needed = retry_record_max_size(65536);
  auto fits = check_retry_record_fits(65536, {{"message.max.bytes", "100000"}});
  REQUIRE_FALSE(fits);
  CHECK(fits.message() == "kafka.max_event_bytes: an event of 65536 bytes can make a retry record of up to " +
                              std::to_string(needed) +
                              " bytes, more than the producer's message.max.bytes (100000): lower "
                              "kafka.max_event_bytes or raise message.max.bytes in kafka.producer_properties (and "
                              "the topics' max.message.bytes)");
  // Without the property, librdkafka's default applies.
  auto by_default = check_retry_record_fits(1000000, {});
  REQUIRE_FALSE(by_default);
  CHECK(by_default.message().find("more than librdkafka's default message.max.bytes (1000000)") != std::string::npos);
  // Exactly at the limit is fine, one byte less is not.
  CHECK(check_retry_record_fits(65536, {{"message.max.bytes", std::to_string(needed)}}));
  CHECK_FALSE(check_retry_record_fits(65536, {{"message.max.bytes", std::to_string(needed - 1)}}));
}

TEST_CASE("a message.max.bytes that is not a whole number is refused") {
  for (const char* bad : {"", "1e6", "100k", "-5", " 1000000"}) {
    CAPTURE(bad);
    auto fits = check_retry_record_fits(65536, {{"message.max.bytes", bad}});
    REQUIRE_FALSE(fits);
    CHECK(fits.message() == std::string("kafka.producer_properties.message.max.bytes: must be a whole number of bytes (got \"") +
                                bad + "\")");
  }
}
