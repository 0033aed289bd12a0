#pragma once
// How much of an invalid or failed event a DLQ copy can carry (pure: unit-tested). A copy is the
// original key and value byte for byte whenever they fit; one that would be over the record limit
// (the producer's message.max.bytes, or half of what a broker refused) keeps the first bytes that
// fit and says so in headers (docs/events.md, DLQ): herald.truncated=true,
// herald.original.size=<bytes of the whole value>, herald.original.sha256=<its hex digest>, and
// the same two for the key (herald.original.key.size, herald.original.key.sha256) when the key
// alone did not fit.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "herald/kafka/types.hpp"

namespace herald::pipeline {

// What librdkafka and the broker add around a record's key, value and headers (the record's and its
// batch's framing), kept free so that a copy cut to fit is never refused over a few bytes.
inline constexpr std::size_t record_overhead_bytes = 512;
// A cut copy is halved at most this many times after brokers refused it as too large; then it is
// given up (1 MB → about 1 KB).
inline constexpr int max_dlq_shrinks = 10;

// The bytes a record's headers take against the limit (names, values and their length prefixes).
std::size_t headers_bytes(std::span<const kafka::header> headers) noexcept;

struct dlq_cut {
  std::size_t key_bytes = 0;    // leading bytes of the key kept
  std::size_t value_bytes = 0;  // leading bytes of the value kept
  bool is_key_cut = false;
  bool is_value_cut = false;
  bool is_cut() const noexcept { return is_key_cut || is_value_cut; }
};

// What a copy of (key, value) with these headers keeps under max_record_bytes. Uncut when it fits;
// otherwise the truncation headers' room is set aside too, the key is kept whole when it takes at
// most half of what is left (else cut to that half), and the value gets the rest.
dlq_cut fit_dlq_copy(std::size_t key_bytes, std::size_t value_bytes, std::size_t headers_bytes,
                     std::size_t max_record_bytes) noexcept;

// The values of the truncation headers for a cut copy; the digests are of the whole original bytes.
struct truncation_values {
  std::string value_size;
  std::string value_sha256;
  std::string key_size;    // set only when the key was cut
  std::string key_sha256;  // set only when the key was cut
};
truncation_values describe_truncation(std::string_view key, std::string_view value, const dlq_cut& cut);

// Appends the truncation headers (viewing `values`) to `out`, which must have room for 5 more.
std::size_t append_truncation_headers(std::span<kafka::header> out, const truncation_values& values,
                                      const dlq_cut& cut) noexcept;

}  // namespace herald::pipeline
