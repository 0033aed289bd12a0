#pragma once
// Reading an Alibaba Cloud RPC answer at the call level (internal to src/gateway/): shared by the
// aliyun_sms and aliyun_card parsers and the receipt-query parsers.
#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "herald/gateway/gateway.hpp"

namespace herald::gateway::detail {

struct aliyun_answer {
  bool is_ok = false;       // Code "OK" under a 2xx status: `doc` holds the answer object
  outcome_class cls = outcome_class::ambiguous;  // otherwise: how the call failed
  std::string code;         // Alibaba Cloud's Code, or http_<status> / unparseable
  std::string message;      // safe to record (aliyun_safe_message)
  rapidjson::Document doc;
};

// The rules of docs/gateways.md "Common to every gateway" with Alibaba Cloud's Code:
// 5xx → ambiguous http_<status>; a JSON object with a string Code → that Code decides (also
// under a 4xx), classified by classify_aliyun_code; Code OK under a non-2xx → ambiguous; no
// readable answer → ambiguous (http_<status> under a non-2xx, else unparseable).
aliyun_answer read_aliyun_answer(int http_status, std::string_view body);

}  // namespace herald::gateway::detail
