#include <doctest/doctest.h>

#include <string>

#include "herald/flow/retry_envelope.hpp"

using herald::flow::decode_retry_envelope;
using herald::flow::encode_retry_envelope;
using herald::flow::retry_envelope;
using herald::flow::retry_reason;
using herald::flow::retry_stage;

namespace {

retry_envelope sample() {
  retry_envelope e;
  e.original_value = R"({"event_id":"evt-1"})";
  e.original_key = "evt-1";
  e.source = {"herald.events", 3, 1042};
  e.attempts = 1;
  e.not_before_ms = 1718098200000;
  e.reason = retry_reason::receipt_check;
  e.stage = retry_stage::receipt_check;
  e.sent_at_ms = 1718098081000;
  e.out_id = "evt-1";
  e.first_consumed_at_ms = 1718098080000;
  return e;
}

retry_envelope round_trip(const retry_envelope& e) {
  auto text = encode_retry_envelope(e);
  REQUIRE_MESSAGE(text, text.message());
  auto back = decode_retry_envelope(*text);
  REQUIRE_MESSAGE(back, back.message());
  return *back;
}

// The sample's JSON with `from` replaced by `to`.
std::string sample_with(std::string_view from, std::string_view to) {
  std::string text = *encode_retry_envelope(sample());
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  text.replace(at, from.size(), to);
  return text;
}

// The decoder's message for the sample with `from` replaced by `to`.
std::string error_after_replacing(std::string_view from, std::string_view to) {
  auto decoded = decode_retry_envelope(sample_with(from, to));
  REQUIRE_FALSE(decoded);
  return decoded.message();
}

}  // namespace

TEST_CASE("an envelope is compact JSON with its fields in the documented order") {
  auto text = encode_retry_envelope(sample());
  REQUIRE(text);
  CHECK(*text ==
        R"({"v":1,"reason":"receipt_check","stage":"receipt_check","not_before_ms":1718098200000,)"
        R"("attempts":1,"receipt_checks":0,"first_consumed_at_ms":1718098080000,)"
        R"("source":{"topic":"herald.events","partition":3,"offset":1042},)"
        R"("sent_at_ms":1718098081000,"message_id":"","out_id":"evt-1","key_b64":"ZXZ0LTE=",)"
        R"("value_b64":"eyJldmVudF9pZCI6ImV2dC0xIn0="})");
}

TEST_CASE("every field survives a round trip") {
  retry_envelope e = sample();
  e.message_id = "900619746936498440^0";
  e.attempts = 4'000'000'000u;
  e.receipt_checks = 7;
  CHECK(round_trip(e) == e);
}

TEST_CASE("an envelope without receipt_checks (an older writer) reads as none made") {
  auto text = encode_retry_envelope(sample());
  REQUIRE(text);
  std::string older = *text;
  older.erase(older.find(R"("receipt_checks":0,)"), std::string_view(R"("receipt_checks":0,)").size());
  auto decoded = decode_retry_envelope(older);
  REQUIRE(decoded);
  CHECK(decoded.value().receipt_checks == 0);
  CHECK(decoded.value() == sample());
}

TEST_CASE("every reason and stage survives a round trip") {
  for (auto reason : {retry_reason::throttled_backoff, retry_reason::receipt_check, retry_reason::marketing_window,
                      retry_reason::not_sent_backoff})
    for (auto stage : {retry_stage::send, retry_stage::resend, retry_stage::receipt_check}) {
      retry_envelope e = sample();
      e.reason = reason;
      e.stage = stage;
      CHECK(round_trip(e) == e);
    }
}

TEST_CASE("a binary value and key with every byte value come back byte for byte") {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  retry_envelope e = sample();
  e.original_value = all_bytes + all_bytes;
  e.original_key = std::string("\0\xff\xfe key", 7);
  const auto back = round_trip(e);
  CHECK(back.original_value == e.original_value);
  CHECK(back.original_key == e.original_key);
}

