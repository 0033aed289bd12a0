// Intake: consumed messages are tracked in their partition's watermark, decoded, and handed to
// the guard. While the in-flight bound is reached, intake is gated (nothing more is taken from
// librdkafka's queue); only a gate closed for long, or a partition over its own bound, pauses
// partitions (apply_flow_control).
#include <rapidjson/document.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "herald/flow/marketing_window.hpp"
#include "herald/ledger/ledger_keys.hpp"
#include "herald/model/invalid_event.hpp"
#include "herald/pipeline/finished_offsets.hpp"
#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {
namespace {

// What an invalid event still says about itself, so that its outcome can be traced to an order
// (only well-formed text; the bytes may be hostile). Runs on the invalid path only.
void identify_invalid(std::string_view payload, item& it) { model::identify_invalid_event(payload, it.ev); }

}  // namespace

std::shared_ptr<partition_state> worker::impl::find_partition(std::string_view topic, std::int32_t partition) {
  for (auto& p : partitions)
    if (p->tp.partition == partition && p->tp.topic == topic) return p;
  return nullptr;
}

void worker::impl::on_assigned(std::span<const kafka::topic_partition> tps) {
  for (const auto& tp : tps) {
    auto state = std::make_shared<partition_state>();
    state->tp = tp;
    state->tag = ++last_partition_tag;
    state->is_waiting_source = tp.topic == cfg.kafka.retry_topic || tp.topic == cfg.kafka.delay_topic;
    partitions.push_back(std::move(state));
  }
  apply_flow_control();
}

void worker::impl::on_committed(const kafka::topic_partition& tp, std::int64_t committed, std::string_view metadata) {
  auto part = find_partition(tp.topic, tp.partition);
  if (!part || committed < 0) return;
  // Finished by an earlier owner, their outcomes committed: their redelivery is dropped.
  const auto finished = decode_finished(metadata, committed);
  for (std::int64_t o : finished) part->marks.preset_settled(o);
  if (!finished.empty())
    log::info("finished offsets above the committed one read back", {{"topic", tp.topic}, {"partition", tp.partition},
                                                                     {"committed", committed},
                                                                     {"finished", static_cast<std::int64_t>(finished.size())}});
}

void worker::impl::on_revoked(std::span<const kafka::topic_partition> tps) {
  if (!producer->is_transactional()) store_offsets();  // committed by the consumer before it lets go
  std::vector<kafka::source_tag> tags;
  std::vector<item*> unhanded;
  for (const auto& tp : tps) {
    for (auto it = partitions.begin(); it != partitions.end(); ++it) {
      if ((*it)->tp == tp) {
        // Its events still in flight are dropped at their next step (carry_out, emit, park): no
        // outcome from here, since the new owner delivers them again from the last commit, and
        // meets their ledger records; a call on the wire still writes what it did to the ledger.
        // Their records not yet committed are never committed (kafka::producer::drop_sources).
        (*it)->is_assigned = false;
        tags.push_back((*it)->tag);
        // Finished, but never given to a transaction (their offsets were not reached): dropped.
        for (item* r : (*it)->ready.take_all()) unhanded.push_back(r);
        if ((*it)->hold_timer) (*it)->hold_timer->cancel();
        partitions.erase(it);
        break;
      }
    }
  }
  if (producer->is_transactional() && !tags.empty()) producer->drop_sources(tags);
  for (item* r : unhanded) drop(r);
  // Events of those partitions waiting in the batcher go when their batch is dispatched
  // (send_batch drops them); the gate and pauses are recomputed for what is left.
  apply_flow_control();
}

