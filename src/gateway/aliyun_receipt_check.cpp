// One event's Alibaba Cloud receipt check through the gateway interface: which SendDate and page
// to ask, which OutId to look for, and what the answer means for a resend (QuerySendDetails,
// GetCardSmsDetails: the event is matched by OutId, and receipts lag); docs/gateways.md
// "Receipt checks" and "Alibaba Cloud SMS".
#include <algorithm>
#include <charconv>

#include "herald/gateway/aliyun_receipts.hpp"

namespace herald::gateway {
namespace {

receipt_result verdict_of(const aliyun_receipt_record& r, aliyun_receipt_verdict v, const receipt_context& ctx) {
  receipt_result out;
  switch (v) {
    case aliyun_receipt_verdict::sent: out.verdict = receipt_verdict::delivered; break;
    case aliyun_receipt_verdict::failed: out.verdict = receipt_verdict::not_delivered; break;
    // 1 = waiting for the carrier's receipt, or a status not known: either way Alibaba Cloud
    // holds a record of the message, so it went out.
    case aliyun_receipt_verdict::pending: out.verdict = receipt_verdict::accepted; break;
    case aliyun_receipt_verdict::not_found: out.verdict = receipt_verdict::not_found; break;
  }
  out.code = r.err_code.empty() ? "SendStatus_" + std::to_string(r.send_status) : r.err_code;
  out.message = "receipt: SendStatus " + std::to_string(r.send_status);
  if (!r.err_code.empty()) out.message += " (" + r.err_code + ")";
  if (!r.receive_type.empty()) out.message += ", " + r.receive_type;
  out.message_id = ctx.message_id;  // records carry no BizId; the send answer's, when there was one
  return out;
}

}  // namespace

std::vector<std::string> aliyun_receipt_days(std::int64_t sent_at) {
  std::vector<std::string> days{aliyun_send_date(sent_at)};
  for (std::int64_t t : {sent_at - aliyun_receipt_day_margin_seconds, sent_at + aliyun_receipt_day_margin_seconds}) {
    std::string d = aliyun_send_date(t);
    if (std::find(days.begin(), days.end(), d) == days.end()) days.push_back(std::move(d));
  }
  return days;
}

std::string format_aliyun_receipt_cursor(aliyun_receipt_position p) {
  return std::to_string(p.day_index) + ":" + std::to_string(p.page);
}

std::optional<aliyun_receipt_position> parse_aliyun_receipt_cursor(std::string_view cursor) {
  if (cursor.empty()) return aliyun_receipt_position{};
  const auto colon = cursor.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  aliyun_receipt_position p;
  const std::string_view day = cursor.substr(0, colon), page = cursor.substr(colon + 1);
  const auto [day_end, day_ec] = std::from_chars(day.data(), day.data() + day.size(), p.day_index);
  const auto [page_end, page_ec] = std::from_chars(page.data(), page.data() + page.size(), p.page);
  if (day_ec != std::errc{} || day_end != day.data() + day.size() || page_ec != std::errc{} ||
      page_end != page.data() + page.size() || p.page < 1)
    return std::nullopt;
  return p;
}

result<aliyun_receipt_check> plan_aliyun_receipt_check(const model::event& e, const receipt_context& ctx,
                                                       bool batch_needs_call_out_id) {
  if (e.to.value.empty()) return make_error("the event has no phone number to ask about");
  if (ctx.sent_at_unix_seconds <= 0) return make_error("the send time is unknown, so is its SendDate");
  if (ctx.unix_seconds - ctx.sent_at_unix_seconds > aliyun_receipt_window_seconds)
    return make_error("the send is older than the receipt query's 30-day window");
  const auto position = parse_aliyun_receipt_cursor(ctx.cursor);
  if (!position) return make_error("not a receipt cursor of this gateway: " + ctx.cursor);

  aliyun_receipt_check check;
  check.phone_number = e.to.value;
  check.out_id = ctx.call_out_id.empty() ? aliyun_event_out_id(e) : ctx.call_out_id;
  // Every call of such an account names its OutId (receipt_call_id), so an empty one is a send
  // recorded without it (an older ledger record, or one made while the account sent one event per
  // call): most likely a one-event call, whose OutId is the event's own. A record with that OutId
  // proves the event was sent; its absence proves nothing (the call may have been a batch).
  check.out_id_is_assumed = ctx.call_out_id.empty() && batch_needs_call_out_id;
  check.days = aliyun_receipt_days(ctx.sent_at_unix_seconds);
  check.position = *position;
  if (check.position.day_index >= check.days.size())
    return make_error("not a receipt cursor of this gateway: " + ctx.cursor);
  if (check.position.page > aliyun_receipt_max_pages)
    return make_error("more than " + std::to_string(aliyun_receipt_max_pages * aliyun_query_max_page_size) +
                      " receipts for this number in one day");
  return check;
}

receipt_result judge_aliyun_receipt_page(const aliyun_receipt_page& page, const aliyun_receipt_check& check,
                                         const receipt_context& ctx) {
  receipt_result out;
  if (!page.is_ok) {
    // The query says nothing about the send. Alibaba Cloud's permanent codes mean the query
    // itself is wrong (parameters, credentials): asking again cannot help.
    const bool is_permanent = page.failure == outcome_class::permanent;
    out.verdict = is_permanent ? receipt_verdict::cannot_tell : receipt_verdict::retry_query;
    out.code = page.code;
    out.message = (is_permanent ? "receipt query refused: " : "receipt query failed: ") + page.message;
    out.message_id = ctx.message_id;
    return out;
  }

  const aliyun_receipt_match match = find_aliyun_receipt(page.records, check.out_id);
  if (match.record) return verdict_of(*match.record, match.verdict, ctx);

  out.message_id = ctx.message_id;
  out.code = "not_found";
  // More records than this page held: the next page, at once. TotalCount is what Alibaba Cloud
  // promises; a full page without one may have a successor too.
  const std::int64_t seen = static_cast<std::int64_t>(check.position.page) * aliyun_query_max_page_size;
  const bool has_more_pages =
      page.total_count > seen ||
      (page.total_count == 0 && page.records.size() >= static_cast<std::size_t>(aliyun_query_max_page_size));
  if (has_more_pages) {
    if (check.position.page >= aliyun_receipt_max_pages) {
      out.verdict = receipt_verdict::cannot_tell;
      out.code = "too_many_receipts";
      out.message = "more than " + std::to_string(seen) + " receipts for this number in one day";
      return out;
    }
    out.verdict = receipt_verdict::not_found;
    out.message = "no receipt with this OutId on page " + std::to_string(check.position.page) + " of " +
                  check.days[check.position.day_index] + "; reading the next page";
    out.next_cursor = format_aliyun_receipt_cursor({check.position.day_index, check.position.page + 1});
    return out;
  }
  if (check.position.day_index + 1 < check.days.size()) {
    out.verdict = receipt_verdict::not_found;
    out.message = "no receipt with this OutId on " + check.days[check.position.day_index] +
                  "; the send was close to midnight, reading " + check.days[check.position.day_index + 1];
    out.next_cursor = format_aliyun_receipt_cursor({check.position.day_index + 1, 1});
    return out;
  }

  // Every page of every day the send may be dated: not there. A send Alibaba Cloud answered (a
  // message id) is there eventually, so its absence is lag whatever its age.
  const bool may_be_final = ctx.message_id.empty() && !check.out_id_is_assumed &&
                            ctx.not_found_final_after_seconds > 0 &&
                            ctx.unix_seconds - ctx.sent_at_unix_seconds >= ctx.not_found_final_after_seconds;
  out.verdict = may_be_final ? receipt_verdict::not_sent : receipt_verdict::not_found;
  out.code = may_be_final ? "not_sent" : "not_found";
  const std::int64_t age = ctx.unix_seconds - ctx.sent_at_unix_seconds;
  out.message = may_be_final ? "no receipt with this OutId " + std::to_string(age) + " s after the send: nothing was sent"
                : check.out_id_is_assumed
                    ? "no receipt with the event's own OutId yet (the call's OutId was not recorded: it may have been a batch)"
                    : "no receipt with this OutId yet";
  return out;
}

}  // namespace herald::gateway
