// Waiting without holding a partition (docs/retries.md): an event that must wait longer than the
// worker should hold it (a long backoff, a receipt grace period, the marketing window) is written
// to the retry or delay topic as an envelope; once Kafka has it, the source offset settles. The
// same consumer reads those topics back: a head not yet due pauses its partition until it is.
#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {

// The start-up check that every event can wait (flow::check_retry_record_fits) counts the trace
// headers its envelope may carry.
static_assert(flow::retry_record_trace_headers_bytes >= kafka::max_trace_headers_bytes);

void worker::impl::on_waiting_message(const std::shared_ptr<partition_state>& part, const kafka::message_view& m) {
  if (part->held_offset >= 0) {
    // Fetched before the pause took effect; the seek brings it back once the head is due.
    return;
  }
  // Before the hold: a record already handled must not hold (and seek back) the partition again.
  if (is_redelivery(*part, m, part->marks.check(m.offset))) {
    part->marks.note_delivered(m.offset);  // a finished offset preset on assignment is passed now
    return;
  }
  auto env = flow::decode_retry_envelope(m.payload);
  if (env && env.value().not_before_ms > now_ms()) {
    hold(part, m.offset, env.value().not_before_ms);
    return;
  }
  item* it = track(part, m);
  if (!it) return;
  if (!env) {
    // Not an envelope Herald wrote (or a damaged one): the record goes to the DLQ as it is.
    log::warn("invalid retry envelope", {{"topic", m.topic}, {"partition", m.partition}, {"offset", m.offset},
                                         {"trace_id", log::if_any(it->trace.trace_id())}, {"error", env.message()}});
    settle(it, model::status::invalid, env.message());
    apply_flow_control();
    return;
  }
  auto& e = env.value();
  it->out.source = std::move(e.source);
  it->raw = std::move(e.original_value);
  it->key = std::move(e.original_key);
  it->is_key_null = e.is_key_null;
  it->attempts = e.attempts;
  it->first_consumed_at_ms = e.first_consumed_at_ms;
  it->sent_at_s = e.sent_at_ms ? *e.sent_at_ms / 1000 : 0;
  it->sent_message_id = std::move(e.message_id);
  it->call_out_id = std::move(e.out_id);
  it->receipt_checks = e.receipt_checks;
  log::debug("waiting event due", {{"topic", m.topic}, {"offset", m.offset},
                                   {"trace_id", log::if_any(it->trace.trace_id())},
                                   {"stage", flow::to_string(e.stage)}});
  admit(it, e.stage);
}

void worker::impl::hold(const std::shared_ptr<partition_state>& part, std::int64_t offset, std::int64_t due_ms) {
  part->held_offset = offset;
  // The pause drops what librdkafka fetched beyond the head; the seek makes the head itself the
  // next message once the partition is resumed.
  apply_flow_control();
  consumer->seek(part->tp, offset);
  if (!part->hold_timer) part->hold_timer = std::make_unique<boost::asio::steady_timer>(io);
  const std::int64_t delay = std::max<std::int64_t>(0, due_ms - now_ms());
  part->hold_timer->expires_after(std::chrono::milliseconds(delay));
  part->hold_timer->async_wait([self = shared_from_this(), part](const boost::system::error_code& ec) {
    if (ec || !part->is_assigned) return;
    part->held_offset = -1;
    self->apply_flow_control();
  });
  log::debug("waiting partition held", {{"topic", part->tp.topic}, {"partition", part->tp.partition},
                                        {"offset", offset}, {"due_in_ms", delay}});
}

void worker::impl::park(item* it, flow::retry_reason reason, flow::retry_stage stage, std::int64_t not_before_ms) {
  if (is_revoked(it)) {
    drop(it);
    return;
  }
  flow::retry_envelope e;
  e.original_value = it->raw;
  e.original_key = it->key;
  e.is_key_null = it->is_key_null;
  e.source = it->out.source;
  e.attempts = it->attempts;
  e.not_before_ms = not_before_ms;
  e.reason = reason;
  e.stage = stage;
  if (it->sent_at_s > 0) e.sent_at_ms = it->sent_at_s * 1000;
  e.message_id = it->sent_message_id;
  if (e.message_id.size() > flow::max_envelope_id_bytes) {
    // No real gateway's id is this long; kept, it would make the envelope unbounded. The receipt
    // check then asks without it (docs/retries.md), as for a gateway that gave none.
    log::warn("gateway message id too long for a retry envelope, left out",
              {{"event_id", it->ev.event_id}, {"trace_id", log::if_any(it->trace.trace_id())},
               {"bytes", static_cast<std::int64_t>(e.message_id.size())}});
    e.message_id.clear();
  }
  e.out_id = it->call_out_id;
  e.first_consumed_at_ms = it->first_consumed_at_ms;
  e.receipt_checks = it->receipt_checks;
  auto text = flow::encode_retry_envelope(e);
  if (!text) {
    // Only text that is not UTF-8 in an id Herald was given can do this: the event cannot wait.
    log::error("retry envelope could not be written",
               {{"event_id", it->ev.event_id}, {"trace_id", log::if_any(it->trace.trace_id())},
                {"error", text.message()}});
    it->to_dlq = true;
    settle(it, model::status::failed, "it had to wait, but its retry envelope could not be written: " + text.message());
    return;
  }
  const std::string& topic = reason == flow::retry_reason::marketing_window ? cfg.kafka.delay_topic : cfg.kafka.retry_topic;
  ++stats.parked;
  log::debug("event parked", {{"event_id", it->ev.event_id}, {"trace_id", log::if_any(it->trace.trace_id())},
                              {"topic", topic}, {"reason", flow::to_string(reason)},
                              {"not_before_ms", not_before_ms}});
  park_followers(it, not_before_ms);
  move_to(it, stage::emitting);
  it->parked_topic = topic;
  it->outcome_json = std::move(text.value());
  it->pending_deliveries = 1;
  hand_over(it);
}

}  // namespace herald::pipeline
