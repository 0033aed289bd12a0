#pragma once
// A config with one account per gateway kind, for the event decoding tests.
#include <string>

#include "herald/config/config.hpp"

namespace herald::model::test {

inline config::herald_config accounts_of_every_kind() {
  config::herald_config cfg;
  cfg.ledger.recipient_hash_key = crypto::hmac_sha256_key("test-recipient-key-0123");
  auto add = [&](const std::string& name, config::gateway_kind kind) {
    config::account_config a;
    a.name = name;
    a.gateway = kind;
    cfg.accounts.emplace(name, a);
  };
  add("shop-a", config::gateway_kind::fw199_taobao);
  add("shop-dy", config::gateway_kind::fw199_douyin);
  add("shop-top", config::gateway_kind::top_oaid);
  add("brand-sms", config::gateway_kind::aliyun_sms);
  add("brand-card", config::gateway_kind::aliyun_card);
  return cfg;
}

}  // namespace herald::model::test
