#include "herald/pipeline/worker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "herald/pipeline/metrics.hpp"
#include "herald/util/crypto.hpp"
#include "herald/util/log.hpp"
#include "herald/util/time.hpp"
#include "worker_impl.hpp"

namespace herald::pipeline {

std::int64_t mono_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
  co_await t.async_wait(boost::asio::use_awaitable);
}

static_assert(rate_budget::round_trip_tag >= ledger::round_trip_count, "the lease's round trips have a tag of their own");

namespace {

// The gateways' documented QPS caps (docs/gateways.md), used when rate_limit_qps is 0.
std::uint32_t default_rate_limit_qps(config::gateway_kind kind) {
  switch (kind) {
    case config::gateway_kind::aliyun_sms: return 5000;
    case config::gateway_kind::aliyun_card: return 1000;
    default: return 0;
  }
}

}  // namespace

worker::impl::impl(boost::asio::io_context& io_, const config::herald_config& cfg_, worker::options opts_)
    : io(io_),
      cfg(cfg_),
      opts(std::move(opts_)),
      batches(cfg_.batch.linger_ms),
      linger_timer(io_),
      gate_timer(io_),
      share_timer(io_),
      stop_timer(io_),
      report_timer(io_) {
  if (!opts.now_ms) opts.now_ms = [] { return time::unix_ms(); };
  // Names this process in its ledger reservations (docs/ledger.md, owners): new at every start, so
  // that a restarted pod never mistakes its predecessor's reservations for its own.
  instance_id = crypto::random_hex(4);
  limits.max_attempts = cfg.retry.max_attempts;
  limits.max_receipt_checks = cfg.retry.max_receipt_checks;
  limits.max_in_process_delay_ms = cfg.retry.max_in_process_delay_ms;
  limits.receipt_grace_ms = cfg.retry.receipt_grace_ms;
  limits.not_sent_budget_ms = cfg.retry.not_sent_budget_ms;
  // A request written at t is over by t + this: a wait for a connection (up to the connect
  // timeout), a connect, the request's own timeout, and slack for a slow settle.
  limits.write_lease_s = (2 * static_cast<std::int64_t>(cfg.http.connect_timeout_ms) + cfg.http.request_timeout_ms) / 1000 + 10;
  in_flight.reserve(cfg.kafka.max_in_flight);  // no rehashing under load
  for (const auto& [name, acct] : cfg.accounts) {
    auto rt = std::make_unique<account_runtime>();
    rt->cfg = &acct;
    rt->gw = gateway::make_gateway(acct);
    rt->max_batch = std::max<std::size_t>(1, std::min<std::size_t>(acct.max_batch, rt->gw->caps().max_batch));
    rt->has_receipt_query = rt->gw->caps().has_receipt_query;
    flow::aimd_options limits;
    limits.max_limit = std::max<std::uint32_t>(1, std::min(acct.max_concurrent_calls, cfg.http.max_connections_per_endpoint));
    rt->limiter = flow::aimd_limiter(limits);
    const std::uint32_t qps = acct.rate_limit_qps ? acct.rate_limit_qps : default_rate_limit_qps(acct.gateway);
    // A tenth of a second's worth of burst: any one-second window sees at most 1.1 × the rate.
    rt->bucket = flow::token_bucket(qps, std::max<std::uint32_t>(1, qps / 10));
    // The account's rate across all pods: the bucket above paces this pod, the budget in Redis
    // (whose keys worker::worker sets) bounds them all together.
    if (qps > 0 && cfg.rate_limit.shared) {
      flow::shared_rate_options shared;
      shared.rate = qps;
      shared.fallback_pods = cfg.rate_limit.fallback_pods;
      rt->shared = std::make_unique<flow::shared_rate>(shared);
    }
    rt->pump_timer = std::make_unique<boost::asio::steady_timer>(io_);
    observed.add_account(name, rt->call_seconds);
    accounts.emplace(name, std::move(rt));
  }
}

