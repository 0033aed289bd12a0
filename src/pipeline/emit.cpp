// Emit: the one outcome record of each event goes to the results topic (and an invalid event's
// original bytes to the DLQ); only once Kafka has them does the offset become committable.
#include <sys/resource.h>

#include <boost/asio/post.hpp>

#include "herald/util/json_text.hpp"
#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {

void worker::impl::settle(item* it, model::status st, std::string reason) {
  it->out.st = st;
  it->out.reason = std::move(reason);
  emit(it);
}

void worker::impl::settle(decision&& d) {
  item* it = d.it;
  it->out.st = d.st;
  it->out.reason = std::move(d.reason);
  it->out.outcome_class = std::move(d.outcome_class);
  it->out.gateway_code = std::move(d.code);
  it->out.gateway_message_id = std::move(d.message_id);
  it->out.policy = std::move(d.policy);
  emit(it);
}

void worker::impl::emit(item* it) {
  move_to(it, stage::emitting);
  auto& o = it->out;
  // The event is done with: its identity moves into the outcome (log lines use out.event_id).
  // Swapped, not moved: both buffers stay with the item for its next event (item::recycle).
  o.event_id.swap(it->ev.event_id);
  o.order_id.swap(it->ev.order_id);
  o.account.swap(it->ev.account);
  o.attempts = it->attempts;
  o.settled_at_ms = now_ms();
  ++stats.outcomes[static_cast<int>(o.st)];
  it->outcome_json = model::to_json(o);

  // The first copy of a notification decides for the copies that waited behind it.
  release_followers(it, "ended ", model::to_string(o.st));

  it->pending_deliveries = 1;
  if (o.st == model::status::invalid || it->to_dlq) {
    // Invalid events, and events that failed after their retries, go to the DLQ too. The copy
    // carries the original bytes unchanged; what went wrong and where it came from
    // travel in headers, so a replay tool can re-publish the value as it was.
    it->pending_deliveries = 2;
    it->dlq.owner = it;
    const std::string partition = std::to_string(it->out.source.partition);
    const std::string offset = std::to_string(it->out.source.offset);
    const kafka::header headers[] = {{"herald.error", o.reason},
                                     {"herald.source.topic", it->out.source.topic},
                                     {"herald.source.partition", partition},
                                     {"herald.source.offset", offset}};
    producer->produce(cfg.kafka.dlq_topic, it->key, it->raw, headers, &it->dlq);
  }
  // The item keeps the record until its delivery report: librdkafka need not copy it.
  producer->produce_borrowed(cfg.kafka.results_topic, o.event_id, it->outcome_json, {}, it);
}

void item::on_delivery(bool delivered, std::string_view error) {
  if (!delivered) {
    // Not durable yet: the offset must not move. Produce it again (the producer is idempotent).
    ++core->stats.produce_failures;
    if (!parked_topic.empty()) {
      log::warn("retry envelope not delivered, producing again", {{"error", error}, {"event_id", ev.event_id}});
      core->producer->produce(parked_topic, key, outcome_json, {}, this);
      return;
    }
    log::warn("outcome record not delivered, producing again", {{"error", error}, {"event_id", out.event_id}});
    core->producer->produce(core->cfg.kafka.results_topic, out.event_id, outcome_json, {}, this);
    return;
  }
  if (--pending_deliveries == 0) core->on_outcome_durable(this);
}

void dlq_delivery::on_delivery(bool delivered, std::string_view error) {
  if (!delivered) {
    ++owner->core->stats.produce_failures;
    log::warn("DLQ record not delivered, producing again", {{"error", error}});
    const std::string partition = std::to_string(owner->out.source.partition);
    const std::string offset = std::to_string(owner->out.source.offset);
    const kafka::header headers[] = {{"herald.error", owner->out.reason},
                                     {"herald.source.topic", owner->out.source.topic},
                                     {"herald.source.partition", partition},
                                     {"herald.source.offset", offset}};
    owner->core->producer->produce(owner->core->cfg.kafka.dlq_topic, owner->key, owner->raw, headers, this);
    return;
  }
  if (--owner->pending_deliveries == 0) owner->core->on_outcome_durable(owner);
}

void worker::impl::on_outcome_durable(item* it) {
  if (it->part->marks.settle(it->offset)) it->part->is_dirty = true;
  --total_in_flight;
  in_flight_bytes -= it->held_bytes;
  uncount_for_account(it);
  --in_stage[static_cast<int>(it->at)];
  free_item(it);
  if (is_stopping && total_in_flight == 0) {
    boost::asio::post(io, [self = shared_from_this()] { self->finish_stop(); });
  }
}

void worker::impl::finish_stop() {
  if (!on_stopped) return;
  auto done = std::move(on_stopped);
  on_stopped = nullptr;
  stop_timer.cancel();
  store_offsets();
  consumer->close();
  std::size_t left = producer->flush(std::chrono::seconds(10));
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
  done(producer->has_fatal_error() ? 2 : 0);
}

}  // namespace herald::pipeline
