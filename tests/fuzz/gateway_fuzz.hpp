#pragma once
// The body of every gateway's target: a send answer for a call of 1 to max_batch items, or a
// receipt query's answer for one item, under an HTTP status from a small table. The invariant
// checked beyond "no crash": a send answer has exactly one result per item, whatever its bytes.
#include <memory>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "herald/gateway/gateway.hpp"

namespace herald::fuzz {

inline int http_status_of(std::uint8_t b) {
  static constexpr int statuses[] = {200, 200, 200, 200, 201, 204, 302, 400, 401, 403, 404, 408, 429, 500, 502, 503};
  return statuses[b % (sizeof statuses / sizeof statuses[0])];
}

// One gateway per target process (its construction is not what is fuzzed).
inline void fuzz_gateway(const gateway::gateway& gw, const model::event& sample, input& in) {
  const std::uint8_t what = in.byte();
  const int status = http_status_of(in.byte());
  const std::uint8_t count = in.byte();
  if (what % 2 == 0) {
    const std::size_t n = 1 + count % gw.caps().max_batch;
    std::vector<model::event> events(n, sample);
    std::vector<const model::event*> items;
    for (std::size_t i = 0; i < n; ++i) {
      events[i].event_id = sample.event_id + "-" + std::to_string(i);
      events[i].order_id = sample.order_id + std::to_string(i);
      items.push_back(&events[i]);
    }
    const auto body = in.rest();
    auto results = gw.parse(status, body, items);
    if (results.size() != n) fail("a send answer's results are not one per item");
  } else {
    gateway::receipt_context ctx;
    ctx.unix_seconds = 1767225600 + count * 3600;
    ctx.sent_at_unix_seconds = (what & 4) ? 0 : ctx.unix_seconds - 600;
    ctx.message_id = (what & 8) ? "" : "msg-1";
    ctx.cursor = (what & 16) ? "0:2" : "";
    ctx.not_found_final_after_seconds = (what & 32) ? 300 : 0;
    const auto body = in.rest();
    (void)gw.parse_receipt_query(status, body, sample, ctx);
  }
}

}  // namespace herald::fuzz
