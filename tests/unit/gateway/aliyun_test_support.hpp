#pragma once
// Fixtures for the Alibaba Cloud gateway tests, and an independent check of the RPC signature
// (its own RFC 3986 encoder and OpenSSL's HMAC directly), so that a signing bug in
// src/gateway/aliyun_sign.cpp cannot hide on both sides.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace herald::gateway::test {

inline config::account_config aliyun_account(config::gateway_kind kind = config::gateway_kind::aliyun_sms) {
  config::account_config a;
  a.name = "aliyun-a";
  a.gateway = kind;
  a.endpoint.url = "https://dysmsapi.example/";
  a.endpoint.scheme = "https";
  a.endpoint.host = "dysmsapi.example";
  a.endpoint.target = "/";
  a.app_id = "test-key-id";
  a.app_secret = "test-secret-not-real";  // a test value, not a real secret
  a.region_id = "cn-hangzhou";
  return a;
}

inline model::event aliyun_event(std::string event_id, std::string phone) {
  model::event e;
  e.event_id = std::move(event_id);
  e.account = "aliyun-a";
  e.order_id = "o-" + e.event_id;
  e.to.kind = model::recipient_kind::phone;
  e.to.value = std::move(phone);
  e.sign_name = "阿里云短信测试";
  e.template_code = "SMS_154950909";
  e.params_json = R"({"code":"1234"})";
  return e;
}

inline model::event card_event(std::string event_id, std::string phone) {
  model::event e = aliyun_event(std::move(event_id), std::move(phone));
  e.template_code = "CARD_SMS_70";
  model::card_fields card;
  card.fallback_type = "SMS";
  card.fallback_template_code = "SMS_23425";
  card.fallback_params_json = R"({"code":"1234"})";
  card.custom_url = "https://shop.example/o/1";
  e.card = card;
  return e;
}

// RFC 3986: unreserved A-Z a-z 0-9 - _ . ~ kept, every other byte %XX upper-case.
inline std::string rfc3986(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      static const char* hex = "0123456789ABCDEF";
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// The signature a server computes over what it received (every field but Signature).
inline std::string server_signature(const std::string& method,
                                    const std::vector<std::pair<std::string, std::string>>& fields,
                                    const std::string& secret) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [name, value] : fields)
    if (name != "Signature") encoded.emplace_back(rfc3986(name), rfc3986(value));
  std::sort(encoded.begin(), encoded.end());
  std::string canonical;
  for (const auto& [name, value] : encoded) canonical += (canonical.empty() ? "" : "&") + name + "=" + value;
  const std::string to_sign = method + "&%2F&" + rfc3986(canonical);
  const std::string key = secret + "&";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(to_sign.data()),
       to_sign.size(), mac, &mac_len);
  std::string b64(4 * ((mac_len + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, static_cast<int>(mac_len));
  b64.resize(static_cast<std::size_t>(n));
  return b64;
}

inline std::map<std::string, std::string> as_map(const std::vector<std::pair<std::string, std::string>>& fields) {
  return {fields.begin(), fields.end()};
}

}  // namespace herald::gateway::test
