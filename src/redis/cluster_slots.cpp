#include "herald/redis/cluster_slots.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace herald::redis {
namespace {

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), the checksum Redis Cluster hashes
// keys with; a table of the 256 byte remainders, built at compile time.
constexpr std::array<std::uint16_t, 256> crc16_table = [] {
  std::array<std::uint16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    std::uint16_t crc = static_cast<std::uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit) crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    t[i] = crc;
  }
  return t;
}();

std::uint16_t crc16(std::string_view bytes) noexcept {
  std::uint16_t crc = 0;
  for (const char c : bytes)
    crc = static_cast<std::uint16_t>((crc << 8) ^ crc16_table[((crc >> 8) ^ static_cast<unsigned char>(c)) & 0xff]);
  return crc;
}

template <class Int>
std::optional<Int> parse_int(std::string_view text) {
  Int v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  const auto p = parse_int<std::uint32_t>(text);
  if (!p || *p == 0 || *p > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(*p);
}

}  // namespace

std::string_view hash_tag_of(std::string_view key) noexcept {
  const auto open = key.find('{');
  if (open == std::string_view::npos) return key;
  const auto close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

std::uint16_t key_slot(std::string_view key) noexcept {
  return static_cast<std::uint16_t>(crc16(hash_tag_of(key)) & (cluster_slot_count - 1));
}

std::optional<redirect> parse_redirect(std::string_view error_text) {
  redirect r;
  std::string_view rest;
  if (error_text.starts_with("MOVED ")) {
    r.type = redirect::kind::moved;
    rest = error_text.substr(6);
  } else if (error_text.starts_with("ASK ")) {
    r.type = redirect::kind::ask;
    rest = error_text.substr(4);
  } else {
    return std::nullopt;
  }
  const auto space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto slot = parse_int<std::uint32_t>(rest.substr(0, space));
  if (!slot || *slot >= cluster_slot_count) return std::nullopt;
  r.slot = static_cast<std::uint16_t>(*slot);
  const std::string_view where = rest.substr(space + 1);
  // Redis 7 writes ":<port>" when the node does not know its own address (the answering node's).
  if (where.starts_with(':')) {
    const auto p = parse_port(where.substr(1));
    if (!p) return std::nullopt;
    r.port = *p;
    return r;
  }
  auto address = parse_host_port(where);
  if (!address) return std::nullopt;
  r.host = std::move(address.value().host);
  r.port = address.value().port;
  return r;
}

bool is_cluster_busy(const reply& r) noexcept {
  const auto code = r.error_code();
  return code == "TRYAGAIN" || code == "CLUSTERDOWN";
}

result<std::vector<slot_range>> parse_cluster_slots(const reply& r) {
  if (r.is_error()) return make_error("CLUSTER SLOTS refused: " + r.str);
  if (r.kind != reply::type::array) return make_error("CLUSTER SLOTS: expected an array, got " + describe(r));
  std::vector<slot_range> ranges;
  ranges.reserve(r.elements.size());
  for (std::size_t i = 0; i < r.elements.size(); ++i) {
    const auto& e = r.elements[i];
    const std::string where = "CLUSTER SLOTS: range " + std::to_string(i) + ": ";
    if (e.kind != reply::type::array || e.elements.size() < 3)
      return make_error(where + "expected [first, last, primary, ...], got " + describe(e));
    const auto& first = e.elements[0];
    const auto& last = e.elements[1];
    const auto& primary = e.elements[2];
    if (first.kind != reply::type::integer || last.kind != reply::type::integer)
      return make_error(where + "slots are not integers: " + describe(e));
    if (first.integer < 0 || last.integer >= cluster_slot_count || first.integer > last.integer)
      return make_error(where + "slots " + std::to_string(first.integer) + ".." + std::to_string(last.integer) +
                        " are not a range within 0..16383");
    if (primary.kind != reply::type::array || primary.elements.size() < 2 ||
        primary.elements[0].kind != reply::type::string || primary.elements[1].kind != reply::type::integer)
      return make_error(where + "the primary is not [host, port, ...]: " + describe(primary));
    const long long port = primary.elements[1].integer;
    if (port < 1 || port > 65535) return make_error(where + "the primary's port " + std::to_string(port) + " is not 1..65535");
    if (primary.elements[0].str == "?")
      return make_error(where + "the primary's address is unknown to the node ('?')");
    ranges.push_back(slot_range{static_cast<std::uint16_t>(first.integer), static_cast<std::uint16_t>(last.integer),
                                primary.elements[0].str, static_cast<std::uint16_t>(port)});
  }
  std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first <= ranges[i - 1].last)
      return make_error("CLUSTER SLOTS: ranges " + std::to_string(ranges[i - 1].first) + ".." +
                        std::to_string(ranges[i - 1].last) + " and " + std::to_string(ranges[i].first) + ".." +
                        std::to_string(ranges[i].last) + " overlap");
  return ranges;
}

}  // namespace herald::redis