void worker::impl::on_message(const kafka::message_view& m) {
  if (++stats.consumed == 1) log::info("first event consumed", {{"topic", m.topic}, {"partition", m.partition}});
  std::shared_ptr<partition_state> part = find_partition(m.topic, m.partition);
  if (!part) {
    // A message for a partition not (or no longer) assigned: leave it to the partition's owner.
    log::warn("message from an unassigned partition ignored", {{"topic", m.topic}, {"partition", m.partition}});
    return;
  }
  // A waiting partition held at its head takes nothing after it (not even an unreadable record,
  // whose settling would carry the commit past the held envelope); the seek brings them back.
  if (part->is_waiting_source && part->held_offset >= 0) return;
  if (!m.error.empty()) {
    // A record librdkafka could not read (logged by the consumer): its outcome holds its place in
    // the partition, so that its offset is committed past only once that outcome is durable.
    item* it = track(part, m);
    if (!it) return;  // a redelivery of a record already handled or being handled
    settle(it, model::status::invalid, "the Kafka record could not be read: " + std::string(m.error));
    apply_flow_control();
    return;
  }
  if (part->is_waiting_source) {
    on_waiting_message(part, m);
    return;
  }
  item* it = track(part, m);
  if (!it) return;  // a redelivery of a record already handled or being handled
  it->first_consumed_at_ms = now_ms();
  admit(it, flow::retry_stage::send);
}

bool worker::impl::is_redelivery(const partition_state& part, const kafka::message_view& m,
                                 watermark::track_result seen) {
  if (seen == watermark::track_result::tracked) return false;
  // Its first delivery is in flight or done: handled again it could be sent twice, and tracked
  // again it would hold the partition's commit for good.
  ++stats.redeliveries_dropped;
  log::debug("redelivered record dropped",
             {{"topic", part.tp.topic}, {"partition", part.tp.partition}, {"offset", m.offset},
              {"first_delivery", seen == watermark::track_result::already_in_flight ? "in flight" : "settled"}});
  return true;
}

item* worker::impl::track(const std::shared_ptr<partition_state>& part, const kafka::message_view& m) {
  if (is_redelivery(*part, m, part->marks.track(m.offset))) return nullptr;
  ++total_in_flight;
  ++in_stage[static_cast<int>(stage::decoding)];
  item* it = new_item();
  it->core = this;
  it->part = part;
  it->offset = m.offset;
  it->out.source.topic.assign(part->tp.topic);
  it->out.source.partition = part->tp.partition;
  it->out.source.offset = m.offset;
  it->raw.assign(m.payload);
  it->key.assign(m.key);
  it->is_raw_null = m.is_payload_null;
  it->is_key_null = m.is_key_null;
  it->record_timestamp_ms = m.timestamp_ms;
  // Never a reason to refuse the event: a record with a traceparent that is not valid just has none.
  if (const auto why = it->trace.read(m.headers); !why.empty())
    log::debug("traceparent ignored", {{"topic", part->tp.topic}, {"partition", part->tp.partition},
                                       {"offset", m.offset}, {"error", why}});
  it->held_bytes = static_cast<std::uint32_t>(m.payload.size() + m.key.size());
  in_flight_bytes += it->held_bytes;
  return it;
}

item* worker::impl::new_item() {
  if (spare_items.empty()) return new item();
  item* it = spare_items.back();
  spare_items.pop_back();
  return it;
}

void worker::impl::free_item(item* it) {
  // Never deleted while the worker runs: a failed coroutine's handler reads the stamp of items it
  // handed on (coroutine_guard.hpp), which must still be items. The spare list is as long as the
  // most items ever in flight at once, which the in-flight bound limits.
  it->recycle();
  spare_items.push_back(it);
}

worker::impl::~impl() {
  for (item* it : spare_items) delete it;
}

