// The retry envelope's JSON form (retry_envelope.hpp says why JSON and how not_before is used).
// Cold path: one envelope per deferred event, so a DOM parse is fine here.
#include "herald/flow/retry_envelope.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <utility>

#include "herald/util/crypto.hpp"
#include "herald/util/json_parse.hpp"
#include "herald/util/json_text.hpp"

namespace herald::flow {
namespace {

constexpr std::int64_t envelope_version = 1;
constexpr std::string_view prefix = "retry envelope: ";

error field_error(std::string_view field, std::string_view what) {
  std::string m(prefix);
  m += field;
  m += ": ";
  m += what;
  return make_error(std::move(m));
}

// --- base64 (RFC 4648 §4, padded). Encoding is util's; decoding is strict, so that one envelope
// has exactly one spelling and a damaged one is refused rather than half-read.

constexpr std::array<std::int8_t, 256> base64_values() {
  std::array<std::int8_t, 256> v{};
  for (auto& x : v) x = -1;
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < alphabet.size(); ++i)
    v[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return v;
}

result<std::string> base64_decode(std::string_view in, std::string_view field) {
  static constexpr auto values = base64_values();
  if (in.size() % 4 != 0) return field_error(field, "not valid base64 (length is not a multiple of 4)");
  std::size_t padding = 0;
  if (!in.empty() && in.back() == '=') padding = in.size() >= 2 && in[in.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    const bool is_last = i + 4 == in.size();
    const std::size_t data_chars = is_last ? 4 - padding : 4;
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const auto c = static_cast<unsigned char>(in[i + j]);
      std::int8_t v = 0;
      if (j < data_chars) {
        v = values[c];
        if (v < 0)
          return field_error(field, "not valid base64 (unexpected character at " + std::to_string(i + j) + ")");
      }
      group = (group << 6) | static_cast<std::uint32_t>(v);
    }
    out.push_back(static_cast<char>(group >> 16));
    if (data_chars > 2) out.push_back(static_cast<char>((group >> 8) & 0xff));
    if (data_chars > 3) out.push_back(static_cast<char>(group & 0xff));
    // The bits a short final group does not use must be zero, else two texts decode the same.
    const std::uint32_t unused = data_chars == 2 ? (group & 0xffff) : data_chars == 3 ? (group & 0xff) : 0;
    if (unused != 0) return field_error(field, "not valid base64 (non-zero padding bits)");
  }
  return out;
}

// --- UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF), for the text fields written
// as JSON strings: anything else would make a document the decoder (rightly) refuses.
bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c == 0xe0) n = 2, lo = 0xa0;
    else if (c == 0xed) n = 2, hi = 0x9f;
    else if (c >= 0xe1 && c <= 0xef) n = 2;
    else if (c == 0xf0) n = 3, lo = 0x90;
    else if (c >= 0xf1 && c <= 0xf3) n = 3;
    else if (c == 0xf4) n = 3, hi = 0x8f;
    else return false;
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) return false;
    }
    i += n + 1;
  }
  return true;
}

// The rules both directions share, so that whatever encodes also decodes.
status validate(const retry_envelope& e) {
  if (e.source.topic.empty()) return field_error("source.topic", "must not be empty");
  // Bounded, so that an envelope's size is (retry_envelope_max_size) and re-parking it always fits.
  if (e.source.topic.size() > max_envelope_topic_bytes)
    return field_error("source.topic", "longer than " + std::to_string(max_envelope_topic_bytes) + " bytes");
  if (e.message_id.size() > max_envelope_id_bytes)
    return field_error("message_id", "longer than " + std::to_string(max_envelope_id_bytes) + " bytes");
  if (e.out_id.size() > max_envelope_id_bytes)
    return field_error("out_id", "longer than " + std::to_string(max_envelope_id_bytes) + " bytes");
  if (!is_valid_utf8(e.source.topic)) return field_error("source.topic", "not valid UTF-8");
  if (e.source.partition < 0) return field_error("source.partition", "must not be negative");
  if (e.source.offset < 0) return field_error("source.offset", "must not be negative");
  if (e.not_before_ms < 0) return field_error("not_before_ms", "must not be negative");
  if (e.first_consumed_at_ms < 0) return field_error("first_consumed_at_ms", "must not be negative");
  if (e.sent_at_ms && *e.sent_at_ms < 0) return field_error("sent_at_ms", "must not be negative");
  if (!is_valid_utf8(e.message_id)) return field_error("message_id", "not valid UTF-8");
  if (!is_valid_utf8(e.out_id)) return field_error("out_id", "not valid UTF-8");
  return ok;
}

// --- decoding helpers

using value = rapidjson::Value;

