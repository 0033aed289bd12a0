#include "herald/pipeline/finished_offsets.hpp"

#include <charconv>

namespace herald::pipeline {
namespace {

constexpr std::string_view prefix = "h1:";
constexpr char hex[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string encode_finished(std::int64_t committed, const watermark& w) {
  std::vector<unsigned char> bits;
  w.for_each_settled_above([&](std::int64_t offset) {
    const std::int64_t i = offset - committed;
    if (i < 0) return true;
    if (i >= finished_window) return false;
    const auto byte = static_cast<std::size_t>(i / 8);
    if (bits.size() <= byte) bits.resize(byte + 1, 0);
    bits[byte] |= static_cast<unsigned char>(1u << (i % 8));
    return true;
  });
  if (bits.empty()) return {};
  std::string out(prefix);
  out += std::to_string(committed);
  out.push_back(':');
  for (unsigned char b : bits) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

std::vector<std::int64_t> decode_finished(std::string_view metadata, std::int64_t committed) {
  std::vector<std::int64_t> out;
  if (!metadata.starts_with(prefix)) return out;
  metadata.remove_prefix(prefix.size());
  const auto colon = metadata.find(':');
  if (colon == std::string_view::npos) return out;
  std::int64_t base = 0;
  const auto [end, ec] = std::from_chars(metadata.data(), metadata.data() + colon, base);
  // Written with another committed offset (a plain commit since, or someone else's metadata): it
  // says nothing about this one.
  if (ec != std::errc() || end != metadata.data() + colon || base != committed) return out;
  const std::string_view bitmap = metadata.substr(colon + 1);
  if (bitmap.size() % 2 != 0 || bitmap.size() / 2 * 8 > static_cast<std::size_t>(finished_window) + 7) return out;
  for (std::size_t byte = 0; byte < bitmap.size() / 2; ++byte) {
    const int hi = hex_value(bitmap[2 * byte]);
    const int lo = hex_value(bitmap[2 * byte + 1]);
    if (hi < 0 || lo < 0) return {};
    const int b = hi << 4 | lo;
    for (int bit = 0; bit < 8; ++bit)
      if (b & (1 << bit)) out.push_back(base + static_cast<std::int64_t>(byte) * 8 + bit);
  }
  return out;
}

}  // namespace herald::pipeline
