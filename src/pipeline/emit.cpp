// Emit: the one outcome record of each event goes to the results topic (and an invalid event's
// original bytes to the DLQ); only once Kafka has them does the offset become committable.
#include <sys/resource.h>

#include <algorithm>

#include <boost/asio/post.hpp>

#include "herald/pipeline/finished_offsets.hpp"
#include "herald/util/json_text.hpp"
#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {

void worker::impl::settle(item* it, model::status st, std::string reason) {
  it->out.st = st;
  it->out.reason = std::move(reason);
  emit(it);
}

void worker::impl::settle_offset(item* it) {
  if (it->is_offset_settled) return;
  it->is_offset_settled = true;
  if (it->part->marks.settle(it->offset)) it->part->is_dirty = true;
}

void worker::impl::emit(item* it) {
  // A partition revoked meanwhile: its new owner delivers the record again and ends it there.
  if (is_revoked(it)) {
    drop(it);
    return;
  }
  move_to(it, stage::emitting);
  auto& o = it->out;
  // The event is done with: its identity moves into the outcome (log lines use out.event_id).
  // Swapped, not moved: both buffers stay with the item for its next event (item::recycle).
  o.event_id.swap(it->ev.event_id);
  o.order_id.swap(it->ev.order_id);
  o.account.swap(it->ev.account);
  o.attempts = it->attempts;
  o.settled_at_ms = now_ms();
  o.trace_id.assign(it->trace.trace_id());
  if (model::bound_texts(o))
    log::warn("outcome texts cut to their bound", {{"event_id", o.event_id}, {"trace_id", log::if_any(o.trace_id)},
                                                   {"limit", static_cast<std::int64_t>(model::max_outcome_text_bytes)}});
  ++stats.outcomes[static_cast<int>(o.st)];
  it->outcome_json = model::to_json(o);
  // Every event's end, to follow one (by event_id or trace_id) at debug level.
  log::debug("outcome", {{"event_id", o.event_id}, {"status", model::to_string(o.st)},
                         {"trace_id", log::if_any(o.trace_id)}, {"topic", o.source.topic},
                         {"partition", o.source.partition}, {"offset", o.source.offset}});

  // The first copy of a notification decides for the copies that waited behind it.
  release_followers(it);

  // Invalid events, and events that failed after their retries, go to the DLQ too (dlq.cpp).
  it->pending_deliveries = o.st == model::status::invalid || it->to_dlq ? 2 : 1;
  hand_over(it);
}

void worker::impl::hand_over(item* it) {
  if (!producer->is_transactional()) {
    give_records(it);
    return;
  }
  // In a transaction a record commits with the offsets settled so far (offsets_now). A record
  // committed ahead of its offset (a lower one still in flight) would, after a crash, see its event
  // delivered again and ended a second time, so each commit names the finished offsets above the
  // committed one in its metadata, and the next owner drops their redelivery (on_committed). What
  // that metadata cannot name (finished_window) waits here, in offset order, until it can.
  settle_offset(it);
  if (!it->is_handed_over) {
    // Settled: out of the in-flight window (and its account's share), so that events waiting
    // here behind a slow one never hold the window shut; they count in a bound of their own.
    it->is_handed_over = true;
    --total_in_flight;
    in_flight_bytes -= it->held_bytes;
    uncount_for_account(it);
    ++handed_over;
    handed_over_bytes += it->held_bytes;
  }
  it->part->ready.push(it);
  give_ready(*it->part);
}

void worker::impl::give_ready(partition_state& part) {
  // Up to the window the next commit's metadata can name (finished_offsets.hpp).
  if (const auto low = part.marks.low_water())
    part.ready.release_below(*low + finished_window, [this](item* it) { give_records(it); });
}

void worker::impl::give_records(item* it) {
  // The event's trace context goes on each of its records, as it came (kafka/trace_context.hpp);
  // the envelope's comes back with it when it is consumed again (track).
  kafka::header trace[2];
  const std::size_t traced = it->trace.write_headers(trace);
  if (!it->parked_topic.empty()) {
    // Keyed by the event's own key (one key's events stay in order), null when it was null.
    producer->produce(it->parked_topic, it->key, it->outcome_json, {trace, traced}, it, {it->is_key_null, false},
                      it->part->tag);
    return;
  }
  // herald_event_latency_seconds: from its record's timestamp. An event back from a retry or delay
  // topic counts from when its first record was consumed (its envelope's timestamp is when it was
  // parked); a record without a timestamp, from when it was consumed.
  const std::int64_t from = it->part->is_waiting_source || it->record_timestamp_ms <= 0 ? it->first_consumed_at_ms
                                                                                         : it->record_timestamp_ms;
  if (from > 0)
    observed.latency_by_status[static_cast<int>(it->out.st)]->observe(
        static_cast<double>(std::max<std::int64_t>(0, now_ms() - from)) / 1000.0);
  if (it->pending_deliveries == 2) {
    it->dlq.owner = it;
    produce_dlq_copy(it);
  }
  // The item keeps the record until its delivery report: librdkafka need not copy it.
  producer->produce_borrowed(cfg.kafka.results_topic, it->out.event_id, it->outcome_json, {trace, traced}, it,
                             it->part->tag);
}

