// Intake: consumed messages are tracked in their partition's watermark, decoded, and handed to
// the guard; partitions are paused while the in-flight bound is reached.
#include <rapidjson/document.h>

#include "herald/ledger/ledger_keys.hpp"
#include "herald/util/log.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {
namespace {

// What an invalid event still says about itself (only well-formed string fields), so that its
// outcome can be traced to an order. Runs on the invalid path only.
void identify_invalid(std::string_view payload, item& it) {
  rapidjson::Document d;
  d.Parse(payload.data(), payload.size());
  if (!d.IsObject()) return;
  auto text = [&](const char* name, std::string& out) {
    auto m = d.FindMember(name);
    if (m != d.MemberEnd() && m->value.IsString() && m->value.GetStringLength() <= 128)
      out.assign(m->value.GetString(), m->value.GetStringLength());
  };
  text("event_id", it.ev.event_id);
  text("order_id", it.ev.order_id);
  text("account", it.ev.account);
}

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
    partitions.push_back(std::move(state));
  }
  apply_flow_control();
}

void worker::impl::on_revoked(std::span<const kafka::topic_partition> tps) {
  store_offsets();
  for (const auto& tp : tps) {
    for (auto it = partitions.begin(); it != partitions.end(); ++it) {
      if ((*it)->tp == tp) {
        // Items still in flight keep the state alive and settle normally; their offsets are no
        // longer ours to commit, and the next owner's redelivery meets the ledger.
        (*it)->is_assigned = false;
        partitions.erase(it);
        break;
      }
    }
  }
}

void worker::impl::on_message(const kafka::message_view& m) {
  if (++stats.consumed == 1) log::info("first event consumed", {{"topic", m.topic}, {"partition", m.partition}});
  std::shared_ptr<partition_state> part = find_partition(m.topic, m.partition);
  if (!part) {
    // A message for a partition not (or no longer) assigned: leave it to the partition's owner.
    log::warn("message from an unassigned partition ignored", {{"topic", m.topic}, {"partition", m.partition}});
    return;
  }
  part->marks.track(m.offset);
  ++total_in_flight;

  auto* it = new item();
  it->core = this;
  it->part = part;
  it->offset = m.offset;
  it->out.source = {part->tp.topic, part->tp.partition, m.offset};

  auto decoded = model::decode_event(m.payload, cfg);
  if (!decoded) {
    it->raw.assign(m.payload);
    it->key.assign(m.key);
    identify_invalid(m.payload, *it);
    log::warn("invalid event", {{"topic", m.topic}, {"partition", m.partition}, {"offset", m.offset},
                                {"error", decoded.message()}});
    settle(it, model::status::invalid, decoded.message());
    apply_flow_control();
    return;
  }
  it->ev = std::move(decoded.value());
  it->acct = accounts.at(it->ev.account).get();
  const auto& acct_cfg = *it->acct->cfg;
  const auto& limits = acct_cfg.daily_limit ? *acct_cfg.daily_limit : cfg.quota.daily_limit;
  it->daily_limit = it->ev.category == config::category::marketing ? limits.marketing : limits.transactional;
  it->keys = ledger::make_keys(cfg.redis.key_prefix, it->ev, now_ms() / 1000, cfg.ledger.quota_utc_offset_minutes);

  auto [pos, is_new] = in_flight_by_key.try_emplace(it->keys.ledger, it);
  if (!is_new) {
    // The same notification is already on its way here: never a second send; this copy is
    // reported as a duplicate once the first one settles.
    it->leader = pos->second;
    pos->second->followers.push_back(it);
  } else {
    guard_queue.push_back(it);
    schedule_guard();
  }
  apply_flow_control();
}

void worker::impl::apply_flow_control() {
  const auto& k = cfg.kafka;
  const bool is_over_total = total_in_flight >= k.max_in_flight;
  const bool is_under_total = total_in_flight < k.max_in_flight * 3 / 4;
  for (auto& p : partitions) {
    const std::size_t n = p->marks.in_flight();
    const bool must_pause = is_stopping || !is_redis_up || is_over_total || n >= k.max_in_flight_per_partition;
    const bool may_resume = !is_stopping && is_redis_up && is_under_total && n < k.max_in_flight_per_partition * 3 / 4;
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
