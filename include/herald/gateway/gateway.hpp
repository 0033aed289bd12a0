#pragma once
// One small interface for every SMS gateway (docs/gateways.md). Implementations are pure: they build
// requests and parse answers, with no sockets or clocks (the time comes in send_context).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herald/config/config.hpp"
#include "herald/model/event.hpp"

namespace herald::gateway {

// Herald's outcome classes (docs/gateways.md "Common to every gateway", "Outcome classes").
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

// ------------------------------------------------------------------------------------------------
// Receipt checks (issue 5; docs/gateways.md "Receipt checks").
//
// A send that ended `ambiguous` may have gone out. Before anything is resent, the retry layer asks
// the gateway whether it has a record of it. What each verdict means for the retry layer:
//
//   delivered       a record says delivered (Alibaba Cloud SendStatus 3). It was sent: settle the
//                   ledger `sent`, outcome `sent`. Never resend.
//   accepted        a record says waiting for the carrier's receipt (SendStatus 1, or a status not
//                   known). The gateway has the message, so it was sent: settle `sent` as above.
//                   Never resend. (Looking again could only tell delivery, which Herald does not
//                   track for any send.)
//   not_delivered   a record says delivery failed (SendStatus 2; card SMS 4). The gateway accepted
//                   the message, passed it on and billed it; the carrier did not deliver it. For
//                   idempotency it WAS sent: settle `sent` (the result's code is the receipt's
//                   ErrCode, so the outcome can say so). Never resend: a resend is a second,
//                   billed attempt at the same notification.
//   not_found       no record (yet). Receipts lag: move the item to the retry topic and ask again
//                   after a grace period (stage receipt_check). Not a reason to resend by itself.
//   not_sent        the gateway's records prove that nothing went out: resending is safe (stage
//                   resend). Only returned where a gateway can prove it, and only when the caller
//                   allowed a missing record to be final (receipt_context::not_found_final_after_seconds).
//   retry_query     the query itself failed for now (HTTP 5xx, throttled, an unreadable answer). It
//                   says nothing about the send: ask again after a backoff. A query that got no
//                   answer at all (timeout, reset) is the same; the caller then never calls parse.
//   cannot_tell     no query can decide this send: the gateway has no receipt query (TOP, fw199
//                   Taobao, 抖店 without receipt_endpoint), the send lacks what the query needs (no
//                   message id, no send time, older than the query window), or the gateway refused
//                   the query as wrong. The account's on_unknown policy decides, and the outcome
//                   says so. build_receipt_query returning nullopt means the same.
//
// The retry layer bounds the number of not_found / retry_query rounds; when they run out, the
// item is cannot_tell. A result with a next_cursor (only ever not_found) is not finished: query
// again at once with receipt_context::cursor = next_cursor (another page, or the neighbouring day of
// a send made close to midnight), without a grace period.
enum class receipt_verdict { delivered, accepted, not_delivered, not_found, not_sent, retry_query, cannot_tell };
std::string_view to_string(receipt_verdict v);

// delivered, accepted and not_delivered: the gateway has the message, so it must never be resent.
constexpr bool proves_sent(receipt_verdict v) noexcept {
  return v == receipt_verdict::delivered || v == receipt_verdict::accepted || v == receipt_verdict::not_delivered;
}

struct receipt_context {
  std::int64_t unix_seconds = 0;          // now: the query's timestamp, and the age of the send
  std::string nonce;                      // unique per query attempt, where the gateway wants one
  std::int64_t sent_at_unix_seconds = 0;  // when the ambiguous request was written; 0 = unknown
  std::string message_id;                 // the item's send id if the send answer gave one, else ""
  // The OutId the call carried: what receipt_call_id named for it when it was sent (Alibaba
  // Cloud, aliyun_call_out_id of the call's items). Empty: the event's own, which is certain where
  // every call holds one event (SendSms, max_batch 1) and only assumed elsewhere (a record with it
  // then proves the send, its absence never proves the contrary).
  std::string call_out_id;
  std::string cursor;  // "" for a first query; else the next_cursor of the previous result
  // A missing record counts as proof that nothing was sent (verdict not_sent) only once the send
  // is at least this old, and only where the gateway can prove it. 0 = never: the safe default,
  // under which a send never found ends, after the retry layer's rounds, as cannot_tell.
  std::int64_t not_found_final_after_seconds = 0;
};

struct receipt_result {
  receipt_verdict verdict = receipt_verdict::cannot_tell;
  std::string code;        // the receipt's status/ErrCode, or the failed query's code (http_503, ...)
  std::string message;     // what the gateway said, or why nothing could be told; never a recipient
  std::string message_id;  // the gateway's send id when known (from the record or the context)
  std::string next_cursor;  // not empty: query again at once with this cursor (see above)
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
  // Items of one route with the same non-empty key never share a call (batch::batcher's
  // distinct_key): fw199 抖店 gives the order_id, by which its answers are matched to items. A view
  // into e (valid while e is); "" (the default) = no constraint.
  virtual std::string_view batch_distinct_key(const model::event& e) const;
  virtual http_request build(std::span<const model::event* const> items, const send_context& ctx) const = 0;
  // One result per item, in the order of items. An HTTP-level failure or an answer that cannot
  // be matched to an item makes that item ambiguous, never sent or failed.
  virtual std::vector<item_result> parse(int http_status, std::string_view body,
                                         std::span<const model::event* const> items) const = 0;

  // Receipt checks (see receipt_verdict). The query for one event of an ambiguous send, or
  // nullopt when none can be made (the default: no receipt query), which means cannot_tell.
  virtual std::optional<http_request> build_receipt_query(const model::event& e, const receipt_context& ctx) const;
  // The answer to that query (same e and ctx). The default says cannot_tell.
  virtual receipt_result parse_receipt_query(int http_status, std::string_view body, const model::event& e,
                                             const receipt_context& ctx) const;
  // Where receipt queries go when not to the account's send endpoint (fw199 抖店's
  // receipt_endpoint); nullptr (the default) = the send endpoint.
  virtual const config::endpoint* receipt_endpoint() const;
  // The id a call carried that a later receipt query must match on (Alibaba Cloud's OutId), for
  // every call, one-event calls included, of an account whose calls may hold several events: a
  // batch's cannot be recomputed from one event, and an empty one could not tell a one-event call
  // from a batch. "" (the default) where none is needed: no receipt query, or every call holds one
  // event and the event's own is implied. Kept with the send (ledger, retry envelope) and given
  // back as receipt_context::call_out_id.
  virtual std::string receipt_call_id(std::span<const model::event* const> items) const;
};

// The gateway for an account; throws std::invalid_argument for a kind not implemented yet.
std::unique_ptr<gateway> make_gateway(const config::account_config& account);

}  // namespace herald::gateway