std::string_view describe(const value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsString()) return "a string";
  if (v.IsArray()) return "an array";
  if (v.IsObject()) return "an object";
  if (v.IsInt64() || v.IsUint64()) return "an integer";
  return "a number with a fraction or exponent";
}

const value* member(const value& object, std::string_view name) {
  const auto it = object.FindMember(value(rapidjson::StringRef(name.data(), name.size())));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

result<std::int64_t> integer(const value& object, std::string_view name, std::string_view path, std::int64_t min,
                             std::int64_t max) {
  const value* v = member(object, name);
  if (!v) return field_error(path, "missing");
  if (!v->IsInt64()) {
    if (v->IsUint64()) return field_error(path, "out of range");
    return field_error(path, "expected an integer, got " + std::string(describe(*v)));
  }
  const std::int64_t n = v->GetInt64();
  if (n < min || n > max)
    return field_error(path, "out of range " + std::to_string(min) + ".." + std::to_string(max) + ", got " +
                                 std::to_string(n));
  return n;
}

// A string member; absent is an error only when `required`.
result<std::string_view> text(const value& object, std::string_view name, std::string_view path, bool required) {
  const value* v = member(object, name);
  if (!v) {
    if (required) return field_error(path, "missing");
    return std::string_view{};
  }
  if (!v->IsString()) return field_error(path, "expected a string, got " + std::string(describe(*v)));
  return std::string_view(v->GetString(), v->GetStringLength());
}

}  // namespace

std::string_view to_string(retry_reason r) noexcept {
  switch (r) {
    case retry_reason::throttled_backoff: return "throttled_backoff";
    case retry_reason::receipt_check: return "receipt_check";
    case retry_reason::marketing_window: return "marketing_window";
    case retry_reason::not_sent_backoff: return "not_sent_backoff";
    case retry_reason::account_busy: return "account_busy";
    case retry_reason::attempt_in_flight: return "attempt_in_flight";
  }
  return "throttled_backoff";
}

std::string_view to_string(retry_stage s) noexcept {
  switch (s) {
    case retry_stage::send: return "send";
    case retry_stage::resend: return "resend";
    case retry_stage::receipt_check: return "receipt_check";
  }
  return "receipt_check";
}

std::optional<retry_reason> parse_retry_reason(std::string_view text) noexcept {
  for (auto r : {retry_reason::throttled_backoff, retry_reason::receipt_check, retry_reason::marketing_window,
                 retry_reason::not_sent_backoff, retry_reason::account_busy, retry_reason::attempt_in_flight})
    if (to_string(r) == text) return r;
  return std::nullopt;
}

