#include "herald/pipeline/dlq_copy.hpp"

#include <algorithm>

#include "herald/util/crypto.hpp"

namespace herald::pipeline {
namespace {

// Each header's name and value carry a varint length (at most 5 bytes each) in a v2 record.
constexpr std::size_t per_header_overhead = 10;

// The truncation headers at their largest: sizes of 20 digits, digests of 64 hex digits.
constexpr std::size_t truncation_headers_max_bytes =
    (sizeof "herald.truncated" - 1 + 4) + (sizeof "herald.original.size" - 1 + 20) +
    (sizeof "herald.original.sha256" - 1 + 64) + (sizeof "herald.original.key.size" - 1 + 20) +
    (sizeof "herald.original.key.sha256" - 1 + 64) + 5 * per_header_overhead;

std::string sha256_hex(std::string_view bytes) {
  const auto digest = crypto::sha256(bytes);
  return crypto::to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace

std::size_t headers_bytes(std::span<const kafka::header> headers) noexcept {
  std::size_t n = 0;
  for (const auto& h : headers) n += h.name.size() + h.value.size() + per_header_overhead;
  return n;
}

dlq_cut fit_dlq_copy(std::size_t key_bytes, std::size_t value_bytes, std::size_t header_bytes,
                     std::size_t max_record_bytes) noexcept {
  auto room_after = [&](std::size_t taken) { return max_record_bytes > taken ? max_record_bytes - taken : 0; };
  dlq_cut cut{key_bytes, value_bytes, false, false};
  const std::size_t whole = room_after(record_overhead_bytes + header_bytes);
  // key + value > whole, written so that it cannot overflow
  if (key_bytes <= whole && value_bytes <= whole - key_bytes) return cut;
  const std::size_t room = room_after(record_overhead_bytes + header_bytes + truncation_headers_max_bytes);
  if (key_bytes > room / 2) {
    cut.key_bytes = room / 2;
    cut.is_key_cut = true;
  }
  const std::size_t for_value = room - cut.key_bytes;
  if (value_bytes > for_value) {
    cut.value_bytes = for_value;
    cut.is_value_cut = true;
  }
  // A key cut to half may leave the value whole; the copy is still marked as cut (is_key_cut).
  return cut;
}

truncation_values describe_truncation(std::string_view key, std::string_view value, const dlq_cut& cut) {
  truncation_values v;
  v.value_size = std::to_string(value.size());
  v.value_sha256 = sha256_hex(value);
  if (cut.is_key_cut) {
    v.key_size = std::to_string(key.size());
    v.key_sha256 = sha256_hex(key);
  }
  return v;
}

std::size_t append_truncation_headers(std::span<kafka::header> out, const truncation_values& values,
                                      const dlq_cut& cut) noexcept {
  std::size_t n = 0;
  out[n++] = {"herald.truncated", "true"};
  out[n++] = {"herald.original.size", values.value_size};
  out[n++] = {"herald.original.sha256", values.value_sha256};
  if (cut.is_key_cut) {
    out[n++] = {"herald.original.key.size", values.key_size};
    out[n++] = {"herald.original.key.sha256", values.key_sha256};
  }
  return n;
}

}  // namespace herald::pipeline
