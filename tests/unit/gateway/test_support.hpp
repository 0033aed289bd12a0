#pragma once
// Shared fixtures for the gateway unit tests. The form decoder here is written independently of
// src/gateway/form.cpp so that an encoding bug cannot hide on both sides.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/config/config.hpp"
#include "herald/model/event.hpp"

namespace herald::gateway::test {

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// application/x-www-form-urlencoded as a server decodes it ('+' and %20 both mean a space).
inline std::string form_unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

inline std::vector<std::pair<std::string, std::string>> form_decode(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> fields;
  while (!body.empty()) {
    auto amp = body.find('&');
    std::string_view part = body.substr(0, amp);
    auto eq = part.find('=');
    fields.emplace_back(form_unescape(part.substr(0, eq)),
                        eq == std::string_view::npos ? std::string() : form_unescape(part.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return fields;
}

inline config::account_config fw199_account() {
  config::account_config a;
  a.name = "shop-a";
  a.gateway = config::gateway_kind::fw199_taobao;
  a.endpoint.url = "https://gateway.example/jst/sms/oaid/send";
  a.endpoint.scheme = "https";
  a.endpoint.host = "gateway.example";
  a.endpoint.target = "/jst/sms/oaid/send";
  a.app_id = "app-123";
  a.app_secret = "test-secret-not-real";  // a test value, not a real secret
  a.seller_nick = "测试店铺";
  return a;
}

inline model::event fw199_event(std::string order_id, std::string oaid) {
  model::event e;
  e.event_id = "ev-" + order_id;
  e.account = "shop-a";
  e.order_id = std::move(order_id);
  e.to.kind = model::recipient_kind::oaid;
  e.to.value = std::move(oaid);
  e.sign_name = "蜂巢测试";
  e.template_code = "SMS_12345";
  e.params_json = "{}";
  return e;
}

// Pointers to events, as the batcher hands them to a gateway.
inline std::vector<const model::event*> pointers(const std::vector<model::event>& events) {
  std::vector<const model::event*> out;
  for (const auto& e : events) out.push_back(&e);
  return out;
}

}  // namespace herald::gateway::test
