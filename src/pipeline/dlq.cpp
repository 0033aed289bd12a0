// The DLQ copy of an invalid event, or of one that failed after its retries: the original key and
// value byte for byte, what went wrong and where it came from in headers (docs/events.md, DLQ), so
// that a replay tool can re-publish the value as it was. A copy over the record limit is cut to
// fit and says so (dlq_copy.hpp); one a broker refuses as too large is cut to half, a bounded
// number of times.
#include <algorithm>

#include "herald/pipeline/dlq_copy.hpp"
#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {

void worker::impl::produce_dlq_copy(item* it) {
  const std::string partition = std::to_string(it->out.source.partition);
  const std::string offset = std::to_string(it->out.source.offset);
  // The reason class lets `herald replay-dlq --reason-class` pick copies (dlq_replay.hpp).
  const std::string_view reason_class = it->out.st == model::status::invalid ? std::string_view("invalid")
                                                                             : std::string_view(it->out.outcome_class);
  kafka::header headers[12] = {{"herald.error", it->out.reason},
                               {"herald.source.topic", it->out.source.topic},
                               {"herald.source.partition", partition},
                               {"herald.source.offset", offset},
                               {"herald.class", reason_class}};
  std::size_t count = 5;
  // The event's trace context, as on its outcome record (kafka/trace_context.hpp).
  count += it->trace.write_headers(std::span(headers).subspan(count).first<2>());
  const std::size_t limit = it->dlq.max_record_bytes ? it->dlq.max_record_bytes : producer->max_record_bytes();
  const dlq_cut cut = fit_dlq_copy(it->key.size(), it->raw.size(), headers_bytes({headers, count}), limit);
  std::string_view key = it->key;
  std::string_view value = it->raw;
  truncation_values described;
  if (cut.is_cut()) {
    described = describe_truncation(key, value, cut);
    count += append_truncation_headers(std::span(headers).subspan(count), described, cut);
    key = key.substr(0, cut.key_bytes);
    value = value.substr(0, cut.value_bytes);
    ++stats.dlq_truncated;
    log::warn("DLQ copy cut to fit the record limit",
              {{"event_id", it->out.event_id}, {"trace_id", log::if_any(it->trace.trace_id())}, {"topic", cfg.kafka.dlq_topic},
               {"source_offset", it->out.source.offset},
               {"original_bytes", static_cast<std::int64_t>(it->raw.size())},
               {"kept_bytes", static_cast<std::int64_t>(value.size())},
               {"max_record_bytes", static_cast<std::int64_t>(limit)}});
  }
  producer->produce(cfg.kafka.dlq_topic, key, value, {headers, count}, &it->dlq, {it->is_key_null, it->is_raw_null},
                    it->part->tag);
}

void dlq_delivery::on_delivery(const kafka::delivery_report& report) {
  item* it = owner;
  worker::impl* core = it->core;
  if (report.is_delivered || report.kind == kafka::produce_error::dropped) {
    if (--it->pending_deliveries == 0) {
      if (core->is_revoked(it)) core->drop(it);
      else core->on_outcome_durable(it);
    }
    return;
  }
  ++core->stats.produce_failures;
  if (report.kind != kafka::produce_error::record_too_large) {
    log::error("DLQ copy can never be written", {{"topic", report.topic}, {"kind", kafka::to_string(report.kind)},
                                                 {"error", report.error}, {"event_id", it->out.event_id},
                                                 {"trace_id", log::if_any(it->trace.trace_id())}});
    core->mark_undeliverable(it);
    core->fail_stop("the DLQ topic " + std::string(report.topic) + " cannot be written (" +
                    std::string(kafka::to_string(report.kind)) + "): " + std::string(report.error));
    return;
  }
  // A broker took less than the producer allows (the topic's max.message.bytes, or the batch the
  // copy travelled in): half of what was sent, until it fits or the tries run out.
  const std::size_t limit = max_record_bytes ? max_record_bytes : core->producer->max_record_bytes();
  const std::size_t sent = std::min(limit, record_overhead_bytes + it->key.size() + it->raw.size() + 256);
  if (shrinks < max_dlq_shrinks && sent / 2 > 0) {
    ++shrinks;
    max_record_bytes = sent / 2;
    log::warn("DLQ copy refused as too large, producing it cut to half",
              {{"topic", report.topic}, {"error", report.error}, {"event_id", it->out.event_id},
               {"trace_id", log::if_any(it->trace.trace_id())}, {"max_record_bytes", static_cast<std::int64_t>(max_record_bytes)}, {"try", shrinks}});
    core->produce_dlq_copy(it);
    return;
  }
  // Given up: the event's outcome still says what happened to it; only the copy of its bytes is
  // missing, which the log line and herald_dlq_lost_total tell.
  ++core->stats.dlq_lost;
  log::error("DLQ copy given up: refused as too large even when cut",
             {{"topic", report.topic}, {"error", report.error}, {"event_id", it->out.event_id},
              {"trace_id", log::if_any(it->trace.trace_id())}, {"source_topic", it->out.source.topic}, {"source_partition", it->out.source.partition},
              {"source_offset", it->out.source.offset}, {"original_bytes", static_cast<std::int64_t>(it->raw.size())}});
  if (--it->pending_deliveries == 0) core->on_outcome_durable(it);
}

}  // namespace herald::pipeline
