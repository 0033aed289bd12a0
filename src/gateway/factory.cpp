#include <stdexcept>
#include <string>

#include "herald/gateway/fw199_taobao.hpp"
#include "herald/gateway/gateway.hpp"

namespace herald::gateway {

std::string_view to_string(outcome_class c) {
  switch (c) {
    case outcome_class::sent: return "sent";
    case outcome_class::permanent: return "permanent";
    case outcome_class::recipient_limited: return "recipient_limited";
    case outcome_class::throttled: return "throttled";
    case outcome_class::ambiguous: return "ambiguous";
  }
  return "unknown";
}

std::unique_ptr<gateway> make_gateway(const config::account_config& account) {
  switch (account.gateway) {
    case config::gateway_kind::fw199_taobao: return std::make_unique<fw199_taobao>(account);
    case config::gateway_kind::fw199_douyin:
    case config::gateway_kind::top_oaid:
    case config::gateway_kind::aliyun_sms:
    case config::gateway_kind::aliyun_card: break;
  }
  throw std::invalid_argument("gateway kind " + std::string(config::to_string(account.gateway)) +
                              " is not implemented yet");
}

}  // namespace herald::gateway
