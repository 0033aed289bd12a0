#include <stdexcept>
#include <string>

#include "herald/gateway/aliyun_card.hpp"
#include "herald/gateway/aliyun_sms.hpp"
#include "herald/gateway/fw199_douyin.hpp"
#include "herald/gateway/fw199_taobao.hpp"
#include "herald/gateway/gateway.hpp"
#include "herald/gateway/top_oaid.hpp"

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
    case config::gateway_kind::fw199_douyin: return std::make_unique<fw199_douyin>(account);
    case config::gateway_kind::top_oaid: return std::make_unique<top_oaid>(account);
    case config::gateway_kind::aliyun_sms: return std::make_unique<aliyun_sms>(account);
    case config::gateway_kind::aliyun_card: return std::make_unique<aliyun_card>(account);
  }
  throw std::invalid_argument("gateway kind " + std::string(config::to_string(account.gateway)) +
                              " is not implemented yet");
}

}  // namespace herald::gateway