void item::recycle() {
  // Member by member, not `*this = item()`: building and moving a whole new item cost ~2,700
  // instructions per event (callgrind), and clear() keeps each buffer for the next event. A member
  // added to item must be reset here too; the size check is the reminder.
#if defined(__x86_64__) && defined(__GLIBCXX__)
  static_assert(sizeof(item) == 1520, "item changed: reset the new member in item::recycle, then update the size");
#endif
  core = nullptr;
  part.reset();
  offset = 0;
  // The buffers a large event grew are given back (limits.hpp): kept, a burst of them would stay.
  clear_buffer(key);
  clear_buffer(raw);
  clear_buffer(error);
  trace.clear();
  model::clear(ev);
  acct = nullptr;
  keys.ledger.clear();
  keys.quota.clear();
  keys.period = 0;
  daily_limit = 0;
  attempts = 0;
  first_consumed_at_ms = 0;
  record_timestamp_ms = -1;
  owner.clear();
  source_id.clear();
  reserve_mode = ledger::reserve_mode::fresh;
  sent_at_s = 0;
  call_out_id.clear();
  sent_message_id.clear();
  receipt_checks = 0;
  at = pipeline::stage::decoding;
  to_dlq = false;
  is_key_null = false;
  is_raw_null = false;
  is_undeliverable = false;
  counts_for_account = false;
  is_offset_settled = false;
  is_handed_over = false;
  held_bytes = 0;
  parked_topic.clear();
  model::clear(out);
  clear_buffer(outcome_json);
  pending_deliveries = 0;
  dlq.owner = nullptr;
  dlq.max_record_bytes = 0;
  dlq.shrinks = 0;
  leader = nullptr;
  followers.clear();
  task = 0;
}

void worker::impl::admit(item* it, flow::retry_stage stage) {
  // Checked before anything reads it: an oversized record costs no parse, and every event that
  // gets further has a retry envelope that fits a Kafka record (checked at start-up).
  if (is_event_too_large(it->raw.size(), it->key.size(), cfg.kafka.max_event_bytes)) {
    std::string why = event_too_large_reason(it->raw.size(), it->key.size(), cfg.kafka.max_event_bytes);
    log::warn("invalid event", {{"topic", it->out.source.topic}, {"partition", it->out.source.partition},
                                {"offset", it->out.source.offset}, {"trace_id", log::if_any(it->trace.trace_id())}, {"error", why}});
    settle(it, model::status::invalid, std::move(why));
    apply_flow_control();
    return;
  }
  auto decoded = model::decode_event_into(it->raw, cfg, it->ev);
  if (!decoded) {
    model::clear(it->ev);  // what was read before the error is not the event's identity
    identify_invalid(it->raw, *it);
    log::warn("invalid event", {{"topic", it->out.source.topic}, {"partition", it->out.source.partition},
                                {"offset", it->out.source.offset}, {"trace_id", log::if_any(it->trace.trace_id())},
                                {"error", decoded.message()}});
    settle(it, model::status::invalid, decoded.message());
    apply_flow_control();
    return;
  }
  it->acct = accounts.at(it->ev.account).get();
  const auto& acct_cfg = *it->acct->cfg;
  const auto& limits = acct_cfg.daily_limit ? *acct_cfg.daily_limit : cfg.quota.daily_limit;
  it->daily_limit = it->ev.category == config::category::marketing ? limits.marketing : limits.transactional;
  const std::int64_t now = now_ms();
  ledger::make_keys_into(it->keys, cfg.redis.key_prefix, it->ev, now / 1000, cfg.ledger.quota_utc_offset_minutes,
                         ledger->layout(), cfg.ledger.recipient_hash_key);

  if (stage == flow::retry_stage::send && it->ev.category == config::category::marketing) {
    // Outside the window a marketing event waits on the delay topic: nothing is reserved yet.
    const flow::marketing_window window{acct_cfg.marketing_window_start_minute, acct_cfg.marketing_window_end_minute,
                                        cfg.ledger.quota_utc_offset_minutes};
    if (!window.is_open(now)) {
      park(it, flow::retry_reason::marketing_window, flow::retry_stage::send, window.next_opening_ms(now));
      apply_flow_control();
      return;
    }
  }

  // One account may hold only its share of the window while it does not drain it (limits.hpp).
  if (it->acct->in_flight >= cfg.kafka.max_in_flight_per_account) {
    const std::int64_t t = mono_ms();
    const account_load load = load_of(*it->acct, t);
    const share_verdict verdict = decide_share(load);
    if (verdict == share_verdict::defer) {
      defer_for_account(it, stage, load, t);
      apply_flow_control();
      return;
    }
    if (verdict == share_verdict::admit_and_wait) {
      // apply_flow_control (below) closes the gate; the timer looks again when the wait is over.
      share_wait_until_ms = std::max(share_wait_until_ms, it->acct->busy_since_ms + drain_meter::window_ms);
      share_timer.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(1, share_wait_until_ms - t)));
      share_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->apply_flow_control();
      });
    }
  }
  count_for_account(it);
  ledger::append_source_id(it->source_id, it->out.source.topic, it->out.source.partition, it->out.source.offset);
  enter(it, stage);
  apply_flow_control();
}