TEST_CASE("values of every length modulo 3 come back exactly (base64 padding)") {
  for (std::size_t n = 0; n < 10; ++n) {
    retry_envelope e = sample();
    e.original_value = std::string(n, '\x80');
    e.original_key = std::string(n, 'k');
    CHECK(round_trip(e) == e);
  }
}

TEST_CASE("non-ASCII text in the event and in the ids comes back exactly") {
  retry_envelope e = sample();
  e.original_value = R"({"event_id":"订单-1","params":{"name":"张三","emoji":"📦"}})";
  e.original_key = "订单-1";
  e.message_id = "发送回执-ü-📦";
  e.out_id = "订单-1";
  e.source.topic = "herald.events";
  const auto back = round_trip(e);
  CHECK(back == e);
  CHECK(back.original_value == R"({"event_id":"订单-1","params":{"name":"张三","emoji":"📦"}})");
}

TEST_CASE("ids with quotes, backslashes, control characters and NUL are escaped and come back") {
  retry_envelope e = sample();
  e.message_id = std::string("a\"b\\c\n\t\x01\0z", 10);
  e.out_id = "</script>";
  CHECK(round_trip(e) == e);
}

TEST_CASE("an absent sent_at is left out and decodes as absent; null means absent too") {
  retry_envelope e = sample();
  e.sent_at_ms.reset();
  e.reason = retry_reason::marketing_window;
  e.stage = retry_stage::send;
  auto text = encode_retry_envelope(e);
  REQUIRE(text);
  CHECK(text->find("sent_at_ms") == std::string::npos);
  CHECK(round_trip(e) == e);

  auto with_null = decode_retry_envelope(sample_with(R"("sent_at_ms":1718098081000)", R"("sent_at_ms":null)"));
  REQUIRE(with_null);
  CHECK_FALSE(with_null->sent_at_ms);
}

TEST_CASE("fields a newer writer adds are ignored") {
  auto decoded = decode_retry_envelope(sample_with(R"({"v":1,)", R"({"v":1,"priority":"high","trace":{"id":7},)"));
  REQUIRE_MESSAGE(decoded, decoded.message());
  CHECK(*decoded == sample());
}

TEST_CASE("message_id and out_id may be left out: they decode as empty") {
  auto decoded = decode_retry_envelope(sample_with(R"("message_id":"","out_id":"evt-1",)", ""));
  REQUIRE_MESSAGE(decoded, decoded.message());
  CHECK(decoded->message_id.empty());
  CHECK(decoded->out_id.empty());
}

TEST_CASE("a missing required field is named") {
  CHECK(error_after_replacing(R"("not_before_ms":1718098200000,)", "") == "retry envelope: not_before_ms: missing");
  CHECK(error_after_replacing(R"("reason":"receipt_check",)", "") == "retry envelope: reason: missing");
  CHECK(error_after_replacing(R"("stage":"receipt_check",)", "") == "retry envelope: stage: missing");
  CHECK(error_after_replacing(R"("attempts":1,)", "") == "retry envelope: attempts: missing");
  CHECK(error_after_replacing(R"("first_consumed_at_ms":1718098080000,)", "") ==
        "retry envelope: first_consumed_at_ms: missing");
  CHECK(error_after_replacing(R"("topic":"herald.events",)", "") == "retry envelope: source.topic: missing");
  CHECK(error_after_replacing(R"(,"offset":1042)", "") == "retry envelope: source.offset: missing");
  CHECK(error_after_replacing(R"(,"key_b64":"ZXZ0LTE=")", "") == "retry envelope: key_b64: missing");
  CHECK(error_after_replacing(R"(,"value_b64":"eyJldmVudF9pZCI6ImV2dC0xIn0=")", "") ==
        "retry envelope: value_b64: missing");
  CHECK(error_after_replacing(R"("v":1,)", "") == "retry envelope: v: missing");
}