std::optional<retry_stage> parse_retry_stage(std::string_view text) noexcept {
  for (auto s : {retry_stage::send, retry_stage::resend, retry_stage::receipt_check})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

bool operator==(const retry_envelope& a, const retry_envelope& b) noexcept {
  return a.original_value == b.original_value && a.original_key == b.original_key && a.is_key_null == b.is_key_null &&
         a.source.topic == b.source.topic && a.source.partition == b.source.partition &&
         a.source.offset == b.source.offset && a.attempts == b.attempts && a.not_before_ms == b.not_before_ms &&
         a.reason == b.reason && a.stage == b.stage && a.sent_at_ms == b.sent_at_ms && a.message_id == b.message_id &&
         a.out_id == b.out_id && a.first_consumed_at_ms == b.first_consumed_at_ms &&
         a.receipt_checks == b.receipt_checks;
}

result<std::string> encode_retry_envelope(const retry_envelope& e) {
  if (auto valid = validate(e); !valid) return valid.err();
  std::string out;
  out.reserve(256 + e.source.topic.size() + e.message_id.size() + e.out_id.size() +
              (e.original_key.size() + e.original_value.size() + 6) / 3 * 4);
  out.push_back('{');
  json::append_key(out, "v", true);
  json::append_int(out, envelope_version);
  json::append_key(out, "reason");
  json::append_string(out, to_string(e.reason));
  json::append_key(out, "stage");
  json::append_string(out, to_string(e.stage));
  json::append_key(out, "not_before_ms");
  json::append_int(out, e.not_before_ms);
  json::append_key(out, "attempts");
  json::append_int(out, e.attempts);
  json::append_key(out, "receipt_checks");
  json::append_int(out, e.receipt_checks);
  json::append_key(out, "first_consumed_at_ms");
  json::append_int(out, e.first_consumed_at_ms);
  json::append_key(out, "source");
  out.push_back('{');
  json::append_key(out, "topic", true);
  json::append_string(out, e.source.topic);
  json::append_key(out, "partition");
  json::append_int(out, e.source.partition);
  json::append_key(out, "offset");
  json::append_int(out, e.source.offset);
  out.push_back('}');
  if (e.sent_at_ms) {
    json::append_key(out, "sent_at_ms");
    json::append_int(out, *e.sent_at_ms);
  }
  json::append_key(out, "message_id");
  json::append_string(out, e.message_id);
  json::append_key(out, "out_id");
  json::append_string(out, e.out_id);
  if (e.is_key_null) {
    json::append_key(out, "key_null");
    out += "true";
  }
  json::append_key(out, "key_b64");
  json::append_string(out, crypto::base64_encode(e.original_key));
  json::append_key(out, "value_b64");
  json::append_string(out, crypto::base64_encode(e.original_value));
  out.push_back('}');
  return out;
}

namespace {

constexpr std::size_t base64_size(std::size_t n) noexcept { return (n + 2) / 3 * 4; }

// The envelope of an empty value and key with every other field at its largest: the text fields
// at their byte limits, each byte one the encoder escapes as \u00XX (six bytes, JSON's longest
// escape), the largest numbers, and the longest reason and stage names. Written by the encoder
// itself, so a field added to it is counted without anyone remembering to.
std::size_t largest_empty_envelope_size() {
  retry_envelope e;
  e.source.topic.assign(max_envelope_topic_bytes, '\x01');
  e.message_id.assign(max_envelope_id_bytes, '\x01');
  e.out_id.assign(max_envelope_id_bytes, '\x01');
  e.source.partition = std::numeric_limits<std::int32_t>::max();
  e.source.offset = std::numeric_limits<std::int64_t>::max();
  e.attempts = std::numeric_limits<std::uint32_t>::max();
  e.receipt_checks = std::numeric_limits<std::uint32_t>::max();
  e.not_before_ms = std::numeric_limits<std::int64_t>::max();
  e.first_consumed_at_ms = std::numeric_limits<std::int64_t>::max();
  e.sent_at_ms = std::numeric_limits<std::int64_t>::max();
  for (auto r : {retry_reason::throttled_backoff, retry_reason::receipt_check, retry_reason::marketing_window,
                 retry_reason::not_sent_backoff, retry_reason::account_busy, retry_reason::attempt_in_flight})
    if (to_string(r).size() > to_string(e.reason).size()) e.reason = r;
  for (auto st : {retry_stage::send, retry_stage::resend, retry_stage::receipt_check})
    if (to_string(st).size() > to_string(e.stage).size()) e.stage = st;
  return encode_retry_envelope(e)->size();
}

// What librdkafka adds to a record's key and value when it checks message.max.bytes (a v2
// record's length, attributes, timestamp and offset deltas and the varint lengths: 36 bytes at
// most), rounded up.
constexpr std::size_t kafka_record_overhead_bytes = 64;
constexpr std::size_t librdkafka_default_message_max_bytes = 1000000;

}  // namespace

std::size_t retry_envelope_max_size(std::size_t value_bytes, std::size_t key_bytes) noexcept {
  static const std::size_t fixed = largest_empty_envelope_size();
  // A null key, which has no bytes, is marked by one more field.
  constexpr std::size_t key_null_field = sizeof R"("key_null":true,)" - 1;
  return fixed + base64_size(value_bytes) + base64_size(key_bytes) + (key_bytes == 0 ? key_null_field : 0);
}

std::size_t retry_record_max_size(std::size_t max_event_bytes) noexcept {
  // The record's key is the event's key, so key bytes count twice (once base64 in the value):
  // among the splits of one total, the largest key is the worst. Over keys of one remainder
  // modulo 3 the size grows with the key, so the worst split is one of the last three.
  std::size_t worst = 0;
  for (std::size_t key = max_event_bytes >= 2 ? max_event_bytes - 2 : 0; key <= max_event_bytes; ++key)
    worst = std::max(worst, retry_envelope_max_size(max_event_bytes - key, key) + key + kafka_record_overhead_bytes +
                                retry_record_trace_headers_bytes);
  return worst;
}

status check_retry_record_fits(std::size_t max_event_bytes, const std::map<std::string, std::string>& producer_properties) {
  std::size_t limit = librdkafka_default_message_max_bytes;
  std::string where = "librdkafka's default message.max.bytes";
  if (auto it = producer_properties.find("message.max.bytes"); it != producer_properties.end()) {
    const std::string& text = it->second;
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
      return make_error("kafka.producer_properties.message.max.bytes: must be a whole number of bytes (got \"" + text +
                        "\")");
    limit = static_cast<std::size_t>(n);
    where = "the producer's message.max.bytes";
  }
  const std::size_t needed = retry_record_max_size(max_event_bytes);
  if (needed <= limit) return ok;
  return make_error("kafka.max_event_bytes: an event of " + std::to_string(max_event_bytes) +
                    " bytes can make a retry record of up to " + std::to_string(needed) + " bytes, more than " + where +
                    " (" + std::to_string(limit) +
                    "): lower kafka.max_event_bytes or raise message.max.bytes in kafka.producer_properties (and the "
                    "topics' max.message.bytes)");
}

result<retry_envelope> decode_retry_envelope(std::string_view text_in) {
  constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
  rapidjson::Document doc;
  if (auto e = json::parse_dom(doc, text_in)) return make_error(std::string(prefix) + e.message());
  if (!doc.IsObject()) return make_error(std::string(prefix) + "expected an object, got " + std::string(describe(doc)));

  auto version = integer(doc, "v", "v", 0, int64_max);
  if (!version) return version.err();
  if (*version != envelope_version)
    return field_error("v", "unsupported version " + std::to_string(*version) + " (this Herald reads 1)");

  retry_envelope e;
  auto reason = text(doc, "reason", "reason", true);
  if (!reason) return reason.err();
  auto parsed_reason = parse_retry_reason(*reason);
  if (!parsed_reason)
    return field_error("reason",
                       "expected throttled_backoff, receipt_check, marketing_window, not_sent_backoff, account_busy or "
                       "attempt_in_flight");
  e.reason = *parsed_reason;

  auto stage = text(doc, "stage", "stage", true);
  if (!stage) return stage.err();
  auto parsed_stage = parse_retry_stage(*stage);
  if (!parsed_stage) return field_error("stage", "expected send, resend or receipt_check");
  e.stage = *parsed_stage;

  auto not_before = integer(doc, "not_before_ms", "not_before_ms", 0, int64_max);
  if (!not_before) return not_before.err();
  e.not_before_ms = *not_before;
  auto attempts = integer(doc, "attempts", "attempts", 0, std::numeric_limits<std::uint32_t>::max());
  if (!attempts) return attempts.err();
  e.attempts = static_cast<std::uint32_t>(*attempts);
  if (member(doc, "receipt_checks")) {
    auto checks = integer(doc, "receipt_checks", "receipt_checks", 0, std::numeric_limits<std::uint32_t>::max());
    if (!checks) return checks.err();
    e.receipt_checks = static_cast<std::uint32_t>(*checks);
  }
  auto first_consumed = integer(doc, "first_consumed_at_ms", "first_consumed_at_ms", 0, int64_max);
  if (!first_consumed) return first_consumed.err();
  e.first_consumed_at_ms = *first_consumed;

  const value* source = member(doc, "source");
  if (!source) return field_error("source", "missing");
  if (!source->IsObject()) return field_error("source", "expected an object, got " + std::string(describe(*source)));
  auto topic = text(*source, "topic", "source.topic", true);
  if (!topic) return topic.err();
  e.source.topic = std::string(*topic);
  auto partition = integer(*source, "partition", "source.partition", 0, std::numeric_limits<std::int32_t>::max());
  if (!partition) return partition.err();
  e.source.partition = static_cast<std::int32_t>(*partition);
  auto offset = integer(*source, "offset", "source.offset", 0, int64_max);
  if (!offset) return offset.err();
  e.source.offset = *offset;

  if (const value* sent_at = member(doc, "sent_at_ms"); sent_at && !sent_at->IsNull()) {
    auto n = integer(doc, "sent_at_ms", "sent_at_ms", 0, int64_max);
    if (!n) return n.err();
    e.sent_at_ms = *n;
  }
  auto message_id = text(doc, "message_id", "message_id", false);
  if (!message_id) return message_id.err();
  e.message_id = std::string(*message_id);
  auto out_id = text(doc, "out_id", "out_id", false);
  if (!out_id) return out_id.err();
  e.out_id = std::string(*out_id);

  if (const value* key_null = member(doc, "key_null"); key_null && !key_null->IsNull()) {
    if (!key_null->IsBool()) return field_error("key_null", "expected a boolean, got " + std::string(describe(*key_null)));
    e.is_key_null = key_null->GetBool();
  }
  auto key_b64 = text(doc, "key_b64", "key_b64", true);
  if (!key_b64) return key_b64.err();
  auto key = base64_decode(*key_b64, "key_b64");
  if (!key) return key.err();
  e.original_key = std::move(*key);
  auto value_b64 = text(doc, "value_b64", "value_b64", true);
  if (!value_b64) return value_b64.err();
  auto original = base64_decode(*value_b64, "value_b64");
  if (!original) return original.err();
  e.original_value = std::move(*original);

  if (auto valid = validate(e); !valid) return valid.err();
  return e;
}

}  // namespace herald::flow