void worker::impl::enter(item* it, flow::retry_stage stage) {
  // The same notification already on its way here: never a second send; this copy ends as that
  // one does, or waits with it (release_followers, park_followers).
  if (in_flight.enter(it->keys.ledger, it)) return;
  if (stage == flow::retry_stage::receipt_check) {
    check_receipt(it);
    return;
  }
  // send: a fresh reserve; resend: a receipt check proved the earlier attempt sent nothing, and
  // the guard turns its `c` back into this attempt's `r`.
  it->reserve_mode = stage == flow::retry_stage::resend ? ledger::reserve_mode::resend : ledger::reserve_mode::fresh;
  move_to(it, pipeline::stage::reserving);
  guard_queue.push_back(it);
  schedule_guard();
}

account_load worker::impl::load_of(account_runtime& acct, std::int64_t mono_now) {
  account_load a;
  a.in_flight = acct.in_flight;
  a.share = cfg.kafka.max_in_flight_per_account;
  a.busy_for_ms = acct.busy_since_ms ? mono_now - acct.busy_since_ms : 0;
  a.finished_recently = acct.drained.recent(mono_now);
  a.is_held = acct.limiter.is_paused(mono_now);
  return a;
}

void worker::impl::count_for_account(item* it) {
  it->counts_for_account = true;
  account_runtime& a = *it->acct;
  if (++a.in_flight == cfg.kafka.max_in_flight_per_account && a.busy_since_ms == 0) a.busy_since_ms = mono_ms();
}

void worker::impl::uncount_for_account(item* it) {
  if (!it->counts_for_account) return;
  it->counts_for_account = false;
  account_runtime& a = *it->acct;
  --a.in_flight;
  a.drained.add(mono_ms());
  // Below 3/4 of the share the episode is over (a margin, so that an account hovering at its share
  // is one episode, with one learning window).
  if (a.busy_since_ms != 0 && a.in_flight < cfg.kafka.max_in_flight_per_account / 4 * 3) {
    a.busy_since_ms = 0;
    a.is_deferring = false;
  }
}

void worker::impl::defer_for_account(item* it, flow::retry_stage stage, const account_load& load,
                                     std::int64_t mono_now) {
  account_runtime& a = *it->acct;
  const std::int64_t hold = std::max<std::int64_t>(0, a.limiter.paused_until() - mono_now);
  const std::int64_t delay = account_busy_delay_ms(load, hold, cfg.retry.backoff_cap_ms);
  ++stats.account_deferred;
  if (!a.is_deferring) {
    a.is_deferring = true;  // once per episode at info; every event at debug
    log::info("account holds its in-flight share: its new events wait on the retry topic",
              {{"account", a.cfg->name}, {"in_flight", static_cast<std::int64_t>(load.in_flight)},
               {"share", static_cast<std::int64_t>(load.share)},
               {"finished_last_second", static_cast<std::int64_t>(load.finished_recently)},
               {"held", load.is_held}, {"delay_ms", delay}});
  }
  log::debug("event deferred: its account holds its in-flight share",
             {{"event_id", it->ev.event_id}, {"trace_id", log::if_any(it->trace.trace_id())}, {"account", a.cfg->name},
              {"delay_ms", delay}});
  park(it, flow::retry_reason::account_busy, stage, now_ms() + delay);
}