TEST_CASE("a field of the wrong type is named with what was found") {
  CHECK(error_after_replacing("1718098200000", R"("1718098200000")") ==
        "retry envelope: not_before_ms: expected an integer, got a string");
  CHECK(error_after_replacing(R"("attempts":1)", R"("attempts":1.5)") ==
        "retry envelope: attempts: expected an integer, got a number with a fraction or exponent");
  CHECK(error_after_replacing(R"("partition":3)", R"("partition":true)") ==
        "retry envelope: source.partition: expected an integer, got a boolean");
  CHECK(error_after_replacing(R"("out_id":"evt-1")", R"("out_id":7)") ==
        "retry envelope: out_id: expected a string, got an integer");
  CHECK(error_after_replacing(R"("source":{"topic":"herald.events","partition":3,"offset":1042})", R"("source":[])") ==
        "retry envelope: source: expected an object, got an array");
}

TEST_CASE("a number out of its field's range is named") {
  CHECK(error_after_replacing(R"("partition":3)", R"("partition":-1)") ==
        "retry envelope: source.partition: out of range 0..2147483647, got -1");
  CHECK(error_after_replacing(R"("partition":3)", R"("partition":2147483648)") ==
        "retry envelope: source.partition: out of range 0..2147483647, got 2147483648");
  CHECK(error_after_replacing(R"("attempts":1)", R"("attempts":4294967296)") ==
        "retry envelope: attempts: out of range 0..4294967295, got 4294967296");
  CHECK(error_after_replacing("1718098200000", "18446744073709551615") ==
        "retry envelope: not_before_ms: out of range");
  CHECK(error_after_replacing("1718098081000", "-5") ==
        "retry envelope: sent_at_ms: out of range 0..9223372036854775807, got -5");
}

TEST_CASE("an unknown reason or stage is refused with the accepted values") {
  CHECK(error_after_replacing(R"("reason":"receipt_check")", R"("reason":"later")") ==
        "retry envelope: reason: expected throttled_backoff, receipt_check, marketing_window, not_sent_backoff, "
        "account_busy or attempt_in_flight");
  // The newest reason reads back as itself.
  auto waited = decode_retry_envelope(sample_with(R"("reason":"receipt_check")", R"("reason":"attempt_in_flight")"));
  REQUIRE(waited);
  CHECK(waited.value().reason == retry_reason::attempt_in_flight);
  CHECK(error_after_replacing(R"("stage":"receipt_check")", R"("stage":"RESEND")") ==
        "retry envelope: stage: expected send, resend or receipt_check");
}

TEST_CASE("damaged base64 is refused, naming the field") {
  CHECK(error_after_replacing("eyJldmVudF9pZCI6ImV2dC0xIn0=", "eyJldmVudF9pZCI6ImV2dC0xIn0") ==
        "retry envelope: value_b64: not valid base64 (length is not a multiple of 4)");
  CHECK(error_after_replacing("eyJldmVudF9pZCI6ImV2dC0xIn0=", "eyJldmVudF9pZCI6Im-2dC0xIn0=") ==
        "retry envelope: value_b64: not valid base64 (unexpected character at 18)");
  CHECK(error_after_replacing("ZXZ0LTE=", "ZX=0LTE=") ==
        "retry envelope: key_b64: not valid base64 (unexpected character at 2)");
  CHECK(error_after_replacing("ZXZ0LTE=", "ZXZ0LTF=") ==
        "retry envelope: key_b64: not valid base64 (non-zero padding bits)");
  CHECK(error_after_replacing("ZXZ0LTE=", "ZXZ0 TE=") ==
        "retry envelope: key_b64: not valid base64 (unexpected character at 4)");
}

TEST_CASE("an envelope from a newer format version is refused, not half-read") {
  CHECK(error_after_replacing(R"("v":1)", R"("v":2)") ==
        "retry envelope: v: unsupported version 2 (this Herald reads 1)");
}