worker::worker(boost::asio::io_context& io, const config::herald_config& cfg, options opts)
    : impl_(std::make_shared<impl>(io, cfg, std::move(opts))) {
  auto& s = *impl_;
  auto ex = io.get_executor();
  s.redis = std::make_unique<redis::client>(ex, s.cfg.redis);
  // herald_redis_call_duration_seconds by ledger operation (the ledger's tags, ledger::round_trip).
  s.redis->on_round_trip([p = impl_.get()](std::uint8_t tag, std::chrono::steady_clock::duration took) {
    if (tag < ledger::round_trip_count) p->observed.redis_by_op[tag]->observe(std::chrono::duration<double>(took).count());
    else if (tag == rate_budget::round_trip_tag) p->observed.redis_rate_lease->observe(std::chrono::duration<double>(took).count());
  });
  s.budget = std::make_unique<rate_budget>(*s.redis, s.cfg.redis.key_prefix);
  for (auto& [name, acct] : s.accounts) {
    acct->rate_key = s.budget->bucket_key(name);
    acct->rate_pods_key = s.budget->pods_key(name);
  }
  s.ledger = std::make_unique<ledger::store>(*s.redis, s.cfg.redis.key_prefix, s.cfg.ledger.retention_hours,
                                             s.cfg.redis.is_cluster());
  s.http = std::make_unique<http::client_pool>(ex, s.cfg.http);
  s.producer = std::make_unique<kafka::producer>(ex, s.cfg.kafka);
  s.producer->on_reports_drained([p = impl_.get()] {
    if (!p->producer->is_transactional()) p->store_offsets();
    p->apply_flow_control();
  });
  // Transactions: the offsets settled so far commit with the records given so far (emit.cpp).
  s.producer->on_commit_point([p = impl_.get()] { return p->offsets_now(); });
  s.producer->on_fatal_error([p = impl_.get()](std::string reason) {
    p->fail_stop("the Kafka producer has a fatal error: " + reason);
  });
  kafka::consumer::handlers h;
  h.on_message = [p = impl_.get()](const kafka::message_view& m) { p->on_message(m); };
  h.on_assigned = [p = impl_.get()](std::span<const kafka::topic_partition> tps) { p->on_assigned(tps); };
  h.on_revoked = [p = impl_.get()](std::span<const kafka::topic_partition> tps) { p->on_revoked(tps); };
  h.on_committed = [p = impl_.get()](const kafka::topic_partition& tp, std::int64_t committed, std::string_view m) {
    p->on_committed(tp, committed, m);
  };
  h.on_error = [p = impl_.get()](std::string_view) { ++p->stats.consume_errors; };
  // The consumer-lag metric: the statistics' end offsets against this worker's own positions.
  h.on_statistics = [p = impl_.get()](std::string_view json) {
    p->observed.take_statistics(json, [p](const kafka::topic_partition& tp) -> std::optional<std::int64_t> {
      for (const auto& part : p->partitions)
        if (part->is_assigned && part->tp == tp) return part->marks.low_water();
      return std::nullopt;
    });
  };
  h.on_fatal = [p = impl_.get()](std::string reason) {
    p->fail_stop("the Kafka consumer has a fatal error: " + reason);
  };
  s.consumer = std::make_unique<kafka::consumer>(ex, s.cfg.kafka, std::move(h));
  if (s.producer->is_transactional()) s.producer->use_group_metadata_of(*s.consumer);
  if (!s.cfg.admin.listen.empty()) {
    const auto& listen = s.cfg.admin.listen;
    auto colon = listen.rfind(':');
    s.admin = std::make_unique<http::admin_server>(
        ex, listen.substr(0, colon), static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1))),
        [p = impl_.get()](std::string_view path) { return p->answer_admin(path); });
  }
  s.redis->on_connection_change([p = impl_.get()](bool is_up) {
    p->is_redis_up = is_up;
    if (is_up) {
      p->has_redis_been_up = true;
      p->redis_refusal.clear();
      // The group is joined once Redis is known to work: a pod that cannot use its Redis (down,
      // or too old: fail_stop) takes no partitions from the others, and leaves no half-joined
      // member behind (librdkafka 2.0.2 asserts when such a consumer is closed mid-join).
      if (!p->is_consumer_started && !p->is_stopping) {
        p->is_consumer_started = true;
        try {
          p->consumer->start();
        } catch (const std::exception& e) {
          boost::asio::post(p->io, [self = p->shared_from_this(), why = std::string(e.what())] { self->fail_stop(why); });
        }
      }
    }
    // While Redis is unreachable nothing can be reserved, so nothing is sent: stop fetching too.
    p->apply_flow_control();
  });
  // A server Herald cannot use (a Redis older than 7.0) found at start-up is a deployment error:
  // stop and say so rather than wait. Found on a reconnect (a failover to an older server), it
  // leaves Herald not ready, without Redis, until a supported server answers.
  s.redis->on_server_refused([p = impl_.get()](const std::string& why) {
    p->redis_refusal = why;
    // Posted: the stop closes the client, which is the caller here.
    if (!p->has_redis_been_up)
      boost::asio::post(p->io, [self = p->shared_from_this(), why] { self->fail_stop(why); });
  });
}

worker::~worker() = default;

