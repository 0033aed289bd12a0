#include "herald/config/run_checks.hpp"

namespace herald::config {

status check_for_run(const herald_config& cfg) {
  if (cfg.ledger.recipient_hash_key.is_empty())
    return make_error(
        "ledger.recipient_hash_key: missing: recipients are hashed with this secret (at least " +
        std::to_string(min_recipient_hash_key_bytes) +
        " bytes, e.g. `openssl rand -hex 32`, given as \"${HERALD_RECIPIENT_HASH_KEY}\"); "
        "see docs/ledger.md, \"Recipient hashes\", before setting or changing it");
  return ok;
}

std::vector<std::string> security_warnings(const herald_config& cfg) {
  std::vector<std::string> out;
  if (!cfg.http.verify_peer)
    out.push_back(
        "http.verify_peer is false: gateway certificates are not checked, so anyone on the path can read "
        "the requests (recipients, signatures) and forge the answers");
  if (cfg.redis.tls.enabled && !cfg.redis.tls.verify_peer)
    out.push_back(
        "redis.tls.verify_peer is false: the Redis server's certificate is not checked, so anyone on the path "
        "can read the ledger traffic (the AUTH password included) and answer in the server's place");
  for (const auto& [name, account] : cfg.accounts) {
    if (!account.allow_plain_http) continue;
    std::string w = "accounts." + name + ".allow_plain_http is true: ";
    const bool is_plain = account.endpoint.scheme == "http" ||
                          (account.receipt_endpoint && account.receipt_endpoint->scheme == "http");
    w += is_plain ? "its gateway calls go unencrypted (recipients and signed requests readable on the path)"
                  : "its endpoints may be http:// (they are https:// now)";
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace herald::config
