// The receipt-check part of the gateway interface (gateway.hpp; docs/gateways.md "Receipt
// checks"): the defaults, for gateways without a receipt query (TOP, fw199 Taobao); and the
// default of batch_distinct_key (no constraint), which only 抖店 overrides.
#include "herald/gateway/gateway.hpp"

namespace herald::gateway {

std::string_view to_string(receipt_verdict v) {
  switch (v) {
    case receipt_verdict::delivered: return "delivered";
    case receipt_verdict::accepted: return "accepted";
    case receipt_verdict::not_delivered: return "not_delivered";
    case receipt_verdict::not_found: return "not_found";
    case receipt_verdict::not_sent: return "not_sent";
    case receipt_verdict::retry_query: return "retry_query";
    case receipt_verdict::cannot_tell: return "cannot_tell";
  }
  return "unknown";
}

std::optional<http_request> gateway::build_receipt_query(const model::event&, const receipt_context&) const {
  return std::nullopt;
}

receipt_result gateway::parse_receipt_query(int, std::string_view, const model::event&,
                                            const receipt_context&) const {
  receipt_result r;
  r.verdict = receipt_verdict::cannot_tell;
  r.code = "no_receipt_query";
  r.message = "this gateway has no receipt query";
  return r;
}

const config::endpoint* gateway::receipt_endpoint() const { return nullptr; }

std::string_view gateway::batch_distinct_key(const model::event&) const { return {}; }

std::string gateway::receipt_call_id(std::span<const model::event* const>) const { return {}; }

}  // namespace herald::gateway