TEST_CASE("text that is not a JSON object is refused") {
  auto not_json = decode_retry_envelope(R"({"v":1,)");
  REQUIRE_FALSE(not_json);
  CHECK(not_json.message().starts_with("retry envelope: not JSON: "));
  auto array = decode_retry_envelope("[1]");
  REQUIRE_FALSE(array);
  CHECK(array.message() == "retry envelope: expected an object, got an array");
  auto empty = decode_retry_envelope("");
  REQUIRE_FALSE(empty);
  CHECK(empty.message().starts_with("retry envelope: not JSON: "));
}

TEST_CASE("invalid UTF-8 in the envelope text is refused") {
  auto decoded = decode_retry_envelope(sample_with(R"("out_id":"evt-1")", "\"out_id\":\"evt-\xff\""));
  REQUIRE_FALSE(decoded);
  CHECK(decoded.message().starts_with("retry envelope: not valid UTF-8: a string holds an invalid UTF-8 sequence at offset "));
  // An escaped lone surrogate would decode into bytes that are not UTF-8.
  auto surrogate = decode_retry_envelope(sample_with(R"("out_id":"evt-1")", R"("out_id":"evt-\udc00")"));
  REQUIRE_FALSE(surrogate);
  CHECK(surrogate.message().starts_with("retry envelope: not valid UTF-8: unpaired UTF-16 surrogate escape \\udc00 "));
}

TEST_CASE("broken envelope text gets a reason that names the problem") {
  const std::string text = sample_with("", "");
  auto nul = decode_retry_envelope(std::string(1, '\0') + text);
  CHECK(nul.message() == "retry envelope: not JSON: a NUL byte at offset 0");
  auto trailing_nul = decode_retry_envelope(text + std::string(1, '\0'));
  CHECK(trailing_nul.message() == "retry envelope: not JSON: a NUL byte at offset " + std::to_string(text.size()));
  auto deep = decode_retry_envelope(R"({"v":)" + std::string(100000, '['));
  CHECK(deep.message() == "retry envelope: nested deeper than the limit of 64 levels: level 65 opens at offset 68");
  auto number = decode_retry_envelope(sample_with(R"("attempts":)", R"("attempts":1e999,"x":)"));
  CHECK(number.message().starts_with("retry envelope: not JSON: number 1e999 out of range at offset "));
  // A byte order mark is skipped: the envelope reads as it was written.
  auto with_bom = decode_retry_envelope("\xEF\xBB\xBF" + text);
  REQUIRE(with_bom);
  CHECK(with_bom->out_id == sample().out_id);
}

TEST_CASE("encoding refuses what could not be read back, naming the field") {
  retry_envelope e = sample();
  e.message_id = "id-\xff";
  auto bad_utf8 = encode_retry_envelope(e);
  REQUIRE_FALSE(bad_utf8);
  CHECK(bad_utf8.message() == "retry envelope: message_id: not valid UTF-8");

  e = sample();
  e.out_id = "\xed\xa0\x80";  // an encoded surrogate
  CHECK(encode_retry_envelope(e).message() == "retry envelope: out_id: not valid UTF-8");

  e = sample();
  e.source.partition = -1;
  CHECK(encode_retry_envelope(e).message() == "retry envelope: source.partition: must not be negative");

  e = sample();
  e.source.topic.clear();
  CHECK(encode_retry_envelope(e).message() == "retry envelope: source.topic: must not be empty");

  e = sample();
  e.not_before_ms = -1;
  CHECK(encode_retry_envelope(e).message() == "retry envelope: not_before_ms: must not be negative");
}

TEST_CASE("reason and stage names read back as themselves, and nothing else does") {
  using namespace herald::flow;
  for (auto r : {retry_reason::throttled_backoff, retry_reason::receipt_check, retry_reason::marketing_window,
                 retry_reason::not_sent_backoff})
    CHECK(parse_retry_reason(to_string(r)) == r);
  for (auto s : {retry_stage::send, retry_stage::resend, retry_stage::receipt_check})
    CHECK(parse_retry_stage(to_string(s)) == s);
  CHECK_FALSE(parse_retry_reason("Receipt_check"));
  CHECK_FALSE(parse_retry_stage(""));
}
