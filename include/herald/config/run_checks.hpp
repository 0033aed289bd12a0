#pragma once
// What `herald run` and `herald check-config` decide about a parsed configuration beyond its
// schema: settings it must have to run, and settings that weaken security, which it runs with but
// names at start-up.
#include <cstddef>
#include <string>
#include <vector>

#include "herald/config/config.hpp"
#include "herald/util/result.hpp"

namespace herald::config {

// A shorter ledger.recipient_hash_key is a parse error: the key is all that keeps a phone number
// (one of ~10^10) from being recovered from its hash.
inline constexpr std::size_t min_recipient_hash_key_bytes = 16;

// Refuses a configuration without ledger.recipient_hash_key (docs/ledger.md, "Recipient hashes"):
// running without one would store recipients under hashes anyone can reverse. The error names
// the option and how to make a key.
status check_for_run(const herald_config& cfg);

// One sentence per setting that turns a protection off, naming the setting's JSON path:
// http.verify_peer false, redis.tls.verify_peer false (with TLS on), an account's allow_plain_http.
// Empty when there are none.
std::vector<std::string> security_warnings(const herald_config& cfg);

}  // namespace herald::config