std::vector<kafka::committed_offset> worker::impl::offsets_now() {
  std::vector<kafka::committed_offset> out;
  out.reserve(partitions.size());
  for (auto& p : partitions) {
    p->is_dirty = false;
    // A partition holding a record that can never be written commits nothing more (fail_stop).
    if (p->is_blocked) continue;
    // The finished offsets above it go with it, for the next owner (finished_offsets.hpp).
    // Before anything at its front settled, the partition's start is committed again, with them.
    if (auto next = p->marks.committable()) {
      out.push_back({p->tp, *next, encode_finished(*next, p->marks)});
    } else if (auto low = p->marks.low_water()) {
      if (std::string finished = encode_finished(*low, p->marks); !finished.empty())
        out.push_back({p->tp, *low, std::move(finished)});
    }
  }
  return out;
}

void item::on_delivery(const kafka::delivery_report& report) {
  if (report.is_delivered || report.kind == kafka::produce_error::dropped) {
    // Dropped: its partition was revoked before its transaction committed; the new owner has it.
    if (--pending_deliveries == 0) {
      if (core->is_revoked(this)) core->drop(this);
      else core->on_outcome_durable(this);
    }
    return;
  }
  // A permanent failure (the producer retried the transient ones): producing the same record
  // again would fail the same way.
  ++core->stats.produce_failures;
  if (!parked_topic.empty() && report.kind == kafka::produce_error::record_too_large) {
    // The broker takes less than the producer (its max.message.bytes): the event cannot wait, so it
    // ends now, its bytes to the DLQ. A send of unknown fate stays `unknown`.
    log::error("retry envelope refused as too large: the event ends instead of waiting",
               {{"event_id", ev.event_id}, {"trace_id", log::if_any(trace.trace_id())}, {"topic", report.topic},
                {"error", report.error}, {"envelope_bytes", static_cast<std::int64_t>(outcome_json.size())}});
    const std::string why = "it had to wait, but " + std::string(report.topic) + " refused its retry envelope of " +
                            std::to_string(outcome_json.size()) + " bytes: " + std::string(report.error);
    parked_topic.clear();
    to_dlq = true;
    core->settle(this, sent_at_s > 0 ? model::status::unknown : model::status::failed, why);
    return;
  }
  const std::string_view what = parked_topic.empty() ? "the outcome record" : "the retry envelope";
  log::error("record can never be written", {{"what", what}, {"topic", report.topic},
                                             {"kind", kafka::to_string(report.kind)}, {"error", report.error},
                                             {"event_id", parked_topic.empty() ? out.event_id : ev.event_id},
                                             {"trace_id", log::if_any(trace.trace_id())}});
  core->mark_undeliverable(this);
  core->fail_stop(std::string(what) + " of an event cannot be written to " + std::string(report.topic) + " (" +
                  std::string(kafka::to_string(report.kind)) + "): " + std::string(report.error));
}

void worker::impl::leave_window(item* it) {
  if (it->is_handed_over) {
    --handed_over;
    handed_over_bytes -= it->held_bytes;
    return;
  }
  --total_in_flight;
  in_flight_bytes -= it->held_bytes;
  uncount_for_account(it);
}

void worker::impl::on_outcome_durable(item* it) {
  settle_offset(it);
  leave_window(it);
  --in_stage[static_cast<int>(it->at)];
  free_item(it);
  if (is_stopping && total_in_flight == undeliverable) {
    boost::asio::post(io, [self = shared_from_this()] { self->finish_stop(); });
  }
}

void worker::impl::finish_stop() {
  if (!on_stopped) return;
  auto done = std::move(on_stopped);
  on_stopped = nullptr;
  stop_timer.cancel();
  std::size_t left = 0;
  if (producer->is_transactional()) {
    // The last transaction commits what is settled before the group is left: closing the consumer
    // revokes every partition, which drops what is not committed yet.
    left = producer->flush(std::chrono::seconds(10));
    consumer->close();
  } else {
    store_offsets();
    consumer->close();
    left = producer->flush(std::chrono::seconds(10));
  }
  redis->stop();
  http->close_all();
  if (admin) admin->stop();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto micros = [](const timeval& tv) { return static_cast<std::int64_t>(tv.tv_sec) * 1'000'000 + tv.tv_usec; };
  // CPU and peak memory over the whole run: the benchmark reads them from this line.
  log::info("herald stopped", {{"unsettled", static_cast<std::int64_t>(total_in_flight)},
                               {"undelivered_records", static_cast<std::int64_t>(left)},
                               {"consumed", static_cast<std::int64_t>(stats.consumed)},
                               {"redis_round_trips", static_cast<std::int64_t>(redis->round_trips())},
                               {"cpu_user_us", micros(usage.ru_utime)},
                               {"cpu_system_us", micros(usage.ru_stime)},
                               {"max_rss_kb", static_cast<std::int64_t>(usage.ru_maxrss)},
                               {"minor_page_faults", static_cast<std::int64_t>(usage.ru_minflt)}});
  done(!failure.empty() || producer->has_fatal_error() ? worker::exit_code_failed : 0);
}

}  // namespace herald::pipeline
