#pragma once
// Redis Cluster's addressing, as plain functions of values (docs/ledger.md, "Redis Cluster"):
// which of the 16384 hash slots a key is in, what a redirection error says, and the slot map a
// node answers to CLUSTER SLOTS. The routing client (cluster_router) is built on these.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herald/redis/reply.hpp"
#include "herald/util/host_port.hpp"
#include "herald/util/result.hpp"

namespace herald::redis {

inline constexpr std::uint16_t cluster_slot_count = 16384;

// The key's hash slot: CRC16 (XMODEM) of the key, modulo 16384; of its hash tag only when the key
// has one (the part between the first '{' and the next '}', when not empty). Keys with the same
// tag are in one slot, which is what lets one script call touch all of them.
std::uint16_t key_slot(std::string_view key) noexcept;

// The part of the key that decides its slot (the tag, or the whole key).
std::string_view hash_tag_of(std::string_view key) noexcept;

// "MOVED <slot> <host>:<port>" (the slot has a new owner for good) or "ASK <slot> <host>:<port>"
// (this one command goes to <host>:<port>, preceded by ASKING: the slot is being migrated).
struct redirect {
  enum class kind { moved, ask };
  kind type = kind::moved;
  std::uint16_t slot = 0;
  std::string host;  // as the node wrote it; "" means "the node that answered" (Redis 7)
  std::uint16_t port = 0;
};
// The redirection an error reply's text names; nullopt for any other error or a malformed one.
std::optional<redirect> parse_redirect(std::string_view error_text);

// TRYAGAIN (a multi-key command during a slot's migration) and CLUSTERDOWN (the cluster cannot
// serve the slot now): the command did not run, and the same command later may succeed.
bool is_cluster_busy(const reply& r) noexcept;

struct slot_range {
  std::uint16_t first = 0;
  std::uint16_t last = 0;  // inclusive
  std::string host;        // the primary's; "" when the node did not know its own address
  std::uint16_t port = 0;
};
// The primaries' ranges from a CLUSTER SLOTS reply (replicas are ignored: Herald reads and writes
// primaries only). A reply that is not a well-formed slot map (a range outside 0..16383, first >
// last, overlapping ranges, a port outside 1..65535, the wrong types) is an error naming what was
// wrong: the map is then not used.
result<std::vector<slot_range>> parse_cluster_slots(const reply& r);

}  // namespace herald::redis