// The wait of share_verdict::admit_and_wait is over once its window has passed, or once no account
// at its share is still unable to show that it drains (checked only while one waits).
bool worker::impl::is_share_wait_over(std::int64_t mono_now) {
  if (share_wait_until_ms == 0) return true;
  bool is_waiting = false;
  if (mono_now < share_wait_until_ms)
    for (auto& [name, a] : accounts)
      if (a->in_flight >= cfg.kafka.max_in_flight_per_account &&
          decide_share(load_of(*a, mono_now)) == share_verdict::admit_and_wait)
        is_waiting = true;
  if (!is_waiting) share_wait_until_ms = 0;
  return !is_waiting;
}

void worker::impl::apply_flow_control() {
  // After a fail-stop the gate stays closed and every partition paused (fail_stop).
  if (!failure.empty()) return;
  const auto& k = cfg.kafka;
  const window_use use{total_in_flight, in_flight_bytes};
  // Settled events waiting for their transaction (hand_over) have a bound of their own, as large.
  const window_use handed{handed_over, handed_over_bytes};
  const window_limits limits{k.max_in_flight, k.max_in_flight_bytes};
  const bool is_over_total = is_window_full(use, limits) || is_window_full(handed, limits);
  const bool is_under_total = is_window_drained(use, limits) && is_window_drained(handed, limits);
  // Intake also waits while an account at its share has not shown whether it drains (decide_share).
  const bool is_share_waiting = share_wait_until_ms != 0 && !is_share_wait_over(mono_ms());
  // The overall bound first closes the gate (nothing more is taken from librdkafka's queue, which
  // bounds itself); only a gate closed for long (a slow gateway) turns into pausing the
  // partitions, so that rebalances are served and max.poll.interval.ms is kept.
  if ((is_over_total || is_share_waiting) && !is_gated && !is_gate_expired) {
    is_gated = true;
    consumer->set_gated(true);
    gate_timer.expires_after(max_gate_time);
    gate_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || !self->is_gated || !self->failure.empty()) return;
      self->is_gate_expired = true;
      self->is_gated = false;
      self->consumer->set_gated(false);
      self->apply_flow_control();
    });
  } else if (is_gated && !is_share_waiting && is_window_reopened(use, limits) && is_window_reopened(handed, limits)) {
    is_gated = false;
    gate_timer.cancel();
    consumer->set_gated(false);
  }
  if (is_gate_expired && is_under_total) is_gate_expired = false;

  for (auto& p : partitions) {
    const std::size_t n = p->marks.in_flight();
    const bool is_held = p->held_offset >= 0;
    const bool must_pause = is_stopping || !is_redis_up || is_held || (is_gate_expired && is_over_total) ||
                            n >= k.max_in_flight_per_partition;
    const bool may_resume = !is_stopping && is_redis_up && !is_held && !is_gate_expired &&
                            n < k.max_in_flight_per_partition * 3 / 4;
    if (!p->is_paused && must_pause) {
      consumer->pause(p->tp);
      p->is_paused = true;
      log::debug("partition paused", {{"topic", p->tp.topic}, {"partition", p->tp.partition},
                                      {"in_flight", static_cast<std::int64_t>(n)}});
    } else if (p->is_paused && may_resume) {
      consumer->resume(p->tp);
      p->is_paused = false;
      log::debug("partition resumed", {{"topic", p->tp.topic}, {"partition", p->tp.partition}});
    }
  }
}

void worker::impl::store_offsets() {
  for (auto& p : partitions) {
    if (!p->is_dirty) continue;
    p->is_dirty = false;
    if (auto next = p->marks.committable()) consumer->store_offset(p->tp, *next);
  }
}

}  // namespace herald::pipeline