void worker::start() {
  auto& s = *impl_;
  const std::string written[] = {s.cfg.kafka.results_topic, s.cfg.kafka.dlq_topic, s.cfg.kafka.retry_topic,
                                 s.cfg.kafka.delay_topic};
  // A topic Herald writes to that does not exist (or may not be written) fails every outcome that
  // would go there: stop before taking a single event.
  auto unusable = s.producer->warm_up(written, std::chrono::seconds(5));
  if (!unusable.empty()) {
    std::string cause = "an output topic cannot be written:";
    for (const auto& u : unusable) {
      log::error("output topic cannot be written", {{"topic_and_error", u}});
      cause += " " + u + ";";
    }
    cause.pop_back();
    boost::asio::post(s.io, [p = impl_, cause = std::move(cause)]() mutable { p->fail_stop(std::move(cause)); });
    return;
  }
  s.redis->start();  // the consumer starts once Redis is up (on_connection_change)
  if (!s.cfg.rate_limit.shared)
    log::warn("rate_limit.shared is false: each pod sends up to its accounts' rate_limit_qps by itself, N pods N times it");
  log::info("herald started", {{"topics", static_cast<std::int64_t>(s.cfg.kafka.topics.size())},
                               {"accounts", static_cast<std::int64_t>(s.accounts.size())},
                               {"instance", s.instance_id},
                               {"transactions", s.producer->is_transactional()}});
}

void worker::stop(std::chrono::milliseconds drain_timeout, std::function<void(int)> done) {
  impl_->begin_stop(drain_timeout, std::move(done));
}

void worker::impl::begin_stop(std::chrono::milliseconds drain_timeout, std::function<void(int)> done) {
  auto& s = *this;
  if (s.is_stopping) return;
  s.is_stopping = true;
  s.on_stopped = std::move(done);
  log::info("herald stopping", {{"in_flight", static_cast<std::int64_t>(s.total_in_flight)}});
  s.apply_flow_control();
  for (auto& b : s.batches.take_all()) s.dispatch(std::move(b));
  // Items whose records can never be written will not settle: the drain does not wait for them.
  if (s.total_in_flight == s.undeliverable) {
    // Posted: a fail-stop starts here from inside a delivery report, where finish_stop's flush and
    // close must not run (they poll librdkafka again).
    boost::asio::post(s.io, [self = shared_from_this()] { self->finish_stop(); });
    return;
  }
  s.stop_timer.expires_after(drain_timeout);
  s.stop_timer.async_wait([p = shared_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    log::warn("herald stop: drain timeout, leaving unsettled events for redelivery",
              {{"in_flight", static_cast<std::int64_t>(p->total_in_flight)}});
    p->finish_stop();
  });
}

const counters& worker::stats() const { return impl_->stats; }

http::admin_answer worker::impl::answer_admin(std::string_view path) const {
  if (path == "/metrics") {
    gauges g;
    g.events_in_flight = total_in_flight;
    g.bytes_in_flight = in_flight_bytes;
    g.partitions_assigned = partitions.size();
    for (const auto& p : partitions) g.partitions_paused += p->is_paused ? 1 : 0;
    g.is_redis_up = is_redis_up;
    g.is_intake_gated = is_gated;
    for (int s = 0; s < stage_count; ++s) g.by_stage[s] = in_stage[s];
    g.redis_round_trips = redis->round_trips();
    if (cfg.redis.is_cluster()) g.redis_cluster = redis->cluster_stats();
    g.produce_retries = producer->retries();
    g.transactions_committed = producer->transactions_committed();
    g.transactions_aborted = producer->transactions_aborted();
    g.is_failed = !failure.empty();
    std::string text = render_metrics(stats, g);
    std::vector<kafka::topic_partition> assigned;
    assigned.reserve(partitions.size());
    for (const auto& p : partitions)
      if (p->is_assigned) assigned.push_back(p->tp);
    append_observations(text, observed, assigned, http->usage());
    std::vector<shared_rate_row> rates;
    for (const auto& [name, acct] : accounts)
      if (acct->shared) rates.push_back({name, acct->shared.get()});
    append_shared_rate_metrics(text, rates);
    return {200, "text/plain; version=0.0.4; charset=utf-8", std::move(text)};
  }
  if (path == "/healthz") return {200, "text/plain", is_stopping ? "stopping\n" : "ok\n"};
  // Ready when it can do its work: Redis reachable and not draining.
  if (path == "/readyz") {
    if (!failure.empty()) return {503, "text/plain", "failed: " + failure + "\n"};
    if (is_redis_up && !is_stopping) return {200, "text/plain", "ready\n"};
    if (is_stopping) return {503, "text/plain", "stopping\n"};
    if (!redis_refusal.empty()) return {503, "text/plain", "redis not supported: " + redis_refusal + "\n"};
    return {503, "text/plain", "redis unreachable\n"};
  }
  return {404, "text/plain", "not found: try /metrics, /healthz or /readyz\n"};
}

}  // namespace herald::pipeline
