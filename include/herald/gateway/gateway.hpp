#pragma once
// One small interface for every SMS gateway (GATEWAYS.md). Implementations are pure: they build
// requests and parse answers, with no sockets or clocks (the time comes in send_context).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/config/config.hpp"
#include "herald/model/event.hpp"

namespace herald::gateway {

// Herald's outcome classes (GATEWAYS.md, "Outcome classes").
enum class outcome_class { sent, permanent, recipient_limited, throttled, ambiguous };
std::string_view to_string(outcome_class c);

struct item_result {
  outcome_class cls = outcome_class::ambiguous;
  std::string code;        // the gateway's own code for this item (or for the whole call)
  std::string message;     // the gateway's message, as it said it
  std::string message_id;  // the gateway's send id when sent
};

struct http_request {
  std::string method = "POST";
  std::string target;  // path and query on the account's endpoint
  std::string content_type = "application/x-www-form-urlencoded; charset=utf-8";
  std::string body;
};

struct send_context {
  std::int64_t unix_seconds = 0;  // the request's timestamp
  std::string nonce;              // unique per attempt, where the gateway wants one
};

struct capabilities {
  std::size_t max_batch = 1;
  bool routes_by_sign_and_template = false;  // one SMS signature and template per call
  bool has_receipt_query = false;
};

class gateway {
 public:
  virtual ~gateway() = default;
  virtual capabilities caps() const = 0;
  // The route key beyond the account: items with different keys never share a call.
  virtual std::string route_key(const model::event& e) const = 0;
  virtual http_request build(std::span<const model::event* const> items, const send_context& ctx) const = 0;
  // One result per item, in the order of items. An HTTP-level failure or an answer that cannot
  // be matched to an item makes that item ambiguous, never sent or failed.
  virtual std::vector<item_result> parse(int http_status, std::string_view body,
                                         std::span<const model::event* const> items) const = 0;
};

// The gateway for an account; throws std::invalid_argument for a kind not implemented yet.
std::unique_ptr<gateway> make_gateway(const config::account_config& account);

}  // namespace herald::gateway
